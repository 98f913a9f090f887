package jobs_test

import (
	"slices"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// The shop reports l1 backordered again while its delay-option offer is open. The
// line stays in the offer (awaiting_choice): a restock then reserves its kettles but
// is not announced while the offer may still end in a cancellation, and silence at
// the deadline (consent) tells of them.
func TestBackorderedAnewDuringOfferStaysInOffer(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_anew_offer"
	h.start1(orderEvent("ano1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
	off := offerOf(t, h, o)
	h.start1(orderEvent("ano2", "order.backordered", "2026-11-03T10:00:00Z", o, custNoConsent, boL1))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting {
		t.Fatalf("l1 backordered again during its offer: %s, want awaiting_choice", l.State)
	}
	restocked(t, h, "ano3", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 {
		t.Fatalf("l1 after the restock: %s, %d allocated; want awaiting_choice, 2", l.State, l.AllocatedQty)
	}
	want := []string{
		"backorder_notice email sent",   // l1 backordered
		"delay_option_offer email sent", // its date is past the promise
		"backorder_notice email sent",   // the shop says so again (news after the offer)
		"restock_notice email suppressed (held: a delay-option offer is open; told if the customer waits)",
	}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Fatalf("while the offer is open:\n got %q\nwant %q", got, want)
	}
	runDeadline(t, h, off, time.Hour+5*time.Second)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	want = append(want, "choice_confirmation email sent", "restock_notice email sent")
	if got := settleLog(h, o, want); !slices.Equal(got, want) {
		t.Errorf("after the deadline:\n got %q\nwant %q", got, want)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || !l.ReservedTold {
		t.Errorf("l1 after consent: %s, told %v; want allocated, told", l.State, l.ReservedTold)
	}
}

// The customer chose the substitute for l1; the shop then reports l1 backordered
// again. The line stays swapped (restocks of the kettle pass it by) and the customer,
// who takes the substitute, hears nothing of the kettle's backorder.
func TestBackorderedAnewAfterSubstituteChosen(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_anew_sub"
	substituteChosen(t, h, o, "ans1")
	h.start1(orderEvent("ans2", "order.backordered", "2026-11-03T10:00:00Z", o, custNoConsent, boL1+redKettle))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineSubstitute {
		t.Fatalf("l1 backordered again after the substitute was chosen: %s, want %s", l.State, store.LineSubstitute)
	}
	restocked(t, h, "ans3", 2)
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 0 {
		t.Errorf("the swapped line got %d kettles", l.AllocatedQty)
	}
	want := []string{
		"backorder_notice email sent",    // l1 backordered
		"delay_option_offer email sent",  // its date is past the promise
		"choice_confirmation email sent", // the substitute
	}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// redKettle offers the Red Kettle as l1's substitute, in an order event's data.
const redKettle = `,"substitutes":[{"line_id":"l1","sku":"KET-RED","name":"Red Kettle","unit_price":"39.00"}]`

// substituteChosen backorders l1 of order o past the promise (event id: an offer with
// the Red Kettle opens), has the customer choose the substitute, waits for the
// confirmation and returns the offer.
func substituteChosen(t *testing.T, h *harness, o, id string) store.Offer {
	t.Helper()
	h.start1(orderEvent(id, "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1+redKettle))
	off := offerOf(t, h, o)
	if _, _, err := h.worker.Choose(t.Context(), off.ID, "substitute", "web"); err != nil {
		t.Fatal(err)
	}
	waitConfirmed(t, h, o)
	return off
}
