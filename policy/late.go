package policy

import (
	"time"

	"github.com/notifyd/notifyd/config"
)

// Line is one order line as the policy sees it.
type Line struct {
	ID string
	// Promise is P: promised_ship_by, or placed_at + window (see Promise).
	Promise time.Time
	// ETA is the revised ship date R as an instant (a plain date is the end of that day
	// in the brand's zone); nil when unknown.
	ETA *time.Time
	// Indefinite is backorder_type indefinite: no date can be given; late at once.
	Indefinite bool
	// Shipped and Canceled close the line: it is never late and needs no offer.
	Shipped, Canceled bool
}

// open reports whether the line is neither shipped nor canceled.
func (l Line) open() bool { return !l.Shipped && !l.Canceled }

// newDate returns the line's definite revised date, or nil when none can be given.
func (l Line) newDate() *time.Time {
	if l.Indefinite {
		return nil
	}
	return l.ETA
}

// Promise returns P for a line (§8): promisedShipBy when the order has one, else
// placedAt + p.Window in calendar days of loc.
func Promise(placedAt time.Time, promisedShipBy *time.Time, p config.Policy, loc *time.Location) time.Time {
	if promisedShipBy != nil {
		return promisedShipBy.In(zone(loc))
	}
	return AddDays(placedAt, p.Window, loc)
}

// WindowCheckAt returns P − min_response_time: when notifyd checks the line by itself
// (§8.1) if no event has made it late before.
func WindowCheckAt(l Line, p config.Policy, loc *time.Location) time.Time {
	return AddDays(l.Promise, -p.MinResponseTime, loc)
}

// Late reports whether the open line l is late at now (§8.1): its ETA is after P; or
// P − M has come with no ETA on or before P; or it is an indefinite backorder.
func Late(l Line, now time.Time, p config.Policy, loc *time.Location) bool {
	if !l.open() {
		return false
	}
	switch {
	case l.Indefinite:
		return true
	case l.ETA != nil:
		return l.ETA.After(l.Promise) // an ETA on or before P keeps the promise
	default:
		return !now.Before(WindowCheckAt(l, p, loc))
	}
}

// LateLines returns the lines of an order that are late at now, in their order: the
// lines a first offer covers.
func LateLines(lines []Line, now time.Time, p config.Policy, loc *time.Location) []Line {
	var late []Line
	for _, l := range lines {
		if Late(l, now, p, loc) {
			late = append(late, l)
		}
	}
	return late
}
