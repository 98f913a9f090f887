package webhooks

import (
	"math/rand/v2"
	"time"
)

// MaxAge is how long a delivery is retried, counted from its creation (CONTRACT.md §7:
// "retried with backoff for 3 days").
const MaxAge = 72 * time.Hour

// Jitter is the largest fraction by which a retry delay is randomly shortened or
// lengthened, so that deliveries failing together do not retry together.
const Jitter = 0.10

// schedule is the Standard Webhooks example retry schedule: schedule[n] is the delay
// after the n-th failed attempt (the first attempt is immediate). Past its end the
// last delay repeats; in practice MaxAge ends the schedule first.
var schedule = [...]time.Duration{
	0,
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	14 * time.Hour,
	20 * time.Hour,
	24 * time.Hour,
}

// NextAttempt says when to make the next attempt of a delivery created at created,
// of which attempts attempts have been made (the last one failing at now).
//
//   - attempts == 0: now (the first attempt is immediate).
//   - otherwise: now + the schedule's delay for that attempt (5 s, 5 min, 30 min, 2 h,
//     5 h, 10 h, 14 h, 20 h, 24 h, …), each ±10 % jitter.
//   - a time past created + MaxAge is moved back to created + MaxAge, so that the last
//     attempt is made when the three days run out and none is ever scheduled later;
//   - giveUp is true once now has reached created + MaxAge: mark the delivery failed.
//
// With failures every time this yields about ten attempts: at 0 s, 5 s, 5 min, 35 min,
// 2.5 h, 7.5 h, 17.5 h, 31.5 h, 51.5 h and 72 h after creation (jitter aside).
func NextAttempt(created time.Time, attempts int, now time.Time) (at time.Time, giveUp bool) {
	deadline := created.Add(MaxAge)
	if !now.Before(deadline) {
		return time.Time{}, true
	}
	if attempts <= 0 {
		return now, false
	}
	at = now.Add(jitter(schedule[min(attempts, len(schedule)-1)]))
	if at.After(deadline) {
		at = deadline
	}
	return at, false
}

// jitter returns d shortened or lengthened by a uniformly random fraction up to Jitter.
func jitter(d time.Duration) time.Duration {
	span := int64(float64(d) * Jitter)
	if span <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(2*span+1)-span)
}
