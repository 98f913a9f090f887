package outbox_test

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/outbox"
	"github.com/notifyd/notifyd/gsm"
)

func TestEmailIsCompleteAndHeadersAreSafe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ob, err := outbox.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := &channels.Message{
		ID: "n1", Kind: "shipped", OrderID: "ord_1\r\nBcc: evil@example.com", Brand: "acme", Channel: channels.Email,
		To: "ada@example.com", From: "orders@acme.example", FromName: "Acme Home",
		Subject: "Hello\r\nBcc: evil@example.com", Text: "plain body", HTML: "<p>html body</p>",
	}
	r, err := ob.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "email", "n1.eml"))
	if err != nil || r.ProviderID == "" {
		t.Fatal(err, r)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"X-Notifyd-Notification-Id": "n1", "X-Notifyd-Kind": "shipped", "Message-Id": "<n1@acme.example>",
		"From": `"Acme Home" <orders@acme.example>`, "Bcc": "",
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if !strings.HasPrefix(msg.Header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	if !bytes.Contains(b, []byte("plain body")) || !bytes.Contains(b, []byte("<p>html body</p>")) {
		t.Error("a part is missing")
	}
}

func TestConcurrentSMSLinesStayWhole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ob, err := outbox.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := ob.Send(context.Background(), &channels.Message{
				ID: string(rune('a'+i%26)) + strings.Repeat("x", i), Kind: "eta_update", OrderID: "o", Channel: channels.SMS,
				To: "+14155550100", Text: strings.Repeat("é", 200),
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	recs, err := outbox.ReadSMS(dir)
	if err != nil || len(recs) != 50 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if recs[0].Segments != 2 || recs[0].Encoding != gsm.GSM7 {
		t.Errorf("segments %d %s, want 2 GSM-7 for 200 é", recs[0].Segments, recs[0].Encoding)
	}
}
