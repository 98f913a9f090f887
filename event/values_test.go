package event

import (
	"testing"
	"time"
)

func TestWhenResolve(t *testing.T) {
	t.Parallel()
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		when When
		loc  *time.Location
		want time.Time
	}{
		{"date is the end of that day in New York", "2026-11-20", newYork,
			time.Date(2026, 11, 20, 23, 59, 59, 999999999, newYork)},
		{"date is the end of that day in Berlin", "2026-11-20", berlin,
			time.Date(2026, 11, 20, 22, 59, 59, 999999999, time.UTC)},
		{"date on which daylight saving time starts", "2026-03-08", newYork,
			time.Date(2026, 3, 9, 3, 59, 59, 999999999, time.UTC)},
		{"an RFC 3339 time ignores the zone", "2026-11-20T12:00:00+01:00", newYork,
			time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.when.Resolve(tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("Resolve = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWhenValid(t *testing.T) {
	t.Parallel()
	for w, want := range map[When]bool{
		"2026-11-20": true, "2026-11-20T17:00:00Z": true, "2026-11-20T17:00:00.5-05:00": true,
		"": false, "2026-11-31": false, "20.11.2026": false, "2026-11-20 17:00": false,
	} {
		if got := w.Valid(); got != want {
			t.Errorf("When(%q).Valid() = %v, want %v", w, got, want)
		}
	}
}
