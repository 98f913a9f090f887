package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
)

// throughputCheck and throughputDelayed are the polling intervals of the throughput
// and restock runs. Queues are never idle while they are measured, so these matter
// only at the start and the end of a run.
const (
	throughputCheck   = 20 * time.Millisecond
	throughputDelayed = 100 * time.Millisecond
)

// BenchmarkThroughput: n order.backordered events of distinct orders (2 messages
// each: email and SMS) from asynq to the capture sender, against a bare no-op
// handler draining 3n tasks on the same Redis with the same asynq.Config, measured
// before and after the end-to-end run. ratio = events/s ÷ mean no-op tasks/s, the
// brief's figure (target ≥ 0.45 on Postgres). An event is one asynq task: its two
// messages are sent from the event's task (jobs.sendInline).
func BenchmarkThroughput(b *testing.B) {
	needRealRedis(b)
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			rg := newRig(b)
			st := be.open(b)
			var res throughputResult
			for i := range b.N {
				res = runThroughput(b, rg, st, fmt.Sprint("t", i), *flagEvents)
			}
			res.report(b)
		})
	}
}

type throughputResult struct {
	events                 int
	e2e                    time.Duration // from starting the worker to the last message captured
	bareBefore, bareAfter  time.Duration // draining 3·events no-op tasks
	e2eFailures, bareTasks int
}

func (r throughputResult) eventsPerSec() float64 { return float64(r.events) / r.e2e.Seconds() }

// bareTasksPerSec is the mean of the two no-op runs' rates.
func (r throughputResult) bareTasksPerSec() float64 {
	return (float64(r.bareTasks)/r.bareBefore.Seconds() + float64(r.bareTasks)/r.bareAfter.Seconds()) / 2
}

func (r throughputResult) report(b *testing.B) {
	b.ReportMetric(r.eventsPerSec(), "events/s")
	b.ReportMetric(r.bareTasksPerSec(), "noop_tasks/s")
	b.ReportMetric(r.eventsPerSec()/r.bareTasksPerSec(), "ratio")
	b.ReportMetric(0, "ns/op") // each op is a whole scenario; its ns mean nothing
	b.Logf("%d events in %v (%.0f events/s); no-op %d tasks in %v then %v; failures %d",
		r.events, r.e2e.Round(time.Millisecond), r.eventsPerSec(), r.bareTasks,
		r.bareBefore.Round(time.Millisecond), r.bareAfter.Round(time.Millisecond), r.e2eFailures)
}

// runThroughput runs bare, end to end, bare again, on a flushed Redis each time.
func runThroughput(tb testing.TB, rg *rig, st store.Store, run string, n int) throughputResult {
	tb.Helper()
	sample := backorderedEvent(tb, run, 0).Raw // the no-op tasks carry an event-sized payload
	res := throughputResult{events: n, bareTasks: 3 * n}
	res.bareBefore = runBare(tb, rg, run+"a", res.bareTasks, sample)
	res.e2e, res.e2eFailures = runEndToEnd(tb, rg, st, run, n)
	res.bareAfter = runBare(tb, rg, run+"b", res.bareTasks, sample)
	return res
}

// runBare enqueues n no-op tasks with TaskIDs, then times a server with the
// worker's asynq.Config draining them.
func runBare(tb testing.TB, rg *rig, run string, n int, payload []byte) time.Duration {
	tb.Helper()
	rg.flush()
	parallel(tb, n, func(i int) error {
		_, err := rg.q.EnqueueContext(context.Background(), asynq.NewTask("bench.noop", payload),
			asynq.TaskID(fmt.Sprint("noop ", run, " ", i)), asynq.Queue(jobs.QueueDefault))
		return err
	})
	var done atomic.Int64
	noop := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { done.Add(1); return nil })
	started, stop := rg.start(serverConfig(rg.cfg, throughputCheck, throughputDelayed), noop)
	end := waitUntil(tb, time.Minute, "no-op tasks", func() bool { return done.Load() == int64(n) },
		func() string { return fmt.Sprintf("%d of %d done", done.Load(), n) })
	stop()
	return end.Sub(started)
}

// runEndToEnd enqueues n events as a Go producer does (client.EnqueueEvent), then
// times the worker until every event is handled and every message captured.
func runEndToEnd(tb testing.TB, rg *rig, st store.Store, run string, n int) (time.Duration, int) {
	tb.Helper()
	rg.flush()
	events := make([]*event.Event, n)
	for i := range events {
		events[i] = backorderedEvent(tb, run, i)
	}
	parallel(tb, n, func(i int) error {
		_, err := client.EnqueueEvent(context.Background(), rg.q, events[i])
		return err
	})
	sink := &capture{}
	var ws jobs.Store = st
	timed := newTimedStore(st)
	if *flagTimes {
		ws = timed
	}
	mux := asynq.NewServeMux()
	rg.worker(ws, sink).Register(mux)
	h := count(mux)
	started, stop := rg.start(serverConfig(rg.cfg, throughputCheck, throughputDelayed), h)
	end := waitUntil(tb, 10*time.Minute, "end to end",
		func() bool { return sink.n.Load() == int64(2*n) && h.succeeded("order.backordered") == n },
		func() string {
			return fmt.Sprintf("%d of %d events handled, %d of %d messages", h.succeeded("order.backordered"), n, sink.n.Load(), 2*n)
		})
	stop()
	if *flagTimes {
		tb.Log(timed.table(n, "event"))
	}
	failures, first := h.failures()
	if first != nil {
		tb.Logf("end to end: %d task runs failed (retried); first: %v", failures, first)
	}
	return end.Sub(started), failures
}

// parallel runs do(0…n-1) from 8 goroutines, failing tb on the first error.
func parallel(tb testing.TB, n int, do func(i int) error) {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := do(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatalf("enqueue: %v", err)
	}
}
