package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// TypeSendBatch sends up to SendBatchSize notifications one after the other: the
// fan-out of a commit that decided many messages at once (a restock batch). One task
// per message would cost asynq an enqueue, a dequeue and a completion each — for a
// restock of 100,000 orders, 200,000 of each.
const TypeSendBatch = "notification.send_batch"

// SendBatchSize is how many notifications one notification.send_batch task sends.
const SendBatchSize = 50

// SendBatchPayload names the notifications of one send batch.
type SendBatchPayload struct {
	NotificationIDs []string `json:"notification_ids"`
}

// enqueueSends queues the sends of notifications that do not go inline: one
// notification.send task each for a message held until later (quiet hours) or when
// there are only a few, and notification.send_batch tasks for the rest, on the queue each message's kind
// belongs to — or on bulk, when given, for the updates (a restock's fan-out runs on
// the low queue, so it does not hold up other customers' news on the default one).
// TaskIDs ("sends:" + the first id) make a re-run of the commit harmless.
func (w *Worker) enqueueSends(ctx context.Context, ns []*store.Notification, bulk string) error {
	byQueue := map[string][]string{}
	var queues []string
	for _, n := range ns {
		if n.NotBefore != nil && n.NotBefore.After(w.Now()) || len(ns) <= maxInlineSends {
			if err := w.enqueueSend(ctx, n); err != nil {
				return err
			}
			continue
		}
		q := sendQueue(n.Kind)
		if bulk != "" && q == QueueDefault {
			q = bulk
		}
		if byQueue[q] == nil {
			queues = append(queues, q)
		}
		byQueue[q] = append(byQueue[q], n.ID)
	}
	for _, q := range queues {
		ids := byQueue[q]
		for start := 0; start < len(ids); start += SendBatchSize {
			chunk := ids[start:min(start+SendBatchSize, len(ids))]
			if err := w.enqueueOnce(ctx, TypeSendBatch, "sends:"+chunk[0], SendBatchPayload{chunk},
				asynq.Queue(q), asynq.MaxRetry(SendMaxRetry)); err != nil {
				return err
			}
		}
	}
	return nil
}

// sendQueue is the queue a message's send runs on: critical for the legal notices,
// default for the rest.
func sendQueue(kind string) string {
	if templates.Required(kind) {
		return QueueCritical
	}
	return QueueDefault
}

// HandleSendBatch sends each notification of the batch as HandleSend would, one
// after the other. One that cannot go now (rate limit, claim held elsewhere, a
// temporary error) becomes a notification.send task of its own, retried with back-off
// as every send is, so one slow recipient never holds up the batch nor makes asynq
// re-run it. The batch fails — and is retried, skipping what went out — only when
// such a task cannot be queued, after it has tried every other message.
func (w *Worker) HandleSendBatch(ctx context.Context, t *asynq.Task) error {
	var p SendBatchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || len(p.NotificationIDs) == 0 {
		return fmt.Errorf("bad %s payload %q: %w", TypeSendBatch, t.Payload(), asynq.SkipRetry)
	}
	var failed []error
	for _, id := range p.NotificationIDs {
		if err := ctx.Err(); err != nil {
			return err // shutting down: asynq re-queues the batch; what went out is skipped
		}
		err := w.sendStored(ctx, id)
		if err == nil || errors.Is(err, asynq.SkipRetry) {
			continue
		}
		delay, ok := Backoff(err)
		if !ok {
			delay = inlineRetryDelay
		}
		w.log(ctx).Info("message of a send batch queued on its own", "notification_id", id, "reason", err.Error(), "in", delay.String())
		if err := w.enqueueSendID(ctx, id, delay); err != nil {
			failed = append(failed, err) // the rest of the batch still goes
		}
	}
	return errors.Join(failed...)
}

// enqueueSendID queues the send task of notification id to run after delay.
func (w *Worker) enqueueSendID(ctx context.Context, id string, delay time.Duration) error {
	n, err := w.Store.GetNotification(ctx, id)
	if err != nil {
		return fmt.Errorf("queue send %s: %w", id, err)
	}
	return w.enqueueSend(ctx, n, asynq.ProcessIn(delay))
}
