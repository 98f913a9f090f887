package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// recipient is one channel a message can go out on, or the reason it cannot.
type recipient struct {
	channel, to, suppressed string
}

// recipients returns the email and SMS recipients of a customer (CONTRACT.md §4: email
// whenever there is an address; SMS only with consent).
func (w *Worker) recipients(c event.Customer) []recipient {
	var rs []recipient
	switch {
	case c.Email == "":
		rs = append(rs, recipient{channel: store.ChannelEmail, suppressed: "no email address"})
	case w.Senders[store.ChannelEmail] == nil:
		rs = append(rs, recipient{channel: store.ChannelEmail, to: c.Email, suppressed: "email channel not configured"})
	default:
		rs = append(rs, recipient{channel: store.ChannelEmail, to: c.Email})
	}
	switch {
	case c.Phone == "":
		// No phone number: nothing to record, SMS was never possible.
	case !c.SMSConsent:
		rs = append(rs, recipient{channel: store.ChannelSMS, to: c.Phone, suppressed: "no SMS consent"})
	case w.Senders[store.ChannelSMS] == nil:
		rs = append(rs, recipient{channel: store.ChannelSMS, to: c.Phone, suppressed: "SMS channel not configured"})
	default:
		rs = append(rs, recipient{channel: store.ChannelSMS, to: c.Phone})
	}
	return rs
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
	for _, rc := range w.recipients(o.snap.Customer) {
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

// view builds what the templates show for decision d.
func (o *orderState) view(w *Worker, d decision) *templates.View {
	return &templates.View{
		Brand: templates.Brand{
			Name: o.brand.Name, SupportURL: o.brand.Support.URL,
			SupportEmail: o.brand.Support.Email, SupportPhone: o.brand.Support.Phone,
		},
		Customer:  templates.Customer{Name: o.snap.Customer.Name},
		Order:     templates.Order{ID: o.rec.ID, Number: o.rec.Number},
		Lines:     d.lines,
		Pending:   d.pending,
		Shipment:  d.shipment,
		Reason:    d.reason,
		StatusURL: w.Config.PublicURL + "/o/" + o.rec.ID,
	}
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
