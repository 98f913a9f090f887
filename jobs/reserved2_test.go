package jobs_test

// Reservation notices and crossed parcels: cases reviews of 3480233, 3ed28dc,
// cb1a596, 670481e and 278baa2 found (each failing there, but
// TestBatchRetryAfterWaitTellsOnce, which guards a case that held).

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
)

// sameSKU makes the order's l2 a second line of SKU KET ("Gift Kettle", qty 1).
func sameSKU(raw string) string {
	return strings.Replace(raw, `{"id":"l2","sku":"MUG","name":"Mug"`, `{"id":"l2","sku":"KET","name":"Gift Kettle"`, 1)
}

// restockNoticeBodies returns the email bodies of the order's restock_notice
// notifications that went out (or will).
func restockNoticeBodies(t *testing.T, h *harness, o string) []string {
	t.Helper()
	ns, err := h.st.ListNotifications(t.Context(), store.NotificationFilter{OrderID: o, Kind: "restock_notice"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		if n.Channel == "email" && n.Status != store.NotificationSuppressed {
			out = append(out, n.Body)
		}
	}
	return out
}

// Two lines of one SKU: l1 (2 kettles) late and offered, l2 (1 kettle) not late. One
// restock of 3 covers both: its batch tells the customer of l2 only (l1's offer is
// open). Silence at the deadline is consent: l1 is reserved and the customer must now
// hear of l1's kettles, though the same restock's notice (about l2) went out.
func TestWaitNoticeOtherLineSameRestock(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_r3a"
	h.start1(sameSKU(promisedBy(orderEvent("r3a1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":%q}]`,
			day(70), day(10))), 60)))
	off := offerOf(t, h, o)
	if !slices.Equal(off.LineIDs, []string{"l1"}) {
		t.Fatalf("offer over %q, want l1", off.LineIDs)
	}
	restocked(t, h, "r3a2", 3)
	if l := lineOf(t, h, o, "l2"); l.State != store.LineAllocated {
		t.Fatalf("l2 after the restock: %s, want allocated", l.State)
	}
	if got := restockNoticeBodies(t, h, o); len(got) != 1 || strings.Contains(got[0], "Blue Kettle") {
		t.Fatalf("at the restock: %d notices (want 1, about the Gift Kettle only):\n%q", len(got), got)
	}
	runDeadline(t, h, off, 61*24*time.Hour) // past P (the deadline)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after consent: %s, want allocated", l.State)
	}
	if !toldOfReservation(t, h, o, "Blue Kettle (Qty 2") {
		t.Errorf("l1's two kettles, reserved and now waited for, were never announced:\n%q\n%q", emailLog(h.summary(o)), restockNoticeBodies(t, h, o))
	}
}

// waitConfirmed waits until order's choice_confirmation went out, and half a second
// more for whatever the same decision queued after it.
func waitConfirmed(t *testing.T, h *harness, order string) {
	t.Helper()
	waitFor(t, "the confirmation", func() bool {
		return slices.Contains(emailLog(h.summary(order)), "choice_confirmation email sent")
	})
	time.Sleep(500 * time.Millisecond)
}

// toldOfReservation waits until the offer's confirmation went out and a moment more,
// and reports whether a restock_notice of order that went out names want.
func toldOfReservation(t *testing.T, h *harness, order, want string) bool {
	t.Helper()
	waitConfirmed(t, h, order)
	for _, b := range restockNoticeBodies(t, h, order) {
		if strings.Contains(b, want) {
			return true
		}
	}
	return false
}

// The same, with two restocks: R1 reserves l1 (offer open, not told), R2 later
// reserves l2 (told). At the deadline the customer hears of l1's kettles.
func TestWaitNoticeLineOfOlderRestock(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_r3b"
	h.start1(sameSKU(promisedBy(orderEvent("r3b1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":%q}]`,
			day(70), day(10))), 60)))
	off := offerOf(t, h, o)
	restockAt(t, h, "r3b-r1", "2026-11-04T10:00:00Z", 2)
	restockAt(t, h, "r3b-r2", "2026-11-05T10:00:00Z", 1)
	if l := lineOf(t, h, o, "l2"); l.State != store.LineAllocated {
		t.Fatalf("l2 after the restocks: %s, want allocated", l.State)
	}
	runDeadline(t, h, off, 61*24*time.Hour) // past P (the deadline)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after consent: %s, want allocated", l.State)
	}
	if !toldOfReservation(t, h, o, "Blue Kettle (Qty 2") {
		t.Errorf("l1's kettles (reserved by R1) never announced:\n%q", emailLog(h.summary(o)))
	}
}

// A line reserved before its offer whose restock_notice was held back by the daily
// cap (the customer never heard of it). Days later the offer is decided "wait": the
// customer is told the kettles are reserved, once (the capped notice is not news
// already told).
func TestWaitNoticeAfterCappedNotice(t *testing.T) {
	h := newHarness(t, strings.Replace(hourToAnswer, "max_updates_per_day: 100", "max_updates_per_day: 1", 1))
	h.start()
	const o = "ord_r3c"
	h.start1(promisedBy(backorderL1("r3c1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
	restocked(t, h, "r3c2", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the restock: %s, want allocated", l.State)
	}
	if got := restockNoticeBodies(t, h, o); len(got) != 0 {
		t.Fatalf("restock_notice not capped: %q", h.summary(o))
	}
	h.start1(promisedBy(etaChange("r3c3", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	runDeadline(t, h, off, 4*24*time.Hour) // the cap's 24 h are long past
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	waitConfirmed(t, h, o)
	if got := restockNoticeBodies(t, h, o); len(got) != 1 {
		t.Errorf("restock_notice sent %d times after consent, want once (never told before):\n%q", len(got), h.summary(o))
	}
}

// Three kettles backordered. Parcel P2 (Nov 4) ships 1; restock R (Nov 5) reserves 1
// of the 2 owed; parcel P1 (Nov 3, heard of last) ships 1. R's kettle was reserved
// after both parcels: neither can have carried it, so 1 is owed and 1 reserved — the
// line is allocated and the customer gets restock_notice, as in time order, though
// P2 is newer than P1.
func TestNewerParcelOlderThanRestock(t *testing.T) {
	h := newHarness(t)
	h.start()
	const o = "ord_r3d"
	h.step(order3Event("r3d1", "order.backordered", "2026-11-02T10:00:00Z", o,
		`,"backordered_lines":[{"line_id":"l1","quantity":3,"eta":"2026-12-01"}]`))
	h.step(order3Event("r3d-p2", "order.partially_shipped", "2026-11-04T10:00:00Z", o,
		shipmentJSON("s2", "1Z2", `{"line_id":"l1","quantity":1}`)))
	restockAt(t, h, "r3d-r", "2026-11-05T10:00:00Z", 1)
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 1 || l.State != store.LineBackordered {
		t.Fatalf("after the restock: %s, %d allocated; want backordered, 1", l.State, l.AllocatedQty)
	}
	h.step(order3Event("r3d-p1", "order.partially_shipped", "2026-11-03T10:00:00Z", o,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)))
	l := lineOf(t, h, o, "l1")
	if l.ShippedQty != 2 {
		t.Fatalf("shipped %d, want 2", l.ShippedQty)
	}
	if l.State != store.LineAllocated || l.AllocatedQty != 1 {
		t.Errorf("l1: %s, %d allocated; want allocated, 1 (R's kettle came after both parcels)", l.State, l.AllocatedQty)
	}
	if !slices.Contains(emailLog(h.summary(o)), "restock_notice email sent") {
		t.Errorf("no restock_notice: %q", emailLog(h.summary(o)))
	}
}

// The same with the "newer parcel" being a resend of a shipment already counted
// (s0, first reported Nov 3, reported again Nov 6 with a new event id): it carried no
// new unit, and R's kettle stays reserved.
func TestResentShipmentIsNoNewerParcel(t *testing.T) {
	h := newHarness(t)
	h.start()
	const o = "ord_r3e"
	h.step(order3Event("r3e1", "order.backordered", "2026-11-02T10:00:00Z", o,
		`,"backordered_lines":[{"line_id":"l1","quantity":3,"eta":"2026-12-01"}]`))
	h.step(order3Event("r3e-p0", "order.partially_shipped", "2026-11-03T10:00:00Z", o,
		shipmentJSON("s0", "1Z0", `{"line_id":"l1","quantity":1}`)))
	restockAt(t, h, "r3e-r", "2026-11-05T10:00:00Z", 1)
	h.step(order3Event("r3e-p0again", "order.partially_shipped", "2026-11-06T10:00:00Z", o,
		shipmentJSON("s0", "1Z0", `{"line_id":"l1","quantity":1}`)))
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 1 || l.ShippedQty != 1 {
		t.Fatalf("after the resend: %d shipped, %d allocated; want 1, 1", l.ShippedQty, l.AllocatedQty)
	}
	h.step(order3Event("r3e-p1", "order.partially_shipped", "2026-11-04T10:00:00Z", o,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)))
	l := lineOf(t, h, o, "l1")
	if l.State != store.LineAllocated || l.AllocatedQty != 1 {
		t.Errorf("l1: %s, %d allocated, %d shipped; want allocated, 1 (the resend carried no unit)", l.State, l.AllocatedQty, l.ShippedQty)
	}
}

// The order.shipped that closes the order, heard of after a restock newer than it,
// does not move its line to allocated ("reserved") in the order it closes (ship()
// runs before the order is marked closed).
func TestClosingShipmentLeavesNoLineReserved(t *testing.T) {
	h := newHarness(t)
	h.start()
	const o = "ord_r3f"
	h.step(order3Event("r3f1", "order.backordered", "2026-11-02T10:00:00Z", o,
		`,"backordered_lines":[{"line_id":"l1","quantity":3,"eta":"2026-12-01"}]`))
	restockAt(t, h, "r3f-r", "2026-11-05T10:00:00Z", 2)
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 2 || l.State != store.LineBackordered {
		t.Fatalf("after the restock: %s, %d allocated; want backordered, 2", l.State, l.AllocatedQty)
	}
	h.step(order3Event("r3f-s", "order.shipped", "2026-11-04T10:00:00Z", o,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1},{"line_id":"l2","quantity":1}`)))
	rec, err := h.st.GetOrder(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != store.OrderClosed {
		t.Fatalf("order %s, want closed", rec.State)
	}
	if l := lineOf(t, h, o, "l1"); l.State == store.LineAllocated {
		t.Errorf("l1 of the closed order: %s, %d allocated, %d shipped; a closed order's line is allocated", l.State, l.AllocatedQty, l.ShippedQty)
	}
}

// restockNoticesSent counts the order's restock_notice emails that went out.
func restockNoticesSent(h *harness, o string) int {
	n := 0
	for _, s := range emailLog(h.summary(o)) {
		if s == "restock_notice email sent" {
			n++
		}
	}
	return n
}

// R1 reserves l1's two kettles: told "Blue Kettle (Qty 2) reserved". One of them
// ships (partial_shipment told). The date of the other slips past the promise: offer;
// silence is consent at the deadline. The remaining kettle is still R1's reservation,
// which the customer heard of: no second restock_notice.
func TestWaitNoticeAfterPartialShipmentToldOnce(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_r4a"
	h.start1(promisedBy(backorderL1("r4a1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
	restocked(t, h, "r4a2", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the restock: %s, want allocated", l.State)
	}
	h.start1(promisedBy(orderEvent("r4a3", "order.partially_shipped", "2026-11-05T12:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)), 3))
	waitFor(t, "the parcel's message", func() bool {
		return slices.Contains(emailLog(h.summary(o)), "partial_shipment email sent")
	})
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || l.AllocatedQty != 1 || l.ShippedQty != 1 {
		t.Fatalf("l1 after the parcel: %s, %d allocated, %d shipped; want allocated, 1, 1", l.State, l.AllocatedQty, l.ShippedQty)
	}
	h.start1(promisedBy(etaChange("r4a4", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	runDeadline(t, h, off, 4*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	waitConfirmed(t, h, o)
	if n := restockNoticesSent(h, o); n != 1 {
		t.Errorf("restock_notice sent %d times, want once (the kettle left is R1's, told at the restock):\n%q\n%q",
			n, emailLog(h.summary(o)), restockNoticeBodies(t, h, o))
	}
}

// R1 reserves l1 (told l1×2). The shop backorders l1 again, late (the reservation is
// gone: allocated reset to 0; backorder_notice and an offer). While the offer is
// open R2 reserves two kettles anew. Silence at the deadline is consent: the
// customer hears of R2's reservation, though an identical notice went out for R1.
func TestWaitNoticeAfterReservationLostAndRegained(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_r4b"
	h.start1(promisedBy(backorderL1("r4b1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
	restocked(t, h, "r4b2", 2) // Nov 5
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after R1: %s, want allocated", l.State)
	}
	if n := restockNoticesSent(h, o); n != 1 {
		t.Fatalf("R1: %d restock notices, want 1", n)
	}
	h.start1(promisedBy(backorderL1("r4b3", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 0 {
		t.Fatalf("l1 backordered again: %s, %d allocated; want awaiting_choice, 0", l.State, l.AllocatedQty)
	}
	restockAt(t, h, "r4b4", "2026-11-07T10:00:00Z", 2)
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 2 {
		t.Fatalf("l1 after R2: %d allocated, want 2", l.AllocatedQty)
	}
	runDeadline(t, h, off, 4*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after consent: %s, want allocated", l.State)
	}
	waitConfirmed(t, h, o)
	if n := restockNoticesSent(h, o); n != 2 {
		t.Errorf("restock_notice sent %d times, want 2 (R2's reservation, after the backorder_notice, was never told):\n%q",
			n, emailLog(h.summary(o)))
	}
}

// l1 (2 kettles, late, offered) and l2 (1 kettle) of one SKU; a restock of 3 covers
// both, its notice batch waits on the busy low queue. The deadline decides "wait"
// first (nothing held yet: it names nothing); the batch runs after and names l1 and
// l2: the customer hears of l1's kettles once.
func TestBatchAfterDeadlineNamesLineOnce(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	hb := h.holdingBatches()
	h.start()
	const o = "ord_r4c"
	h.start1(sameSKU(promisedBy(orderEvent("r4c1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":%q}]`,
			day(70), day(10))), 60)))
	off := offerOf(t, h, o)
	restockAt(t, h, "r4c2", "2026-11-05T10:00:00Z", 3)
	hb.mu.Lock()
	held := slices.Clone(hb.held)
	hb.mu.Unlock()
	if len(held) != 1 {
		t.Fatalf("%d batches held, want 1", len(held))
	}
	runDeadline(t, h, off, 61*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	if err := h.worker.HandleRestockBatch(context.Background(), held[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	n := 0
	for _, b := range restockNoticeBodies(t, h, o) {
		n += strings.Count(b, "Blue Kettle (Qty 2")
	}
	if n != 1 {
		t.Errorf("l1's kettles named in %d restock notices, want 1:\n%q\n%q", n, h.summary(o), restockNoticeBodies(t, h, o))
	}
}

// namedIn counts the restock_notice emails of order that went out (or will) naming want.
func namedIn(t *testing.T, h *harness, o, want string) int {
	t.Helper()
	n := 0
	for _, b := range restockNoticeBodies(t, h, o) {
		n += strings.Count(b, want)
	}
	return n
}

// Two SKUs. The mug (l2) is reserved before any offer and the customer is told. Both
// lines then go late: one offer over l1 and l2. A kettle restock during the offer is
// held (l1). At "wait" the customer hears of the kettles only: the mug was told.
func TestWaitNoticeNamesOnlyHeldSKU(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_r5a"
	h.start1(promisedBy(orderEvent("r5a1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":%q}]`,
			day(10), day(10))), 60))
	h.step(ev("r5a2", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"MUG","quantity":1}`))
	waitFor(t, "the mug's notice", func() bool { return namedIn(t, h, o, "Mug (Qty 1") == 1 })
	h.start1(promisedBy(orderEvent("r5a3", "order.eta_changed", "2026-11-04T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"changes":[{"line_id":"l1","previous_eta":null,"eta":%q},{"line_id":"l2","previous_eta":null,"eta":%q}]`,
			day(70), day(70))), 60))
	off := offerOf(t, h, o)
	if !slices.Equal(off.LineIDs, []string{"l1", "l2"}) {
		t.Fatalf("offer over %q, want l1 l2", off.LineIDs)
	}
	restockAt(t, h, "r5a4", "2026-11-05T10:00:00Z", 2) // held: l1 awaits the choice
	runDeadline(t, h, off, 61*24*time.Hour)            // silence: consent
	if !toldOfReservation(t, h, o, "Blue Kettle (Qty 2") {
		t.Fatalf("the kettles were never announced: %q", h.summary(o))
	}
	if n := namedIn(t, h, o, "Mug (Qty 1"); n != 1 {
		t.Errorf("the mug's reservation, told before the offer, named in %d notices, want 1:\n%q", n, h.summary(o))
	}
}

// Two SKUs in one offer, both restocked while it is open; the mug's batch runs (held),
// the kettle's waits on the low queue. At "wait" the customer hears of the mug; the
// kettle's batch, running after, names the kettle: each once.
func TestWaitNoticeLeavesUnbatchedSKU(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	hb := h.holdingBatches()
	h.start()
	const o = "ord_r5c"
	h.start1(promisedBy(orderEvent("r5c1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":%q}]`,
			day(70), day(70))), 60))
	off := offerOf(t, h, o)
	if !slices.Equal(off.LineIDs, []string{"l1", "l2"}) {
		t.Fatalf("offer over %q, want l1 l2", off.LineIDs)
	}
	restockAt(t, h, "r5c2", "2026-11-04T10:00:00Z", 2)
	h.step(ev("r5c3", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"MUG","quantity":1}`))
	hb.mu.Lock()
	held := slices.Clone(hb.held)
	hb.mu.Unlock()
	if len(held) != 2 {
		t.Fatalf("%d batches held, want 2", len(held))
	}
	if err := h.worker.HandleRestockBatch(context.Background(), held[1]); err != nil { // the mug's
		t.Fatal(err)
	}
	runDeadline(t, h, off, 61*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	if err := h.worker.HandleRestockBatch(context.Background(), held[0]); err != nil { // the kettle's, late
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("the kettles named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}

// A capped restock_notice (never received) is told at the first "wait" decision, as
// intended. The customer later waits on a renewed offer: the reservation is not
// announced a second time.
func TestCappedNoticeToldOnceAcrossOffers(t *testing.T) {
	h := newHarness(t, strings.Replace(hourToAnswer, "max_updates_per_day: 100", "max_updates_per_day: 1", 1))
	h.start()
	const o = "ord_r5b"
	h.start1(promisedBy(backorderL1("r5b1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
	restocked(t, h, "r5b2", 2)
	if got := restockNoticeBodies(t, h, o); len(got) != 0 {
		t.Fatalf("restock_notice not capped: %q", h.summary(o))
	}
	h.start1(promisedBy(etaChange("r5b3", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	runDeadline(t, h, off, 4*24*time.Hour)
	waitFor(t, "the first notice", func() bool { return restockNoticesSent(h, o) == 1 })
	// A later date than the one agreed to: renewed offer; the customer answers wait.
	h.start1(promisedBy(etaChange("r5b4", "2026-11-08T10:00:00Z", o, fmt.Sprintf("%q", day(20))), 3))
	renewed := newOfferOver(t, h, o, off.ID, "l1")
	if _, _, err := h.worker.Choose(context.Background(), renewed.ID, "wait", "web"); err != nil {
		t.Fatal(err)
	}
	runDeadline(t, h, renewed, 40*24*time.Hour)
	if got := offerOf(t, h, o); got.State != store.OfferDecided || got.Choice != "wait" {
		t.Fatalf("renewed offer %s %q, want decided wait", got.State, got.Choice)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 %s, want allocated", l.State)
	}
	time.Sleep(time.Second)
	if n := restockNoticesSent(h, o); n != 1 {
		t.Errorf("restock_notice sent %d times for one reservation, want 1:\n%q", n, h.summary(o))
	}
}

// l1 (kettles) reserved and told. The mug's restock_notice is then capped (the
// customer never heard of the mug). l1's date slips: offer over l1; silence is
// consent. The capped notice is about the mug: the kettles, told before the offer,
// are not named again.
func TestCappedOtherSKUNamesNoToldSKU(t *testing.T) {
	h := newHarness(t, strings.Replace(hourToAnswer, "max_updates_per_day: 100", "max_updates_per_day: 2", 1))
	h.start()
	const o = "ord_rv1"
	h.start1(promisedBy(orderEvent("rv1a", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":%q}]`,
			day(2), day(2))), 3))
	restocked(t, h, "rv1b", 2)
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Fatalf("kettle notice: %d, want 1: %q", n, h.summary(o))
	}
	h.step(ev("rv1c", "inventory.restocked", "2026-11-05T11:00:00Z", "", `{"brand":"acme","sku":"MUG","quantity":1}`))
	waitFor(t, "the mug's capped notice", func() bool {
		for _, s := range h.summary(o) {
			if strings.HasPrefix(s, "restock_notice email suppressed (capped") {
				return true
			}
		}
		return false
	})
	h.start1(promisedBy(etaChange("rv1d", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	if !slices.Equal(off.LineIDs, []string{"l1"}) {
		t.Fatalf("offer over %q, want l1", off.LineIDs)
	}
	runDeadline(t, h, off, 4*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	waitConfirmed(t, h, o)
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("kettles (told before the offer) named in %d notices, want 1:\n%q", n, h.summary(o))
	}
}

// The restock batch runs on a worker whose clock is 5 s behind the one that opened
// the offer (a restock right after the offer): the held record is found by the
// offer's id, not by clocks, and at "wait" the kettles are announced.
func TestHeldNoticeWorkersClocksApart(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	hb := h.holdingBatches()
	h.start()
	const o = "ord_rv2"
	h.start1(promisedBy(backorderL1("rv2a", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(70))), 60))
	off := offerOf(t, h, o)
	restockAt(t, h, "rv2b", "2026-11-04T10:00:00Z", 2)
	hb.mu.Lock()
	held := slices.Clone(hb.held)
	hb.mu.Unlock()
	if len(held) != 1 {
		t.Fatalf("%d batches held, want 1", len(held))
	}
	h.skew.Store(int64(-5 * time.Second)) // the batch's worker
	if err := h.worker.HandleRestockBatch(context.Background(), held[0]); err != nil {
		t.Fatal(err)
	}
	h.skew.Store(0)
	runDeadline(t, h, off, 61*24*time.Hour)
	if !toldOfReservation(t, h, o, "Blue Kettle (Qty 2") {
		t.Errorf("the kettles, held during the offer, never announced:\n%q", h.summary(o))
	}
}

// The batch commits its held record, then fails after the commit (enqueueing a send)
// and asynq runs it again — after the deadline decided "wait" and waitDecided told
// the kettles. The rerun finds l1 allocated: the customer is still told once.
func TestBatchRetryAfterWaitTellsOnce(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	hb := h.holdingBatches()
	h.start()
	const o = "ord_rv3"
	h.start1(promisedBy(backorderL1("rv3a", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(70))), 60))
	off := offerOf(t, h, o)
	restockAt(t, h, "rv3b", "2026-11-04T10:00:00Z", 2)
	hb.mu.Lock()
	held := slices.Clone(hb.held)
	hb.mu.Unlock()
	if len(held) != 1 {
		t.Fatalf("%d batches held, want 1", len(held))
	}
	if err := h.worker.HandleRestockBatch(context.Background(), held[0]); err != nil {
		t.Fatal(err)
	}
	runDeadline(t, h, off, 61*24*time.Hour)
	if !toldOfReservation(t, h, o, "Blue Kettle (Qty 2") {
		t.Fatalf("never announced: %q", h.summary(o))
	}
	if err := h.worker.HandleRestockBatch(context.Background(), held[0]); err != nil { // the retry
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("kettles named in %d notices, want 1:\n%q", n, h.summary(o))
	}
}

// A restock whose CloudEvents id holds "|" (any non-empty string is a valid id)
// reserves the kettles; its restock_notice is capped, so the customer never heard.
// The date slips, silence is consent: at "wait" the capped notice applies again and
// the kettles are announced, as for a plain id (a key cut at the first "|" once
// lost the SKU).
func TestCappedNoticeEventIDWithPipe(t *testing.T) {
	for _, id := range []string{"r5x2", "r5x|2", "r5x:reserved:2"} {
		t.Run(id, func(t *testing.T) {
			h := newHarness(t, strings.Replace(hourToAnswer, "max_updates_per_day: 100", "max_updates_per_day: 1", 1))
			h.start()
			o := "ord_r5x" + fmt.Sprint(len(id))
			h.start1(promisedBy(backorderL1("r5x1"+id, "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
			restocked(t, h, id, 2)
			if got := restockNoticeBodies(t, h, o); len(got) != 0 {
				t.Fatalf("restock_notice not capped: %q", h.summary(o))
			}
			h.start1(promisedBy(etaChange("r5x3"+id, "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
			off := offerOf(t, h, o)
			runDeadline(t, h, off, 4*24*time.Hour)
			if !toldOfReservation(t, h, o, "Blue Kettle (Qty 2") {
				t.Errorf("restock id %q: capped kettle notice never told at wait:\n%q", id, h.summary(o))
			}
		})
	}
}

// offersHook runs hook once, at the first OffersOf after it is armed.
type offersHook struct {
	jobs.Store
	mu   sync.Mutex
	hook func()
}

func (s *offersHook) OffersOf(ctx context.Context, orderID string) ([]store.Offer, error) {
	s.mu.Lock()
	f := s.hook
	s.hook = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.Store.OffersOf(ctx, orderID)
}

// The restock batch reads the order (l1 awaiting, covered), then the deadline decides
// "wait" before the batch's openOffer read: no held record exists yet, so waitDecided
// leaves the kettles to the batch; the batch, finding no open offer, still checks
// the order's version, loses the compare-and-set, reads it again and names them.
func TestBatchOfferDecidedBetweenReads(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	hb := h.holdingBatches()
	oh := &offersHook{}
	h.store = func(s jobs.Store) jobs.Store { oh.Store = s; return oh }
	h.start()
	const o = "ord_rv7"
	h.start1(promisedBy(backorderL1("rv7a", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(70))), 60))
	off := offerOf(t, h, o)
	restockAt(t, h, "rv7b", "2026-11-04T10:00:00Z", 2)
	hb.mu.Lock()
	held := slices.Clone(hb.held)
	hb.mu.Unlock()
	if len(held) != 1 {
		t.Fatalf("%d batches held, want 1", len(held))
	}
	oh.mu.Lock()
	oh.hook = func() { runDeadline(t, h, off, 61*24*time.Hour) }
	oh.mu.Unlock()
	if err := h.worker.HandleRestockBatch(context.Background(), held[0]); err != nil {
		t.Fatal(err)
	}
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	if !toldOfReservation(t, h, o, "Blue Kettle (Qty 2") {
		t.Errorf("kettles reserved, offer decided wait, never announced:\n%q", h.summary(o))
	}
}
