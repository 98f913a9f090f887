package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/notifyd/notifyd/config"
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

// offerID is stable for one order and the event that opened the offer, so a retried
// event opens the same offer.
func offerID(orderID, eventKey string) string {
	sum := sha256.Sum256([]byte(orderID + "\x00" + eventKey))
	return "off_" + hex.EncodeToString(sum[:6])
}

// substituteFor returns the substitute the event offered for one of the late lines.
func (o *orderState) substituteFor(late []*store.OrderLine) *templates.Substitute {
	for _, s := range o.subs {
		for _, l := range late {
			if s.LineID == l.LineID {
				return &templates.Substitute{Name: s.Name, Price: string(s.UnitPrice), URL: s.URL, ImageURL: s.ImageURL}
			}
		}
	}
	return nil
}

// policyConfig is the policy type the worker passes to package policy.
type policyConfig = config.Policy
