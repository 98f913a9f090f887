package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/internal/twiliofake"
	"github.com/notifyd/notifyd/store"
)

const authToken = "0123456789abcdef0123456789abcdef"

func inbound(t *testing.T, f *fixture, body string, sign bool) (int, string) {
	t.Helper()
	form := url.Values{"From": {"+14155550100"}, "To": {"+15005550006"}, "Body": {body}, "MessageSid": {"SM1"}}
	u := f.srv.URL + "/webhooks/twilio/inbound"
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		req.Header.Set("X-Twilio-Signature", twiliofake.Signature(authToken, u, form))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestInboundKeywords(t *testing.T) {
	f := newFixture(t)
	f.api.TwilioAuthToken = authToken
	f.api.PublicURL = f.srv.URL
	f.api.Config = &config.Config{Brands: []config.Brand{{ID: "acme", Name: "Acme Home",
		SMS: config.BrandSMS{SenderName: "Acme", From: "+15005550006"}, Support: config.Support{Phone: "+14155550199"}}}}
	ctx := context.Background()
	stopped := func() bool {
		ss, err := f.st.Suppressions(ctx, store.ChannelSMS, "+14155550100")
		if err != nil {
			t.Fatal(err)
		}
		return len(ss) > 0
	}
	steps := []struct {
		name, body string
		sign       bool
		status     int
		contains   string
		absent     string
		stopped    bool
	}{
		{"unsigned", "STOP", false, 403, "", "", false},
		{"HELP", "help", true, 200, "Msg &amp; data rates may apply", "", false},
		{"anything else", "hello?", true, 200, "could not read that reply", "", false},
		{"STOP suppresses and confirms", " Stop ", true, 200, "no more SMS", "", true},
		{"a second STOP gets no second confirmation", "STOP", true, 200, "<Response></Response>", "<Message>", true},
		{"START lifts it", "START", true, 200, "receive SMS about your orders again", "", false},
		{"CANCEL is an opt-out, never a choice", "CANCEL", true, 200, "no more SMS", "", true},
	}
	for _, s := range steps {
		status, body := inbound(t, f, s.body, s.sign)
		if status != s.status || !strings.Contains(body, s.contains) || (s.absent != "" && strings.Contains(body, s.absent)) {
			t.Errorf("%s: %d %s", s.name, status, body)
		}
		if status == 200 && !strings.HasPrefix(body, "<?xml") {
			t.Errorf("%s: not TwiML: %s", s.name, body)
		}
		if got := stopped(); got != s.stopped {
			t.Errorf("%s: suppressed=%v, want %v", s.name, got, s.stopped)
		}
	}
}
