package jobs_test

// A restock's notice batch run again after its line lost the units it announced and
// a later restock reserved others.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/store"
)

// reReserved backorders l1 (2 kettles) of order o for customer cust, restocks 2 (R,
// whose batch is taken from hb and run by run), backorders l1 anew for qty2 kettles
// and restocks as many (R2); it returns R's and R2's batches, R2's not run yet.
func reReserved(t *testing.T, h *harness, hb *holdBatches, o, cust string, qty2 int, run func(*asynq.Task)) (r, r2 *asynq.Task) {
	t.Helper()
	h.start1(backorderL1As(o+"-1", "2026-11-02T10:00:00Z", o, cust, 2))
	restockAt(t, h, o+"-r", "2026-11-05T10:00:00Z", 2)
	r = takeOne(t, hb)
	run(r)
	h.start1(backorderL1As(o+"-2", "2026-11-06T10:00:00Z", o, cust, qty2))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineBackordered || l.AllocatedQty != 0 || l.ReservedTold {
		t.Fatalf("l1 backordered anew: %s, %d allocated, told %v; want backordered, 0, false", l.State, l.AllocatedQty, l.ReservedTold)
	}
	h.start1(ev(o+"-r2", "inventory.restocked", "2026-11-07T10:00:00Z", "", fmt.Sprintf(`{"brand":"acme","sku":"KET","quantity":%d}`, qty2)))
	return r, takeOne(t, hb)
}

// takeOne returns the one restock batch hb holds.
func takeOne(t *testing.T, hb *holdBatches) *asynq.Task {
	t.Helper()
	hb.mu.Lock()
	defer hb.mu.Unlock()
	if len(hb.held) != 1 {
		t.Fatalf("%d restock batches held, want 1", len(hb.held))
	}
	b := hb.held[0]
	hb.held = nil
	return b
}

// R's batch sent its notice; the worker died before asynq heard the task was done, so
// asynq runs it again — after l1 lost those kettles and R2 reserved two more, before
// R2's batch. The kettles reserved now are R2's to announce: R's re-run finds its own
// sent notice under its DedupKey and must not take l1 for told by it, or R2's batch
// names nothing and the customer never hears that kettles are reserved again.
func TestOldBatchRerunAfterSentLeavesNewReservationToNext(t *testing.T) {
	h := newHarness(t)
	hb := h.holdingBatches()
	h.start()
	const o = "ord_rx_old_sent"
	run := func(b *asynq.Task) {
		if err := h.worker.HandleRestockBatch(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	r, r2 := reReserved(t, h, hb, o, custNoConsent, 2, run)
	run(r) // again
	if l := lineOf(t, h, o, "l1"); l.ReservedTold {
		t.Errorf("after R's batch ran again l1 is told of R2's kettles, but no notice went out:\n%q", h.summary(o))
	}
	run(r2)
	want := []string{
		"backorder_notice email sent", // l1 backordered
		"restock_notice email sent",   // R: l1's kettles reserved
		"backorder_notice email sent", // l1 backordered anew
		"restock_notice email sent",   // R2: l1's kettles reserved again
	}
	if got := settleLog(h, o, want); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if l := lineOf(t, h, o, "l1"); !l.ReservedTold {
		t.Errorf("l1 not told of its reservation after R2's notice")
	}
}

// R's batch committed its notice and, its send refused, failed to queue the retry,
// so asynq runs it again. Before it does, the shop backorders l1 anew (for two
// kettles, or one) and R2 reserves as many. R's notice, still pending, is not true
// any more: backordering l1 again withdraws it, and R2's batch announces what is
// reserved now — whichever batch runs first, and with SMS too, whose notice alone
// was left pending while the email went out.
func TestOldBatchRerunWithPendingNoticeTellsOnce(t *testing.T) {
	for _, c := range []struct {
		name     string
		r2First  bool
		qty2     int
		cust     string
		refuse   string   // the channel whose first restock_notice times out
		want     []string // the order's log, without the reasons
		r2Told   string   // what R2's notice names
		provider int32    // restock_notices the provider accepted (on the refused channel)
	}{
		{"R's re-run first", false, 2, custNoConsent, "", []string{
			"backorder_notice email sent", "backorder_notice sms suppressed",
			"restock_notice email suppressed", "restock_notice sms suppressed", // R's: withdrawn
			"backorder_notice email sent", "backorder_notice sms suppressed", // anew
			"restock_notice email sent", "restock_notice sms suppressed", // R2's
		}, "Blue Kettle (Qty 2", 1},
		{"R2's batch first", true, 2, custNoConsent, "", nil, "Blue Kettle (Qty 2", 1},
		{"R's re-run first, fewer kettles anew", false, 1, custNoConsent, "", nil, "Blue Kettle (Qty 1", 1},
		{"R2's batch first, fewer kettles anew", true, 1, custNoConsent, "", nil, "Blue Kettle (Qty 1", 1},
		{"R's email sent, its SMS pending", false, 2, custBoth, "sms", []string{
			"backorder_notice email sent", "backorder_notice sms sent",
			"restock_notice email sent", "restock_notice sms suppressed", // R's SMS withdrawn
			"backorder_notice email sent", "backorder_notice sms sent",
			"restock_notice email sent", "restock_notice sms sent", // R2's
		}, "Blue Kettle (Qty 2", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.want == nil {
				c.want = []string{
					"backorder_notice email sent", "backorder_notice sms suppressed",
					"restock_notice email suppressed", "restock_notice sms suppressed",
					"backorder_notice email sent", "backorder_notice sms suppressed",
					"restock_notice email sent", "restock_notice sms suppressed",
				}
			}
			h, rr := rerunHarness(t)
			rr.flaky.channel = c.refuse
			o := strings.NewReplacer(" ", "_", ",", "", "'", "").Replace("ord_rx_" + c.name)
			r, r2 := reReserved(t, h, rr.hb, o, c.cust, c.qty2, func(b *asynq.Task) {
				rr.failRun(t, h, b, "the batch's first run could not queue its send and still reported success")
				rr.down.down.Store(false)
			})
			batches := []*asynq.Task{r, r2}
			if c.r2First {
				slices.Reverse(batches)
			}
			for _, b := range batches {
				if err := h.worker.HandleRestockBatch(t.Context(), b); err != nil {
					t.Fatal(err)
				}
			}
			statuses := func() []string {
				log := h.summary(o)
				for i, s := range log {
					log[i], _, _ = strings.Cut(s, " (")
				}
				return log
			}
			waitFor(t, "no notice pending", func() bool {
				return !slices.ContainsFunc(statuses(), func(s string) bool { return strings.HasSuffix(s, " pending") })
			})
			if got := statuses(); !slices.Equal(got, c.want) {
				t.Errorf("\n got %q\nwant %q\n%q", got, c.want, h.summary(o))
			}
			bodies := restockNoticeBodies(t, h, o)
			if len(bodies) == 0 || !strings.Contains(bodies[len(bodies)-1], c.r2Told) {
				t.Errorf("the last restock_notice must name %q:\n%q", c.r2Told, bodies)
			}
			if n := rr.flaky.passed.Load(); n != c.provider {
				t.Errorf("the provider accepted %d restock_notices, want %d", n, c.provider)
			}
			if l := lineOf(t, h, o, "l1"); !l.ReservedTold {
				t.Errorf("l1 not told of its reservation")
			}
		})
	}
}

// A restock's SMS is held for the customer's quiet hours (its email goes out); before
// they end the shop backorders the kettles again. The held "reserved" SMS is not true
// any more: it is withdrawn, and only the backorder's SMS goes out when quiet hours end.
func TestHeldRestockSMSWithdrawnWhenBackorderedAnew(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(`{coalesce_window: 100ms, quiet_hours: %q, max_updates_per_day: 10}`, quietNow(t)))
	h.start()
	const o = "ord_rx_quiet"
	h.ingest(backorderL1As("rxq1", "2026-11-02T10:00:00Z", o, custBoth, 2))
	waitFor(t, "the backorder's email", emailsSent(h, o, 1))
	h.ingest(ev("rxq-r", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":2}`))
	waitFor(t, "the restock's email", emailsSent(h, o, 2))
	h.ingest(backorderL1As("rxq2", "2026-11-06T10:00:00Z", o, custBoth, 2))
	waitFor(t, "the second backorder's email", emailsSent(h, o, 3))
	want := []string{
		"backorder_notice email sent",
		"backorder_notice sms pending (held for quiet hours)",
		"restock_notice email sent",
		"restock_notice sms suppressed (superseded: backordered again before it went out)",
		"backorder_notice email sent",
		"backorder_notice sms pending (held for quiet hours)",
	}
	got := h.summary(o)
	for i, s := range got { // the reasons' details (the end of quiet hours, the event) vary
		got[i] = regexp.MustCompile(` until [^)]*| \(event rxq2\)`).ReplaceAllString(s, "")
	}
	if !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// backorderL1As is order.backordered of l1 (qty kettles) for customer cust.
func backorderL1As(id, at, order, cust string, qty int) string {
	return orderEvent(id, "order.backordered", at, order, cust,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":%d,"eta":"2026-12-01"}]`, qty))
}

// quietNow is a quiet_hours value in force now in the customers' time zone
// (America/New_York): from an hour ago to two hours ahead.
func quietNow(t *testing.T) string {
	now := time.Now().In(mustLoc(t, "America/New_York"))
	return now.Add(-time.Hour).Format("15:04") + "-" + now.Add(2*time.Hour).Format("15:04")
}

// emailsSent is the condition that n of order o's emails went out.
func emailsSent(h *harness, o string, n int) func() bool {
	return func() bool {
		got := 0
		for _, s := range h.summary(o) {
			if strings.Contains(s, " email sent") {
				got++
			}
		}
		return got == n
	}
}
