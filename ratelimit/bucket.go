package ratelimit

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxSleep caps one sleep of Wait, so that a waiter looks again at least once a second
// (a bucket whose key was deleted, or a changed rate, is noticed promptly).
const maxSleep = time.Second

// Bucket is a token bucket in Redis shared by every worker process.
//
// It holds at most burst tokens and gains rate tokens per second. A Bucket is safe for
// concurrent use, and any number of Buckets, in any number of processes, that use the
// same key and Redis share one budget; they should agree on rate and burst.
type Bucket struct {
	rdb   redis.UniversalClient
	key   string
	now   func() time.Time // nil: the script reads Redis TIME
	rate  float64
	burst int

	// script arguments, formatted once; numbers without exponents, which the Lua of
	// miniredis cannot parse
	rateArg, burstArg, ttlArg string
}

// Option configures a Bucket.
type Option func(*Bucket)

// WithClock makes the bucket measure time with now instead of the Redis server's clock.
// Tests use it to move time instead of sleeping; see the package comment for the
// trade-off. All Buckets sharing a key should use the same kind of clock.
func WithClock(now func() time.Time) Option {
	return func(b *Bucket) { b.now = now }
}

// New returns a bucket stored at key (e.g. "notifyd:rate:sms") that refills at rate
// tokens per second, which may be fractional (0.5 is one send every two seconds), and
// holds at most burst tokens. A burst below 1 means the default, max(1, ceil(rate)):
// one second's worth of sends.
//
// New panics if rate is not a finite number above zero or key is empty; configuration
// validation is expected to have caught both.
func New(rdb redis.UniversalClient, key string, rate float64, burst int, opts ...Option) *Bucket {
	if !(rate > 0) || math.IsInf(rate, 0) {
		panic(fmt.Sprintf("ratelimit: rate must be a finite number above 0, got %v", rate))
	}
	if key == "" {
		panic("ratelimit: empty key")
	}
	if burst < 1 {
		burst = int(max(1, math.Ceil(rate)))
	}
	b := &Bucket{rdb: rdb, key: key, rate: rate, burst: burst}
	for _, o := range opts {
		o(b)
	}
	// An idle bucket's key may expire once it would have refilled completely; the
	// extra minute keeps it alive across small differences between clocks.
	fill := time.Duration(math.Ceil(float64(burst) / rate * float64(time.Second)))
	ttl := fill.Milliseconds() + time.Minute.Milliseconds() + 1
	b.rateArg = strconv.FormatFloat(rate, 'f', -1, 64)
	b.burstArg = strconv.Itoa(burst)
	b.ttlArg = strconv.FormatInt(ttl, 10)
	return b
}

// Take tries once to take a token. It reports ok, or else how long until a token will
// be available (if nobody else takes it first).
func (b *Bucket) Take(ctx context.Context) (ok bool, retryAfter time.Duration, err error) {
	now := "" // the script reads Redis TIME
	if b.now != nil {
		now = strconv.FormatInt(b.now().UnixMicro(), 10)
	}
	res, err := takeScript.Run(ctx, b.rdb, []string{b.key}, b.rateArg, b.burstArg, now, b.ttlArg).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit %s: %w", b.key, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("ratelimit %s: unexpected script reply %v", b.key, res)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Microsecond, nil
}

// Wait blocks until it has taken a token or ctx ends, in which case it returns
// ctx.Err(). It sleeps between attempts rather than polling. A Redis error is returned
// as is: Wait does not fail open.
func (b *Bucket) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, retryAfter, err := b.Take(ctx)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return err
		}
		if ok {
			return nil
		}
		t := time.NewTimer(sleepFor(retryAfter))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// sleepFor is how long Wait sleeps when a token is retryAfter away: at most maxSleep,
// plus up to a sixteenth (and a millisecond) more so that waiters spread out. It never
// wakes before retryAfter.
func sleepFor(retryAfter time.Duration) time.Duration {
	d := min(max(retryAfter, 0), maxSleep)
	return d + rand.N(d/16+time.Millisecond)
}
