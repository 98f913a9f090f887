package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// recipient is one channel a message can go out on, or the reason it cannot.
type recipient struct {
	channel, to, suppressed string
}

// recipients returns the email and SMS recipients of a customer for a message of
// kind (CONTRACT.md §4: email whenever there is an address; SMS only with consent and
// no STOP on record), each with the reason it cannot be used, if any.
func (w *Worker) recipients(ctx context.Context, c event.Customer, kind string) ([]recipient, error) {
	var rs []recipient
	if c.Email == "" {
		rs = append(rs, recipient{channel: store.ChannelEmail, suppressed: "no email address"})
	} else {
		why, err := w.suppressed(ctx, store.ChannelEmail, c.Email, kind)
		if err != nil {
			return nil, err
		}
		rs = append(rs, recipient{channel: store.ChannelEmail, to: c.Email, suppressed: why})
	}
	switch {
	case c.Phone == "":
		// No phone number: nothing to record, SMS was never possible.
	case !c.SMSConsent:
		rs = append(rs, recipient{channel: store.ChannelSMS, to: c.Phone, suppressed: "no SMS consent"})
	default:
		why, err := w.suppressed(ctx, store.ChannelSMS, c.Phone, kind)
		if err != nil {
			return nil, err
		}
		rs = append(rs, recipient{channel: store.ChannelSMS, to: c.Phone, suppressed: why})
	}
	return rs, nil
}

// suppressed says why a message of kind may not go to address on channel, or "".
func (w *Worker) suppressed(ctx context.Context, channel, address, kind string) (string, error) {
	if w.Senders[channel] == nil {
		return channel + " channel not configured", nil
	}
	ss, err := w.Store.Suppressions(ctx, channel, normalAddress(channel, address))
	if err != nil {
		return "", fmt.Errorf("suppressions: %w", err)
	}
	for _, s := range ss {
		switch s.Kind {
		case store.SuppressStop:
			return "opted out (STOP)", nil
		case store.SuppressBounce:
			return "address bounced", nil
		case store.SuppressUnsubscribe:
			if !templates.Required(kind) { // legal notices ignore an updates unsubscribe
				return "unsubscribed from updates", nil
			}
		}
	}
	return "", nil
}

// normalAddress is the form suppressions are stored under.
func normalAddress(channel, address string) string {
	if channel == store.ChannelEmail {
		return strings.ToLower(strings.TrimSpace(address))
	}
	return address
}

// notify renders decision d, records one notification per channel and enqueues the
// sends. A retried event finds its notifications by DedupKey and re-enqueues only
// those not sent yet.
func (w *Worker) notify(ctx context.Context, e *event.Event, o *orderState, d decision) error {
	view := o.view(w, d)
	r, err := w.Renderer.Render(d.kind, view)
	if err != nil {
		return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
	}
	rcs, err := w.recipients(ctx, o.snap.Customer, d.kind)
	if err != nil {
		return err
	}
	for _, rc := range rcs {
		n := &store.Notification{
			ID: w.NewID(), OrderID: o.rec.ID, Brand: o.rec.Brand, Kind: d.kind, Channel: rc.channel,
			Recipient: rc.to, EventSource: e.Source, EventID: e.ID,
			DedupKey: e.Key() + "|" + o.rec.ID + "|" + d.kind + "|" + rc.channel,
			Status:   store.NotificationPending, Subject: r.Subject, Body: r.Text, HTML: r.HTML,
			CreatedAt: w.Now(), UpdatedAt: w.Now(),
		}
		if rc.channel == store.ChannelSMS {
			n.Subject, n.Body, n.HTML = "", r.SMS, ""
		}
		n.TemplateVersion, n.ContentHash = r.Version, hashOf([]byte(n.Subject+"\x00"+n.Body+"\x00"+n.HTML))
		if rc.suppressed != "" {
			n.Status, n.Reason = store.NotificationSuppressed, rc.suppressed
		}
		existing, created, err := w.Store.CreateNotification(ctx, n)
		if err != nil {
			return fmt.Errorf("record notification: %w", err)
		}
		if !created {
			n = existing
		}
		if n.Status == store.NotificationPending {
			if err := w.enqueueSend(ctx, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// TypeSend is the task that sends one notification.
const TypeSend = "notification.send"

// SendPayload is the payload of a notification.send task.
type SendPayload struct {
	NotificationID string `json:"notification_id"`
}

// NewSendTask returns the send task of notification n: TaskID "send:" + id, on the
// critical queue for legal notices and the default queue otherwise.
func NewSendTask(n *store.Notification) (*asynq.Task, []asynq.Option, error) {
	payload, err := json.Marshal(SendPayload{NotificationID: n.ID})
	if err != nil {
		return nil, nil, err
	}
	queue := QueueDefault
	if templates.Required(n.Kind) {
		queue = QueueCritical
	}
	return asynq.NewTask(TypeSend, payload), []asynq.Option{asynq.TaskID("send:" + n.ID), asynq.Queue(queue)}, nil
}

func (w *Worker) enqueueSend(ctx context.Context, n *store.Notification) error {
	task, opts, err := NewSendTask(n)
	if err != nil {
		return err
	}
	if _, err := w.Enqueuer.EnqueueContext(ctx, task, opts...); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue send %s: %w", n.ID, err)
	}
	return nil
}
