package event

import (
	"fmt"
	"regexp"
	"time"
)

// When is a point in time given either as RFC 3339 or as a plain date (YYYY-MM-DD),
// which means the end of that day in the brand's time zone (CONTRACT.md §3).
type When string

const dateLayout = "2006-01-02"

// Valid reports whether w is an RFC 3339 time or a plain date.
func (w When) Valid() bool {
	_, err := w.parse(time.UTC)
	return err == nil
}

// IsDate reports whether w is a plain date.
func (w When) IsDate() bool {
	_, err := time.Parse(dateLayout, string(w))
	return err == nil
}

// Resolve returns the instant w stands for; a plain date resolves to the last
// nanosecond of that day in loc.
func (w When) Resolve(loc *time.Location) (time.Time, error) {
	return w.parse(loc)
}

func (w When) parse(loc *time.Location) (time.Time, error) {
	if d, err := time.ParseInLocation(dateLayout, string(w), loc); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	t, err := time.Parse(time.RFC3339Nano, string(w))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a YYYY-MM-DD date", string(w))
	}
	return t, nil
}

// Money is a decimal amount as a string, e.g. "39.00" (CONTRACT.md §3).
type Money string

var moneyRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]{1,4})?$`)

// Valid reports whether m is a decimal money string.
func (m Money) Valid() bool { return moneyRE.MatchString(string(m)) }
