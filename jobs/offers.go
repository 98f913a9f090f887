package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/policy"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// Follow-up task types (CONTRACT.md §8), each with a deterministic TaskID so it can be
// deleted when the order ships, is canceled or the customer chooses; one that fires
// anyway re-checks the case and does nothing if it is closed.
const (
	TypeWindowCheck = "order.window_check" // TaskID window:<order>
	TypeReminder    = "offer.reminder"     // TaskID reminder:<offer>
	TypeDeadline    = "offer.deadline"     // TaskID deadline:<offer>
)

// FollowUpPayload names the order or offer a follow-up is about.
type FollowUpPayload struct {
	OrderID string    `json:"order_id"`
	OfferID string    `json:"offer_id,omitempty"`
	At      time.Time `json:"at,omitempty"` // when it was scheduled for
}

// followUp is a task to schedule after the commit.
type followUp struct {
	typ, id string
	at      time.Time
	payload FollowUpPayload
}

func reminderID(offer string) string { return "reminder:" + offer }
func deadlineID(offer string) string { return "deadline:" + offer }
func windowID(order string) string   { return "window:" + order }

// postponedID is the TaskID of an offer's deadline moved to due (postpone).
func postponedID(offer string, due time.Time) string {
	return deadlineID(offer) + "@" + strconv.FormatInt(due.Unix(), 10)
}

// movedReminderID is the TaskID of an offer's reminder moved to at, with its deadline.
func movedReminderID(offer string, at time.Time) string {
	return reminderID(offer) + "@" + strconv.FormatInt(at.Unix(), 10)
}

// deadlineIDs are the TaskIDs the offer's deadline may be scheduled under: as decided,
// and as postponed to its current deadline.
func deadlineIDs(off *store.Offer) []string {
	return []string{deadlineID(off.ID), postponedID(off.ID, off.Deadline)}
}

// reminderIDs are the TaskIDs the offer's reminder may be scheduled under: as decided,
// and as moved to its current moment.
func reminderIDs(off *store.Offer) []string {
	ids := []string{reminderID(off.ID)}
	if off.ReminderAt != nil {
		ids = append(ids, movedReminderID(off.ID, *off.ReminderAt))
	}
	return ids
}

// policyLine is a line as the policy sees it.
func (o *orderState) policyLine(l *store.OrderLine, p policyValues) policy.Line {
	return policy.Line{
		ID: l.LineID, Promise: o.promise(p.Policy), ETA: l.ETA,
		// Stock reserved for all it owes makes a line no longer an indefinite backorder.
		Indefinite: l.BackorderType == event.BackorderIndefinite && !reserved(l),
		Shipped:    l.State == store.LineShipped, Canceled: l.State == store.LineCanceled,
	}
}

// openOffer returns the order's open offer, nil if none.
func (w *Worker) openOffer(ctx context.Context, orderID string) (*store.Offer, error) {
	offers, err := w.Store.OffersOf(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("offers of %s: %w", orderID, err)
	}
	return openIn(offers), nil
}

// offerDecision opens the delay-option offer over the late lines (CONTRACT.md §8.1–3):
// the lines wait for the customer's choice, the offer record keeps the policy values
// it is made under, and its reminder and deadline are scheduled.
// A renewed offer (consented is the offer whose date the customer agreed to wait
// for, §8.4) never takes silence as consent.
func (w *Worker) offerDecision(p *plan, o *orderState, eventKey string, late []*store.OrderLine, reason string, consented *store.Offer) decision {
	pv := w.policyOf(o.rec.Brand)
	now := w.Now()
	var lines []policy.Line
	var views []templates.Line
	for _, l := range late {
		lines = append(lines, o.policyLine(l, pv))
		l.State = store.LineAwaiting
		views = append(views, o.viewLine(l.LineID, owed(l), l.ETA, nil))
	}
	c := policy.FirstOffer(lines, now, pv.Policy, o.loc)
	if consented != nil && consented.NewDate != nil {
		c = policy.RenewedOffer(lines, *consented.NewDate, now, pv.Policy, o.loc)
	}
	id := offerID(o.rec.ID, eventKey)
	rec := &store.Offer{
		ID: id, OrderID: o.rec.ID, Brand: o.rec.Brand, LineIDs: c.LineIDs, Silence: string(c.Silence),
		NewDate: c.NewDate, NoDateReason: reason, Deadline: c.Deadline, ReminderAt: c.ReminderAt,
		Policy: pv.JSON, State: store.OfferOpen, CreatedAt: now, UpdatedAt: now, Renewed: consented != nil,
	}
	if cu := o.snap.Customer; cu.SMSConsent && cu.Phone != "" {
		rec.Phone = cu.Phone
	}
	off := o.viewOffer(w, rec)
	if sub := o.substituteFor(late); sub != nil {
		rec.Substitute, _ = json.Marshal(sub)
		off.Substitute, off.SubstituteURL = sub, off.ChoiceURL+"?choice=substitute"
	}
	p.commit.Offers = append(p.commit.Offers, rec)
	if c.ReminderAt != nil {
		p.followUps = append(p.followUps, followUp{TypeReminder, reminderID(id), *c.ReminderAt, FollowUpPayload{OrderID: o.rec.ID, OfferID: id}})
	}
	p.followUps = append(p.followUps, followUp{TypeDeadline, deadlineID(id), c.Deadline, FollowUpPayload{OrderID: o.rec.ID, OfferID: id}})
	return decision{kind: templates.KindDelayOptionOffer, lines: views, offer: off, offerID: id, reason: reason}
}

// viewOffer is an offer record as the templates show it.
func (o *orderState) viewOffer(w *Worker, rec *store.Offer) *templates.Offer {
	base := w.link(links.Choice, o.rec.ID, rec.ID)
	off := &templates.Offer{
		NewDate: rec.NewDate, NoDateReason: rec.NoDateReason, Deadline: rec.Deadline, Silence: rec.Silence,
		Renewed: rec.Renewed, ChoiceURL: base, WaitURL: base + "?choice=wait", RefundURL: base + "?choice=refund",
		Choice: rec.Choice, BySilence: rec.ChoiceChannel == "silence",
	}
	if len(rec.Substitute) > 0 && string(rec.Substitute) != "null" {
		var sub templates.Substitute
		if json.Unmarshal(rec.Substitute, &sub) == nil {
			off.Substitute, off.SubstituteURL = &sub, base+"?choice=substitute"
		}
	}
	return off
}

// policyValues is a brand's policy and its JSON, stored with each offer (§8.10).
type policyValues struct {
	Policy policyConfig
	JSON   json.RawMessage
}

func (w *Worker) policyOf(brand string) policyValues {
	p := w.Config.Policies.For(brand)
	b, _ := json.Marshal(p)
	return policyValues{Policy: p, JSON: b}
}

// closeOffers closes the order's open offers (it shipped or was canceled) and drops
// their follow-ups and the window check.
func (w *Worker) closeOffers(ctx context.Context, p *plan, orderID string) error {
	offers, err := w.Store.OffersOf(ctx, orderID)
	if err != nil {
		return fmt.Errorf("offers of %s: %w", orderID, err)
	}
	for i := range offers {
		if offers[i].State == store.OfferOpen {
			w.closeOffer(p, &offers[i])
		}
	}
	p.dropTasks = append(p.dropTasks, windowID(orderID))
	return nil
}

// closeOffer closes an open offer and drops its reminder and deadline.
func (w *Worker) closeOffer(p *plan, off *store.Offer) {
	off.State, off.UpdatedAt = store.OfferClosed, w.Now()
	p.commit.Offers = append(p.commit.Offers, off)
	p.dropTasks = append(append(p.dropTasks, reminderIDs(off)...), deadlineIDs(off)...)
}

// closeSettledOffers closes the order's open offers (of offers, its offers) that have
// no line left to decide — each shipped, was canceled, or had its backordered units
// go in parcels (offerLines) — and drops their follow-ups (§8.7): the customer is not
// reminded of them, and a line that is late, or becomes late, gets its own offer
// (recheckLate).
func (w *Worker) closeSettledOffers(p *plan, o *orderState, offers []store.Offer) {
	for i := range offers {
		off := &offers[i]
		if ls, _ := o.offerLines(off); off.State == store.OfferOpen && len(ls) == 0 {
			w.closeOffer(p, off)
			w.recheckLate(p, o.rec.ID, off.ID)
			p.note("offer %s closed: its lines shipped", off.ID)
		}
	}
}

// openIn returns the open offer among offers, nil if none.
func openIn(offers []store.Offer) *store.Offer {
	for i := range offers {
		if offers[i].State == store.OfferOpen {
			return &offers[i]
		}
	}
	return nil
}

// recheckLate runs the order's delay-option check again now (a window check under a
// TaskID of its own), after offer offerID stopped being open while the order is
// open: an order has one open offer at a time, so a line that went late meanwhile
// waited for it to end, and gets its own offer now.
func (w *Worker) recheckLate(p *plan, orderID, offerID string) {
	now := w.Now()
	p.followUps = append(p.followUps, followUp{TypeWindowCheck, windowID(orderID) + ":after:" + offerID, now,
		FollowUpPayload{OrderID: orderID, At: now}})
}
