package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// HandleSend sends one notification. A notification that is no longer pending (sent
// by an earlier run, failed, suppressed) is left alone, so a re-run never sends twice
// once the outcome is recorded. A permanent failure is recorded and not retried (and a
// required notice falls back to email); a temporary one is returned for asynq to retry
// with backoff.
func (w *Worker) HandleSend(ctx context.Context, t *asynq.Task) error {
	var p SendPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.NotificationID == "" {
		return fmt.Errorf("bad %s payload %q: %w", TypeSend, t.Payload(), asynq.SkipRetry)
	}
	return w.sendStored(ctx, p.NotificationID)
}

// sendStored sends the stored notification id if it is still pending and still
// wanted: its order not closed meanwhile (for an update), its recipient not opted out
// since it was decided.
func (w *Worker) sendStored(ctx context.Context, id string) error {
	n, err := w.Store.GetNotification(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("notification %s does not exist: %w", id, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("load notification: %w", err)
	}
	log := w.log(ctx).With("order_id", n.OrderID, "notification_id", n.ID, "channel", n.Channel, "kind", n.Kind)
	if n.Status != store.NotificationPending {
		log.Info("notification already " + n.Status + "; nothing to send")
		return nil
	}
	if stale, err := w.closedBefore(ctx, n); err != nil || stale {
		return err
	}
	// An opt-out may have arrived since the message was decided.
	if why, err := w.suppressed(ctx, nil, n.Channel, n.Recipient, n.Kind); err != nil {
		return err
	} else if why != "" {
		n.Status, n.Reason, n.UpdatedAt = store.NotificationSuppressed, why, w.Now()
		if err := w.Store.UpdateNotification(ctx, n); err != nil {
			return err
		}
		log.Info("notification suppressed before sending", "reason", why)
		return w.fallback(ctx, n, log)
	}
	return w.deliver(ctx, n, maxRateWait, log)
}

// deliver sends pending notification n: claims it (docs/decisions/0003), waits up to
// rateWait for a token of its channel's rate limit, calls the provider and commits
// the claim with the outcome. The caller has checked that n is still wanted.
func (w *Worker) deliver(ctx context.Context, n *store.Notification, rateWait time.Duration, log *slog.Logger) error {
	msg, err := w.message(n)
	if err != nil {
		return w.fail(ctx, n, channels.Permanent("", err), log)
	}
	key := claimKey(n)
	proceed, err := w.claim(ctx, n, key, log)
	if err != nil || !proceed {
		return err
	}
	if err := w.waitRate(ctx, n.Channel, rateWait); err != nil {
		w.releaseClaim(ctx, key, log)
		return err
	}
	receipt, err := w.Senders[n.Channel].Send(ctx, msg)
	if err != nil {
		w.releaseClaim(ctx, key, log)
		if channels.IsPermanent(err) {
			return w.fail(ctx, n, err, log)
		}
		w.attempt(ctx, n, "temporary", err, "", log)
		return fmt.Errorf("send %s: %w", n.ID, err)
	}
	at := receipt.AcceptedAt
	n.Status, n.ProviderID, n.SentAt, n.UpdatedAt = store.NotificationSent, receipt.ProviderID, &at, w.Now()
	if err := w.commitClaim(ctx, n, key); err != nil { // records the attempt too
		return err
	}
	if n.Kind == templates.KindDelayOptionOffer {
		if err := w.markOfferSent(ctx, n.OrderID, at); err != nil {
			return err
		}
	}
	log.Info("notification sent", "segments", receipt.Segments)
	return nil
}

// attempt records one try; a failure to record it is logged, not fatal.
func (w *Worker) attempt(ctx context.Context, n *store.Notification, outcome string, err error, providerID string, log *slog.Logger) {
	a := &store.Attempt{NotificationID: n.ID, At: w.Now(), Outcome: outcome, Code: errorCode(err), ProviderID: providerID}
	if err != nil {
		a.Error = err.Error()
	}
	if err := w.Store.AddAttempt(ctx, a); err != nil {
		log.Warn("record attempt", "err", err)
	}
}

// fail records a permanent failure, suppresses the address when the provider says so,
// falls back to email for a required notice, and tells asynq not to retry.
func (w *Worker) fail(ctx context.Context, n *store.Notification, cause error, log *slog.Logger) error {
	code := errorCode(cause)
	n.Status, n.Error, n.ErrorCode, n.UpdatedAt = store.NotificationFailed, cause.Error(), code, w.Now()
	if err := w.Store.UpdateNotification(ctx, n); err != nil {
		return fmt.Errorf("record failure of %s: %w", n.ID, err)
	}
	w.attempt(ctx, n, "permanent", cause, "", log)
	var ce *channels.Error
	if errors.As(cause, &ce) && ce.Config {
		log.Error("notifyd's provider configuration is wrong; every message on this channel will fail", "code", code, "err", cause)
	}
	if errors.As(cause, &ce) && ce.Suppress {
		kind := store.SuppressBounce
		if n.Channel == store.ChannelSMS {
			kind = store.SuppressStop
		}
		s := &store.Suppression{Channel: n.Channel, Address: normalAddress(n.Channel, n.Recipient), Kind: kind,
			Reason: "provider code " + code, CreatedAt: w.Now()}
		if err := w.Store.AddSuppression(ctx, s); err != nil {
			return fmt.Errorf("record suppression: %w", err)
		}
		log.Info("recipient suppressed by provider answer", "code", code)
	}
	if err := w.fallback(ctx, n, log); err != nil {
		return err
	}
	return fmt.Errorf("notification %s failed permanently: %v: %w", n.ID, cause, asynq.SkipRetry)
}

// fallback makes sure a required notice whose SMS could not go out reaches the
// customer by email (CONTRACT.md §4). Email is always decided alongside SMS when the
// customer has an address, so usually that email exists already; the fallback
// re-enqueues it if it is still pending, and otherwise records that it carries the
// notice.
func (w *Worker) fallback(ctx context.Context, n *store.Notification, log *slog.Logger) error {
	if n.Channel != store.ChannelSMS || !templates.Required(n.Kind) {
		return nil
	}
	siblings, err := w.Store.ListNotifications(ctx, store.NotificationFilter{OrderID: n.OrderID, Kind: n.Kind})
	if err != nil {
		return fmt.Errorf("fallback: %w", err)
	}
	for i := range siblings {
		e := &siblings[i]
		if e.Channel != store.ChannelEmail || e.EventSource != n.EventSource || e.EventID != n.EventID {
			continue
		}
		switch e.Status {
		case store.NotificationPending:
			log.Info("required notice falls back to email", "email_notification_id", e.ID)
			return w.enqueueSend(ctx, e)
		case store.NotificationSent, store.NotificationDelivered:
			log.Info("required notice carried by email", "email_notification_id", e.ID)
			return nil
		}
	}
	log.Warn("required notice reached no channel", "reason", "no email to fall back to")
	return nil
}

// Undelivered hands to email a required notice whose SMS the carrier reported
// undelivered or failed after Twilio had accepted it (CONTRACT.md §4), as fail does
// for one refused at sending: the email decided beside it is queued if it is still
// pending. httpapi calls it from Twilio's status callback; calling it again changes
// nothing.
func (w *Worker) Undelivered(ctx context.Context, n *store.Notification) error {
	log := w.log(ctx).With("order_id", n.OrderID, "notification_id", n.ID, "channel", n.Channel, "kind", n.Kind)
	return w.fallback(ctx, n, log)
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
		m.Headers = w.unsubscribeHeaders(n, brand)
	case channels.SMS:
		m.From = brand.SMS.From
	}
	return m, nil
}

// markOfferSent records when the first channel's provider accepted the order's open
// offer: "sent" in CONTRACT.md §8, which an unreachable customer never reaches.
func (w *Worker) markOfferSent(ctx context.Context, orderID string, at time.Time) error {
	off, err := w.openOffer(ctx, orderID)
	if err != nil || off == nil {
		return err
	}
	return w.Store.MarkOfferSent(ctx, off.ID, at)
}

// closedBefore suppresses an update still waiting (quiet hours, a rate limit, a retry)
// when its order closed meanwhile: a shipped or canceled order gets no stale news.
// shipped, cancellation_notice (the news that closed it) and the legal notices still go.
func (w *Worker) closedBefore(ctx context.Context, n *store.Notification) (bool, error) {
	if templates.Required(n.Kind) || n.Kind == templates.KindShipped || n.Kind == templates.KindCancellationNotice || n.OrderID == "" {
		return false, nil
	}
	o, err := w.Store.GetOrder(ctx, n.OrderID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("order of notification %s: %w", n.ID, err) // retried
	case o.State != store.OrderClosed:
		return false, nil
	}
	n.Status, n.Reason, n.UpdatedAt = store.NotificationSuppressed, "order closed before sending", w.Now()
	return true, w.Store.UpdateNotification(ctx, n)
}

// HandleError is asynq's ErrorHandler: nothing stays pending once a send's retries
// are exhausted. An exhausted notification.send records its message as failed. An
// exhausted notification.send_batch (it fails only when it cannot queue a task for a
// message it could not send) hands each message still pending to a
// notification.send task of its own, with its own retries — a message that has one
// already keeps it — and records as failed only those it cannot queue either.
func (w *Worker) HandleError(ctx context.Context, t *asynq.Task, err error) {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if retried < maxRetry {
		return
	}
	switch t.Type() {
	case TypeSend:
		var p SendPayload
		if json.Unmarshal(t.Payload(), &p) == nil {
			w.giveUp(ctx, p.NotificationID, fmt.Sprintf("gave up after %d retries", retried), err)
		}
	case TypeSendBatch:
		var p SendBatchPayload
		if json.Unmarshal(t.Payload(), &p) != nil {
			return
		}
		for _, id := range p.NotificationIDs {
			n, gerr := w.Store.GetNotification(ctx, id)
			if gerr != nil || n.Status != store.NotificationPending {
				continue
			}
			if qerr := w.enqueueSend(ctx, n); qerr != nil {
				w.giveUp(ctx, id, fmt.Sprintf("send batch gave up after %d retries; the message could not be queued alone", retried), qerr)
			}
		}
	}
}

// giveUp records notification id, if still pending, as failed for reason, and falls
// back to the customer's email where the policy says so. It takes the message's
// live claim first, so it never marks failed a message another worker is sending
// (or has sent: the claim then reads committed); without Redis, nobody can be
// sending it.
func (w *Worker) giveUp(ctx context.Context, id, reason string, cause error) {
	n, err := w.Store.GetNotification(ctx, id)
	if err != nil || n.Status != store.NotificationPending {
		return
	}
	if w.Redis != nil {
		key := redisClaimKey(claimKey(n))
		ok, rerr := w.Redis.SetNX(ctx, key, n.ID, claimLease).Result()
		if rerr == nil && !ok {
			return // being sent, or sent, elsewhere
		}
		if rerr == nil {
			defer w.Redis.Del(context.WithoutCancel(ctx), key)
			if n, err = w.Store.GetNotification(ctx, id); err != nil || n.Status != store.NotificationPending {
				return
			}
		}
	}
	n.Status, n.Error, n.Reason, n.UpdatedAt = store.NotificationFailed, cause.Error(), reason, w.Now()
	if err := w.Store.UpdateNotification(ctx, n); err != nil {
		w.Logger.Error("record exhausted send", "notification_id", n.ID, "err", err)
		return
	}
	_ = w.fallback(ctx, n, w.Logger)
}
