package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/ratelimit"
)

const key = "notifyd:rate:test"

// newClient returns a client of a fresh Redis database: miniredis, or the real
// server named by NOTIFYD_TEST_REDIS_URL.
func newClient(tb testing.TB) *redis.Client {
	tb.Helper()
	o := testredis.New(tb)
	c := redis.NewClient(&redis.Options{Addr: o.Addr, DB: o.DB, Password: o.Password, Username: o.Username})
	tb.Cleanup(func() { c.Close() })
	return c
}

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step advances the clock, then takes once and checks the answer.
type step struct {
	advance   time.Duration
	ok        bool
	retryWant time.Duration // when !ok
}

func takes(n int) []step {
	s := make([]step, n)
	for i := range s {
		s[i].ok = true
	}
	return s
}

func refused(after time.Duration) step { return step{retryWant: after} }

func concat(parts ...[]step) []step {
	var all []step
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func TestTake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{
		{"burst then refusal", 10, 3, concat(takes(3), []step{refused(100 * time.Millisecond)})},
		{"refill after advancing the clock", 10, 3, concat(
			takes(3),
			[]step{
				refused(100 * time.Millisecond),
				{advance: 50 * time.Millisecond, retryWant: 50 * time.Millisecond},
				{advance: 50 * time.Millisecond, ok: true},
				refused(100 * time.Millisecond),
				{advance: time.Hour, ok: true}, // refills only up to burst
			},
			takes(2),
			[]step{refused(100 * time.Millisecond)},
		)},
		{"fractional rate, default burst 1", 0.5, 0, []step{
			{ok: true},
			refused(2 * time.Second),
			{advance: 1500 * time.Millisecond, retryWant: 500 * time.Millisecond},
			{advance: 500 * time.Millisecond, ok: true},
			refused(2 * time.Second),
		}},
		{"fractional rate accumulates", 2.5, 1, []step{
			{ok: true},
			refused(400 * time.Millisecond),
			{advance: 200 * time.Millisecond, retryWant: 200 * time.Millisecond},
			{advance: 200 * time.Millisecond, ok: true},
		}},
		{"very slow rate", 0.001, 1, []step{{ok: true}, refused(1000 * time.Second)}},
		{"very fast rate", 1e9, 0, concat(takes(3), []step{{advance: time.Hour, ok: true}})},
		{"default burst is ceil(rate)", 2.5, 0, concat(takes(3), []step{refused(400 * time.Millisecond)})},
		{"clock stepping back refills nothing", 10, 1, []step{
			{ok: true},
			{advance: -5 * time.Second, retryWant: 5*time.Second + 100*time.Millisecond},
			{advance: 5 * time.Second, retryWant: 100 * time.Millisecond},
			{advance: 100 * time.Millisecond, ok: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			b := ratelimit.New(newClient(t), key, tt.rate, tt.burst, ratelimit.WithClock(clk.Now))
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				ok, retry, err := b.Take(context.Background())
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if ok != s.ok {
					t.Fatalf("step %d: ok = %v, want %v (retryAfter %v)", i, ok, s.ok, retry)
				}
				if !ok && !near(retry, s.retryWant) {
					t.Fatalf("step %d: retryAfter = %v, want %v", i, retry, s.retryWant)
				}
				if ok && retry != 0 {
					t.Fatalf("step %d: retryAfter = %v with a token", i, retry)
				}
			}
		})
	}
}

// near allows the microsecond that the script rounds up to.
func near(got, want time.Duration) bool {
	return got >= want && got <= want+time.Microsecond
}

// TestSharedKey runs two Buckets ("workers") on one key, each draining as fast as it
// can through a simulated window, with and without skew between their clocks.
func TestSharedKey(t *testing.T) {
	t.Parallel()
	const (
		rate   = 10.0
		burst  = 5
		window = 10 * time.Second
		tick   = 37 * time.Millisecond
	)
	tests := []struct {
		name string
		skew time.Duration // of worker B's clock against A's
	}{
		{"same clock", 0},
		{"B lags 2s", -2 * time.Second},
		{"B leads 2s", 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rdb := newClient(t)
			clk := newClock()
			a := ratelimit.New(rdb, key, rate, burst, ratelimit.WithClock(clk.Now))
			b := ratelimit.New(rdb, key, rate, burst, ratelimit.WithClock(func() time.Time { return clk.Now().Add(tt.skew) }))
			taken := 0
			for elapsed := time.Duration(0); elapsed <= window; elapsed += tick {
				for _, w := range []*ratelimit.Bucket{a, b, b, a} {
					ok, _, err := w.Take(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						taken++
					}
				}
				clk.Advance(tick)
			}
			limit := int(rate*window.Seconds()) + burst
			if taken > limit {
				t.Errorf("took %d in %v, more than rate × window + burst = %d", taken, window, limit)
			}
			if tt.skew == 0 && taken < limit-1 {
				t.Errorf("took %d in %v, want about %d: the budget went unused", taken, window, limit)
			}
		})
	}
}

func TestConcurrentTake(t *testing.T) {
	t.Parallel()
	const goroutines, attempts = 8, 20
	for _, burst := range []int{1, 5, 50} {
		t.Run(fmt.Sprintf("burst %d", burst), func(t *testing.T) {
			t.Parallel()
			clk := newClock() // never advances
			rdb := newClient(t)
			var ok atomic.Int64
			var wg sync.WaitGroup
			for range goroutines {
				b := ratelimit.New(rdb, key, 1, burst, ratelimit.WithClock(clk.Now))
				wg.Go(func() {
					for range attempts {
						got, _, err := b.Take(context.Background())
						if err != nil {
							t.Error(err)
							return
						}
						if got {
							ok.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if got := ok.Load(); got != int64(burst) {
				t.Errorf("%d successful takes, want exactly burst = %d", got, burst)
			}
		})
	}
}
