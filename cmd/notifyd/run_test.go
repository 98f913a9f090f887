package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/internal/testmailpit"
	"github.com/notifyd/notifyd/internal/twiliofake"
	"github.com/notifyd/notifyd/store"
)

// realEnv is testEnv with real channels: Mailpit for SMTP (DKIM-signed with a fresh
// Ed25519 key) and the Twilio fake for SMS, instead of the outbox.
func realEnv(t *testing.T) (env map[string]string, mp *testmailpit.Mailpit, tw *twiliofake.Fake, dkimTXT string) {
	t.Helper()
	env = testEnv(t)
	delete(env, "NOTIFYD_OUTBOX_DIR")
	mp = testmailpit.Start(t)
	tw = twiliofake.Start(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"NOTIFYD_SMTP_URL":           mp.SMTPURL(),
		"NOTIFYD_DKIM_DOMAIN":        "mail.example",
		"NOTIFYD_DKIM_SELECTOR":      "s1",
		"NOTIFYD_DKIM_KEY_FILE":      keyFile,
		"NOTIFYD_TWILIO_ACCOUNT_SID": tw.AccountSID,
		"NOTIFYD_TWILIO_AUTH_TOKEN":  tw.AuthToken,
		"NOTIFYD_TWILIO_FROM":        "+15005550006",
		"NOTIFYD_TWILIO_API_URL":     tw.URL,
		"NOTIFYD_PUBLIC_URL":         "http://" + env["NOTIFYD_HTTP_ADDR"],
	} {
		env[k] = v
	}
	return env, mp, tw, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
}

// startRun runs `notifyd run` until the test ends and returns its base URL and an
// ingest token.
func startRun(t *testing.T, env map[string]string) (base, token string) {
	t.Helper()
	migrated(t, env)
	stdout, _, _ := runCmd(t, env, "", "tokens", "create", "--role", "ingest", "--name", "t")
	token = lastLine(stdout)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var errb lockedBuffer
	go func() {
		err := run(ctx, []string{"run"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil, &lockedBuffer{}, &errb)
		done <- exitCode(err, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("notifyd run exited %d:\n%s", code, errb.String())
		}
	})
	base = "http://" + env["NOTIFYD_HTTP_ADDR"]
	waitReady(t, base)
	return base, token
}

// waitSettled waits until the event is handled, none of its notifications is pending
// and no task is queued or due within a minute (coalescing flushes included).
func waitSettled(t *testing.T, env map[string]string, st store.Store, source, id string) {
	t.Helper()
	opt, err := asynq.ParseRedisURI(env["NOTIFYD_REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	in := asynq.NewInspector(opt)
	defer in.Close()
	deadline := time.Now().Add(30 * time.Second)
	calm := 0 // two settled looks in a row: a task can move between queues unseen
	for time.Now().Before(deadline) {
		rec, err := st.GetEvent(context.Background(), source, id)
		settled := false
		if err == nil && rec.Status == store.EventHandled {
			pending, err := st.ListNotifications(context.Background(), store.NotificationFilter{Status: store.NotificationPending})
			busy, _ := queuesBusy(in, true)
			settled = err == nil && len(pending) == 0 && !busy
		}
		if calm = calm + 1; !settled {
			calm = 0
		}
		if calm == 2 {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("event %s not settled", id)
}

// TestRunSendsForReal replays every demo event into `notifyd run` with SMTP (Mailpit)
// and Twilio (the fake): exactly the expected emails arrive, DKIM-valid, and the
// expected SMS reach Twilio; a permanent SMS refusal of the legal notice is recorded
// with Twilio's code while email carries the notice; signed delivery callbacks
// update the status, forged ones get 403.
func TestRunSendsForReal(t *testing.T) {
	env, mp, tw, txt := realEnv(t)
	// Twilio refuses ord_1004's number: both its SMS (the notice and the offer, sent
	// together because an indefinite backorder is late at once) fail permanently.
	tw.Script("+12125550123", twiliofake.Reject(21211, "+12125550123"), twiliofake.Reject(21211, "+12125550123"))
	base, token := startRun(t, env)
	st := openTestStore(t, env)
	for _, line := range demoLines(t) {
		if status := postEvent(t, base, token, line); status != http.StatusAccepted {
			t.Fatalf("POST: %d", status)
		}
		var e struct{ ID, Source string }
		mustUnmarshal(t, line, &e)
		waitSettled(t, env, st, e.Source, e.ID)
	}

	// Email: every expected message once, each DKIM-signed and valid.
	var got []string
	for _, s := range mp.Messages(t) {
		h := mp.Headers(t, s.ID)
		got = append(got, h["X-Notifyd-Order-Id"][0]+" "+h["X-Notifyd-Kind"][0])
		raw := mp.Raw(t, s.ID)
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
			LookupTXT: func(d string) ([]string, error) {
				if d == "s1._domainkey.mail.example" {
					return []string{txt}, nil
				}
				return nil, fmt.Errorf("no record for %s", d)
			},
		})
		if err != nil || len(vs) != 1 || vs[0].Err != nil {
			t.Errorf("DKIM of %s: %v %+v", s.Subject, err, vs)
		}
	}
	sort.Strings(got)
	want := []string{
		"ord_1001 backorder_notice", "ord_1001 eta_update", "ord_1001 partial_shipment", "ord_1001 shipped",
		"ord_1002 backorder_notice", "ord_1002 restock_notice", "ord_1002 shipped",
		"ord_1003 backorder_notice",
		"ord_1004 backorder_notice", "ord_1004 delay_option_offer", "ord_1004 choice_reminder", "ord_1004 auto_cancel_notice",
		"ord_5001 backorder_notice", "ord_5001 eta_update",
		"ord_5002 backorder_notice", "ord_5002 delay_option_offer",
		"ord_1005 backorder_notice", "ord_1005 delay_option_offer", "ord_1005 choice_reminder", "ord_1005 choice_confirmation",
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("emails in Mailpit:\n got %q\nwant %q", got, want)
	}

	// SMS: 14 decided, 12 accepted by Twilio, the two refused failed with its code.
	ns, err := st.ListNotifications(context.Background(), store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var sent, failed []store.Notification
	for _, n := range ns {
		if n.Channel != store.ChannelSMS {
			continue
		}
		switch n.Status {
		case store.NotificationSent:
			sent = append(sent, n)
		case store.NotificationFailed:
			failed = append(failed, n)
		}
	}
	if len(tw.Messages()) != 12 || len(sent) != 12 {
		t.Errorf("Twilio accepted %d SMS, %d recorded sent; want 12 and 12", len(tw.Messages()), len(sent))
	}
	if len(failed) != 2 {
		t.Fatalf("failed SMS: %+v", failed)
	}
	for _, f := range failed {
		if f.OrderID != "ord_1004" || f.ErrorCode != "21211" {
			t.Errorf("failed SMS %s/%s: code %q", f.OrderID, f.Kind, f.ErrorCode)
		}
		attempts, _ := st.ListAttempts(context.Background(), f.ID)
		if len(attempts) != 1 || attempts[0].Outcome != "permanent" {
			t.Errorf("a permanent refusal must not be retried: attempts %+v", attempts)
		}
	}
	emails, _ := st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: "ord_1004", Kind: "delay_option_offer"})
	if !slices.ContainsFunc(emails, func(n store.Notification) bool {
		return n.Channel == store.ChannelEmail && n.Status == store.NotificationSent
	}) {
		t.Errorf("the refused legal notice was not carried by email: %+v", emails)
	}

	checkStatusCallbacks(t, st, tw, sent[0])
}

func checkStatusCallbacks(t *testing.T, st store.Store, tw *twiliofake.Fake, n store.Notification) {
	t.Helper()
	ctx := context.Background()
	status := func(send func(context.Context, string, string, string) (*http.Response, error), s, code string) int {
		resp, err := send(ctx, n.ProviderID, s, code)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	current := func() string {
		got, err := st.GetNotification(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	if code := status(tw.SendStatusForged, "failed", "30003"); code != http.StatusForbidden || current() != store.NotificationSent {
		t.Errorf("forged callback: %d, status %s", code, current())
	}
	if code := status(tw.SendStatusUnsigned, "failed", "30003"); code != http.StatusForbidden || current() != store.NotificationSent {
		t.Errorf("unsigned callback: %d, status %s", code, current())
	}
	if code := status(tw.SendStatus, "sent", ""); code >= 300 || current() != store.NotificationSent {
		t.Errorf("intermediate callback: %d, status %s", code, current())
	}
	if code := status(tw.SendStatus, "delivered", ""); code >= 300 || current() != store.NotificationDelivered {
		t.Errorf("delivered callback: %d, status %s", code, current())
	}
	if code := status(tw.SendStatus, "undelivered", "30005"); code >= 300 || current() != store.NotificationDelivered {
		t.Errorf("a late callback moved the status backwards: %d, status %s", code, current())
	}
}

// TestRunRetriesTemporaryEmailFailures: while the SMTP server answers 451 the send is
// retried; once it accepts, the email is delivered exactly once.
func TestRunRetriesTemporaryEmailFailures(t *testing.T) {
	env, mp, _, _ := realEnv(t)
	base, token := startRun(t, env)
	st := openTestStore(t, env)
	mp.SetChaos(t, testmailpit.Triggers{Sender: testmailpit.Trigger{ErrorCode: 451, Probability: 100}})
	raw := firstDemoEvent(t) // ord_1001, email + SMS
	if status := postEvent(t, base, token, raw); status != http.StatusAccepted {
		t.Fatalf("POST: %d", status)
	}
	deadline := time.Now().Add(30 * time.Second)
	var email *store.Notification
	for email == nil || !hasAttempt(t, st, email.ID, "temporary") {
		if time.Now().After(deadline) {
			t.Fatal("no temporary failure recorded")
		}
		time.Sleep(25 * time.Millisecond)
		email = findNotification(t, st, "ord_1001", store.ChannelEmail)
	}
	mp.ResetChaos(t)
	waitSettled(t, env, st, "https://shop.example/acme", "evt_acme_0001")
	if n := mp.Count(t); n != 1 {
		t.Errorf("Mailpit holds %d messages, want exactly 1", n)
	}
	if got := findNotification(t, st, "ord_1001", store.ChannelEmail); got.Status != store.NotificationSent {
		t.Errorf("email status %s", got.Status)
	}
}

func findNotification(t *testing.T, st store.Store, orderID, channel string) *store.Notification {
	t.Helper()
	ns, err := st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: orderID})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ns {
		if ns[i].Channel == channel {
			return &ns[i]
		}
	}
	return nil
}

func hasAttempt(t *testing.T, st store.Store, id, outcome string) bool {
	t.Helper()
	as, err := st.ListAttempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(as, func(a store.Attempt) bool { return a.Outcome == outcome })
}
