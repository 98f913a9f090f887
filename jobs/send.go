package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/store"
)

// HandleSend sends one notification. A notification that is no longer pending (sent
// by an earlier run, failed, suppressed) is left alone, so a re-run never sends twice
// once the outcome is recorded. A permanent failure is recorded and not retried; a
// temporary one is returned for asynq to retry with backoff.
func (w *Worker) HandleSend(ctx context.Context, t *asynq.Task) error {
	var p SendPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.NotificationID == "" {
		return fmt.Errorf("bad %s payload %q: %w", TypeSend, t.Payload(), asynq.SkipRetry)
	}
	n, err := w.Store.GetNotification(ctx, p.NotificationID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("notification %s does not exist: %w", p.NotificationID, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("load notification: %w", err)
	}
	log := w.log(ctx).With("order_id", n.OrderID, "notification_id", n.ID, "channel", n.Channel, "kind", n.Kind)
	if n.Status != store.NotificationPending {
		log.Info("notification already " + n.Status + "; nothing to send")
		return nil
	}
	sender := w.Senders[n.Channel]
	if sender == nil {
		return w.fail(ctx, n, "", fmt.Errorf("%s channel not configured", n.Channel))
	}
	msg, err := w.message(n)
	if err != nil {
		return w.fail(ctx, n, "", err)
	}
	receipt, err := sender.Send(ctx, msg)
	if err != nil {
		if channels.IsPermanent(err) {
			return w.fail(ctx, n, errorCode(err), err)
		}
		return fmt.Errorf("send %s: %w", n.ID, err)
	}
	at := receipt.AcceptedAt
	n.Status, n.ProviderID, n.SentAt, n.UpdatedAt = store.NotificationSent, receipt.ProviderID, &at, w.Now()
	if err := w.Store.UpdateNotification(ctx, n); err != nil {
		return fmt.Errorf("record sent %s: %w", n.ID, err)
	}
	log.Info("notification sent")
	return nil
}

// fail records a permanent failure and tells asynq not to retry.
func (w *Worker) fail(ctx context.Context, n *store.Notification, code string, cause error) error {
	n.Status, n.Error, n.UpdatedAt = store.NotificationFailed, cause.Error(), w.Now()
	if code != "" {
		n.Reason = "provider code " + code
	}
	if err := w.Store.UpdateNotification(ctx, n); err != nil {
		return fmt.Errorf("record failure of %s: %w", n.ID, err)
	}
	return fmt.Errorf("notification %s failed permanently: %v: %w", n.ID, cause, asynq.SkipRetry)
}

func errorCode(err error) string {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// message turns a stored notification into what a sender needs.
func (w *Worker) message(n *store.Notification) (*channels.Message, error) {
	brand, ok := w.Config.Brand(n.Brand)
	if !ok {
		return nil, fmt.Errorf("brand %q is not configured", n.Brand)
	}
	m := &channels.Message{
		ID: n.ID, Kind: n.Kind, OrderID: n.OrderID, Brand: n.Brand, Channel: n.Channel,
		To: n.Recipient, Subject: n.Subject, Text: n.Body, HTML: n.HTML, Date: n.CreatedAt,
	}
	switch n.Channel {
	case channels.Email:
		m.From, m.FromName, m.ReplyTo = brand.Email.From, brand.Email.FromName, brand.Email.ReplyTo
		if m.FromName == "" {
			m.FromName = brand.Name
		}
	case channels.SMS:
		m.From = brand.SMS.From
	}
	return m, nil
}
