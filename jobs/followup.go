package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/store"
)

// TaskDeleter deletes scheduled follow-ups (asynq's Inspector).
type TaskDeleter interface {
	DeleteTask(queue, id string) error
}

// enqueueOnce enqueues a task of type typ with a JSON payload under the deterministic
// TaskID id. A conflict means the task is queued already — every re-run after a crash
// or a lost race enqueues the same TaskIDs — and is not an error.
func (w *Worker) enqueueOnce(ctx context.Context, typ, id string, payload any, opts ...asynq.Option) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = w.Enqueuer.EnqueueContext(ctx, asynq.NewTask(typ, b), append(opts, asynq.TaskID(id))...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	return nil
}

func (w *Worker) enqueueFollowUp(ctx context.Context, f followUp) error {
	return w.enqueueOnce(ctx, f.typ, f.id, f.payload, asynq.Queue(QueueCritical), asynq.ProcessAt(f.at))
}

// dropFollowUps deletes follow-ups that are no longer needed. One that cannot be
// deleted (already running, or gone) fires and finds its case closed.
func (w *Worker) dropFollowUps(ctx context.Context, ids []string) {
	if w.Tasks == nil {
		return
	}
	for _, id := range ids {
		if err := w.Tasks.DeleteTask(QueueCritical, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			w.log(ctx).Debug("follow-up not deleted; it will find its case closed", "task", id, "err", err)
		}
	}
}

func followUpPayload(t *asynq.Task) (FollowUpPayload, error) {
	var p FollowUpPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.OrderID == "" {
		return p, fmt.Errorf("bad %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}

// followUpCommit is retryCommit for the tasks that act on an order at a moment
// (window check, reminder, deadline). Such a task re-run after a crash, a shutdown or
// a failed enqueue finds its work committed — the offer open, decided or reminded —
// and decides nothing new, so it queues the order's messages that no event decided
// (a follow-up's or an answer's: no event source) and that are still pending
// afterwards — the ones its first run committed and never sent. TaskIDs and the send
// claim make that harmless for messages already queued or being sent elsewhere; the
// messages an event decided are its own task's to resume (resume), and a restock's
// stay in their batches on the low queue.
func (w *Worker) followUpCommit(ctx context.Context, orderID string, planFn func() (*plan, error)) error {
	if err := w.retryCommit(ctx, planFn); err != nil {
		return err
	}
	byEvent := func(n *store.Notification) bool { return n.EventSource != "" }
	if err := w.queuePending(ctx, store.NotificationFilter{OrderID: orderID}, byEvent); err != nil {
		return fmt.Errorf("pending messages of %s: %w", orderID, err)
	}
	return nil
}

// retryCommit plans and commits until it wins the order's compare-and-set.
func (w *Worker) retryCommit(ctx context.Context, planFn func() (*plan, error)) error {
	for attempt := 1; ; attempt++ {
		p, err := planFn()
		if err != nil || p == nil {
			return err
		}
		err = w.commit(ctx, p)
		if errors.Is(err, store.ErrConflict) && attempt < maxCommitAttempts {
			continue
		}
		return err
	}
}

// HandleWindowCheck runs the delay-option flow at P − M (CONTRACT.md §8.1) for an
// order still open.
func (w *Worker) HandleWindowCheck(ctx context.Context, t *asynq.Task) error {
	fp, err := followUpPayload(t)
	if err != nil {
		return err
	}
	return w.followUpCommit(ctx, fp.OrderID, func() (*plan, error) {
		rec, err := w.Store.GetOrder(ctx, fp.OrderID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if rec.State != store.OrderOpen {
			return nil, nil
		}
		o, err := w.stateOf(rec)
		if err != nil {
			return nil, err
		}
		key := "window:" + fp.OrderID + "@" + fp.At.UTC().Format(time.RFC3339)
		p := newPlan("", "", w.Now())
		p.commit.LeaveStatus = true
		ds, err := w.delayFlow(ctx, p, o, key, nil, false)
		if err != nil {
			return nil, err
		}
		// The check re-schedules itself only for a later moment, and, when it runs
		// under the TaskID it would schedule (window:<order>), under one of its own:
		// asynq holds a running task's TaskID, and enqueueOnce would take the
		// conflict for "queued already" and lose the later check.
		p.followUps = dropDue(p.followUps, w.Now())
		running, _ := asynq.GetTaskID(ctx)
		for i := range p.followUps {
			p.followUps[i].id = notRunning(p.followUps[i].id, running, w.Now())
		}
		for _, d := range ds {
			if err := w.decideNotifications(ctx, p, o, d, key); err != nil {
				return nil, err
			}
		}
		p.commit.Orders = []*store.Order{rec}
		return p, nil
	})
}

func dropDue(fs []followUp, now time.Time) []followUp {
	out := fs[:0]
	for _, f := range fs {
		if f.typ != TypeWindowCheck || f.at.After(now) {
			out = append(out, f)
		}
	}
	return out
}
