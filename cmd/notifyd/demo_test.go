package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDemoEventsFile replays a file of the user's instead of the samples.
func TestDemoEventsFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.jsonl")
	if err := os.WriteFile(file, []byte(firstDemoEvent(t)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCmd(t, nil, "", "demo", "--once", "--addr", "127.0.0.1:0", "--outbox", filepath.Join(dir, "out"), "--events", file)
	if code != 0 || !strings.Contains(stdout, "1 events handled") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := outboxMessages(t, filepath.Join(dir, "out"))
	if want := []string{"ord_1001 backorder_notice email", "ord_1001 backorder_notice sms"}; !slices.Equal(got, want) {
		t.Errorf("outbox %q, want %q", got, want)
	}
	// An invalid file is reported like `enqueue` does, exit 2.
	if err := os.WriteFile(file, []byte(`{"specversion":"1.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCmd(t, nil, "", "demo", "--once", "--addr", "127.0.0.1:0", "--events", file)
	if code != 2 || !strings.Contains(stderr, file+":1: id=: id: is required") {
		t.Errorf("invalid --events: exit %d\n%s", code, stderr)
	}
}

// lockedBuffer collects output written by the demo while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoInteractive: without --once the demo prints what to open — including a
// working API token — and stops cleanly when interrupted.
func TestDemoInteractive(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", addr}, func(string) (string, bool) { return "", false }, nil, &out, &errb)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no URLs printed:\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	token := regexp.MustCompile(`ntd_[A-Za-z0-9_-]+`).FindString(out.String())
	base := "http://" + addr
	for _, path := range []string{"/v1/schemas", "/healthz", "/readyz"} {
		if !strings.Contains(out.String(), base+path) {
			t.Errorf("output lacks %s%s", base, path)
		}
	}
	// The printed token works: a duplicate of a sample event is accepted as such.
	raw := firstDemoEvent(t)
	status := postEvent(t, base, token, raw)
	if status != 202 {
		t.Errorf("POST with the printed token: %d", status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("interrupted demo returned %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("demo did not stop after interrupt")
	}
}

// TestShiftDates: every time and date moves by whole days; nothing else changes.
func TestShiftDates(t *testing.T) {
	in := []byte(`{"time":"2026-11-20T09:00:00Z","data":{"eta":"2026-12-01","n":"1001","q":2,"x":null,"l":[{"eta":"2026-12-31T23:00:00-05:00"}]}}` + "\n")
	out, err := shiftDates(in, 40)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"data":{"eta":"2027-01-10","l":[{"eta":"2027-02-09T23:00:00-05:00"}],"n":"1001","q":2,"x":null},"time":"2026-12-30T09:00:00Z"}` + "\n"
	if string(out) != want {
		t.Errorf("\n got %s\nwant %s", out, want)
	}
	if got := daysSinceEpoch(time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC)); got != 10 {
		t.Errorf("daysSinceEpoch = %d, want 10", got)
	}
}
