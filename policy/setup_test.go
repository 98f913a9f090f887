package policy_test

import (
	"time"

	"github.com/notifyd/notifyd/config"
)

const day = 24 * time.Hour

// defaults returns the rule's policy: window 30d, silent_consent_max_delay 30d,
// min_response_time 7d, reminder_before 3d.
func defaults() config.Policy { return config.Default().Policies.Default }

// with returns the default policy changed by change.
func with(change func(*config.Policy)) config.Policy {
	p := defaults()
	change(&p)
	return p
}

// ny and berlin are the zones the tests use; loaded once, read only.
var (
	ny     = mustZone("America/New_York")
	berlin = mustZone("Europe/Berlin")
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at parses "2006-01-02 15:04" in loc.
func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// nyAt is at(ny, s).
func nyAt(s string) time.Time { return at(ny, s) }

func ptr(t time.Time) *time.Time { return &t }

// show prints an optional time in loc for failure messages and comparisons.
func show(t *time.Time, loc *time.Location) string {
	if t == nil {
		return "<nil>"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}
