package jobs_test

// Cases an eleventh review of 1d5b0aa and 5cbb225 (order_lines.reserved_told) found,
// each failing on 5cbb225.

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// restockedAt is restocked with the restock's time given.
func restockedAt(t *testing.T, h *harness, id, at string, n int) {
	t.Helper()
	h.start1(ev(id, "inventory.restocked", at, "", fmt.Sprintf(`{"brand":"acme","sku":"KET","quantity":%d}`, n)))
	waitFor(t, "restock "+id+" done", func() bool {
		ns, _ := h.st.ListNotifications(t.Context(), store.NotificationFilter{Status: store.NotificationPending})
		return len(ns) == 0 && h.idle()
	})
}

// l1's kettles are reserved by R1 and the customer is told (restock_notice). The shop
// then backorders l1 again (the reserved kettles were damaged): its reservation is
// gone and its new date is past the promise, so an offer opens. R2 reserves two
// kettles for l1 while the offer is open: their notice is held for the offer. Then
// migration 00009 runs. Its backfill takes l1 (awaiting_choice, units reserved) for
// told because a restock_notice of the order went out — R1's, about the kettles l1
// lost since. Silence at the deadline is "wait", and waitDecided, finding l1 told,
// never names R2's kettles: the customer was last told "backordered again" and never
// hears that two kettles are reserved. (Without the upgrade, the runtime flag is
// false after the re-backorder and the wait names them.)
func TestBackfillHeldLineOfOrderToldBefore(t *testing.T) {
	h, backfill := migratedHarness(t, hourToAnswer)
	h.start()
	const o = "ord_r11_mig"
	h.start1(promisedBy(backorderL1("r11m1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
	restockedAt(t, h, "r11m2", "2026-11-05T10:00:00Z", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || !l.ReservedTold {
		t.Fatalf("l1 after R1: %s, told %v; want allocated, told", l.State, l.ReservedTold)
	}
	h.start1(promisedBy(backorderL1("r11m3", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 0 {
		t.Fatalf("l1 backordered again: %s, %d allocated; want awaiting_choice, 0", l.State, l.AllocatedQty)
	}
	restockedAt(t, h, "r11m4", "2026-11-07T10:00:00Z", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 || l.ReservedTold {
		t.Fatalf("l1 after R2: %s, %d allocated, told %v; want awaiting_choice, 2, not told", l.State, l.AllocatedQty, l.ReservedTold)
	}
	backfill() // notifyd upgraded while the offer is open (the low queue is drained)
	runDeadline(t, h, off, 4*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	waitConfirmed(t, h, o)
	want := []string{
		"backorder_notice email sent",    // l1 backordered
		"restock_notice email sent",      // R1: l1's kettles reserved
		"backorder_notice email sent",    // l1 backordered again: R1's kettles are gone
		"delay_option_offer email sent",  // its new date is past the promise
		"choice_confirmation email sent", // silence: wait
		"restock_notice email sent",      // R2's kettles, held for the offer, reserved for l1
	}
	if got := outLog(h, o); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// settleOut polls the order's email log less held records for up to 5 s until it
// equals want, and returns it as it is then.
func settleOut(h *harness, o string, want []string) []string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := outLog(h, o)
		if slices.Equal(got, want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Two lines of one SKU: l1 (2 kettles) late and offered, l2 (a gift kettle) not late.
// One restock of 3 covers both: its batch decides the restock_notice naming l2 (and
// holds l1's for the offer), commits — l2 now told — and then the provider times out
// on the inline send and queueing the retry fails. asynq runs the batch again. The
// re-run finds l2 told but l1 still "held" (awaiting, not told), so the order is not
// among those "covered and told" (HandleRestockBatch re-queues only an order with
// nothing left to name or hold): l2's notice stays pending for ever, and the wait
// later names only l1. The customer never hears of the gift kettle.
func TestBatchRerunWithHeldLineSendsPendingNotice(t *testing.T) {
	h, rr := rerunHarness(t, hourToAnswer)
	const o = "ord_r11_held"
	h.start1(sameSKU(promisedBy(orderEvent("r11h1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":%q}]`,
			day(70), day(10))), 60)))
	if off := offerOf(t, h, o); !slices.Equal(off.LineIDs, []string{"l1"}) {
		t.Fatalf("offer over %q, want l1", off.LineIDs)
	}
	restockAt(t, h, "r11h-r", "2026-11-05T10:00:00Z", 3)
	batch := rr.take(t)
	rr.failRun(t, h, batch, "the batch's first run could not queue its send and still reported success")
	if n := findKind(t, h, o, "restock_notice", "email"); n.Status != store.NotificationPending && n.Status != store.NotificationSuppressed {
		t.Fatalf("after the failed run a restock_notice is %s", n.Status)
	}
	rr.down.down.Store(false)
	if err := h.worker.HandleRestockBatch(t.Context(), batch); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	want := []string{
		"backorder_notice email sent",   // l1 and l2 backordered
		"delay_option_offer email sent", // l1 is late
		"restock_notice email sent",     // l2's gift kettle reserved: sent after the re-run
	}
	if got := settleOut(h, o, want); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q\n%q", got, want, h.summary(o))
	}
}

// custCal is a customer of their own (their own daily cap), email only.
const custCal = `{"id":"c7","name":"Cal","email":"cal@example.com","sms_consent":false}`

// One restock batch covers A (whose customer had two updates today: the daily cap of
// 2 holds A's restock_notice back; l1 is not told) and B (its notice is decided; the
// provider times out on the inline send and queueing the retry fails, so the task
// fails after its commit). asynq retries the batch a day later. The re-run decides
// A's notice again, now under the cap, under the same DedupKey as the capped record:
// the store keeps that record and creates nothing, but decideNotifications saw a
// channel go out and the batch sets A's l1 reserved_told. Nothing went out, and no
// later path names l1: a parcel of one of its kettles leaves the other reserved, and
// the customer hears of the parcel only.
func TestBatchRerunAfterCapMarksNoLineTold(t *testing.T) {
	h, rr := rerunHarness(t, `{coalesce_window: 300ms, quiet_hours: "", max_updates_per_day: 2}`)
	const a, b = "ord_r11_capa", "ord_r11_capb"
	h.step(backorderL1("r11c1", "2026-11-02T10:00:00Z", a, `"2026-12-01"`))
	h.step(etaChange("r11c2", "2026-11-03T10:00:00Z", a, `"2026-12-05"`))
	h.step(orderEvent("r11c3", "order.backordered", "2026-11-02T10:00:00Z", b, custCal,
		`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":"2026-12-01"}]`))
	restockAt(t, h, "r11c-r", "2026-11-05T10:00:00Z", 4)
	batch := rr.take(t)
	rr.failRun(t, h, batch, "the batch's first run could not queue B's send and still reported success")
	capped := []string{
		"backorder_notice email sent",
		"eta_update email sent",
		"restock_notice email suppressed (capped: 2 updates in the last 24 h (max_updates_per_day 2))",
	}
	if got := emailLog(h.summary(a)); !slices.Equal(got, capped) {
		t.Fatalf("A after the first run:\n got %q\nwant %q", got, capped)
	}
	rr.down.down.Store(false)
	h.skew.Store(int64(25 * time.Hour)) // asynq's retry comes after the cap's day
	if err := h.worker.HandleRestockBatch(t.Context(), batch); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if l := lineOf(t, h, a, "l1"); l.ReservedTold {
		t.Errorf("A's l1 is marked told of its reservation, but its only restock_notice was capped:\n%q", h.summary(a))
	}
	h.step(orderEvent("r11c4", "order.partially_shipped", "2026-11-06T10:00:00Z", a, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)))
	flushPartial(t, h, a)
	want := append(capped,
		"restock_notice email sent",   // the other kettle is reserved: never told before
		"partial_shipment email sent", // one kettle
	)
	if got := settleLog(h, a, want); !slices.Equal(got, want) {
		t.Errorf("A:\n got %q\nwant %q", got, want)
	}
}
