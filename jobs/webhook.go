package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/webhooks"
)

// TypeDeliver posts one decision to the commerce system (CONTRACT.md §7).
const TypeDeliver = "webhook.deliver"

// Deliverer posts a signed webhook (webhooks.Deliverer).
type Deliverer interface {
	Deliver(ctx context.Context, id string, body []byte) (status int, err error)
}

// DeliverPayload names a delivery and the attempt it is.
type DeliverPayload struct {
	ID      string `json:"id"`
	Attempt int    `json:"attempt"`
}

// newDelivery builds the outbound CloudEvent of a decision. Its id is derived from
// what was decided (key), so deciding again after a crash yields the same delivery.
func (w *Worker) newDelivery(typ, orderID, key string, data any) (*store.WebhookDelivery, error) {
	sum := sha256.Sum256([]byte(typ + "\x00" + key))
	id := "wh_" + hex.EncodeToString(sum[:12])
	now := w.Now()
	ce := map[string]any{
		"specversion": "1.0", "id": id, "source": strings.TrimRight(w.Config.PublicURL, "/"),
		"type": typ, "time": now.UTC().Format(time.RFC3339), "subject": orderID,
		"datacontenttype": "application/json", "data": data,
	}
	body, err := json.Marshal(ce)
	if err != nil {
		return nil, err
	}
	return &store.WebhookDelivery{ID: id, Type: typ, OrderID: orderID, Payload: body,
		Status: store.DeliveryPending, CreatedAt: now, NextAttemptAt: &now, UpdatedAt: now}, nil
}

func (w *Worker) enqueueDelivery(ctx context.Context, id string, at time.Time) error {
	return w.enqueueAttempt(ctx, DeliverPayload{ID: id}, at)
}

func (w *Worker) enqueueAttempt(ctx context.Context, dp DeliverPayload, at time.Time) error {
	return w.enqueueOnce(ctx, TypeDeliver, fmt.Sprintf("webhook:%s:%d", dp.ID, dp.Attempt), dp,
		asynq.Queue(QueueCritical), asynq.ProcessAt(at), asynq.MaxRetry(0))
}

// HandleDeliver makes one attempt and schedules the next on the Standard Webhooks
// schedule, for three days; each attempt's outcome is kept on the delivery.
func (w *Worker) HandleDeliver(ctx context.Context, t *asynq.Task) error {
	var dp DeliverPayload
	if err := json.Unmarshal(t.Payload(), &dp); err != nil || dp.ID == "" {
		return fmt.Errorf("bad %s payload: %w", TypeDeliver, asynq.SkipRetry)
	}
	d, err := w.Store.GetDelivery(ctx, dp.ID)
	if err != nil {
		return fmt.Errorf("delivery %s: %w", dp.ID, err)
	}
	if d.Status != store.DeliveryPending || d.Attempts > dp.Attempt {
		return nil // done, or this attempt already ran
	}
	log := w.log(ctx).With("order_id", d.OrderID, "webhook_id", d.ID, "webhook_type", d.Type)
	now := w.Now()
	d.Attempts, d.UpdatedAt = dp.Attempt+1, now
	if w.Deliverer == nil {
		d.Status, d.LastError, d.NextAttemptAt = store.DeliveryFailed, "NOTIFYD_COMMERCE_WEBHOOK_URL is not set", nil
		log.Warn("decision not sent to the shop: no commerce webhook configured")
		return w.Store.UpdateDelivery(ctx, d)
	}
	status, err := w.Deliverer.Deliver(ctx, d.ID, d.Payload)
	d.LastStatus = status
	if err == nil {
		d.Status, d.DeliveredAt, d.LastError, d.NextAttemptAt = store.DeliveryDelivered, &now, "", nil
		log.Info("decision delivered to the shop", "status", status)
		return w.Store.UpdateDelivery(ctx, d)
	}
	d.LastError = err.Error()
	next, giveUp := webhooks.NextAttempt(d.CreatedAt, d.Attempts, now)
	if giveUp || webhooks.IsPermanent(err) {
		d.Status, d.NextAttemptAt = store.DeliveryFailed, nil
		log.Error("decision could not be delivered to the shop; giving up", "attempts", d.Attempts, "err", err)
		return w.Store.UpdateDelivery(ctx, d)
	}
	d.NextAttemptAt = &next
	if err := w.Store.UpdateDelivery(ctx, d); err != nil {
		return err
	}
	log.Warn("decision delivery failed; will retry", "attempt", d.Attempts, "next", next, "err", err)
	return w.enqueueAttempt(ctx, DeliverPayload{ID: d.ID, Attempt: d.Attempts}, next)
}
