package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/config"
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
func (w *Worker) recipients(ctx context.Context, pre *prefetched, c event.Customer, kind string) ([]recipient, error) {
	var rs []recipient
	if c.Email == "" {
		rs = append(rs, recipient{channel: store.ChannelEmail, suppressed: "no email address"})
	} else {
		why, err := w.suppressed(ctx, pre, store.ChannelEmail, c.Email, kind)
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
		why, err := w.suppressed(ctx, pre, store.ChannelSMS, c.Phone, kind)
		if err != nil {
			return nil, err
		}
		rs = append(rs, recipient{channel: store.ChannelSMS, to: c.Phone, suppressed: why})
	}
	return rs, nil
}

// suppressed says why a message of kind may not go to address on channel, or "".
// It reads pre when given (the history prefetched for a decision), the store
// otherwise (a send task, checking again before it sends).
func (w *Worker) suppressed(ctx context.Context, pre *prefetched, channel, address, kind string) (string, error) {
	if w.Senders[channel] == nil {
		return channel + " channel not configured", nil
	}
	var ss []store.Suppression
	if pre != nil {
		ss = pre.suppressions[store.ChannelAddress{Channel: channel, Address: normalAddress(channel, address)}]
	} else {
		var err error
		if ss, err = w.Store.Suppressions(ctx, channel, normalAddress(channel, address)); err != nil {
			return "", fmt.Errorf("suppressions: %w", err)
		}
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

// decideNotifications renders decision d and adds one notification per channel to
// the plan, each with what the log must say: pending (with NotBefore when held for
// quiet hours), or suppressed with the reason — no channel, opted out, the same news
// as the last message, or the daily cap. dedupBase names what decided it (the event,
// or a flush), so deciding again after a crash or a lost race yields the same keys.
func (w *Worker) decideNotifications(ctx context.Context, p *plan, o *orderState, d decision, dedupBase string) error {
	r, err := w.Renderer.Render(d.kind, o.view(w, d))
	if err != nil {
		return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
	}
	pre := p.pre
	if pre == nil || pre.kind != d.kind {
		if pre, err = w.prefetch(ctx, []*orderState{o}, d.kind); err != nil {
			return err
		}
	}
	rcs, err := w.recipients(ctx, pre, o.snap.Customer, d.kind)
	if err != nil {
		return err
	}
	fp := fingerprint(d, o.loc)
	told, known := false, false
	for _, rc := range rcs {
		n := &store.Notification{
			ID: w.NewID(), OrderID: o.rec.ID, Brand: o.rec.Brand, Kind: d.kind, Channel: rc.channel,
			Recipient: rc.to, EventSource: p.commit.Source, EventID: p.commit.ID,
			DedupKey: dedupBase + "|" + o.rec.ID + "|" + d.kind + "|" + rc.channel,
			Status:   store.NotificationPending, Subject: r.Subject, Body: r.Text, HTML: r.HTML,
			Fingerprint: fp, TemplateVersion: r.Version, CreatedAt: w.Now(), UpdatedAt: w.Now(),
		}
		if rc.channel == store.ChannelSMS {
			n.Subject, n.Body, n.HTML = "", r.SMS, ""
		}
		n.ContentHash = hashOf([]byte(n.Subject + "\x00" + n.Body + "\x00" + n.HTML))
		why := rc.suppressed
		if why == "" {
			why = d.hold
		}
		if why == "" {
			why = w.holdBack(pre, o, n)
		}
		if why != "" {
			n.Status, n.Reason = store.NotificationSuppressed, why
			known = known || strings.HasPrefix(why, dedupReason)
		} else {
			told = true
			w.quietHours(o, n)
			pre.decided(n)
		}
		p.commit.Notifications = append(p.commit.Notifications, n)
	}
	if (told || known) && d.kind == templates.KindRestockNotice {
		o.tellReserved(d.lines)
	}
	if told {
		o.markTold(d)
		p.note("decided %s", d.kind)
	} else {
		p.note("%s not sent", d.kind)
	}
	return nil
}

// dedupReason starts the reason of a notification suppressed as the same news as the
// recipient's last message.
const dedupReason = "deduplicated:"

// holdBack applies the "no repeats" rule and the daily cap (CONTRACT.md §4, §6) to a
// notification that could go out, from the history prefetched for its decision; it
// returns why not, or "".
func (w *Worker) holdBack(pre *prefetched, o *orderState, n *store.Notification) string {
	// No repeats (CONTRACT.md §6): the same news as the last message the recipient got
	// about the order. A fingerprint holds its kind, so that message is of n's kind;
	// news of another kind since (a partial shipment's ETA, a restock, an offer) makes
	// n news again: A → B → A is three messages, whatever kinds told them.
	if last := pre.lastNotification(n); last != nil && last.Fingerprint == n.Fingerprint {
		return dedupReason + " same news as notification " + last.ID
	}
	if !capped(n.Kind) {
		return ""
	}
	pol := w.Config.Policies.For(o.rec.Brand)
	if count := pre.count(n); count >= pol.MaxUpdatesPerDay {
		return fmt.Sprintf("capped: %d updates in the last 24 h (max_updates_per_day %d)", count, pol.MaxUpdatesPerDay)
	}
	return ""
}

// capped reports whether kind is held back once the daily cap is reached: every
// update counts toward it, but backorder_notice, shipped and cancellation_notice
// always go out, and legal notices are never capped.
func capped(kind string) bool {
	return !templates.Required(kind) && kind != templates.KindBackorderNotice && kind != templates.KindShipped &&
		kind != templates.KindCancellationNotice
}

// quietHours holds an SMS decided during the customer's quiet hours until they end
// (email is not held).
func (w *Worker) quietHours(o *orderState, n *store.Notification) {
	q := w.Config.Policies.For(o.rec.Brand).QuietHours
	if n.Channel != store.ChannelSMS || !q.Enabled() {
		return
	}
	now := w.Now().In(o.customerLoc())
	if end, ok := quietEnd(q, now); ok {
		n.NotBefore = &end
		n.Reason = "held for quiet hours until " + end.Format("15:04 MST")
	}
}

// quietEnd returns when the quiet hours that now falls in end, if it falls in them.
func quietEnd(q config.QuietHours, now time.Time) (time.Time, bool) {
	minute := now.Hour()*60 + now.Minute()
	if !q.Contains(minute) {
		return time.Time{}, false
	}
	y, m, d := now.Date()
	end := time.Date(y, m, d, q.End/60, q.End%60, 0, 0, now.Location())
	if !end.After(now) {
		end = time.Date(y, m, d+1, q.End/60, q.End%60, 0, 0, now.Location())
	}
	return end, true
}

// SendMaxRetry bounds a send's retries. Waiting for a rate limit or another worker's
// claim counts as a retry too, so it is generous: with the back-off of
// cmd/notifyd's retryDelay a send keeps trying for days. When it is exhausted
// HandleError records the notification as failed.
const SendMaxRetry = 1000

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
	opts := []asynq.Option{asynq.TaskID("send:" + n.ID), asynq.Queue(sendQueue(n.Kind)), asynq.MaxRetry(SendMaxRetry)}
	if n.NotBefore != nil {
		opts = append(opts, asynq.ProcessAt(*n.NotBefore))
	}
	return asynq.NewTask(TypeSend, payload), opts, nil
}

func (w *Worker) enqueueSend(ctx context.Context, n *store.Notification, extra ...asynq.Option) error {
	task, opts, err := NewSendTask(n)
	if err != nil {
		return err
	}
	opts = append(opts, extra...)
	if _, err := w.Enqueuer.EnqueueContext(ctx, task, opts...); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue send %s: %w", n.ID, err)
	}
	return nil
}
