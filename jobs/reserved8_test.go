package jobs_test

// A restock's notice batch run again after its line lost the units it announced and
// a later restock reserved others.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/store"
)

// reReserved backorders l1 (2 kettles) of order o, restocks 2 (R, whose batch is
// taken from hb and run by run), backorders l1 anew and restocks 2 again (R2); it
// returns R's and R2's batches, R2's not run yet.
func reReserved(t *testing.T, h *harness, hb *holdBatches, o string, run func(*asynq.Task)) (r, r2 *asynq.Task) {
	t.Helper()
	h.step(backorderL1(o+"-1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	restockAt(t, h, o+"-r", "2026-11-05T10:00:00Z", 2)
	r = takeOne(t, hb)
	run(r)
	h.start1(backorderL1(o+"-2", "2026-11-06T10:00:00Z", o, `"2026-12-20"`))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineBackordered || l.AllocatedQty != 0 || l.ReservedTold {
		t.Fatalf("l1 backordered anew: %s, %d allocated, told %v; want backordered, 0, false", l.State, l.AllocatedQty, l.ReservedTold)
	}
	h.start1(ev(o+"-r2", "inventory.restocked", "2026-11-07T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":2}`))
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
	r, r2 := reReserved(t, h, hb, o, run)
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

// R's batch committed its notice and failed to queue its send, so asynq runs it
// again — after l1 lost those kettles and R2 reserved two more. The customer hears
// "reserved" once, whichever batch runs first:
//   - R's re-run first: its commit sends R's notice, still pending (true again now),
//     l1 is told, and R2's batch says nothing;
//   - R2's batch first: it tells of the kettles reserved now, and R's re-run, finding
//     l1 told, records its pending notice as the same news instead of sending it.
func TestOldBatchRerunWithPendingNoticeTellsOnce(t *testing.T) {
	for _, c := range []struct {
		name    string
		r2First bool
		want    []string // without the reasons (they name notification ids)
	}{
		{"R's re-run first", false, []string{
			"backorder_notice email sent", // l1 backordered
			"restock_notice email sent",   // R's, decided before l1 was backordered anew, sent after it
			"backorder_notice email sent", // l1 backordered anew
		}},
		{"R2's batch first", true, []string{
			"backorder_notice email sent",     // l1 backordered
			"restock_notice email suppressed", // R's: the same news as R2's, which went out
			"backorder_notice email sent",     // l1 backordered anew
			"restock_notice email sent",       // R2: l1's kettles reserved
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, rr := rerunHarness(t)
			o := "ord_rx_old_pending_" + fmt.Sprint(c.r2First)
			r, r2 := reReserved(t, h, rr.hb, o, func(b *asynq.Task) {
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
				log := emailLog(h.summary(o))
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
			if n := rr.flaky.passed.Load(); n != 1 {
				t.Errorf("restock_notice reached the provider %d times, want 1", n)
			}
			if l := lineOf(t, h, o, "l1"); !l.ReservedTold {
				t.Errorf("l1 not told of its reservation")
			}
		})
	}
}
