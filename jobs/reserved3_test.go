package jobs_test

// Reservation notices at a "wait" decision: cases a review of 278baa2 and 421bf4e
// found, each failing there (an eighth review).

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// l1 (2 kettles) is late and offered at once. A restock R (Nov 5) reserves one of the
// two: not all of l1 is covered, so R's batch holds nothing back. A parcel dated Nov 4
// (before R), heard of after R's batch, ships one kettle: R's kettle cannot have been
// in it, so it stays reserved and covers the one still owed — l1 (still awaiting the
// choice) is now fully reserved. Heard of in time order, R's batch would have held a
// restock_notice for the offer; heard of this way nobody records one. Silence at the
// deadline is consent: l1 returns to allocated, and the customer must hear that the
// kettle is reserved.
func TestCrossedParcelAwaitingLineToldAtWait(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_rv8a"
	h.start1(promisedBy(backorderL1("rv8a1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(70))), 60))
	off := offerOf(t, h, o)
	if !slices.Equal(off.LineIDs, []string{"l1"}) {
		t.Fatalf("offer over %q, want l1", off.LineIDs)
	}
	restockAt(t, h, "rv8a-r", "2026-11-05T10:00:00Z", 1)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 1 {
		t.Fatalf("l1 after the restock: %s, %d allocated; want awaiting_choice, 1", l.State, l.AllocatedQty)
	}
	h.step(promisedBy(orderEvent("rv8a-p", "order.partially_shipped", "2026-11-04T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)), 60))
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 1 || l.ShippedQty != 1 {
		t.Fatalf("l1 after the parcel: %s, %d allocated, %d shipped; want awaiting_choice, 1, 1", l.State, l.AllocatedQty, l.ShippedQty)
	}
	if got := offerOf(t, h, o); got.State != store.OfferOpen {
		t.Fatalf("offer %s after the parcel, want open (one kettle still owed)", got.State)
	}
	runDeadline(t, h, off, 61*24*time.Hour) // past P: silence is consent
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after consent: %s, want allocated", l.State)
	}
	waitConfirmed(t, h, o)
	// Message by message (email; the customer has no SMS consent), leaving out any
	// record held back for the offer (a fix may record one at the parcel):
	want := []string{
		"backorder_notice email sent",    // l1 backordered
		"delay_option_offer email sent",  // l1 late
		"partial_shipment email sent",    // the parcel (1 kettle)
		"choice_confirmation email sent", // silence: wait
		"restock_notice email sent",      // the kettle still owed is reserved
	}
	if got := outLog(h, o); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("\n got %q\nwant %q (in any order)", got, want)
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 1"); n != 1 {
		t.Errorf("the reserved kettle named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}

// l1 (2 kettles) is reserved by R1 before any offer, and the customer is told (R1's
// restock_notice names "Blue Kettle (Qty 2)"). l1's date then slips past the promise:
// an offer over l1, which keeps the reservation. While it is open, l2 (a gift kettle,
// same SKU, not late) is backordered and R2 reserves it: R2 gives l1 nothing (it
// misses nothing), but its batch tells the customer of l2 and records a held notice
// for the offer about the SKU (l1 is awaiting and covered). Silence at the deadline
// is consent: l1's kettles, told at R1, must not be announced again (handling.md
// "Reserved stock": a line reserved before its offer, whose customer was told then,
// is not named again).
func TestHeldNoticeNamesNoLineToldBeforeOffer(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_rv8b"
	h.start1(sameSKU(promisedBy(backorderL1("rv8b1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3)))
	restocked(t, h, "rv8b2", 2) // R1, Nov 5
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after R1: %s, want allocated", l.State)
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Fatalf("R1's notice: l1 named %d times, want 1: %q", n, h.summary(o))
	}
	h.start1(sameSKU(promisedBy(etaChange("rv8b3", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3)))
	off := offerOf(t, h, o)
	if !slices.Equal(off.LineIDs, []string{"l1"}) {
		t.Fatalf("offer over %q, want l1", off.LineIDs)
	}
	h.start1(sameSKU(promisedBy(orderEvent("rv8b4", "order.backordered", "2026-11-06T11:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(2))), 3)))
	restockAt(t, h, "rv8b5", "2026-11-07T10:00:00Z", 1) // R2: all of it to l2
	if l := lineOf(t, h, o, "l2"); l.State != store.LineAllocated {
		t.Fatalf("l2 after R2: %s, want allocated", l.State)
	}
	if n := namedIn(t, h, o, "Gift Kettle (Qty 1"); n != 1 {
		t.Fatalf("R2's notice: l2 named %d times, want 1: %q", n, h.summary(o))
	}
	runDeadline(t, h, off, 4*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after consent: %s, want allocated", l.State)
	}
	waitConfirmed(t, h, o)
	want := []string{
		"backorder_notice email sent",    // l1 backordered
		"restock_notice email sent",      // R1: l1's two kettles reserved
		"delay_option_offer email sent",  // l1's date slips past the promise
		"backorder_notice email sent",    // l2 backordered
		"restock_notice email sent",      // R2: l2 reserved
		"choice_confirmation email sent", // silence: wait
		// and no third restock_notice: l1's kettles were told at R1
	}
	if got := outLog(h, o); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("l1's kettles (told at R1, before the offer) named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}

// outLog is the order's email log less the restock notices held back for an offer
// (records of what was not sent, which a fix may add or drop).
func outLog(h *harness, o string) []string {
	var out []string
	for _, s := range emailLog(h.summary(o)) {
		if !strings.Contains(s, "suppressed (held:") {
			out = append(out, s)
		}
	}
	return out
}

// custSamePhone is another customer (another email address) with custBoth's phone:
// both count toward one SMS daily cap.
const custSamePhone = `{"id":"c9","name":"Ada L.","email":"ada.work@example.com","phone":"+14155550100","locale":"en-US","time_zone":"America/New_York","sms_consent":true}`

// restockEmails counts the order's restock_notice emails that went out (or will).
func restockEmails(t *testing.T, h *harness, o string) int {
	t.Helper()
	ns, err := h.st.ListNotifications(t.Context(), store.NotificationFilter{OrderID: o, Kind: "restock_notice"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Channel == store.ChannelEmail && (x.Status == store.NotificationSent || x.Status == store.NotificationPending ||
			x.Status == store.NotificationDelivered) {
			n++
		}
	}
	return n
}

// The daily cap is per channel and address: R1's restock_notice goes out by email but
// its SMS is capped (the phone has had 2 updates today, one from another order). The
// customer heard of the kettles (by email). l1's date slips past the promise; silence
// is consent. The "latest notice about the SKU was capped" check compares the SMS
// record (created just after the email) with the email: the capped SMS looks like the
// latest news, and the email address gets the same restock_notice a second time.
func TestCappedSMSDoesNotResendToldEmail(t *testing.T) {
	h := newHarness(t, strings.Replace(hourToAnswer, "max_updates_per_day: 100", "max_updates_per_day: 2", 1))
	h.start()
	const o, other = "ord_rv8c", "ord_rv8d"
	h.start1(promisedBy(orderEvent("rv8c1", "order.backordered", "2026-11-02T10:00:00Z", o, custBoth,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q}]`, day(2))), 3))
	h.start1(promisedBy(orderEvent("rv8d1", "order.backordered", "2026-11-02T10:00:00Z", other, custSamePhone,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(10))), 60))
	restocked(t, h, "rv8c2", 2) // R1, Nov 5: l1 reserved
	want := []string{
		"backorder_notice email sent",
		"backorder_notice sms sent",
		"restock_notice email sent",
		"restock_notice sms suppressed (capped: 2 updates in the last 24 h (max_updates_per_day 2))",
	}
	if got := h.summary(o); !slices.Equal(got, want) {
		t.Fatalf("after R1:\n got %q\nwant %q", got, want)
	}
	h.start1(promisedBy(orderEvent("rv8c3", "order.eta_changed", "2026-11-06T10:00:00Z", o, custBoth,
		fmt.Sprintf(`,"changes":[{"line_id":"l1","previous_eta":null,"eta":%q}]`, day(10))), 3))
	off := offerOf(t, h, o)
	runDeadline(t, h, off, 4*24*time.Hour) // the cap's 24 h are long past
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	waitConfirmed(t, h, o)
	// By email, message by message: backorder_notice, restock_notice (R1),
	// delay_option_offer, choice_confirmation — one restock_notice.
	if got, want := emailLog(h.summary(o)), []string{"backorder_notice email sent", "restock_notice email sent",
		"delay_option_offer email sent", "choice_confirmation email sent"}; !slices.Equal(got, want) {
		t.Errorf("email:\n got %q\nwant %q", got, want)
	}
	if n := restockEmails(t, h, o); n != 1 {
		t.Errorf("restock_notice emailed %d times, want once (the email of R1's notice went out):\n%q", n, h.summary(o))
	}
}

// l1 (2 kettles) is late and offered, with a substitute. R1 reserves the kettles while
// the offer is open: held for the offer. The customer chooses the substitute (l1 gives
// up R1's kettles) and switches back to wait; R2 reserves two kettles for l1 anew, its
// notice batch still queued (a busy low queue). Silence at the deadline is consent,
// and R2's batch runs late, after another message went out (l2 backordered): the
// customer hears of l1's kettles once — whether R2 is stamped after R1 or, heard of
// later all the same, before it. (Once, the held record of R1, whose kettles l1 gave
// up, made the "wait" announce l1 and R2's batch announced it again.)
func TestHeldNoticeOfGivenUpReservation(t *testing.T) {
	for _, c := range []struct{ name, order, r1At, r2At string }{
		{"R2 stamped after R1", "ord_rv8e", "2026-11-04T10:00:00Z", "2026-11-05T10:00:00Z"},
		{"R2 stamped before R1", "ord_rv9b", "2026-11-05T10:00:00Z", "2026-11-04T10:00:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) { heldNoticeOfGivenUpReservation(t, c.order, c.r1At, c.r2At) })
	}
}

func heldNoticeOfGivenUpReservation(t *testing.T, o, r1At, r2At string) {
	h := newHarness(t, hourToAnswer)
	hb := h.holdingBatches()
	h.start()
	sub := `,"substitutes":[{"line_id":"l1","sku":"KET-RED","name":"Red Kettle","unit_price":"39.00"}]`
	h.start1(promisedBy(orderEvent(o+"-1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q}]`, day(70))+sub), 60))
	off := offerOf(t, h, o)
	restockAt(t, h, o+"-r1", r1At, 2)
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
	restockAt(t, h, o+"-r2", r2At, 2) // R2: its batch stays queued
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 2 {
		t.Fatalf("l1 after R2: %d allocated, want 2", l.AllocatedQty)
	}
	runDeadline(t, h, off, 61*24*time.Hour) // (the clock stays there)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait", got.Choice)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the deadline: %s, want allocated", l.State)
	}
	time.Sleep(500 * time.Millisecond)
	h.start1(promisedBy(orderEvent(o+"-3", "order.backordered", "2026-11-06T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(65))), 60))
	runBatches(t, h, hb) // R2's, late
	time.Sleep(time.Second)
	// One restock_notice went out (email; no SMS consent), naming l1's two kettles.
	if got, want := restockLog(h, o), []string{"restock_notice email sent"}; !slices.Equal(got, want) {
		t.Errorf("restock notices:\n got %q\nwant %q\n%q", got, want, h.summary(o))
	}
	if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
		t.Errorf("l1's kettles named in %d restock notices, want 1:\n%q", n, h.summary(o))
	}
}

// runBatches runs the restock batches hb held back and not run yet.
func runBatches(t *testing.T, h *harness, hb *holdBatches) {
	t.Helper()
	hb.mu.Lock()
	held := slices.Clone(hb.held)
	hb.held = nil
	hb.mu.Unlock()
	for _, b := range held {
		if err := h.worker.HandleRestockBatch(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
}

// Two lines of one SKU: l1 (2 kettles) and l2 (a gift kettle). A restock of 2 reserves
// l1's kettles (oldest first, by line); l2 still waits, so the order hears nothing yet
// (a restock_notice goes out when all of an order's backordered kettles are covered).
// A parcel then ships l2 from other stock: every kettle still owed is reserved now.
// The customer hears of the parcel and, in a restock_notice, of l1's two kettles —
// once, also when the restock's batch runs only after the parcel.
func TestParcelOfUncoveredLineTellsReservedLine(t *testing.T) {
	for _, batchLast := range []bool{false, true} {
		t.Run(fmt.Sprint("batch after the parcel: ", batchLast), func(t *testing.T) {
			h := newHarness(t)
			hb := h.holdingBatches()
			h.start()
			const o = "ord_unc"
			h.step(sameSKU(orderEvent("unc1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
				`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":"2026-12-01"},{"line_id":"l2","quantity":1,"eta":"2026-12-01"}]`)))
			restockAt(t, h, "unc-r", "2026-11-05T10:00:00Z", 2)
			if !batchLast {
				runBatches(t, h, hb)
			}
			if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || l.AllocatedQty != 2 {
				t.Fatalf("l1 after the restock: %s, %d allocated; want allocated, 2", l.State, l.AllocatedQty)
			}
			if l := lineOf(t, h, o, "l2"); l.State != store.LineBackordered || l.AllocatedQty != 0 {
				t.Fatalf("l2 after the restock: %s, %d allocated; want backordered, 0", l.State, l.AllocatedQty)
			}
			if got, want := emailLog(h.summary(o)), []string{"backorder_notice email sent"}; !slices.Equal(got, want) {
				t.Fatalf("after the restock:\n got %q\nwant %q", got, want)
			}
			h.step(sameSKU(orderEvent("unc-p", "order.partially_shipped", "2026-11-06T10:00:00Z", o, custNoConsent,
				shipmentJSON("s1", "1Z1", `{"line_id":"l2","quantity":1}`))))
			waitFor(t, "the parcel's messages", func() bool { return settled(h, o, 3) })
			if batchLast {
				runBatches(t, h, hb)
			}
			want := []string{
				"backorder_notice email sent", // l1 and l2
				"partial_shipment email sent", // l2
				"restock_notice email sent",   // l1's kettles reserved
			}
			if got := emailLog(h.summary(o)); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
				t.Errorf("\n got %q\nwant %q (in any order)", got, want)
			}
			if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
				t.Errorf("l1's kettles named in %d restock notices, want 1:\n%q", n, h.summary(o))
			}
			if n := namedIn(t, h, o, "Gift Kettle"); n != 0 {
				t.Errorf("the shipped gift kettle named in %d restock notices, want 0", n)
			}
		})
	}
}

// The same when the line still waiting is canceled instead: l2 (a gift kettle, an
// indefinite backorder) is offered at once and silence cancels it; l1's two kettles
// are not late. A restock of 2 reserves l1's kettles (l2 waits: no notice yet). When
// l2 is canceled — the customer takes the refund, or the deadline passes in silence —
// every kettle still owed is reserved, and the customer hears of l1's, once.
func TestCanceledUncoveredLineTellsReservedLine(t *testing.T) {
	for _, by := range []string{"refund", "deadline"} {
		t.Run(by, func(t *testing.T) {
			h := newHarness(t, hourToAnswer)
			h.start()
			const o = "ord_unx"
			h.start1(sameSKU(promisedBy(orderEvent("unx1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
				fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q},{"line_id":"l2","quantity":1,"eta":null,"backorder_type":"indefinite"}]`,
					day(10))), 60)))
			off := offerOf(t, h, o)
			if !slices.Equal(off.LineIDs, []string{"l2"}) || off.Silence != store.SilenceCancel {
				t.Fatalf("offer over %q, silence %s; want l2, cancel", off.LineIDs, off.Silence)
			}
			restocked(t, h, "unx-r", 2)
			if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || l.AllocatedQty != 2 {
				t.Fatalf("l1 after the restock: %s, %d allocated; want allocated, 2", l.State, l.AllocatedQty)
			}
			want := []string{"backorder_notice email sent", "delay_option_offer email sent"}
			if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
				t.Fatalf("after the restock:\n got %q\nwant %q", got, want)
			}
			if by == "refund" {
				if _, changed, err := h.worker.Choose(t.Context(), off.ID, "refund", "web"); err != nil || !changed {
					t.Fatalf("refund: changed %v, %v", changed, err)
				}
				want = append(want, "choice_confirmation email sent")
			} else {
				runDeadline(t, h, off, 100*24*time.Hour) // past max(P + D, sent + M)
				want = append(want, "auto_cancel_notice email sent")
			}
			want = append(want, "restock_notice email sent") // l1's kettles reserved
			waitFor(t, "the messages", func() bool { return settled(h, o, len(want)) || len(emailLog(h.summary(o))) > len(want) })
			if l := lineOf(t, h, o, "l2"); l.State != store.LineCanceled {
				t.Errorf("l2: %s, want canceled", l.State)
			}
			if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
			if n := namedIn(t, h, o, "Blue Kettle (Qty 2"); n != 1 {
				t.Errorf("l1's kettles named in %d restock notices, want 1:\n%q", n, h.summary(o))
			}
		})
	}
}
