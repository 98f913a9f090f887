package policy

import (
	"time"

	"github.com/notifyd/notifyd/config"
)

// Silence says what happens at an offer's deadline when the customer has not answered.
type Silence string

// What silence means.
const (
	// SilenceIsConsent: "wait" is recorded with channel silence (§8.2).
	SilenceIsConsent Silence = "consent"
	// SilenceCancels: the late lines are canceled (§8.3, §8.4).
	SilenceCancels Silence = "cancel"
)

// Case is a delay-option offer as the policy decides it: what it covers, what silence
// means, and when. Store it with the offer (§8.10).
type Case struct {
	LineIDs []string
	Silence Silence
	// Deadline is when the offer is decided: the answer must be recorded before it.
	Deadline time.Time
	// ReminderAt is when choice_reminder goes out; nil when that moment had already
	// passed when the offer was sent (§8.8).
	ReminderAt *time.Time
	// NewDate is the date the offer states: the latest ETA among its lines, or nil when
	// any line has no date ("no date can be given").
	NewDate *time.Time
}

// FirstOffer returns the offer covering lines, the late lines of one order (see
// LateLines), sent at sent (§8.1–8.3, §8.8). Each line on its own:
//
//   - a definite ETA R ≤ P + D: silence is consent; deadline max(P, sent + M);
//   - R > P + D, no ETA, or indefinite: silence cancels; deadline max(P + D, sent + M).
//
// The offer takes the strictest case: silence cancels if it does for any line, and the
// deadline is the earliest of the lines' deadlines. With no lines it returns the zero
// Case.
func FirstOffer(lines []Line, sent time.Time, p config.Policy, loc *time.Location) Case {
	if len(lines) == 0 {
		return Case{}
	}
	loc = zone(loc)
	answerBy := AddDays(sent, p.MinResponseTime, loc)
	c := Case{Silence: SilenceIsConsent, NewDate: latestDate(lines, loc)}
	for i, l := range lines {
		silence, deadline := firstCase(l, answerBy, p, loc)
		if silence == SilenceCancels {
			c.Silence = SilenceCancels
		}
		if i == 0 || deadline.Before(c.Deadline) {
			c.Deadline = deadline
		}
		c.LineIDs = append(c.LineIDs, l.ID)
	}
	c.ReminderAt = Reminder(c.Deadline, sent, p, loc)
	return c
}

// firstCase is §8.2 and §8.3 for one line; answerBy is sent + M.
func firstCase(l Line, answerBy time.Time, p config.Policy, loc *time.Location) (Silence, time.Time) {
	limit := AddDays(l.Promise, p.SilentConsentMaxDelay, loc) // P + D
	if r := l.newDate(); r != nil && !r.After(limit) {
		return SilenceIsConsent, later(l.Promise.In(loc), answerBy)
	}
	return SilenceCancels, later(limit, answerBy)
}

// RenewedOffer returns the renewed offer (§8.4) covering lines after the customer
// consented to wait until consentedR, sent at sent: silence never consents to it, and
// its deadline is max(consentedR, sent + M).
func RenewedOffer(lines []Line, consentedR, sent time.Time, p config.Policy, loc *time.Location) Case {
	loc = zone(loc)
	c := Case{
		Silence:  SilenceCancels,
		Deadline: later(consentedR.In(loc), AddDays(sent, p.MinResponseTime, loc)),
		NewDate:  latestDate(lines, loc),
	}
	for _, l := range lines {
		c.LineIDs = append(c.LineIDs, l.ID)
	}
	c.ReminderAt = Reminder(c.Deadline, sent, p, loc)
	return c
}

// Reminder returns when choice_reminder goes out for an offer decided at deadline:
// reminder_before the deadline, or nil when that moment is not after now (it has
// already passed, or would coincide with the offer itself) or reminder_before is not
// positive (§8.8).
func Reminder(deadline, now time.Time, p config.Policy, loc *time.Location) *time.Time {
	if p.ReminderBefore <= 0 {
		return nil
	}
	at := AddDays(deadline, -p.ReminderBefore, loc)
	if !at.After(now) {
		return nil
	}
	return &at
}

// latestDate returns the latest definite date among lines, or nil when any has none.
func latestDate(lines []Line, loc *time.Location) *time.Time {
	var latest *time.Time
	for _, l := range lines {
		r := l.newDate()
		if r == nil {
			return nil
		}
		if latest == nil || r.After(*latest) {
			t := r.In(loc)
			latest = &t
		}
	}
	return latest
}
