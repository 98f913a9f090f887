package ratelimit_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/notifyd/notifyd/ratelimit"
)

func TestWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		cancelBefore  bool          // cancel the context before Wait starts
		cancelDuring  bool          // cancel it once Wait has started
		timeout       time.Duration // give the context a deadline
		advanceDuring time.Duration // move the clock once Wait has started
		want          error
	}{
		{name: "cancelled before", cancelBefore: true, want: context.Canceled},
		{name: "cancelled while waiting", cancelDuring: true, want: context.Canceled},
		{name: "deadline while waiting", timeout: 20 * time.Millisecond, want: context.DeadlineExceeded},
		{name: "token once the clock moves", advanceDuring: 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			b := ratelimit.New(newClient(t), key, 10, 1, ratelimit.WithClock(clk.Now))
			if err := b.Wait(context.Background()); err != nil { // the only token
				t.Fatalf("first Wait: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			if tt.cancelBefore {
				cancel()
			}
			done := make(chan error, 1)
			go func() { done <- b.Wait(ctx) }()
			clk.Advance(tt.advanceDuring)
			if tt.cancelDuring {
				cancel()
			}
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("Wait = %v, want %v", err, tt.want)
				}
			case <-time.After(30 * time.Second): // a hang, not a timing assertion
				t.Fatal("Wait did not return")
			}
		})
	}
}

// TestRedisTime uses the server's clock, the default.
func TestRedisTime(t *testing.T) {
	t.Parallel()
	b := ratelimit.New(newClient(t), key, 1, 2)
	for i := range 2 {
		if ok, _, err := b.Take(context.Background()); err != nil || !ok {
			t.Fatalf("take %d: ok %v, err %v", i, ok, err)
		}
	}
	ok, retry, err := b.Take(context.Background())
	if err != nil || ok {
		t.Fatalf("third take: ok %v, err %v; want a refusal", ok, err)
	}
	if retry <= 0 || retry > time.Second {
		t.Fatalf("retryAfter = %v, want in (0, 1s]", retry)
	}
}

func TestKeyExpires(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	b := ratelimit.New(rdb, key, 0.5, 3, ratelimit.WithClock(newClock().Now))
	if _, _, err := b.Take(context.Background()); err != nil {
		t.Fatal(err)
	}
	ttl, err := rdb.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	// refilling 3 tokens at 0.5/s takes 6 s; the key lives a minute longer
	if ttl <= 6*time.Second || ttl > 6*time.Second+time.Minute+time.Millisecond {
		t.Fatalf("PTTL = %v, want just over 1m6s", ttl)
	}
}

func TestNewPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		rate float64
	}{
		{"zero rate", key, 0},
		{"negative rate", key, -1},
		{"NaN rate", key, math.NaN()},
		{"infinite rate", key, math.Inf(1)},
		{"empty key", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Fatal("New did not panic")
				}
			}()
			ratelimit.New(nil, tt.key, tt.rate, 1)
		})
	}
}

// BenchmarkTake measures round trips to the test Redis; the bucket never runs dry.
func BenchmarkTake(b *testing.B) {
	for _, bc := range []struct {
		name  string
		clock bool
	}{{"redis-time", false}, {"injected-clock", true}} {
		b.Run(bc.name, func(b *testing.B) {
			var opts []ratelimit.Option
			if bc.clock {
				opts = append(opts, ratelimit.WithClock(time.Now))
			}
			bk := ratelimit.New(newClient(b), key, 1e9, 1e9, opts...)
			ctx := context.Background()
			for b.Loop() {
				if _, _, err := bk.Take(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "takes/s")
		})
	}
}
