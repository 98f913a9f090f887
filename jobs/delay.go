package jobs

import (
	"context"
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
func (w *Worker) delayFlow(ctx context.Context, p *plan, o *orderState, key string, ds []decision, expired bool) ([]decision, error) {
	pv := w.policyOf(o.rec.Brand)
	now := w.Now()
	var late []*store.OrderLine
	var check *time.Time
	for i := range o.rec.Lines {
		l := &o.rec.Lines[i]
		if l.State != store.LineBackordered {
			continue
		}
		pl := o.policyLine(l, pv)
		if o.expired[l.LineID] || policy.Late(pl, now, pv.Policy, o.loc) {
			late = append(late, l)
			continue
		}
		if at := policy.WindowCheckAt(pl, pv.Policy, o.loc); check == nil || at.Before(*check) {
			check = &at
		}
	}
	if check != nil {
		p.followUps = append(p.followUps, followUp{TypeWindowCheck, windowID(o.rec.ID), *check,
			FollowUpPayload{OrderID: o.rec.ID, At: *check}})
	}
	if len(late) == 0 {
		return ds, nil
	}
	open, err := w.openOffer(ctx, o.rec.ID)
	if err != nil || open != nil {
		return ds, err
	}
	offer := w.offerDecision(p, o, key, late, reasonOf(ds))
	// The offer states the new dates: an eta_update about the same lines is dropped.
	ds = slices.DeleteFunc(ds, func(d decision) bool { return d.kind == templates.KindEtaUpdate })
	return append(ds, offer), nil
}

func reasonOf(ds []decision) string {
	for _, d := range ds {
		if d.reason != "" {
			return d.reason
		}
	}
	return ""
}
