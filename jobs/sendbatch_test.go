package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
)

// batchPolicy lets one customer get the 14 updates of a seven-order restock.
const batchPolicy = `{coalesce_window: 300ms, quiet_hours: "", max_updates_per_day: 100}`

// backorderSeven backorders two KET kettles on seven orders ord_<prefix>0…6 of one
// customer (email and SMS), and returns their ids.
func (h *harness) backorderSeven(prefix string) []string {
	h.t.Helper()
	var orders []string
	for i := range 7 {
		id := fmt.Sprintf("ord_%s%d", prefix, i)
		orders = append(orders, id)
		h.step(ev(fmt.Sprint(prefix, i), "order.backordered", "2026-11-02T10:00:00Z", id,
			`{"brand":"acme","order":`+orderJSON(id, "2026-11-01T10:00:00Z", custBoth)+boL1+`}`))
	}
	return orders
}

// TestRestockSendsInBatches: a restock covering seven orders decides fourteen
// messages in one restock batch — more than a commit sends inline — so they go out
// through notification.send_batch tasks. The one SMS the provider refuses once is
// retried on its own task and sent once; every other message exactly once.
func TestRestockSendsInBatches(t *testing.T) {
	h := newHarness(t, batchPolicy)
	flaky := &refuseKind{kind: "restock_notice", channel: channels.SMS}
	h.wrap = func(s channels.Sender) channels.Sender { flaky.next = s; return flaky }
	h.start()
	orders := h.backorderSeven("sb")
	h.step(ev("sb_restock", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":14}`))
	want := []string{"backorder_notice email sent", "backorder_notice sms sent", "restock_notice email sent", "restock_notice sms sent"}
	for _, o := range orders {
		if got := h.notifications(o); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", o, got, want)
		}
	}
	if flaky.refused.Load() != 1 {
		t.Errorf("the provider refused %d messages, want 1: the test did not exercise the retry", flaky.refused.Load())
	}
	emails, sms := h.outbox()
	if len(emails) != 14 || len(sms) != 14 { // 7 orders × (backorder_notice, restock_notice)
		t.Errorf("outbox holds %d emails and %d SMS, want 14 and 14", len(emails), len(sms))
	}
}

// lastTry makes every send batch's first failure its last (MaxRetry 0) and, while
// down, queues the notification.send task of one message only — the first it is
// asked for — and refuses every other's.
type lastTry struct {
	next  jobs.Enqueuer
	down  atomic.Bool
	mu    sync.Mutex
	first string
}

func (l *lastTry) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	switch {
	case t.Type() == jobs.TypeSendBatch:
		opts = append(opts, asynq.MaxRetry(0))
	case t.Type() == jobs.TypeSend && l.down.Load():
		var p jobs.SendPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.first == "" {
			l.first = p.NotificationID
		}
		refuse := p.NotificationID != l.first
		l.mu.Unlock()
		if refuse {
			return nil, errors.New("redis: connection refused")
		}
	}
	return l.next.EnqueueContext(ctx, t, opts...)
}

// TestExhaustedSendBatchLeavesNothingPending: the provider refuses two messages of a
// send batch once. The batch hands the first to a send task of its own, which sends
// it a second later; the second cannot be queued, so the batch fails, and with its
// retries exhausted that message is recorded as failed with the reason — not left
// pending for ever. The first, which has its own task, is not failed with it; every
// other message of the batch went out once.
func TestExhaustedSendBatchLeavesNothingPending(t *testing.T) {
	h := newHarness(t, batchPolicy)
	flaky := &refuseKind{kind: "restock_notice", times: 2}
	h.wrap = func(s channels.Sender) channels.Sender { flaky.next = s; return flaky }
	enq := &lastTry{}
	h.enqueuer = func(e jobs.Enqueuer) jobs.Enqueuer { enq.next = e; return enq }
	h.start()
	orders := h.backorderSeven("xb")
	enq.down.Store(true)
	h.step(ev("xb_restock", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":14}`))
	if flaky.refused.Load() != 2 {
		t.Fatalf("the provider refused %d messages, want 2: the test did not exercise the failure", flaky.refused.Load())
	}
	var sent, failed int
	for _, o := range orders {
		ns, err := h.st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: o, Kind: "restock_notice"})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			switch {
			case n.Status == store.NotificationSent:
				sent++
			case n.Status == store.NotificationFailed && strings.HasPrefix(n.Reason, "send batch gave up after 0 retries"):
				failed++
			default:
				t.Errorf("%s restock_notice %s: %s (%s)", o, n.Channel, n.Status, n.Reason)
			}
		}
	}
	if sent != 13 || failed != 1 {
		t.Errorf("%d restock notices sent and %d failed, want 13 and 1", sent, failed)
	}
	if n := flaky.passed.Load(); n != 13 {
		t.Errorf("%d restock notices reached the provider, want 13", n)
	}
}

// heldBatches keeps the restock.batch tasks it is given, while hold is set, until
// release queues them all at once.
type heldBatches struct {
	next jobs.Enqueuer
	hold atomic.Bool
	mu   sync.Mutex
	held []heldTask
}

type heldTask struct {
	t    *asynq.Task
	opts []asynq.Option
}

func (h *heldBatches) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	if t.Type() == jobs.TypeRestockBatch && h.hold.Load() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.held = append(h.held, heldTask{t, opts})
		return &asynq.TaskInfo{}, nil
	}
	return h.next.EnqueueContext(ctx, t, opts...)
}

func (h *heldBatches) release(t *testing.T) int {
	t.Helper()
	h.hold.Store(false)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ht := range h.held {
		if _, err := h.next.EnqueueContext(context.Background(), ht.t, ht.opts...); err != nil {
			t.Fatalf("release %s: %v", ht.t.Type(), err)
		}
	}
	return len(h.held)
}

// TestTwoRestocksCoverOneLine: two restocks of one unit each cover between them the
// two units of one order's line, both allocated before either's notice batch runs.
// Both batches then find the line covered and run at once; the customer hears that
// the item is back in stock once, by email and by SMS — the batch that commits second
// finds the line told of its reservation (ReservedTold) and decides nothing (its
// compare-and-set makes it read the order again if it decided with the first).
func TestTwoRestocksCoverOneLine(t *testing.T) { forEachDB(t, twoRestocksCoverOneLine) }

func twoRestocksCoverOneLine(t *testing.T) {
	h := newHarness(t)
	held := &heldBatches{}
	h.enqueuer = func(e jobs.Enqueuer) jobs.Enqueuer { held.next = e; return held }
	h.start()
	h.step(ev("tr1", "order.backordered", "2026-11-02T10:00:00Z", "ord_tr",
		`{"brand":"acme","order":`+orderJSON("ord_tr", "2026-11-01T10:00:00Z", custBoth)+boL1+`}`))
	held.hold.Store(true)
	h.step(ev("tr_r1", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":1}`))
	h.step(ev("tr_r2", "inventory.restocked", "2026-11-03T11:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":1}`))
	if n := held.release(t); n != 2 {
		t.Fatalf("%d restock batches were queued, want 2 (one per restock)", n)
	}
	waitQueueEmpty(t, h)
	h.waitHandled("test", "tr_r2")
	want := []string{"backorder_notice email sent", "backorder_notice sms sent",
		"restock_notice email sent", "restock_notice sms sent"}
	if got := h.notifications("ord_tr"); !slices.Equal(got, want) {
		t.Errorf("notifications:\n got %q\nwant %q", got, want)
	}
	if l := lineOf(t, h, "ord_tr", "l1"); l.State != store.LineAllocated || !l.ReservedTold {
		t.Errorf("l1: %s, told of its reservation %v; want allocated, true", l.State, l.ReservedTold)
	}
	emails, sms := h.outbox()
	if len(emails) != 2 || len(sms) != 2 { // backorder_notice and restock_notice, once each
		t.Errorf("outbox holds %d emails and %d SMS, want 2 and 2", len(emails), len(sms))
	}
}
