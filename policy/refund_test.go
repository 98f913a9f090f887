package policy_test

import (
	"testing"
	"time"

	"github.com/notifyd/notifyd/policy"
)

func TestRefundDueBy(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time { return at(time.UTC, s) }
	tests := []struct {
		name       string
		canceledAt time.Time
		loc        *time.Location
		want       string
	}{
		{"Monday: Wednesday of the next week", nyAt("2026-11-02 10:00"), ny, "2026-11-11"},
		{"Friday: across one weekend, Tuesday after the next", nyAt("2026-11-06 10:00"), ny, "2026-11-17"},
		{"Saturday: the weekend counts for nothing", nyAt("2026-11-07 10:00"), ny, "2026-11-17"},
		{"Sunday: the weekend counts for nothing", nyAt("2026-11-08 23:59"), ny, "2026-11-17"},
		{"the brand's zone decides the day: Monday evening in New York", utc("2026-11-03 02:00"), ny, "2026-11-11"},
		{"the same instant in UTC is a Tuesday", utc("2026-11-03 02:00"), time.UTC, "2026-11-12"},
		{"across the year end", nyAt("2026-12-31 15:00"), ny, "2027-01-11"},
		{"across fall back in Berlin", at(berlin, "2026-10-23 09:00"), berlin, "2026-11-03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.RefundDueBy(tt.canceledAt, tt.loc)
			if d := got.Format(time.DateOnly); d != tt.want {
				t.Errorf("RefundDueBy(%v) = %s, want %s", tt.canceledAt, d, tt.want)
			}
			if h, m, _ := got.Clock(); h != 0 || m != 0 || got.Location() != tt.loc {
				t.Errorf("RefundDueBy = %v, want midnight in %v", got, tt.loc)
			}
		})
	}
}
