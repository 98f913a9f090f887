package policy

import "time"

const day = 24 * time.Hour

// AddDays returns t + d where every whole 24 hours of d is one calendar day in loc: the
// same wall-clock time that many days later (or earlier, when d is negative), across
// daylight-saving changes. The remainder under a day is added as elapsed time. A wall
// clock that does not exist on the target day (inside a spring-forward gap) is
// normalized as time.Date does. A nil loc means UTC. The result is in loc.
func AddDays(t time.Time, d time.Duration, loc *time.Location) time.Time {
	days, rest := d/day, d%day // both carry d's sign
	return t.In(zone(loc)).AddDate(0, 0, int(days)).Add(rest)
}

// zone returns loc, or UTC for nil.
func zone(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
