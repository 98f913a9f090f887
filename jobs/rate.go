package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxRateWait is how long a send waits for its provider's rate limit inside one task
// run; past it the task is retried when a token is due, freeing the worker slot.
const maxRateWait = 5 * time.Second

// RateLimited is returned when the provider's rate limit holds a send back; RetryDelay
// uses After, and it does not count as a failure.
type RateLimited struct{ After time.Duration }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("provider rate limit reached; retry in %s", e.After)
}

// waitRate waits up to maxWait for a token of the channel's shared rate limit; past
// that it returns *RateLimited.
func (w *Worker) waitRate(ctx context.Context, channel string, maxWait time.Duration) error {
	l := w.Limits[channel]
	if l == nil {
		return nil
	}
	deadline := time.Now().Add(maxWait)
	for {
		ok, after, err := l.Take(ctx)
		if err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
		if ok {
			return nil
		}
		if time.Now().Add(after).After(deadline) {
			return &RateLimited{After: after}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(after):
		}
	}
}

// Backoff reports whether err only says "not now" — the rate limit holds the send
// back, or another worker is sending the same message — and when to try again. Such
// errors are not failures.
func Backoff(err error) (time.Duration, bool) {
	var rl *RateLimited
	switch {
	case errors.As(err, &rl):
		return rl.After, true
	case errors.Is(err, errClaimHeld):
		return 5 * time.Second, true
	}
	return 0, false
}
