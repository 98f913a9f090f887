package sms_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/sms"
	"github.com/notifyd/notifyd/internal/twiliofake"
)

const (
	to       = "+14155550100"
	globalMG = "MG00000000000000000000000000000001"
	brandMG  = "MG00000000000000000000000000000002"
	callback = "https://notifyd.example/webhooks/twilio/status"
)

// newSender returns a Sender talking to a fresh fake, with cfg edited by edit.
func newSender(t testing.TB, edit func(*sms.Config)) (*sms.Sender, *twiliofake.Fake) {
	t.Helper()
	f := twiliofake.Start(t)
	cfg := config(f)
	if edit != nil {
		edit(&cfg)
	}
	s, err := sms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

// config is a valid configuration for f with a global messaging service.
func config(f *twiliofake.Fake) sms.Config {
	return sms.Config{
		AccountSID:          f.AccountSID,
		AuthToken:           f.AuthToken,
		MessagingServiceSID: globalMG,
		APIURL:              f.URL,
		StatusCallback:      callback,
	}
}

func message(brand, text string) *channels.Message {
	return &channels.Message{
		ID: "ntf_1", Kind: "backorder_notice", OrderID: "ord_1001", Brand: brand,
		Channel: channels.SMS, To: to, Text: text,
	}
}

func TestSendRequest(t *testing.T) {
	t.Parallel()
	brands := map[string]sms.BrandSender{
		"acme":  {From: "+14155550199"},
		"zenco": {MessagingServiceSID: brandMG},
	}
	tests := []struct {
		name         string
		globalFrom   string // replaces the global messaging service when set
		brand        string
		text         string
		wantFrom     string
		wantMG       string
		wantSegments int
	}{
		{"global messaging service", "", "other", "Your kettle is delayed", "", globalMG, 1},
		{"global From", "+14155550188", "", "Your kettle is delayed", "+14155550188", "", 1},
		{"brand From overrides global", "", "acme", "Your kettle is delayed", "+14155550199", "", 1},
		{"brand service overrides global From", "+14155550188", "zenco", "Votre bouilloire 👋", "", brandMG, 1},
		{"two GSM-7 segments", "+14155550188", "", strings.Repeat("a", 161), "+14155550188", "", 2},
		{"three UCS-2 segments", "", "acme", strings.Repeat("ж", 135), "+14155550199", "", 3},
		{"segments counted for a service", "", "", strings.Repeat("ж", 71), "", globalMG, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, f := newSender(t, func(c *sms.Config) {
				c.Brands = brands
				if tt.globalFrom != "" {
					c.MessagingServiceSID, c.From = "", tt.globalFrom
				}
			})
			r, err := s.Send(context.Background(), message(tt.brand, tt.text))
			if err != nil {
				t.Fatal(err)
			}
			reqs, msgs := f.Requests(), f.Messages()
			if len(reqs) != 1 || len(msgs) != 1 {
				t.Fatalf("%d requests, %d messages", len(reqs), len(msgs))
			}
			req := reqs[0]
			if req.Method != "POST" || req.Path != "/2010-04-01/Accounts/"+f.AccountSID+"/Messages.json" {
				t.Errorf("%s %s", req.Method, req.Path)
			}
			if req.Username != f.AccountSID || req.Password != f.AuthToken {
				t.Errorf("basic auth %q:%q", req.Username, req.Password)
			}
			want := map[string]string{"To": to, "Body": tt.text, "From": tt.wantFrom,
				"MessagingServiceSid": tt.wantMG, "StatusCallback": callback}
			for k, v := range want {
				if got := req.Form.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if r.ProviderID != msgs[0].SID || r.Segments != tt.wantSegments || r.AcceptedAt.IsZero() {
				t.Errorf("receipt %+v, want SID %s, %d segments", r, msgs[0].SID, tt.wantSegments)
			}
			if d := time.Since(r.AcceptedAt); d < 0 || d > time.Minute {
				t.Errorf("AcceptedAt %s", r.AcceptedAt)
			}
		})
	}
}

func TestSendWithoutStatusCallback(t *testing.T) {
	t.Parallel()
	s, f := newSender(t, func(c *sms.Config) { c.StatusCallback = "" })
	if _, err := s.Send(context.Background(), message("", "hi")); err != nil {
		t.Fatal(err)
	}
	if _, has := f.Requests()[0].Form["StatusCallback"]; has {
		t.Error("StatusCallback sent although none is configured")
	}
}

func TestSendNoSenderForBrand(t *testing.T) {
	t.Parallel()
	s, f := newSender(t, func(c *sms.Config) {
		c.MessagingServiceSID = ""
		c.Brands = map[string]sms.BrandSender{"acme": {From: "+14155550199"}}
	})
	_, err := s.Send(context.Background(), message("zenco", "hi"))
	var e *channels.Error
	if !asError(err, &e) || !e.Config || !e.Permanent {
		t.Fatalf("got %v, want a config error", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	ok := sms.Config{AccountSID: "AC" + strings.Repeat("a", 32), AuthToken: "t", From: "+14155550199"}
	tests := []struct {
		name    string
		edit    func(*sms.Config)
		wantErr string
	}{
		{"valid", func(*sms.Config) {}, ""},
		{"brand sender only", func(c *sms.Config) {
			c.From = ""
			c.Brands = map[string]sms.BrandSender{"acme": {MessagingServiceSID: brandMG}}
		}, ""},
		{"no account", func(c *sms.Config) { c.AccountSID = "" }, "NOTIFYD_TWILIO_ACCOUNT_SID"},
		{"no token", func(c *sms.Config) { c.AuthToken = "" }, "NOTIFYD_TWILIO_AUTH_TOKEN"},
		{"no sender", func(c *sms.Config) {
			c.From = ""
			c.Brands = map[string]sms.BrandSender{"acme": {}}
		}, "NOTIFYD_TWILIO_FROM"},
		{"relative API URL", func(c *sms.Config) { c.APIURL = "localhost:8080" }, "NOTIFYD_TWILIO_API_URL"},
		{"relative callback", func(c *sms.Config) { c.StatusCallback = "/webhooks/twilio/status" }, "status callback"},
		{"negative timeout", func(c *sms.Config) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			tt.edit(&cfg)
			_, err := sms.New(cfg)
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}
