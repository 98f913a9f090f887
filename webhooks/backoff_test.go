package webhooks

import (
	"testing"
	"time"
)

func TestNextAttemptFirstIsImmediate(t *testing.T) {
	created := testNow
	at, giveUp := NextAttempt(created, 0, created)
	if giveUp || !at.Equal(created) {
		t.Fatalf("NextAttempt = %v, %v", at, giveUp)
	}
}

func TestNextAttemptDelaysAndJitter(t *testing.T) {
	created := testNow
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 14 * time.Hour}
	for i, d := range want {
		seen := map[time.Duration]bool{}
		for range 200 {
			at, giveUp := NextAttempt(created, i+1, created)
			got := at.Sub(created)
			if giveUp || got < d-d/10 || got > d+d/10 {
				t.Fatalf("attempt %d: delay %v (give up %v), want %v ±10%%", i+1, got, giveUp, d)
			}
			seen[got] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: no jitter (%d distinct delays)", i+1, len(seen))
		}
	}
}

// Failing every time, the schedule makes about ten attempts, never one after
// created + 3 days, makes the last one when the three days run out, and then gives up.
func TestNextAttemptGivesUpAfterThreeDays(t *testing.T) {
	for range 500 {
		created := testNow
		deadline := created.Add(72 * time.Hour)
		now, attempts := created, 0
		var times []time.Time
		for {
			at, giveUp := NextAttempt(created, attempts, now)
			if giveUp {
				break
			}
			if at.After(deadline) {
				t.Fatalf("attempt %d scheduled at +%v, past the deadline", attempts+1, at.Sub(created))
			}
			if at.Before(now) {
				t.Fatalf("attempt %d scheduled in the past", attempts+1)
			}
			times = append(times, at)
			now, attempts = at, attempts+1 // the attempt runs on time and fails
			if attempts > 50 {
				t.Fatal("never gives up")
			}
		}
		if attempts < 9 || attempts > 11 {
			t.Fatalf("%d attempts: %v", attempts, times)
		}
		if last := times[len(times)-1]; !last.Equal(deadline) {
			t.Fatalf("last attempt at +%v, want the deadline", last.Sub(created))
		}
	}
}

func TestNextAttemptLateOrBackwards(t *testing.T) {
	created := testNow
	for _, c := range []struct {
		now      time.Duration
		attempts int
		giveUp   bool
	}{
		{72 * time.Hour, 0, true},  // never attempted, the window is over
		{72 * time.Hour, 3, true},  // exactly at the deadline
		{100 * time.Hour, 9, true}, // a worker came back long after
		{71*time.Hour + 59*time.Minute, 8, false},
		{-time.Hour, 1, false}, // a clock behind creation still schedules
	} {
		now := created.Add(c.now)
		at, giveUp := NextAttempt(created, c.attempts, now)
		if giveUp != c.giveUp {
			t.Errorf("now +%v, %d attempts: giveUp = %v", c.now, c.attempts, giveUp)
		}
		if !giveUp && (at.After(created.Add(MaxAge)) || at.Before(now)) {
			t.Errorf("now +%v: at +%v", c.now, at.Sub(created))
		}
	}
	// Beyond the schedule's end the last delay repeats.
	at, _ := NextAttempt(created, 40, created)
	if d := at.Sub(created); d < 21*time.Hour || d > 27*time.Hour {
		t.Errorf("attempt 40: delay %v", d)
	}
}
