package jobs_test

// Reservation notices at a "wait" decision: cases a review of 55b2408 found (a ninth
// review), each failing there.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// restockLog is the order's email log of restock notices that went out (or will),
// message by message.
func restockLog(h *harness, o string) []string {
	var out []string
	for _, s := range outLog(h, o) {
		if strings.HasPrefix(s, "restock_notice ") && !strings.Contains(s, "suppressed") {
			out = append(out, s)
		}
	}
	return out
}

// l1 (2 kettles, within the promise) is reserved by R1 (Nov 5) and the customer is
// told. l1 is then backordered anew (Nov 6: its allocation reset to 0, R1's row
// stays) with a date past the promise: an offer. A restock R2 stamped Nov 4 — before
// R1, delivered late — reserves two kettles for l1 while the offer is open; its batch
// holds the notice back for the offer. Silence at the deadline is consent: l1 is
// allocated with R2's kettles, which the customer has never heard of. reservations
// orders l1's allocations by restock time and takes R1 (given up at the new
// backorder, and told) for the newest reservation: nothing is said, and no batch
// will ever name l1 (allocated, restocks pass it by).
func TestOutOfOrderRestockAfterNewBackorderToldAtWait(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_rv9a"
	h.start1(promisedBy(backorderL1("rv9a1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
	restockAt(t, h, "rv9a-r1", "2026-11-05T10:00:00Z", 2) // R1
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after R1: %s, want allocated", l.State)
	}
	h.start1(promisedBy(backorderL1("rv9a2", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	if !slices.Equal(off.LineIDs, []string{"l1"}) {
		t.Fatalf("offer over %q, want l1", off.LineIDs)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 0 {
		t.Fatalf("l1 backordered anew: %s, %d allocated; want awaiting_choice, 0", l.State, l.AllocatedQty)
	}
	restockAt(t, h, "rv9a-r2", "2026-11-04T10:00:00Z", 2) // R2: older than R1, heard of now
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 {
		t.Fatalf("l1 after R2: %s, %d allocated; want awaiting_choice, 2", l.State, l.AllocatedQty)
	}
	runDeadline(t, h, off, 5*24*time.Hour) // past P: silence is consent
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || l.AllocatedQty != 2 {
		t.Fatalf("l1 after consent: %s, %d allocated; want allocated, 2", l.State, l.AllocatedQty)
	}
	waitConfirmed(t, h, o)
	// Message by message (email; no SMS consent), leaving out R2's held record:
	want := []string{
		"backorder_notice email sent",    // l1 backordered
		"restock_notice email sent",      // R1: l1's kettles reserved
		"backorder_notice email sent",    // l1 backordered anew (R1's kettles given up)
		"delay_option_offer email sent",  // its date is past the promise
		"choice_confirmation email sent", // silence: wait
		"restock_notice email sent",      // R2's kettles reserved
	}
	if got := outLog(h, o); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 2 {
		t.Errorf("l1's kettles named in %d restock notices, want 2 (R1's, then R2's at the wait):\n%q", n, h.summary(o))
	}
}

// Two offers in a row on one line. l1 (2 kettles, date past the promise) is offered
// (O1); R1 reserves its kettles while O1 is open (held). Silence at O1's deadline is
// consent: the customer hears that l1's kettles are reserved. l1's date then slips
// past the consented date: a renewed offer O2, which keeps the reservation. While it
// is open l2 (a gift kettle, same SKU) is backordered and R2 reserves it: R2's batch
// tells of l2 and holds a notice back for O2 (l1 is awaiting and covered). The
// customer answers "wait" to O2. At O2's deadline l1's reservation is still R1's,
// told at O1's wait: it is not named again. (Once, the told notice under the first
// wait's DedupKey went unseen, and R2's held record named l1 a second time.)
func TestRenewedOfferTellsReservationOnce(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_rv9c"
	h.start1(sameSKU(promisedBy(backorderL1("rv9c1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3)))
	o1 := offerOf(t, h, o)
	restockAt(t, h, "rv9c-r1", "2026-11-04T10:00:00Z", 2) // R1: held for O1
	consentToldOnce(t, h, o, o1)
	h.start1(sameSKU(promisedBy(etaChange("rv9c2", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(20))), 3)))
	o2 := newOfferOver(t, h, o, o1.ID, "l1")
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 {
		t.Fatalf("l1 in the renewed offer: %s, %d allocated; want awaiting_choice, 2", l.State, l.AllocatedQty)
	}
	h.start1(sameSKU(promisedBy(orderEvent("rv9c3", "order.backordered", "2026-11-06T11:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(20))), 3)))
	restockAt(t, h, "rv9c-r2", "2026-11-07T10:00:00Z", 1) // R2: l2
	if l := lineOf(t, h, o, "l2"); l.State != store.LineAllocated {
		t.Fatalf("l2 after R2: %s, want allocated", l.State)
	}
	if _, _, err := h.worker.Choose(t.Context(), o2.ID, "wait", "web"); err != nil {
		t.Fatal(err)
	}
	runDeadline(t, h, o2, 12*24*time.Hour) // past R: the answer stands
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after O2's deadline: %s, want allocated", l.State)
	}
	time.Sleep(time.Second)
	// The restock notices, message by message: O1's wait (l1), R2's (l2); nothing
	// more at O2's wait.
	if got, want := restockLog(h, o), []string{"restock_notice email sent", "restock_notice email sent"}; !slices.Equal(got, want) {
		t.Errorf("restock notices:\n got %q\nwant %q\n%q", got, want, h.summary(o))
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("l1's kettles (told at O1's wait) named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
	if n := namedIn(t, h, o, "Gift Kettle (Qty 1"); n != 1 {
		t.Errorf("l2's kettle named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}

// TestHeldNoticeNamesNoLineToldBeforeOffer with the daily cap: l1 is reserved by R1
// and told before its offer. While the offer is open, l2 (same SKU) is backordered
// and R2's notice about l2 is capped (backorder_notice, restock_notice,
// backorder_notice fill max_updates_per_day 3). At "wait" the "latest notice about
// the SKU was capped" rule is read for the whole SKU: l1 — told at R1, and not what
// the capped notice was about — is announced a second time.
func TestCappedNoticeOfOtherLineNamesNoToldLine(t *testing.T) {
	h := newHarness(t, strings.Replace(hourToAnswer, "max_updates_per_day: 100", "max_updates_per_day: 3", 1))
	h.start()
	const o = "ord_rv9d"
	h.start1(sameSKU(promisedBy(backorderL1("rv9d1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3)))
	restocked(t, h, "rv9d2", 2) // R1, Nov 5: l1 reserved, told
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Fatalf("R1's notice: l1 named %d times, want 1: %q", n, h.summary(o))
	}
	h.start1(sameSKU(promisedBy(etaChange("rv9d3", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3)))
	off := offerOf(t, h, o)
	if !slices.Equal(off.LineIDs, []string{"l1"}) {
		t.Fatalf("offer over %q, want l1", off.LineIDs)
	}
	h.start1(sameSKU(promisedBy(orderEvent("rv9d4", "order.backordered", "2026-11-06T11:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(2))), 3)))
	restockAt(t, h, "rv9d5", "2026-11-07T10:00:00Z", 1) // R2: l2, capped
	runDeadline(t, h, off, 5*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	waitConfirmed(t, h, o)
	want := []string{
		"backorder_notice email sent",   // l1 backordered
		"restock_notice email sent",     // R1: l1's kettles reserved
		"delay_option_offer email sent", // l1's date slips past the promise
		"backorder_notice email sent",   // l2 backordered
		"restock_notice email suppressed (capped: 3 updates in the last 24 h (max_updates_per_day 3))", // R2: l2
		"choice_confirmation email sent", // silence: wait
		// and no restock_notice naming l1 again: it was told at R1
	}
	if got := outLog(h, o); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("l1's kettles (told at R1, before the offer) named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}

// TestCrossedParcelAwaitingLineToldAtWait with R's notice batch still queued (a busy
// low queue): the parcel (Nov 4, heard of after R) leaves l1, awaiting the choice,
// fully reserved by R's kettle and records the held notice R's batch would have,
// under R's key. Silence at the deadline is consent, and the customer hears of the
// kettle (the parcel's held record). R's batch, running afterwards (after l2's
// backorder_notice went out), finds l1 allocated and names it again: the held record
// it would have made exists, but the batch decides under R's own key, which nothing
// used yet.
func TestCrossedParcelHeldThenLateBatchTellsOnce(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	hb := h.holdingBatches()
	h.start()
	const o = "ord_rv9e"
	h.start1(promisedBy(backorderL1("rv9e1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(70))), 60))
	off := offerOf(t, h, o)
	restockAt(t, h, "rv9e-r", "2026-11-05T10:00:00Z", 1) // R: one of the two kettles; its batch stays queued
	h.step(promisedBy(orderEvent("rv9e-p", "order.partially_shipped", "2026-11-04T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)), 60))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 1 || l.ShippedQty != 1 {
		t.Fatalf("l1 after the parcel: %s, %d allocated, %d shipped; want awaiting_choice, 1, 1", l.State, l.AllocatedQty, l.ShippedQty)
	}
	runDeadline(t, h, off, 61*24*time.Hour) // past P: silence is consent
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after consent: %s, want allocated", l.State)
	}
	waitConfirmed(t, h, o)
	if n := namedIn(t, h, o, "Blue Kettle (Qty 1"); n != 1 {
		t.Fatalf("at the wait: the reserved kettle named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
	h.start1(promisedBy(orderEvent("rv9e2", "order.backordered", "2026-11-06T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(65))), 60))
	runBatches(t, h, hb) // R's, late
	time.Sleep(time.Second)
	// The restock notices, message by message: one, at the wait, naming the kettle.
	if got, want := restockLog(h, o), []string{"restock_notice email sent"}; !slices.Equal(got, want) {
		t.Errorf("restock notices:\n got %q\nwant %q\n%q", got, want, h.summary(o))
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 1"); n != 1 {
		t.Errorf("the reserved kettle named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}

// consentToldOnce runs offer o1's deadline past the promise (silence is consent) and
// checks that o1 is decided "wait" and l1's two kettles named in one restock_notice.
func consentToldOnce(t *testing.T, h *harness, o string, o1 store.Offer) {
	t.Helper()
	runDeadline(t, h, o1, 5*24*time.Hour)
	if got := offerOf(t, h, o); got.ID != o1.ID || got.Choice != "wait" {
		t.Fatalf("offer %s decided %q, want %s decided wait", got.ID, got.Choice, o1.ID)
	}
	waitConfirmed(t, h, o)
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Fatalf("at O1's wait: l1's kettles named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}
