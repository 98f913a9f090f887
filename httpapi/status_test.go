package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/internal/twiliofake"
	"github.com/notifyd/notifyd/store"
)

// fallbacks records the notifications handed to email.
type fallbacks struct {
	ids  []string
	fail bool
}

func (f *fallbacks) Undelivered(_ context.Context, n *store.Notification) error {
	f.ids = append(f.ids, n.ID)
	if f.fail {
		return errors.New("redis: connection refused")
	}
	return nil
}

// An SMS that Twilio reports undelivered or failed after accepting it is handed to
// the fallback (jobs.Worker sends a required notice by email then), also when Twilio
// repeats the callback; a delivered one, a late callback after delivered and a
// refused fallback (500, so that a retry comes) are checked too.
func TestTwilioStatusFallsBack(t *testing.T) {
	f := newFixture(t)
	f.api.TwilioAuthToken, f.api.PublicURL = authToken, f.srv.URL
	fb := &fallbacks{}
	f.api.Fallback = fb
	ctx := context.Background()
	now := time.Now()
	sent := func(id, sid string) {
		n := &store.Notification{ID: id, OrderID: "ord_1", Brand: "acme", Kind: "delay_option_offer", Channel: store.ChannelSMS,
			Recipient: "+14155550100", DedupKey: id, Status: store.NotificationPending, Body: "x", CreatedAt: now, UpdatedAt: now}
		if _, _, err := f.st.CreateNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.st.ClaimSend(ctx, "claim-"+id, id, now); err != nil {
			t.Fatal(err)
		}
		n.Status, n.ProviderID, n.SentAt = store.NotificationSent, sid, &now
		if err := f.st.CommitSend(ctx, "claim-"+id, n, now); err != nil {
			t.Fatal(err)
		}
	}
	sent("n_und", "SM_und")
	sent("n_fail", "SM_fail")
	sent("n_ok", "SM_ok")
	sent("n_err", "SM_err")

	status := func(sid, s, code string) int {
		t.Helper()
		form := url.Values{"MessageSid": {sid}, "MessageStatus": {s}, "ErrorCode": {code}}
		u := f.srv.URL + "/webhooks/twilio/status"
		req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twiliofake.Signature(authToken, u, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	steps := []struct {
		name, sid, status string
		code              int
		handed            []string // fb.ids afterwards
	}{
		{"sent changes nothing", "SM_und", "sent", 204, nil},
		{"undelivered", "SM_und", "undelivered", 204, []string{"n_und"}},
		{"repeated", "SM_und", "undelivered", 204, []string{"n_und", "n_und"}},
		{"failed", "SM_fail", "failed", 204, []string{"n_und", "n_und", "n_fail"}},
		{"delivered", "SM_ok", "delivered", 204, []string{"n_und", "n_und", "n_fail"}},
		{"undelivered after delivered", "SM_ok", "undelivered", 204, []string{"n_und", "n_und", "n_fail"}},
	}
	for _, s := range steps {
		if got := status(s.sid, s.status, "30003"); got != s.code || !slices.Equal(fb.ids, s.handed) {
			t.Errorf("%s: %d, handed %q; want %d, %q", s.name, got, fb.ids, s.code, s.handed)
		}
	}
	fb.fail, fb.ids = true, nil
	if got := status("SM_err", "undelivered", "30005"); got != http.StatusInternalServerError || !slices.Equal(fb.ids, []string{"n_err"}) {
		t.Errorf("a failed fallback: %d, handed %q; want 500", got, fb.ids)
	}
	fb.fail = false
	if got := status("SM_err", "undelivered", "30005"); got != 204 || !slices.Equal(fb.ids, []string{"n_err", "n_err"}) {
		t.Errorf("Twilio's retry: %d, handed %q; want 204 and a second try", got, fb.ids)
	}
	if n, _ := f.st.GetNotification(ctx, "n_err"); n.Status != store.NotificationUndelivered || n.ErrorCode != "30005" {
		t.Errorf("n_err is %s (%s), want undelivered (30005)", n.Status, n.ErrorCode)
	}
}
