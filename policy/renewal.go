package policy

import (
	"time"

	"github.com/notifyd/notifyd/config"
)

// NeedsRenewal reports whether line l needs a renewed offer at now (§8.4, §8.5), after
// the customer consented (by answer or silence) to wait until consentedR on an offer
// whose deadline was firstDeadline. It does when the line is still open and
//
//   - its ETA is now after consentedR, or no date can be given any more; or
//   - RenewalCheckAt has come.
//
// A new ETA still on or before consentedR is only an eta_update. A nil consentedR is
// consent to wait without a date (§8.5): no further offers, ever. Pass the policy stored
// with the consented offer (§8.10).
func NeedsRenewal(l Line, consentedR *time.Time, firstDeadline, now time.Time, p config.Policy, loc *time.Location) bool {
	if !l.open() || consentedR == nil {
		return false
	}
	if r := l.newDate(); r == nil || r.After(*consentedR) {
		return true
	}
	return !now.Before(RenewalCheckAt(*consentedR, firstDeadline, p, loc))
}

// RenewalCheckAt returns when notifyd checks a line consented to wait until consentedR
// by itself (§8.4): consentedR − M, or firstDeadline if that is later. A line still
// unshipped then gets a renewed offer.
func RenewalCheckAt(consentedR, firstDeadline time.Time, p config.Policy, loc *time.Location) time.Time {
	return later(AddDays(consentedR, -p.MinResponseTime, loc), firstDeadline.In(zone(loc)))
}
