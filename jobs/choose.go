package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/policy"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// Decision webhook types (CONTRACT.md §7).
const (
	WebhookChoiceMade   = "customer.choice_made"
	WebhookAutoCanceled = "order.auto_canceled"
	WebhookUnreachable  = "customer.unreachable"
)

// offerCase loads an open offer with its order, or nil when either is gone or closed.
func (w *Worker) offerCase(ctx context.Context, offerID string) (*store.Offer, *orderState, error) {
	off, err := w.Store.GetOffer(ctx, offerID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	rec, err := w.Store.GetOrder(ctx, off.OrderID)
	if err != nil {
		return nil, nil, fmt.Errorf("order of offer %s: %w", offerID, err)
	}
	o, err := w.stateOf(rec)
	return off, o, err
}

// offerLines returns the offer's lines it is still about, as stored and as templates
// show them: a line that shipped or was canceled since, or whose backordered units
// all went in parcels, has left the offer (§8.7) — no reminder about it, and a
// deadline never cancels or confirms it.
func (o *orderState) offerLines(off *store.Offer) ([]*store.OrderLine, []templates.Line) {
	var ls []*store.OrderLine
	var vs []templates.Line
	for _, id := range off.LineIDs {
		if l := o.lineState(id); l != nil && l.Offered() {
			ls = append(ls, l)
			vs = append(vs, o.viewLine(id, owed(l), l.ETA, nil))
		}
	}
	return ls, vs
}

// HandleReminder sends choice_reminder for an offer still unanswered (§8.8).
func (w *Worker) HandleReminder(ctx context.Context, t *asynq.Task) error {
	fp, err := followUpPayload(t)
	if err != nil {
		return err
	}
	return w.followUpCommit(ctx, fp.OrderID, func() (*plan, error) {
		off, o, err := w.offerCase(ctx, fp.OfferID)
		if err != nil || off == nil || off.State != store.OfferOpen || off.Choice != "" {
			return nil, err
		}
		now := w.Now()
		p := newPlan("", "", now)
		p.commit.LeaveStatus, p.commit.Orders = true, []*store.Order{o.rec}
		dl, err := w.deliveryOf(ctx, off)
		if err != nil {
			return nil, err
		}
		if due := w.answerBy(off, dl.sent, o); due.After(off.Deadline.Add(deadlineSlack)) {
			// The offer went out later than it was decided: its deadline moves now (as
			// HandleDeadline would), and the reminder goes reminder_before the new one.
			w.postpone(p, o, off, due, "")
			if at := policy.Reminder(due, now.Add(deadlineSlack), w.offerPolicy(off), o.loc); at != nil {
				off.ReminderAt = at
			}
		}
		// A reminder whose moment is still ahead — moved just now, or moved by an
		// earlier run of this task that asynq runs again, or run by hand ahead of time
		// — waits for it, under a TaskID of its own (never the running one's: asynq
		// would refuse it, and enqueueOnce take that for "queued already").
		if off.ReminderAt != nil && now.Add(deadlineSlack).Before(*off.ReminderAt) {
			running, _ := asynq.GetTaskID(ctx)
			id := notRunning(movedReminderID(off.ID, *off.ReminderAt), running, now)
			p.commit.Offers = []*store.Offer{off}
			p.followUps = append(p.followUps, followUp{TypeReminder, id, *off.ReminderAt, FollowUpPayload{OrderID: o.rec.ID, OfferID: off.ID}})
			return p, nil
		}
		_, views := o.offerLines(off)
		if len(views) == 0 {
			p.note("offer %s: its lines shipped or were canceled; no reminder", off.ID)
			return p, nil
		}
		d := decision{kind: templates.KindChoiceReminder, lines: views, offer: o.viewOffer(w, off), offerID: off.ID}
		return p, w.decideNotifications(ctx, p, o, d, "reminder:"+off.ID)
	})
}

// HandleDeadline decides an offer at its deadline (§8.2, 8.3, 8.9): an answer stands;
// silence is consent (wait is recorded, channel silence, and confirmed) only for a
// definite date within P + D and a customer who was reached; otherwise the late lines
// are canceled, the shop is told (order.auto_canceled, and customer.unreachable when
// no channel delivered the offer) and the customer gets auto_cancel_notice.
func (w *Worker) HandleDeadline(ctx context.Context, t *asynq.Task) error {
	fp, err := followUpPayload(t)
	if err != nil {
		return err
	}
	return w.followUpCommit(ctx, fp.OrderID, func() (*plan, error) {
		off, o, err := w.offerCase(ctx, fp.OfferID)
		if err != nil || off == nil || off.State != store.OfferOpen {
			return nil, err
		}
		now := w.Now()
		p := newPlan("", "", now)
		p.commit.LeaveStatus, p.commit.Orders = true, []*store.Order{o.rec}
		dl, err := w.deliveryOf(ctx, off)
		if err != nil {
			return nil, err
		}
		if due := w.answerBy(off, dl.sent, o); now.Add(deadlineSlack).Before(due) {
			running, _ := asynq.GetTaskID(ctx)
			return w.postpone(p, o, off, due, running), nil
		}
		unreachable := !dl.reached
		outcome := policy.AtDeadline(policy.Case{Silence: policy.Silence(off.Silence), Deadline: off.Deadline}, off.Choice, unreachable)
		off.State, off.UpdatedAt = store.OfferDecided, now
		p.commit.Offers = []*store.Offer{off}
		if o.rec.State == store.OrderOpen {
			w.recheckLate(p, o.rec.ID, off.ID)
		}
		lines, views := o.offerLines(off)
		if len(lines) == 0 {
			// Every line of the offer shipped or was canceled meanwhile: there is
			// nothing left to decide (§8.7).
			off.State = store.OfferClosed
			p.note("offer %s closed: its lines shipped or were canceled", off.ID)
			return p, nil
		}
		switch outcome {
		case policy.Answered:
			p.note("offer %s: the customer's answer (%s) stands", off.ID, off.Choice)
			if off.Choice == policy.ChoiceWait {
				// Final now: the lines wait for stock again, as after consent by
				// silence, so restocks and the renewal checks (§8.4–5) take them.
				return p, w.waitDecided(ctx, p, o, off, lines)
			}
			return p, nil
		case policy.ConsentBySilence:
			off.Choice, off.ChoiceChannel, off.ChoiceAt = policy.ChoiceWait, "silence", &now
			if err := w.decided(p, o, off, views); err != nil {
				return nil, err
			}
			if err := w.decideNotifications(ctx, p, o, decision{kind: templates.KindChoiceConfirmation, lines: views,
				offer: o.viewOffer(w, off), offerID: off.ID}, "deadline:"+off.ID); err != nil {
				return nil, err
			}
			return p, w.waitDecided(ctx, p, o, off, lines)
		}
		return p, w.autoCancel(ctx, p, o, off, lines, views, unreachable)
	})
}

// waitDecided returns the offer's awaiting lines to waiting for stock once "wait" is
// final at the deadline (waitingState): a line restocks covered while the offer was
// open becomes allocated, and the customer now hears it is reserved — a
// restock_notice naming the lines of a SKU not told of their reservation
// (ReservedTold), when all its units owed are reserved. A line told of its
// reservation before the offer is not named again; one whose restock notice was
// held back for the offer, capped, or not decided yet (its batch still to run, or
// waiting for another line of the SKU) is. The batch, if it runs later, finds the
// lines told.
func (w *Worker) waitDecided(ctx context.Context, p *plan, o *orderState, off *store.Offer, lines []*store.OrderLine) error {
	var skus []string
	for _, l := range lines {
		if l.State != store.LineAwaiting {
			continue
		}
		if l.State = waitingState(l); l.State == store.LineAllocated && !l.ReservedTold {
			skus = append(skus, l.SKU)
		}
	}
	for _, sku := range slices.Compact(slices.Sorted(slices.Values(skus))) {
		d, ok := o.restockNews(sku)
		if !ok {
			continue // other lines of the SKU still wait for stock
		}
		if err := w.decideNotifications(ctx, p, o, d, reservedKey("deadline:"+off.ID, sku)); err != nil {
			return err
		}
	}
	return nil
}

// skusOf returns the SKUs of lines.
func skusOf(lines []*store.OrderLine) []string {
	skus := make([]string, len(lines))
	for i, l := range lines {
		skus[i] = l.SKU
	}
	return skus
}

// deadlineSlack is how early a deadline or reminder task may run and still act:
// asynq schedules by the whole second, so a task may start up to a second before
// the moment it was scheduled for.
const deadlineSlack = 2 * time.Second

// notRunning returns id, or, when id is the TaskID of the task running now (run
// ahead of its moment, it schedules itself again), id with the present moment
// added: asynq refuses a second task with a TaskID still held, and enqueueOnce takes
// that for "queued already", so the follow-up would be lost.
func notRunning(id, running string, now time.Time) string {
	if id == running {
		return id + "+" + strconv.FormatInt(now.UnixNano(), 10)
	}
	return id
}

// delivery is what the offer's own messages say of it.
type delivery struct {
	// sent is when a provider first accepted one of its delay_option_offer messages:
	// the offer's SentAt, or the messages' own when markOfferSent has not run (it
	// follows the send's commit, and a crash in between loses it). nil: never.
	sent *time.Time
	// reached: one of them is still counted as delivered — sent by email (SMTP says
	// nothing later), or an SMS Twilio has not reported undelivered or failed.
	reached bool
}

// deliveryOf reads the offer's delay_option_offer messages (§8.9, and "sent" of §8).
func (w *Worker) deliveryOf(ctx context.Context, off *store.Offer) (delivery, error) {
	ns, err := w.Store.ListNotifications(ctx, store.NotificationFilter{OrderID: off.OrderID, Kind: templates.KindDelayOptionOffer})
	if err != nil {
		return delivery{}, fmt.Errorf("messages of offer %s: %w", off.ID, err)
	}
	d := delivery{sent: off.SentAt}
	for i := range ns {
		n := &ns[i]
		if offerOfMessage(n) != off.ID || n.SentAt == nil {
			continue
		}
		if d.sent == nil || n.SentAt.Before(*d.sent) {
			d.sent = n.SentAt
		}
		d.reached = d.reached || n.Status == store.NotificationSent || n.Status == store.NotificationDelivered
	}
	return d, nil
}

// answerBy is the moment the offer's deadline is decided at, and the last moment to
// answer: its stored deadline, max(P…, decided + M), or sent + M when that is later
// — the offer went out well after it was decided (its SMS held for quiet hours, a
// provider down and retried). CONTRACT.md §8 counts M from "sent", when the first
// provider accepted the offer; the customer never gets less time to answer. M is
// the offer's own (§8.10).
func (w *Worker) answerBy(off *store.Offer, sent *time.Time, o *orderState) time.Time {
	if sent == nil {
		return off.Deadline
	}
	if due := policy.AddDays(*sent, w.offerPolicy(off).MinResponseTime, o.loc); due.After(off.Deadline) {
		return due
	}
	return off.Deadline
}

// offerPolicy is the policy the offer was made under (§8.10), stored with it; the
// brand's current one if that cannot be read.
func (w *Worker) offerPolicy(off *store.Offer) config.Policy {
	var made config.Policy
	if json.Unmarshal(off.Policy, &made) == nil && made.MinResponseTime > 0 {
		return made
	}
	return w.Config.Policies.For(off.Brand)
}

// postpone moves the offer's deadline to due and schedules its decision then, under
// a TaskID of its own, deadline:<offer>@<unix seconds> (deadline:<offer> may still be
// the task running now, running; see notRunning). A postponed deadline that fires
// after the case closed finds the offer no longer open, as every follow-up does.
func (w *Worker) postpone(p *plan, o *orderState, off *store.Offer, due time.Time, running string) *plan {
	off.Deadline, off.UpdatedAt = due, p.commit.At
	p.commit.Offers = []*store.Offer{off}
	id := notRunning(postponedID(off.ID, due), running, p.commit.At)
	p.followUps = append(p.followUps, followUp{TypeDeadline, id, due, FollowUpPayload{OrderID: o.rec.ID, OfferID: off.ID}})
	p.note("offer %s: sent later than decided, so its deadline moves to %s", off.ID, due.Format(time.RFC3339))
	return p
}

// offerOfMessage is the offer a delay_option_offer message carried: the offer's id
// and the message's DedupKey both come from the key of what opened it
// (offerDecision, decideNotifications).
func offerOfMessage(n *store.Notification) string {
	return offerID(n.OrderID, dedupBaseOf(n))
}

// dedupBaseOf is what decided notification n: its DedupKey less the
// "|<order>|<kind>|<channel>" decideNotifications adds.
func dedupBaseOf(n *store.Notification) string {
	return strings.TrimSuffix(n.DedupKey, "|"+n.OrderID+"|"+n.Kind+"|"+n.Channel)
}

// autoCancel cancels the offer's lines at its deadline.
func (w *Worker) autoCancel(ctx context.Context, p *plan, o *orderState, off *store.Offer, lines []*store.OrderLine, views []templates.Line, unreachable bool) error {
	now := w.Now()
	due := policy.RefundDueBy(now, o.loc)
	ids := make([]string, 0, len(lines))
	reserved := o.toldReserved()
	for _, l := range lines {
		l.State, l.StateAt = store.LineCanceled, now
		ids = append(ids, l.LineID)
	}
	if err := w.withdrawReserved(ctx, p, o, reserved, "canceled at the offer's deadline (offer "+off.ID+")"); err != nil {
		return err
	}
	reason := "no_answer"
	if unreachable {
		reason = "unreachable"
		d, err := w.newDelivery(WebhookUnreachable, o.rec.ID, off.ID, map[string]any{
			"order_id": o.rec.ID, "offer_id": off.ID, "reason": "no channel delivered the offer"})
		if err != nil {
			return err
		}
		p.commit.Deliveries = append(p.commit.Deliveries, d)
	}
	d, err := w.newDelivery(WebhookAutoCanceled, o.rec.ID, off.ID, map[string]any{
		"order_id": o.rec.ID, "line_ids": ids, "reason": reason, "refund_due_by": due.Format(time.DateOnly)})
	if err != nil {
		return err
	}
	p.commit.Deliveries = append(p.commit.Deliveries, d)
	view := o.viewOffer(w, off)
	view.RefundAmount, view.RefundDueBy = refundAmount(views), &due
	p.note("offer %s: lines %s canceled at the deadline", off.ID, strings.Join(ids, ","))
	if err := w.decideNotifications(ctx, p, o, decision{kind: templates.KindAutoCancelNotice, lines: views, offer: view, offerID: off.ID}, "deadline:"+off.ID); err != nil {
		return err
	}
	return w.completedNews(ctx, p, o, skusOf(lines), "deadline:"+off.ID)
}

// decided queues customer.choice_made for the offer's recorded choice.
func (w *Worker) decided(p *plan, o *orderState, off *store.Offer, views []templates.Line) error {
	ids := make([]string, len(views))
	for i, v := range views {
		ids[i] = v.ID
	}
	data := map[string]any{"order_id": o.rec.ID, "line_ids": ids, "choice": off.Choice,
		"decided_at": off.ChoiceAt.UTC().Format(time.RFC3339), "channel": off.ChoiceChannel}
	if off.Choice == policy.ChoiceSubstitute {
		if sub := o.viewOffer(w, off).Substitute; sub != nil {
			for _, s := range o.subs {
				if s.Name == sub.Name {
					data["substitute_sku"] = s.SKU
				}
			}
		}
	}
	d, err := w.newDelivery(WebhookChoiceMade, o.rec.ID, off.ID+":"+off.Choice+":"+off.ChoiceAt.String(), data)
	if err != nil {
		return err
	}
	p.commit.Deliveries = append(p.commit.Deliveries, d)
	return nil
}

// refundAmount adds up the lines' prices.
func refundAmount(lines []templates.Line) string {
	total := new(big.Rat)
	for _, l := range lines {
		if p, ok := new(big.Rat).SetString(l.UnitPrice); ok {
			total.Add(total, p.Mul(p, big.NewRat(int64(l.Quantity), 1)))
		}
	}
	return total.FloatString(2)
}
