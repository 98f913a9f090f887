package policy_test

import (
	"slices"
	"testing"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/policy"
)

// The promise of most tests: P = 1 Dec 17:00 in New York, so with the defaults
// P − M = 24 Nov 17:00 and P + D = 31 Dec 17:00 (no daylight-saving change between).
var promise = nyAt("2026-12-01 17:00")

func TestLate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line policy.Line
		now  time.Time
		want bool
	}{
		{"ETA after the promise is late at once", policy.Line{Promise: promise, ETA: ptr(nyAt("2026-12-01 17:01"))}, nyAt("2026-11-01 09:00"), true},
		{"ETA on the promise is not late", policy.Line{Promise: promise, ETA: ptr(promise)}, nyAt("2026-11-30 09:00"), false},
		{"ETA before the promise is not late after P − M", policy.Line{Promise: promise, ETA: ptr(nyAt("2026-11-20 17:00"))}, nyAt("2026-11-30 09:00"), false},
		{"no ETA before P − M is not late yet", policy.Line{Promise: promise}, nyAt("2026-11-24 16:59"), false},
		{"no ETA when P − M comes is late", policy.Line{Promise: promise}, nyAt("2026-11-24 17:00"), true},
		{"no ETA after the promise passed is late", policy.Line{Promise: promise}, nyAt("2026-12-05 09:00"), true},
		{"indefinite is late at once", policy.Line{Promise: promise, Indefinite: true}, nyAt("2026-11-01 09:00"), true},
		{"indefinite is late even with an ETA", policy.Line{Promise: promise, Indefinite: true, ETA: ptr(nyAt("2026-11-20 17:00"))}, nyAt("2026-11-01 09:00"), true},
		{"shipped is never late", policy.Line{Promise: promise, ETA: ptr(nyAt("2027-01-20 17:00")), Shipped: true}, nyAt("2026-12-05 09:00"), false},
		{"canceled is never late", policy.Line{Promise: promise, Indefinite: true, Canceled: true}, nyAt("2026-12-05 09:00"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := policy.Late(tt.line, tt.now, defaults(), ny); got != tt.want {
				t.Errorf("Late at %v = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}

func TestWindowCheckAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		promise time.Time
		p       config.Policy
		loc     *time.Location
		want    time.Time
	}{
		{"P − 7d", promise, defaults(), ny, nyAt("2026-11-24 17:00")},
		{"a brand's min_response_time", promise, with(func(p *config.Policy) { p.MinResponseTime = 10 * day }), ny, nyAt("2026-11-21 17:00")},
		{"across spring forward in New York", nyAt("2026-03-10 12:00"), defaults(), ny, nyAt("2026-03-03 12:00")},
		{"across fall back in Berlin", at(berlin, "2026-10-28 12:00"), defaults(), berlin, at(berlin, "2026-10-21 12:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.WindowCheckAt(policy.Line{Promise: tt.promise}, tt.p, tt.loc)
			if !got.Equal(tt.want) {
				t.Errorf("WindowCheckAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLateLines(t *testing.T) {
	t.Parallel()
	lines := []policy.Line{
		{ID: "on-time", Promise: promise, ETA: ptr(nyAt("2026-11-28 17:00"))},
		{ID: "slipped", Promise: promise, ETA: ptr(nyAt("2026-12-10 17:00"))},
		{ID: "shipped", Promise: promise, ETA: ptr(nyAt("2026-12-10 17:00")), Shipped: true},
		{ID: "unknown", Promise: promise},
		{ID: "indefinite", Promise: promise, Indefinite: true},
	}
	tests := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"before P − M", nyAt("2026-11-10 09:00"), []string{"slipped", "indefinite"}},
		{"at P − M", nyAt("2026-11-24 17:00"), []string{"slipped", "unknown", "indefinite"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, l := range policy.LateLines(lines, tt.now, defaults(), ny) {
				got = append(got, l.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LateLines = %v, want %v", got, tt.want)
			}
		})
	}
}
