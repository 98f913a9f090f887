package jobs_test

// Reservation notices at a "wait" decision: cases a review of 55b2408 found (a ninth
// review), each failing there.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/jobs"
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

// TestHeldNoticeOfGivenUpReservation with the restocks stamped the other way round:
// R1 (Nov 5) reserves l1's kettles while the offer is open (held); the customer
// chooses the substitute (l1 gives them up) and switches back to wait; R2, stamped
// Nov 4 but heard of after, reserves two kettles anew, its batch still queued. At the
// deadline reservations takes R1 (the newest by restock time) for l1's reservation:
// R1's held record names l1, and R2's batch, running later (after l2's
// backorder_notice), names l1 again.
func TestOutOfOrderRestockGivenUpToldOnce(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	hb := &holdBatches{}
	h.enqueuer = func(e jobs.Enqueuer) jobs.Enqueuer { hb.next = e; return hb }
	h.start()
	const o = "ord_rv9b"
	sub := `,"substitutes":[{"line_id":"l1","sku":"KET-RED","name":"Red Kettle","unit_price":"39.00"}]`
	h.start1(promisedBy(orderEvent("rv9b1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q}]`, day(70))+sub), 60))
	off := offerOf(t, h, o)
	restockAt(t, h, "rv9b-r1", "2026-11-05T10:00:00Z", 2)
	runBatches(t, h, hb) // R1's: held for the offer
	if _, _, err := h.worker.Choose(t.Context(), off.ID, "substitute", "web"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.worker.Choose(t.Context(), off.ID, "wait", "web"); err != nil {
		t.Fatal(err)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 0 {
		t.Fatalf("l1 back to wait: %s, %d allocated; want awaiting_choice, 0", l.State, l.AllocatedQty)
	}
	restockAt(t, h, "rv9b-r2", "2026-11-04T10:00:00Z", 2) // R2: stamped before R1; its batch stays queued
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 2 {
		t.Fatalf("l1 after R2: %d allocated, want 2", l.AllocatedQty)
	}
	runDeadline(t, h, off, 61*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the deadline: %s, want allocated", l.State)
	}
	time.Sleep(500 * time.Millisecond)
	h.start1(promisedBy(orderEvent("rv9b3", "order.backordered", "2026-11-06T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(65))), 60))
	runBatches(t, h, hb) // R2's, late
	time.Sleep(time.Second)
	// One restock_notice went out, naming l1's two kettles (R2's).
	if got, want := restockLog(h, o), []string{"restock_notice email sent"}; !slices.Equal(got, want) {
		t.Errorf("restock notices:\n got %q\nwant %q\n%q", got, want, h.summary(o))
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("l1's kettles named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}
