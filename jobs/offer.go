package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// addDays adds a policy duration as calendar days in t's location (CONTRACT.md §8:
// P + 30d is the same wall-clock time 30 days later, across daylight-saving changes),
// then any remainder below a day as elapsed time.
func addDays(t time.Time, d time.Duration) time.Time {
	const day = 24 * time.Hour
	return t.AddDate(0, 0, int(d/day)).Add(d % day)
}

// promise is P for the order: promised_ship_by, or placed_at + window, in the brand's
// time zone.
func (o *orderState) promise(p config.Policy) time.Time {
	if o.snap.PromisedShipBy != nil {
		if t, err := o.snap.PromisedShipBy.Resolve(o.loc); err == nil {
			return t
		}
	}
	return addDays(o.snap.PlacedAt.In(o.loc), p.Window)
}

// newOffer builds the delay-option offer covering the late lines, sent now
// (CONTRACT.md §8.1–3). With a definite revised date R ≤ P + D for every line, silence
// is consent by max(P, now + M); otherwise silence cancels by max(P + D, now + M). An
// offer over several lines follows the strictest case among them.
func (o *orderState) newOffer(w *Worker, e *event.Event, late []*store.OrderLine, reason string) *templates.Offer {
	pol := w.Config.Policies.For(o.rec.Brand)
	now := w.Now().In(o.loc)
	p := o.promise(pol)
	var r *time.Time
	for _, l := range late {
		if l.ETA == nil || l.BackorderType == event.BackorderIndefinite {
			r = nil
			break
		}
		if r == nil || l.ETA.After(*r) {
			r = l.ETA
		}
	}
	off := &templates.Offer{NewDate: r, Silence: templates.SilenceCancel}
	if r == nil {
		off.NoDateReason = reason
	}
	byResponse := addDays(now, pol.MinResponseTime)
	if r != nil && !r.After(addDays(p, pol.SilentConsentMaxDelay)) {
		off.Silence, off.Deadline = templates.SilenceConsent, later(p, byResponse)
	} else {
		off.Deadline = later(addDays(p, pol.SilentConsentMaxDelay), byResponse)
	}
	id := offerID(o.rec.ID, e.Key())
	base := w.link(links.Choice, o.rec.ID, id)
	off.ChoiceURL, off.WaitURL, off.RefundURL = base, base+"?choice=wait", base+"?choice=refund"
	if sub := o.substituteFor(e, late); sub != nil {
		off.Substitute, off.SubstituteURL = sub, base+"?choice=substitute"
	}
	return off
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// offerID is stable for one order and the event that opened the offer, so a retried
// event opens the same offer.
func offerID(orderID, eventKey string) string {
	sum := sha256.Sum256([]byte(orderID + "\x00" + eventKey))
	return "off_" + hex.EncodeToString(sum[:6])
}

// substituteFor returns the substitute the event offers for one of the late lines.
func (o *orderState) substituteFor(e *event.Event, late []*store.OrderLine) *templates.Substitute {
	od := e.OrderData()
	if od == nil {
		return nil
	}
	for _, s := range od.Substitutes {
		for _, l := range late {
			if s.LineID == l.LineID {
				return &templates.Substitute{Name: s.Name, Price: string(s.UnitPrice), URL: s.URL, ImageURL: s.ImageURL}
			}
		}
	}
	return nil
}
