package testmailpit_test

import (
	"net/smtp"
	"strings"
	"testing"

	"github.com/notifyd/notifyd/internal/testmailpit"
)

func send(t *testing.T, mp *testmailpit.Mailpit, subject string) error {
	t.Helper()
	msg := "From: a@example.com\r\nTo: b@example.com\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.com>\r\n\r\nhello\r\n"
	return smtp.SendMail(mp.SMTPAddr(), nil, "a@example.com", []string{"b@example.com"}, []byte(msg))
}

func TestMailpitLifecycle(t *testing.T) {
	t.Parallel()
	mp := testmailpit.Start(t)
	if err := send(t, mp, "one"); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := mp.Messages(t)
	if len(msgs) != 1 || msgs[0].Subject != "one" || msgs[0].MessageID != "one@example.com" {
		t.Fatalf("messages = %+v", msgs)
	}
	if raw := mp.Raw(t, msgs[0].ID); !strings.Contains(string(raw), "Subject: one") {
		t.Errorf("raw = %q", raw)
	}
	if h := mp.Headers(t, msgs[0].ID); h["Subject"][0] != "one" {
		t.Errorf("headers = %v", h)
	}

	mp.SetChaos(t, testmailpit.Triggers{Sender: testmailpit.Trigger{ErrorCode: 451, Probability: 100}})
	if err := send(t, mp, "two"); err == nil || !strings.HasPrefix(err.Error(), "451") {
		t.Fatalf("send with chaos: err = %v, want 451", err)
	}
	mp.ResetChaos(t)

	mp.Restart(t)
	if err := send(t, mp, "three"); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	if n := mp.Count(t); n != 2 {
		t.Fatalf("count after restart = %d, want 2 (database kept)", n)
	}
	mp.DeleteAll(t)
	if n := mp.Count(t); n != 0 {
		t.Fatalf("count after DeleteAll = %d", n)
	}
}
