package main

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/channels/outbox"
)

// runCmd runs the program with args and a map environment.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, args, lookup, strings.NewReader(stdin), &out, &errb)
	code = exitCode(err, &errb) // prints the error line, so before reading errb
	return out.String(), errb.String(), code
}

// TestDemoOnce is the demo as a new user runs it: it must exit 0, and its outbox must
// hold exactly the messages each sample event calls for — email whenever the customer
// has an address, SMS only with consent — and match the summary.
func TestDemoOnce(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	stdout, stderr, code := runCmd(t, nil, "", "demo", "--once", "--addr", "127.0.0.1:0", "--outbox", dir)
	if code != 0 {
		t.Fatalf("demo --once exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("demo --once took %s, issue 6 allows 60 s", d)
	}
	want := []string{
		// ord_1001 (en-US, email + SMS): backordered, ETA slipped, part shipped, rest shipped.
		"ord_1001 backorder_notice email", "ord_1001 backorder_notice sms",
		"ord_1001 eta_update email", "ord_1001 eta_update sms",
		"ord_1001 partial_shipment email", "ord_1001 partial_shipment sms",
		"ord_1001 shipped email", "ord_1001 shipped sms",
		// ord_1002 (fr-FR, no SMS consent): backordered, restocked, shipped.
		"ord_1002 backorder_notice email", "ord_1002 restock_notice email", "ord_1002 shipped email",
		// ord_1003 (no consent): backordered, then canceled by the shop: nothing more.
		"ord_1003 backorder_notice email",
		// ord_1004 (indefinite backorder, promise long past, email + SMS): late at once →
		// offer with the notice; no date, so silence cancels: reminded, then the line is
		// canceled at the deadline; the later window_expired finds nothing to do.
		"ord_1004 backorder_notice email", "ord_1004 backorder_notice sms",
		"ord_1004 delay_option_offer email", "ord_1004 delay_option_offer sms",
		"ord_1004 choice_reminder email", "ord_1004 choice_reminder sms",
		"ord_1004 auto_cancel_notice email", "ord_1004 auto_cancel_notice sms",
		// ord_5001 (lumen, de-DE, email + SMS): backordered, ETA changed.
		"ord_5001 backorder_notice email", "ord_5001 backorder_notice sms",
		"ord_5001 eta_update email", "ord_5001 eta_update sms",
		// ord_5002 (lumen, es-ES, email only): its ETA is past the promise, so the
		// delay-option offer goes out with the backorder notice (§8.1).
		"ord_5002 backorder_notice email", "ord_5002 delay_option_offer email",
		// ord_1005: the promise passed, a definite new date within 30 days → offer; the
		// demo's short policy plays it out: reminder, then silence is consent at the
		// deadline and the choice (wait) is confirmed.
		"ord_1005 backorder_notice email", "ord_1005 backorder_notice sms",
		"ord_1005 delay_option_offer email", "ord_1005 delay_option_offer sms",
		"ord_1005 choice_reminder email", "ord_1005 choice_reminder sms",
		"ord_1005 choice_confirmation email", "ord_1005 choice_confirmation sms",
	}
	got := outboxMessages(t, dir)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("outbox:\n got %q\nwant %q", got, want)
	}
	for _, line := range []string{"15 events handled", "total                     20    14", "failures: 0", "(20 emails in email/, 14 SMS in sms.jsonl)"} {
		if !strings.Contains(stdout, line) {
			t.Errorf("summary lacks %q:\n%s", line, stdout)
		}
	}
}

// outboxMessages lists "order kind channel" for every message in an outbox, sorted.
func outboxMessages(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	files, _ := filepath.Glob(filepath.Join(dir, "email", "*.eml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id := m.Header.Get("X-Notifyd-Notification-Id")
		if filepath.Base(f) != id+".eml" {
			t.Errorf("%s: X-Notifyd-Notification-Id %q does not match the file name", f, id)
		}
		got = append(got, m.Header.Get("X-Notifyd-Order-Id")+" "+m.Header.Get("X-Notifyd-Kind")+" email")
	}
	sms, err := outbox.ReadSMS(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sms {
		if s.Segments < 1 || s.Encoding == "" || !strings.HasPrefix(s.To, "+") {
			t.Errorf("sms %s: segments %d encoding %q to %q", s.ID, s.Segments, s.Encoding, s.To)
		}
		got = append(got, s.OrderID+" "+s.Kind+" sms")
	}
	sort.Strings(got)
	return got
}
