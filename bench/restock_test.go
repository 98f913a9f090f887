package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// BenchmarkRestock: one inventory.restocked of 100,000 units of a SKU that 100,000
// open orders wait for (one unit each), from the enqueue of the event until every
// restock.batch task is done — every restock_notice decided, recorded and its two
// sends (email, SMS) enqueued; target ≤ 20 s. The worker runs as in production, so
// the sends the first batches enqueue compete with the later batches. Seeding the
// orders (bulk CommitEvent) is timed apart, as seed_s. With -args -restock-sends it
// also waits until every notice is sent (sent_s).
func BenchmarkRestock(b *testing.B) {
	needRealRedis(b)
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			rg := newRig(b)
			var res restockResult
			for i := range b.N {
				b.StopTimer()
				st := be.open(b) // a fresh database each time: the same 100,000 orders
				rg.flush()
				b.StartTimer()
				res = runRestock(b, rg, st, fmt.Sprint("r", i), *flagOrders, *flagRestock)
			}
			res.report(b)
		})
	}
}

type restockResult struct {
	orders    int
	seed      time.Duration // storing the orders, before the event
	allocated time.Duration // enqueue → the restock event task done (allocation committed, batches queued)
	decided   time.Duration // enqueue → the last restock.batch done
	sent      time.Duration // enqueue → the last notice sent, when waited for
	sendsDone int           // messages sent by the time the last batch finished
	failures  int
}

func (r restockResult) report(b *testing.B) {
	b.ReportMetric(r.decided.Seconds(), "s")
	b.ReportMetric(r.allocated.Seconds(), "alloc_s")
	b.ReportMetric(r.seed.Seconds(), "seed_s")
	b.ReportMetric(float64(r.orders)/r.decided.Seconds(), "orders/s")
	b.ReportMetric(float64(r.sendsDone), "sent_meanwhile")
	if r.sent > 0 {
		b.ReportMetric(r.sent.Seconds(), "sent_s")
	}
	b.ReportMetric(0, "ns/op")
	b.Logf("%d orders seeded in %v; restock allocated in %v, every notice decided in %v (%d of %d messages sent by then); failures %d",
		r.orders, r.seed.Round(time.Millisecond), r.allocated.Round(time.Millisecond), r.decided.Round(time.Millisecond),
		r.sendsDone, 2*r.orders, r.failures)
	if r.sent > 0 {
		b.Logf("every message sent %v after the restock was enqueued", r.sent.Round(time.Millisecond))
	}
}

// runRestock seeds n backorders on st, starts the worker and enqueues the restock.
func runRestock(tb testing.TB, rg *rig, st store.Store, run string, n int, waitSent bool) restockResult {
	tb.Helper()
	res := restockResult{orders: n}
	sku := restockSKU + "-" + run
	seedStart := time.Now()
	seedBackorders(tb, st, n, sku)
	res.seed = time.Since(seedStart)

	cs := newCountingStore(st)
	sink := &capture{}
	mux := asynq.NewServeMux()
	var ws jobs.Store = cs
	timed := newTimedStore(cs)
	if *flagTimes {
		ws = timed
	}
	rg.worker(ws, sink).Register(mux)
	h := count(mux)
	_, stop := rg.start(serverConfig(rg.cfg, throughputCheck, throughputDelayed), h)
	defer stop()

	e := restockedEvent(tb, "restock_"+run, sku, n, t0.Add(1000*time.Hour))
	start := time.Now()
	if _, err := client.EnqueueEvent(tb.Context(), rg.q, e); err != nil {
		tb.Fatalf("enqueue restock: %v", err)
	}
	batches := (n + jobs.RestockBatchSize - 1) / jobs.RestockBatchSize
	progress := func() string {
		return fmt.Sprintf("restock handled %d, %d of %d batches, %d of %d notices decided, %d sent",
			h.succeeded("inventory.restocked"), h.succeeded(jobs.TypeRestockBatch), batches,
			cs.decided(templates.KindRestockNotice), 2*n, sink.n.Load())
	}
	allocated := waitUntil(tb, 10*time.Minute, "restock allocation",
		func() bool { return h.succeeded("inventory.restocked") == 1 }, progress)
	res.allocated = allocated.Sub(start)
	decided := waitUntil(tb, 20*time.Minute, "restock notices",
		func() bool { return h.succeeded(jobs.TypeRestockBatch) == batches }, progress)
	res.decided = decided.Sub(start)
	res.sendsDone = int(sink.n.Load())
	if got := cs.decided(templates.KindRestockNotice); got != 2*n {
		tb.Fatalf("%d restock_notice notifications decided, want %d (email and SMS for each of %d orders)", got, 2*n, n)
	}
	if waitSent {
		sent := waitUntil(tb, 30*time.Minute, "restock sends",
			func() bool { return sink.n.Load() == int64(2*n) }, progress)
		res.sent = sent.Sub(start)
	}
	res.failures, _ = h.failures()
	if *flagTimes {
		tb.Log(timed.table(n, "order"))
	}
	return res
}
