package jobs_test

// A restock_notice still pending when the units it announced are taken away is
// withdrawn (cases two reviews of cde50d3 found, and the other ways a reservation is
// given up).

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// nothingPending waits until no notification of order o is pending.
func nothingPending(t *testing.T, h *harness, o string) {
	t.Helper()
	waitFor(t, "nothing pending", func() bool {
		return !slices.ContainsFunc(h.summary(o), func(s string) bool { return strings.Contains(s, " pending") })
	})
}

// A restock's id may hold ":reserved:" (an event id is the shop's to choose): its
// batch's notice is still about the restock's SKU, and is withdrawn when l1 is
// backordered again; asynq's retry of the batch then sends nothing.
func TestWithdrawRestockIDWithReservedSep(t *testing.T) {
	for _, id := range []string{"rsep2", "rsep:reserved:2"} {
		t.Run(id, func(t *testing.T) {
			h, rr := rerunHarness(t)
			o := "ord_rsep" + fmt.Sprint(len(id))
			h.start1(backorderL1As(o+"-1", "2026-11-02T10:00:00Z", o, custNoConsent, 2))
			restockAt(t, h, id, "2026-11-05T10:00:00Z", 2)
			r := rr.take(t)
			rr.failRun(t, h, r, "the batch's first run could not queue its send and still reported success")
			rr.down.down.Store(false)
			if n := findKind(t, h, o, "restock_notice", "email"); n.Status != store.NotificationPending {
				t.Fatalf("after the failed run the notice is %s, want pending", n.Status)
			}
			h.start1(backorderL1As(o+"-2", "2026-11-06T10:00:00Z", o, custNoConsent, 2))
			if n := findKind(t, h, o, "restock_notice", "email"); n.Status != store.NotificationSuppressed {
				t.Errorf("l1's kettles taken away, yet its 'reserved' notice is %s %q, want withdrawn", n.Status, n.Reason)
			}
			if err := h.worker.HandleRestockBatch(t.Context(), r); err != nil { // asynq's retry
				t.Fatal(err)
			}
			nothingPending(t, h, o)
			if got := restockNoticeBodies(t, h, o); len(got) != 0 {
				t.Errorf("a 'reserved' notice went out after l1 was backordered anew (nothing reserved):\n%q", h.summary(o))
			}
		})
	}
}

// l1 (2 Blue Kettles) and l2 (a Gift Kettle) are of one SKU. l2 is reserved and the
// customer told; then l1 is reserved, its notice (naming l1 only) left pending, and
// l1 backordered again: that notice is withdrawn, but l2's reservation was told by a
// notice that went out, so when R3 covers l1 again its notice names l1 only.
func TestWithdrawalKeepsOtherLineTold(t *testing.T) {
	h, rr := rerunHarness(t)
	const o = "ord_wd_other"
	run := func(id string) {
		t.Helper()
		if err := h.worker.HandleRestockBatch(t.Context(), rr.take(t)); err != nil {
			t.Fatalf("batch of %s: %v", id, err)
		}
	}
	bo := func(id, at, line string, qty int) string {
		return sameSKU(orderEvent(id, "order.backordered", at, o, custNoConsent,
			fmt.Sprintf(`,"backordered_lines":[{"line_id":%q,"quantity":%d,"eta":"2026-12-01"}]`, line, qty)))
	}
	h.start1(bo("wdo1", "2026-11-02T10:00:00Z", "l2", 1))
	restockAt(t, h, "wdo-r1", "2026-11-03T10:00:00Z", 1)
	rr.flaky.seen.Store(5) // the provider takes this one
	run("r1")
	waitFor(t, "the Gift Kettle told", func() bool { return namedIn(t, h, o, "Gift Kettle") == 1 && lineOf(t, h, o, "l2").ReservedTold })
	h.start1(bo("wdo2", "2026-11-04T10:00:00Z", "l1", 2))
	restockAt(t, h, "wdo-r2", "2026-11-05T10:00:00Z", 2)
	rr.flaky.seen.Store(0) // the provider times out on this one, and its retry cannot be queued
	rr.failRun(t, h, rr.take(t), "the batch's first run could not queue its send and still reported success")
	rr.down.down.Store(false)
	h.start1(bo("wdo3", "2026-11-06T10:00:00Z", "l1", 2))
	if l := lineOf(t, h, o, "l2"); !l.ReservedTold {
		t.Errorf("l2 (reserved, told by a notice that went out) is no longer told after l1 was backordered anew")
	}
	restockAt(t, h, "wdo-r3", "2026-11-07T10:00:00Z", 2)
	run("r3")
	nothingPending(t, h, o)
	if n := namedIn(t, h, o, "Gift Kettle"); n != 1 {
		t.Errorf("the Gift Kettle's one reservation announced %d times:\n%q\n%q", n, h.summary(o), restockNoticeBodies(t, h, o))
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("the Blue Kettles reserved again announced %d times, want 1:\n%q", n, restockNoticeBodies(t, h, o))
	}
}

// The customer chose the substitute and the deadline decided the offer: the line is
// the shop's again. Reported backordered later (the swapped item, most likely), it is
// a backorder like any other, and the customer hears of it.
func TestBackorderedAfterSubstituteDecided(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_wd_subdone"
	off := substituteChosen(t, h, o, "wds1")
	runDeadline(t, h, off, time.Hour+5*time.Second)
	if got := offerOf(t, h, o); got.State == store.OfferOpen {
		t.Fatalf("offer still open after its deadline")
	}
	h.start1(orderEvent("wds2", "order.backordered", "2026-11-03T10:00:00Z", o, custNoConsent,
		`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":"2026-12-20"}]`))
	want := []string{
		"backorder_notice email sent",    // l1 backordered, its date past the promise
		"delay_option_offer email sent",  // wait, substitute or refund
		"choice_confirmation email sent", // the substitute
		"backorder_notice email sent",    // the line backordered again, after the offer was decided
		"delay_option_offer email sent",  // its new date is past the promise too: a new offer
	}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || newOfferOver(t, h, o, off.ID, "l1").ID == off.ID {
		t.Errorf("l1 backordered after its offer was decided: %s, want awaiting the new offer's answer", l.State)
	}
}

// l1's kettles are reserved and its notice committed, its send not queued; then l1's
// date slips past the promise and the offer opens (the reservation kept). The
// customer chooses the substitute, giving the kettles up: the notice still pending
// says "reserved" of kettles the line no longer has, and is withdrawn.
func TestSubstituteChosenWithdrawsPendingNotice(t *testing.T) {
	h, rr := rerunHarness(t, hourToAnswer)
	const o = "ord_wd_sub"
	sub := redKettle
	h.start1(promisedBy(orderEvent("wdc1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q}]`, day(2))+sub), 3))
	restockAt(t, h, "wdc-r", "2026-11-05T10:00:00Z", 2)
	rr.failRun(t, h, rr.take(t), "the batch's first run could not queue its send and still reported success")
	rr.down.down.Store(false)
	h.ingest(promisedBy(orderEvent("wdc2", "order.eta_changed", "2026-11-06T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"changes":[{"line_id":"l1","previous_eta":null,"eta":%q}]`, day(10))+sub), 3))
	waitFor(t, "the offer", func() bool { return slices.Contains(emailLog(h.summary(o)), "delay_option_offer email sent") })
	off := offerOf(t, h, o)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 {
		t.Fatalf("l1 with its offer open: %s, %d allocated; want awaiting_choice, 2", l.State, l.AllocatedQty)
	}
	if _, _, err := h.worker.Choose(t.Context(), off.ID, "substitute", "web"); err != nil {
		t.Fatal(err)
	}
	waitConfirmed(t, h, o)
	n := findKind(t, h, o, "restock_notice", "email")
	if n.Status != store.NotificationSuppressed || !strings.HasPrefix(n.Reason, "superseded: the customer chose substitute") {
		t.Errorf("the restock_notice after the substitute was chosen: %s %q, want withdrawn\n%q", n.Status, n.Reason, h.summary(o))
	}
}

// withL3 makes l2 a Gift Kettle (SKU KET, as l1) and adds l3, a Mug (SKU MUG).
func withL3(raw string) string {
	return strings.Replace(sameSKU(raw), `"unit_price":"9.50"}]`,
		`"unit_price":"9.50"},{"id":"l3","sku":"MUG","name":"Mug","quantity":1,"unit_price":"9.50"}]`, 1)
}

// l1's kettles, reserved while its offer was open, were refunded (the line canceled
// keeps its AllocatedQty). Later l2, a kettle too, is reserved: its email goes out,
// its SMS is held for quiet hours. Then the mug (l3) is backordered: nothing about
// the kettles changes, and l2's held SMS is true and goes out when quiet hours end.
// (Once, the canceled l1 counted as a kettle reservation lost at every later event.)
func TestCanceledLineWithdrawsNoLaterNotice(t *testing.T) {
	h := newHarness(t, strings.Replace(hourToAnswer, `quiet_hours: ""`, fmt.Sprintf(`quiet_hours: %q`, quietNow(t)), 1))
	h.start()
	const o = "ord_wd_canceled"
	emails := func(n int) func() bool { return emailsSent(h, o, n) }
	h.ingest(withL3(promisedBy(orderEvent("wdx1", "order.backordered", "2026-11-02T10:00:00Z", o, custBoth,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q}]`, day(70))), 60)))
	waitFor(t, "backorder_notice and offer emails", emails(2))
	off := offerOf(t, h, o)
	h.ingest(ev("wdx-r1", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":2}`))
	waitFor(t, "l1's kettles reserved, their notice held for the offer", func() bool {
		return slices.ContainsFunc(h.summary(o), func(s string) bool { return strings.HasPrefix(s, "restock_notice email suppressed (held:") })
	})
	if _, _, err := h.worker.Choose(t.Context(), off.ID, "refund", "web"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "choice_confirmation email", emails(3))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineCanceled || l.AllocatedQty != 2 {
		t.Fatalf("l1 after the refund: %s, %d allocated", l.State, l.AllocatedQty)
	}
	h.ingest(withL3(promisedBy(orderEvent("wdx2", "order.backordered", "2026-11-04T10:00:00Z", o, custBoth,
		`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":"2026-12-01"}]`), 60)))
	waitFor(t, "l2's backorder_notice email", emails(4))
	h.ingest(ev("wdx-r2", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":1}`))
	waitFor(t, "l2's restock_notice email", emails(5))
	l2SMS := func() store.Notification { // the newest restock_notice SMS: l2's (l1's was held for its offer)
		t.Helper()
		ns, err := h.st.ListNotifications(t.Context(), store.NotificationFilter{OrderID: o, Kind: "restock_notice"})
		if err != nil {
			t.Fatal(err)
		}
		var last store.Notification
		for _, n := range ns {
			if n.Channel == "sms" {
				last = n
			}
		}
		return last
	}
	if n := l2SMS(); n.Status != store.NotificationPending {
		t.Fatalf("l2's restock_notice SMS: %s %q, want pending (held for quiet hours)", n.Status, n.Reason)
	}
	h.ingest(withL3(promisedBy(orderEvent("wdx3", "order.backordered", "2026-11-06T10:00:00Z", o, custBoth,
		`,"backordered_lines":[{"line_id":"l3","quantity":1,"eta":"2026-12-01"}]`), 60)))
	waitFor(t, "l3's backorder_notice email", emails(6))
	if l := lineOf(t, h, o, "l2"); l.State != store.LineAllocated || l.AllocatedQty != 1 || !l.ReservedTold {
		t.Fatalf("l2 after the mug's backorder: %s, %d allocated, told %v", l.State, l.AllocatedQty, l.ReservedTold)
	}
	if n := l2SMS(); n.Status != store.NotificationPending {
		t.Errorf("l2's kettle is still reserved, yet the held SMS saying so is %s %q\n%q", n.Status, n.Reason, h.summary(o))
	}
}

// quietOffers is hourToAnswer with quiet hours in force now (quietNow).
func quietOffers(t *testing.T) string {
	return strings.Replace(hourToAnswer, `quiet_hours: ""`, fmt.Sprintf(`quiet_hours: %q`, quietNow(t)), 1)
}

// restockSMS returns the order's restock_notice SMS naming want that was not held
// for an offer.
func restockSMS(t *testing.T, h *harness, o, want string) store.Notification {
	t.Helper()
	ns, err := h.st.ListNotifications(t.Context(), store.NotificationFilter{OrderID: o, Kind: "restock_notice"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Channel == "sms" && strings.Contains(n.Body, want) && !strings.HasPrefix(n.Reason, "held: a delay-option") {
			return n
		}
	}
	t.Fatalf("no restock_notice SMS naming %q:\n%q", want, h.summary(o))
	return store.Notification{}
}

// l1 (2 Blue Kettles, late: an offer over it) and l2 (a Gift Kettle of the same
// SKU, on time). A restock of 3 covers both: the notice names l2 (l1 is held for its
// offer); its email goes out, its SMS waits for quiet hours to end. The customer then
// refunds l1. l1 was named in no notice, so the SMS about l2 — still true — stays.
func TestRefundOfHeldLineKeepsOtherLineNotice(t *testing.T) {
	h := newHarness(t, quietOffers(t))
	h.start()
	const o = "ord_wd_sibling"
	off := heldAndNamed(t, h, o)
	if _, _, err := h.worker.Choose(t.Context(), off.ID, "refund", "web"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "choice_confirmation email", emailsSent(h, o, 4))
	if l2 := lineOf(t, h, o, "l2"); l2.State != store.LineAllocated || l2.AllocatedQty != 1 || !l2.ReservedTold {
		t.Fatalf("l2 after l1's refund: %s, %d allocated, told %v; want allocated, 1, told", l2.State, l2.AllocatedQty, l2.ReservedTold)
	}
	if n := restockSMS(t, h, o, "Gift Kettle"); n.Status != store.NotificationPending {
		t.Errorf("l2's Gift Kettle is still reserved, yet the held SMS naming only it is %s %q\n%q", n.Status, n.Reason, h.summary(o))
	}
}

// l1's kettles are reserved: the email goes out, the SMS waits for quiet hours to
// end. A parcel then ships both kettles (the order stays open: the mug is still to
// come). "Back in stock, will ship soon" is not news any more: the held SMS is
// withdrawn, and the partial_shipment tells of the parcel.
func TestParcelWithdrawsPendingNoticeOfShippedLine(t *testing.T) {
	h := newHarness(t, quietOffers(t))
	h.start()
	const o = "ord_wd_ship"
	h.ingest(promisedBy(backorderL1As("wdp1", "2026-11-02T10:00:00Z", o, custBoth, 2), 60))
	waitFor(t, "backorder_notice email", emailsSent(h, o, 1))
	h.ingest(ev("wdp-r", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":2}`))
	waitFor(t, "restock_notice email", emailsSent(h, o, 2))
	if n := restockSMS(t, h, o, "Blue Kettle"); n.Status != store.NotificationPending {
		t.Fatalf("the restock_notice SMS: %s %q, want pending (quiet hours)", n.Status, n.Reason)
	}
	h.ingest(promisedBy(orderEvent("wdp2", "order.partially_shipped", "2026-11-04T10:00:00Z", o, custBoth,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":2}`)), 60))
	waitFor(t, "partial_shipment email", emailsSent(h, o, 3))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineShipped {
		t.Fatalf("l1 after the parcel: %s, want shipped", l.State)
	}
	if n := restockSMS(t, h, o, "Blue Kettle"); n.Status != store.NotificationSuppressed ||
		!strings.HasPrefix(n.Reason, "superseded: shipped (event wdp2)") {
		t.Errorf("the kettles shipped, yet the held SMS saying they will ship soon is %s %q\n%q", n.Status, n.Reason, h.summary(o))
	}
}

// l2 (a Gift Kettle) is reserved and the customer told: its email goes out, its SMS
// waits for quiet hours. Then l1 (2 Blue Kettles, the same SKU) is reserved by
// another restock: its notice names l1 only (l2 was told), the SMS waits too. A
// parcel ships l2: its held SMS is withdrawn, but l1's — true, and about l1 only —
// stays. (Once, any told line of the SKU lost withdrew every pending notice of it.)
func TestParcelKeepsOtherLineNotice(t *testing.T) {
	h := newHarness(t, quietOffers(t))
	h.start()
	const o = "ord_wd_parcel_other"
	bo := func(id, at, line string, qty int) string {
		return sameSKU(promisedBy(orderEvent(id, "order.backordered", at, o, custBoth,
			fmt.Sprintf(`,"backordered_lines":[{"line_id":%q,"quantity":%d,"eta":"2026-12-01"}]`, line, qty)), 60))
	}
	h.ingest(bo("wdq1", "2026-11-02T10:00:00Z", "l2", 1))
	waitFor(t, "l2's backorder_notice email", emailsSent(h, o, 1))
	h.ingest(ev("wdq-r1", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":1}`))
	waitFor(t, "l2's restock_notice email", emailsSent(h, o, 2))
	h.ingest(bo("wdq2", "2026-11-04T10:00:00Z", "l1", 2))
	waitFor(t, "l1's backorder_notice email", emailsSent(h, o, 3))
	h.ingest(ev("wdq-r2", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":2}`))
	waitFor(t, "l1's restock_notice email", emailsSent(h, o, 4))
	if n := restockSMS(t, h, o, "Blue Kettle"); n.Status != store.NotificationPending || strings.Contains(n.Body, "Gift Kettle") {
		t.Fatalf("l1's restock_notice SMS: %s %q %q, want pending, naming l1 only", n.Status, n.Reason, n.Body)
	}
	h.ingest(sameSKU(promisedBy(orderEvent("wdq3", "order.partially_shipped", "2026-11-06T10:00:00Z", o, custBoth,
		shipmentJSON("s1", "1Z1", `{"line_id":"l2","quantity":1}`)), 60)))
	waitFor(t, "partial_shipment email", emailsSent(h, o, 5))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || l.AllocatedQty != 2 || !l.ReservedTold {
		t.Fatalf("l1 after l2's parcel: %s, %d allocated, told %v", l.State, l.AllocatedQty, l.ReservedTold)
	}
	if n := restockSMS(t, h, o, "Gift Kettle"); n.Status != store.NotificationSuppressed {
		t.Errorf("l2 shipped, yet its held SMS is %s %q", n.Status, n.Reason)
	}
	if n := restockSMS(t, h, o, "Blue Kettle"); n.Status != store.NotificationPending {
		t.Errorf("l1's kettles are still reserved, yet the held SMS naming only them is %s %q\n%q", n.Status, n.Reason, h.summary(o))
	}
}

// l1 (2 Blue Kettles, its offer open) and l2 (a Gift Kettle of the same SKU). R
// covers both: its notice names l2 only (l1 is held for the offer); the email goes
// out, the SMS waits for quiet hours. The customer waits: the deadline tells of l1's
// kettles in a notice of its own. A parcel then ships l1: R's held SMS, about l2 only
// and still true, stays. (R reserved units for l1 too, but held them back.)
func TestParcelOfHeldLineKeepsBatchNotice(t *testing.T) {
	h := newHarness(t, quietOffers(t))
	h.start()
	const o = "ord_wd_held_row"
	off := heldAndNamed(t, h, o)
	if _, _, err := h.worker.Choose(t.Context(), off.ID, "wait", "web"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "choice_confirmation email", emailsSent(h, o, 4))
	runDeadline(t, h, offerOf(t, h, o), 80*24*time.Hour)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || !l.ReservedTold {
		t.Fatalf("l1 after the deadline: %s, told %v\n%q", l.State, l.ReservedTold, h.summary(o))
	}
	h.ingest(sameSKU(promisedBy(orderEvent("wdh2", "order.partially_shipped", "2026-11-06T10:00:00Z", o, custBoth,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":2}`)), 60)))
	waitFor(t, "l1 shipped", func() bool { return lineOf(t, h, o, "l1").State == store.LineShipped })
	waitFor(t, "l1's own held SMS withdrawn", func() bool {
		return restockSMS(t, h, o, "Blue Kettle").Status == store.NotificationSuppressed
	})
	if l := lineOf(t, h, o, "l2"); l.State != store.LineAllocated || l.AllocatedQty != 1 || !l.ReservedTold {
		t.Fatalf("l2 after l1's parcel: %s, %d allocated, told %v", l.State, l.AllocatedQty, l.ReservedTold)
	}
	if n := restockSMS(t, h, o, "Gift Kettle"); n.Status != store.NotificationPending {
		t.Errorf("l2's Gift Kettle is still reserved, yet the held SMS naming only it is %s %q\n%q", n.Status, n.Reason, h.summary(o))
	}
}

// heldAndNamed sets up order o (quiet hours now): l1 (2 Blue Kettles, late: an offer
// over it) and l2 (a Gift Kettle of the same SKU, on time); a restock of 3 covers
// both, its notice names l2 only (l1 is held for its offer), the email goes out and
// the SMS waits for quiet hours to end. It returns the offer.
func heldAndNamed(t *testing.T, h *harness, o string) store.Offer {
	t.Helper()
	h.ingest(sameSKU(promisedBy(orderEvent(o+"-1", "order.backordered", "2026-11-02T10:00:00Z", o, custBoth,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":"2026-12-01"}]`,
			day(70))), 60)))
	waitFor(t, "backorder_notice and offer emails", emailsSent(h, o, 2))
	off := newOfferOver(t, h, o, "", "l1")
	h.ingest(ev(o+"-r", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":3}`))
	waitFor(t, "l2's restock_notice email", emailsSent(h, o, 3))
	if n := restockSMS(t, h, o, "Gift Kettle"); n.Status != store.NotificationPending || strings.Contains(n.Body, "Blue Kettle") {
		t.Fatalf("l2's restock_notice SMS: %s %q %q, want pending, naming l2 only", n.Status, n.Reason, n.Body)
	}
	return off
}
