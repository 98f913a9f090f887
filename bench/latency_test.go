package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
)

// latencyIntervals are the TaskCheckInterval values BenchmarkLatency compares; the
// first is cmd/notifyd's workerConfig (20 ms, with DelayedTaskCheckInterval 1 s).
var latencyIntervals = []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 50 * time.Millisecond, 10 * time.Millisecond}

// BenchmarkLatency: a producer enqueues order.backordered events of distinct orders
// at a steady rate (a 1 ms ticker, each event stamped just before its enqueue); the
// capture sender stamps each message on arrival. Latency is enqueue → sent per
// message (two per event), over the steady period after a one-second warm-up; target
// p99 ≤ 100 ms at 1,000 events/s.
//
// Sub-benchmarks per store: rate=1000 (-rate) with cmd/notifyd's TaskCheckInterval
// and with 10 ms — the target — and, at a rate the worker sustains on this machine
// (-sweep-rate, 100/s), every TaskCheckInterval of latencyIntervals, so the polling
// cost shows apart from saturation. DelayedTaskCheckInterval is 1 s throughout (as
// cmd/notifyd): these kinds schedule nothing.
func BenchmarkLatency(b *testing.B) {
	needRealRedis(b)
	type variant struct {
		rate int
		tci  time.Duration
	}
	variants := []variant{{*flagRate, latencyIntervals[0]}, {*flagRate, latencyIntervals[len(latencyIntervals)-1]}}
	for _, tci := range latencyIntervals {
		variants = append(variants, variant{*flagSweep, tci})
	}
	for _, be := range backends() {
		for _, v := range variants {
			b.Run(fmt.Sprintf("%s/rate=%d/tci=%v", be.name, v.rate, v.tci), func(b *testing.B) {
				rg := newRig(b)
				st := be.open(b)
				var res latencyResult
				for i := range b.N {
					res = runLatency(b, rg, st, fmt.Sprint("l", i), v.rate, time.Second, *flagSteady, v.tci)
				}
				res.report(b)
			})
		}
	}
}

type latencyResult struct {
	rate          float64 // events/s the producer achieved over the steady period
	p50, p99, max time.Duration
	messages      int // measured (steady period)
}

func (r latencyResult) report(b *testing.B) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(r.p50), "p50_ms")
	b.ReportMetric(ms(r.p99), "p99_ms")
	b.ReportMetric(ms(r.max), "max_ms")
	b.ReportMetric(r.rate, "events/s")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d messages at %.0f events/s: p50 %v, p99 %v, max %v", r.messages, r.rate,
		r.p50.Round(100*time.Microsecond), r.p99.Round(100*time.Microsecond), r.max.Round(100*time.Microsecond))
}

// runLatency produces rate events/s for warmup+steady and waits until every message
// is sent; only events enqueued after warmup count.
func runLatency(tb testing.TB, rg *rig, st store.Store, run string, rate int, warmup, steady, tci time.Duration) latencyResult {
	tb.Helper()
	rg.flush()
	n := int(float64(rate) * (warmup + steady).Seconds())
	skip := int(float64(rate) * warmup.Seconds())
	events := make([]*event.Event, n)
	for i := range events {
		events[i] = backorderedEvent(tb, run, i)
	}
	enqueued := make([]atomic.Int64, n)                // unix ns, per event
	sentAt := make([]atomic.Int64, 2*n)                // unix ns, per event × channel
	prefix := strings.TrimSuffix(orderID(run, 0), "0") // "ord_<run>_"
	sink := &capture{onSend: func(m *channels.Message, at time.Time) {
		i, err := strconv.Atoi(strings.TrimPrefix(m.OrderID, prefix))
		if err != nil || i < 0 || i >= n {
			return
		}
		slot := 2 * i
		if m.Channel == channels.SMS {
			slot++
		}
		sentAt[slot].Store(at.UnixNano())
	}}
	mux := asynq.NewServeMux()
	rg.worker(st, sink).Register(mux)
	h := count(mux)
	_, stop := rg.start(serverConfig(rg.cfg, tci, time.Second), h)
	defer stop()
	time.Sleep(3 * tci) // let the server reach its idle polling before the first event

	// Open loop: event i is due at start + i/rate; each tick enqueues what is due,
	// so a slow enqueue delays the next ones but never thins the load.
	interval := time.Second / time.Duration(rate)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for i := 0; i < n; {
		due := int(time.Since(start)/interval) + 1
		for ; i < min(due, n); i++ {
			enqueued[i].Store(time.Now().UnixNano())
			if _, err := client.EnqueueEvent(context.Background(), rg.q, events[i]); err != nil {
				tb.Fatalf("enqueue: %v", err)
			}
		}
		<-tick.C
	}
	produced := time.Since(start)
	waitUntil(tb, 5*time.Minute, "latency run", func() bool { return sink.n.Load() == int64(2*n) },
		func() string { return fmt.Sprintf("%d of %d messages", sink.n.Load(), 2*n) })
	if f, first := h.failures(); f > 0 {
		tb.Logf("%d task runs failed (retried); first: %v", f, first)
	}

	lat := make([]time.Duration, 0, 2*(n-skip))
	for i := skip; i < n; i++ {
		for c := range 2 {
			lat = append(lat, time.Duration(sentAt[2*i+c].Load()-enqueued[i].Load()))
		}
	}
	slices.Sort(lat)
	res := latencyResult{messages: len(lat), p50: percentile(lat, 0.50), p99: percentile(lat, 0.99), max: lat[len(lat)-1]}
	res.rate = float64(n-skip) / (produced.Seconds() - warmup.Seconds())
	return res
}

// percentile returns the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}
