package jobs_test

// Cases a twelfth review of 04e8c65 (reserved_told from what the store keeps; the
// stricter backfill of migration 00009) found, each failing on 04e8c65.

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// l1 (2 kettles, date past the promise) is offered (O1); R1 reserves its kettles
// while O1 is open (held). Silence at O1's deadline is consent: l1 is allocated and
// the customer hears that its kettles are reserved (told). l1's date then slips past
// the consented date: a renewed offer O2, which keeps the reservation (l1
// awaiting_choice, told). Migration 00009 runs now. The stricter backfill finds a
// held record of the order — O1's, about the reservation told at O1's wait since —
// and sets l1 not told. The customer answers "wait" to O2, and at its deadline waitDecided
// names l1's kettles a second time. handling.md: "a line told before its offer is not
// named again, nor at a second offer". (Without the upgrade the flag stays true and
// O2's wait says nothing of them.)
func TestBackfillRenewedOfferOldHeldRecord(t *testing.T) {
	h, backfill := migratedHarness(t, hourToAnswer)
	h.start()
	const o = "ord_r12_renew"
	h.start1(promisedBy(backorderL1("r12a1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	o1 := offerOf(t, h, o)
	restockedAt(t, h, "r12a-r1", "2026-11-04T10:00:00Z", 2) // R1: held for O1
	consentToldOnce(t, h, o, o1)
	h.start1(promisedBy(etaChange("r12a2", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(20))), 3))
	o2 := newOfferOver(t, h, o, o1.ID, "l1")
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 || !l.ReservedTold {
		t.Fatalf("l1 in the renewed offer: %s, %d allocated, told %v; want awaiting_choice, 2, told", l.State, l.AllocatedQty, l.ReservedTold)
	}
	backfill() // notifyd upgraded while O2 is open
	if l := lineOf(t, h, o, "l1"); !l.ReservedTold {
		t.Errorf("the backfill set l1 not told, though its kettles were named at O1's wait")
	}
	if _, _, err := h.worker.Choose(t.Context(), o2.ID, "wait", "web"); err != nil {
		t.Fatal(err)
	}
	runDeadline(t, h, o2, 12*24*time.Hour) // the answer stands
	if got := offerOf(t, h, o); got.ID != o2.ID || got.Choice != "wait" {
		t.Fatalf("offer %s decided %q, want %s decided wait", got.ID, got.Choice, o2.ID)
	}
	time.Sleep(time.Second)
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("l1's kettles (told at O1's wait) named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}

// The capped twin of TestBackfillHeldLineOfOrderToldBefore. l1's kettles are reserved
// by R1 and the customer is told. The shop backorders l1 again (R1's kettles are
// gone; no promise, so no offer) and R2 reserves two kettles anew; R2's notice is
// capped (backorder_notice, restock_notice, backorder_notice fill
// max_updates_per_day 3): l1 is allocated, not told. Migration 00009 runs. Its
// backfill takes every allocated line of an order with a restock_notice out for told
// — R1's, about kettles l1 lost since — though the migration's own comment says a
// line whose notice was capped "is told by the next path that names lines not told".
// A parcel of one kettle a day later leaves the other reserved: the parcel path finds
// l1 told and the customer never hears of R2's kettles. (Without the upgrade the flag
// is false and the parcel's restock_notice names the kettle still reserved.)
func TestBackfillCappedLineOfOrderToldBefore(t *testing.T) {
	h, backfill := migratedHarness(t, `{coalesce_window: 300ms, quiet_hours: "", max_updates_per_day: 3}`)
	h.start()
	const o = "ord_r12_cap"
	h.step(backorderL1("r12b1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	restockedAt(t, h, "r12b-r1", "2026-11-05T10:00:00Z", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || !l.ReservedTold {
		t.Fatalf("l1 after R1: %s, told %v; want allocated, told", l.State, l.ReservedTold)
	}
	h.step(backorderL1("r12b2", "2026-11-06T10:00:00Z", o, `"2026-12-10"`))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineBackordered || l.AllocatedQty != 0 {
		t.Fatalf("l1 backordered again: %s, %d allocated; want backordered, 0", l.State, l.AllocatedQty)
	}
	restockedAt(t, h, "r12b-r2", "2026-11-07T10:00:00Z", 2)
	capped := []string{
		"backorder_notice email sent", // l1 backordered
		"restock_notice email sent",   // R1: l1's kettles reserved
		"backorder_notice email sent", // l1 backordered again: R1's kettles are gone
		"restock_notice email suppressed (capped: 3 updates in the last 24 h (max_updates_per_day 3))", // R2
	}
	if got := emailLog(h.summary(o)); !slices.Equal(got, capped) {
		t.Fatalf("after R2:\n got %q\nwant %q", got, capped)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || l.AllocatedQty != 2 || l.ReservedTold {
		t.Fatalf("l1 after R2: %s, %d allocated, told %v; want allocated, 2, not told", l.State, l.AllocatedQty, l.ReservedTold)
	}
	backfill() // notifyd upgraded (the low queue is drained)
	if l := lineOf(t, h, o, "l1"); l.ReservedTold {
		t.Errorf("the backfill set l1 told, though its only notice about R2's kettles was capped")
	}
	h.skew.Store(int64(25 * time.Hour)) // a day later: the cap's day is over
	h.step(orderEvent("r12b3", "order.partially_shipped", "2026-11-08T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)))
	flushPartial(t, h, o)
	want := append(capped,
		"restock_notice email sent",   // the other kettle is reserved: never told before
		"partial_shipment email sent", // one kettle
	)
	if got := settleLog(h, o, want); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// A batch's first run decides the restock_notice naming l1 (2 kettles, all the order
// owes of the SKU), commits — l1 told — and then the provider times out on the inline
// send and queueing the retry fails. Before asynq runs the batch again the shop
// backorders l2, a gift kettle of the same SKU. The re-run finds l1 told and l2 not
// covered: restockLines and covers say "not all of it yet", so the order is not among
// those whose pending notices are queued. The notice stays pending for ever, l1 is
// marked told, and no later path names it: the customer never hears of l1's kettles.
// What this restock left pending for the order is owed to it whatever the order's
// lines are now (a send re-checks that the order is still open).
func TestBatchRerunAfterNewBackorderSendsPendingNotice(t *testing.T) {
	h, rr := rerunHarness(t)
	const o = "ord_r12_newbo"
	h.step(sameSKU(backorderL1("r12c1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`)))
	restockAt(t, h, "r12c-r", "2026-11-05T10:00:00Z", 2)
	batch := rr.take(t)
	rr.failRun(t, h, batch, "the batch's first run could not queue its send and still reported success")
	if n := findKind(t, h, o, "restock_notice", "email"); n.Status != store.NotificationPending {
		t.Fatalf("after the failed run the restock_notice is %s, want pending", n.Status)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || !l.ReservedTold {
		t.Fatalf("l1 after the first run: %s, told %v; want allocated, told", l.State, l.ReservedTold)
	}
	rr.down.down.Store(false)
	h.start1(sameSKU(orderEvent("r12c2", "order.backordered", "2026-11-06T10:00:00Z", o, custNoConsent,
		`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":"2026-12-05"}]`)))
	if err := h.worker.HandleRestockBatch(t.Context(), batch); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	want := []string{
		"backorder_notice email sent", // l1 backordered
		"restock_notice email sent",   // l1's kettles reserved: sent after the re-run
		"backorder_notice email sent", // l2 backordered
	}
	if got := settleOut(h, o, want); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q\n%q", got, want, h.summary(o))
	}
}
