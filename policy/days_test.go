package policy_test

import (
	"testing"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/policy"
)

func TestAddDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		from    time.Time
		d       time.Duration
		loc     *time.Location
		want    time.Time
		elapsed time.Duration
	}{
		{"plain days in UTC", at(time.UTC, "2026-01-01 00:00"), 30 * day, time.UTC, at(time.UTC, "2026-01-31 00:00"), 30 * day},
		{"nil location is UTC", at(time.UTC, "2026-03-01 09:00"), 30 * day, nil, at(time.UTC, "2026-03-31 09:00"), 30 * day},
		{"New York spring forward keeps the wall clock", nyAt("2026-03-01 09:00"), 30 * day, ny, nyAt("2026-03-31 09:00"), 30*day - time.Hour},
		{"New York fall back keeps the wall clock", nyAt("2026-10-15 09:00"), 30 * day, ny, nyAt("2026-11-14 09:00"), 30*day + time.Hour},
		{"Berlin spring forward keeps the wall clock", at(berlin, "2026-03-25 10:00"), 7 * day, berlin, at(berlin, "2026-04-01 10:00"), 7*day - time.Hour},
		{"Berlin fall back keeps the wall clock", at(berlin, "2026-10-20 10:00"), 30 * day, berlin, at(berlin, "2026-11-19 10:00"), 30*day + time.Hour},
		{"negative days across a change", nyAt("2026-03-10 09:00"), -7 * day, ny, nyAt("2026-03-03 09:00"), -(7*day - time.Hour)},
		{"the remainder under a day is elapsed time", nyAt("2026-03-07 20:00"), day + 12*time.Hour, ny, nyAt("2026-03-09 08:00"), 36*time.Hour - time.Hour},
		{"the zone decides the day, not the input's zone", nyAt("2026-03-01 09:00").UTC(), 30 * day, ny, nyAt("2026-03-31 09:00"), 30*day - time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.AddDays(tt.from, tt.d, tt.loc)
			if !got.Equal(tt.want) {
				t.Errorf("AddDays(%v, %v) = %v, want %v", tt.from, tt.d, got, tt.want)
			}
			if e := got.Sub(tt.from); e != tt.elapsed {
				t.Errorf("elapsed %v, want %v", e, tt.elapsed)
			}
		})
	}
}

func TestPromise(t *testing.T) {
	t.Parallel()
	shipBy := nyAt("2026-11-09 23:59")
	tests := []struct {
		name     string
		placedAt time.Time
		shipBy   *time.Time
		p        config.Policy
		loc      *time.Location
		want     time.Time
	}{
		{"promised_ship_by wins", nyAt("2026-11-02 09:15"), &shipBy, defaults(), ny, shipBy},
		{"placed_at + window", nyAt("2026-11-02 09:15"), nil, defaults(), ny, nyAt("2026-12-02 09:15")},
		{"window across spring forward in New York", nyAt("2026-03-01 09:15"), nil, defaults(), ny, nyAt("2026-03-31 09:15")},
		{"window across fall back in Berlin", at(berlin, "2026-10-10 18:00"), nil, defaults(), berlin, at(berlin, "2026-11-09 18:00")},
		{"a brand's own window", nyAt("2026-11-02 09:15"), nil, with(func(p *config.Policy) { p.Window = 14 * day }), ny, nyAt("2026-11-16 09:15")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := policy.Promise(tt.placedAt, tt.shipBy, tt.p, tt.loc); !got.Equal(tt.want) {
				t.Errorf("Promise = %v, want %v", got, tt.want)
			}
		})
	}
}
