package jobs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/notifyd/notifyd/policy"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// delayFlow runs the delay-option flow (CONTRACT.md §8.1) after an event changed the
// order's backorders: the late lines — ETA after the promise, the promise minus
// min_response_time reached with no date, indefinite, or a window that expired — get
// one offer, unless one is open already; the offer carries the new date, so no
// eta_update goes out with it. For lines not late yet the window check is scheduled
// at P − M.
//
// A line a restock has reserved stock for (allocated) is still a backorder the
// promise applies to, by the same rules (§8.1, §8.4) but one: it is no longer an
// indefinite backorder.
func (w *Worker) delayFlow(ctx context.Context, p *plan, o *orderState, key string, ds []decision, expired bool) ([]decision, error) {
	pv := w.policyOf(o.rec.Brand)
	now := w.Now()
	offers, err := w.Store.OffersOf(ctx, o.rec.ID)
	if err != nil {
		return nil, fmt.Errorf("offers of %s: %w", o.rec.ID, err)
	}
	var late, renew []*store.OrderLine
	var consented *store.Offer
	var check *time.Time
	for i := range o.rec.Lines {
		l := &o.rec.Lines[i]
		if l.State != store.LineBackordered && l.State != store.LineAllocated {
			continue
		}
		pl := o.policyLine(l, pv)
		if c := consentTo(offers, l.LineID); c != nil {
			// The customer agreed to wait (§8.4–5): only a renewal can ask again.
			if policy.NeedsRenewal(pl, c.NewDate, c.Deadline, now, pv.Policy, o.loc) {
				renew, consented = append(renew, l), c
			} else if c.NewDate != nil {
				check = earliest(check, policy.RenewalCheckAt(*c.NewDate, c.Deadline, pv.Policy, o.loc))
			}
			continue
		}
		if o.expired[l.LineID] || policy.Late(pl, now, pv.Policy, o.loc) {
			late = append(late, l)
			continue
		}
		check = earliest(check, policy.WindowCheckAt(pl, pv.Policy, o.loc))
	}
	if check != nil {
		p.followUps = append(p.followUps, followUp{TypeWindowCheck, windowID(o.rec.ID), *check,
			FollowUpPayload{OrderID: o.rec.ID, At: *check}})
	}
	if len(late)+len(renew) == 0 || hasOpen(offers) {
		return ds, nil
	}
	var offer decision
	if len(renew) > 0 {
		offer = w.offerDecision(p, o, key, append(renew, late...), reasonOf(ds), consented)
	} else {
		offer = w.offerDecision(p, o, key, late, reasonOf(ds), nil)
	}
	// The offer states its lines' new dates: an eta_update leaves them out and says
	// only what else moved (a coalesced one, decided when its window closes, finds
	// them told by the offer).
	for i := range ds {
		if ds[i].kind == templates.KindEtaUpdate {
			for _, l := range offer.lines {
				ds[i].except = append(ds[i].except, l.ID)
			}
		}
	}
	return append(ds, offer), nil
}

// consentTo returns the latest decided offer in which the customer agreed to wait for
// line (by answer or silence), nil if none.
func consentTo(offers []store.Offer, line string) *store.Offer {
	for i := range offers { // newest first
		off := &offers[i]
		if slices.Contains(off.LineIDs, line) && off.Choice == policy.ChoiceWait {
			return off
		}
		if slices.Contains(off.LineIDs, line) && off.State != store.OfferOpen {
			return nil // a later offer without consent stands
		}
	}
	return nil
}

func hasOpen(offers []store.Offer) bool {
	return slices.ContainsFunc(offers, func(o store.Offer) bool { return o.State == store.OfferOpen })
}

func earliest(cur *time.Time, t time.Time) *time.Time {
	if cur == nil || t.Before(*cur) {
		return &t
	}
	return cur
}

func reasonOf(ds []decision) string {
	for _, d := range ds {
		if d.reason != "" {
			return d.reason
		}
	}
	return ""
}
