package jobs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/store"
)

// maxInlineSends is the most messages one commit sends from its own task. A commit
// that decides more (a restock batch) queues one notification.send task each, so the
// fan-out spreads over every worker and the low queue stays low.
const maxInlineSends = 4

// inlineRetryDelay is how long a message that could not go inline waits, as a send
// task, before its next try when nothing says how long (a temporary provider error,
// a store error). Later tries back off as every send task does.
const inlineRetryDelay = time.Second

// sendInline sends the messages a commit just decided from the committing task
// itself, instead of one notification.send task each: that saves asynq two tasks and
// the send task's re-reads (notification, order, suppressions — all decided a moment
// ago, in the commit). It is the same claim → provider → commit as HandleSend
// (docs/decisions/0005-inline-sends.md). A message that cannot go now — its channel's
// rate limit has no token, another worker holds its claim, the provider answers with a
// temporary error — becomes a send task as before. A crash at any point leaves the
// message pending in the store, and asynq re-runs the committing task, whose resume
// queues it. The only error returned is failing to queue such a task, so that asynq
// re-runs this one.
func (w *Worker) sendInline(ctx context.Context, ns []*store.Notification) error {
	if len(ns) == 1 {
		return w.sendNow(ctx, ns[0])
	}
	errs := make([]error, len(ns))
	var wg sync.WaitGroup
	for i, n := range ns {
		wg.Go(func() { errs[i] = w.sendNow(ctx, n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sendNow sends n without waiting for a rate-limit token, or queues its send task.
func (w *Worker) sendNow(ctx context.Context, n *store.Notification) error {
	log := w.log(ctx).With("order_id", n.OrderID, "notification_id", n.ID, "channel", n.Channel, "kind", n.Kind)
	err := w.deliver(ctx, n, 0, log)
	if err == nil || errors.Is(err, asynq.SkipRetry) {
		return nil // sent, or recorded as failed, duplicate or suppressed
	}
	delay, ok := Backoff(err)
	if !ok {
		delay = inlineRetryDelay
	}
	log.Info("message not sent inline; queued as a send task", "reason", err.Error(), "in", delay.String())
	return w.enqueueSend(ctx, n, asynq.ProcessIn(delay))
}

// inlineSends splits the pending notifications of a commit into those to send now
// from the committing task and those to queue (all of them with queueAll).
func (w *Worker) inlineSends(stored []*store.Notification, queueAll bool) (now, queue []*store.Notification) {
	var pending []*store.Notification
	for _, n := range stored {
		if n.Status == store.NotificationPending {
			pending = append(pending, n)
		}
	}
	for _, n := range pending {
		if !queueAll && len(pending) <= maxInlineSends && (n.NotBefore == nil || !n.NotBefore.After(w.Now())) {
			now = append(now, n)
		} else {
			queue = append(queue, n)
		}
	}
	return now, queue
}
