package jobs_test

import (
	"slices"
	"testing"

	"github.com/notifyd/notifyd/store"
)

// Restock R reserves l1's two kettles; its notice batch commits the restock_notice
// and fails to queue its send, so asynq will run it again. Before it does, l1 is
// backordered anew (the shop lost the kettles) and restock R2 reserves two kettles
// for it. R's batch then runs again, before R2's: the kettles reserved now are R2's
// to announce. R's re-run must not take the line for told because its own old notice
// sits under its DedupKey, or R2's batch finds l1 told and the customer never hears
// that the kettles are reserved again.
func TestOldBatchRerunLeavesNewReservationUntold(t *testing.T) {
	h, rr := rerunHarness(t)
	const o = "ord_rx_old_rerun"
	h.step(backorderL1("rxo1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	restockAt(t, h, "rxo-r", "2026-11-05T10:00:00Z", 2)
	first := rr.take(t)
	rr.failRun(t, h, first, "the batch's first run could not queue its send and still reported success")
	rr.down.down.Store(false)
	h.start1(backorderL1("rxo2", "2026-11-06T10:00:00Z", o, `"2026-12-20"`))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineBackordered || l.AllocatedQty != 0 || l.ReservedTold {
		t.Fatalf("l1 backordered anew: %s, %d allocated, told %v; want backordered, 0, false", l.State, l.AllocatedQty, l.ReservedTold)
	}
	h.start1(ev("rxo-r2", "inventory.restocked", "2026-11-07T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":2}`))
	second := rr.take(t)
	if err := h.worker.HandleRestockBatch(t.Context(), first); err != nil {
		t.Fatalf("R's batch again: %v", err)
	}
	if l := lineOf(t, h, o, "l1"); l.ReservedTold {
		t.Errorf("after R's batch ran again l1 is told of R2's kettles, but only R's notice went out:\n%q", h.summary(o))
	}
	if err := h.worker.HandleRestockBatch(t.Context(), second); err != nil {
		t.Fatalf("R2's batch: %v", err)
	}
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
