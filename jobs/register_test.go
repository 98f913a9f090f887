package jobs_test

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/jobs"
)

func TestRegisterTwicePanics(t *testing.T) {
	t.Parallel()
	w := &jobs.Worker{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := asynq.NewServeMux()
	w.Register(mux)
	defer func() {
		if recover() == nil {
			t.Error("a second registration of the same task types did not panic")
		}
	}()
	w.Register(mux)
}

// syncBuffer is a log sink the worker's goroutines can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestInfoLogsCarryIdsNotPersonalData: task id, type and order id are logged; the
// customer's address, phone number and the message body never are, at info level.
func TestInfoLogsCarryIdsNotPersonalData(t *testing.T) {
	h := newHarness(t)
	var logs syncBuffer
	h.logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h.start()
	raw := orderEvent("log1", "order.backordered", "2026-11-02T10:00:00Z", "ord_log", custBoth, boL1)
	h.ingest(raw)
	h.waitHandled("test", "log1")
	out := logs.String()
	for _, want := range []string{`"task_id":"test log1"`, `"type":"order.backordered"`, `"order_id":"ord_log"`, `"msg":"notification sent"`, `"notification_id":"n`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{"ada@example.com", "+14155550100", "Ada Lovelace", "Blue Kettle"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
}
