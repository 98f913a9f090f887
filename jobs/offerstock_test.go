package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
)

// Offers and stock: restocks while a delay-option offer is open, a reserved line
// whose date slips past the promise, and parcels that carry an offer's lines.

// hourToAnswer is flowPolicy with an hour to answer: the deadline runs when the test
// calls it, with the worker's clock moved past it.
var hourToAnswer = strings.Replace(flowPolicy, "min_response_time: 2s", "min_response_time: 1h", 1)

// lineOf returns the stored state of a line of order.
func lineOf(t *testing.T, h *harness, order, line string) store.OrderLine {
	t.Helper()
	o, err := h.st.GetOrder(context.Background(), order)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range o.Lines {
		if l.LineID == line {
			return l
		}
	}
	t.Fatalf("order %s has no line %s", order, line)
	return store.OrderLine{}
}

// runDeadline runs the deadline of off with the worker's clock at after.
func runDeadline(t *testing.T, h *harness, off store.Offer, after time.Duration) {
	t.Helper()
	h.skew.Store(int64(after))
	if err := h.worker.HandleDeadline(context.Background(), followUpTask(jobs.TypeDeadline, off)); err != nil {
		t.Fatal(err)
	}
}

// restocked handles a restock of n kettles and waits until its notice batches and
// their sends are done: no task pending, active or retrying in any queue.
func restocked(t *testing.T, h *harness, id string, n int) {
	t.Helper()
	h.start1(ev(id, "inventory.restocked", "2026-11-05T10:00:00Z", "", fmt.Sprintf(`{"brand":"acme","sku":"KET","quantity":%d}`, n)))
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	waitFor(t, "restock "+id+" done", func() bool {
		for q := range jobs.QueueWeights() {
			if info, err := in.GetQueueInfo(q); err == nil && info.Pending+info.Active+info.Retry > 0 {
				return false
			}
		}
		ns, _ := h.st.ListNotifications(context.Background(), store.NotificationFilter{Status: store.NotificationPending})
		return len(ns) == 0
	})
}

// A restock while the oldest order's offer is open: that customer may still choose to
// wait, so the order keeps its turn — the kettles are reserved for it, not for a
// younger order — but is not told while the offer is open (it may still end in a
// cancellation). Silence at the deadline is consent: the line goes back to allocated,
// not backordered, and now the customer hears the kettles are reserved. The next
// restock passes the line by and covers the younger order.
func TestFlowRestockDuringOffer(t *testing.T) { forEachDB(t, flowRestockDuringOffer) }

func flowRestockDuringOffer(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const older, younger = "ord_rdo_a", "ord_rdo_b" // placed at the same time: ties by id
	h.start1(orderEvent("rdo1", "order.backordered", "2026-11-02T10:00:00Z", older, custNoConsent, boL1))
	h.start1(orderEvent("rdo2", "order.backordered", "2026-11-02T10:00:00Z", younger, custNoConsent, boL1))
	off := offerOf(t, h, older)
	if l := lineOf(t, h, older, "l1"); l.State != store.LineAwaiting {
		t.Fatalf("l1 of %s is %s before the restock, want awaiting_choice", older, l.State)
	}
	restocked(t, h, "rdo3", 2)
	if l := lineOf(t, h, older, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 {
		t.Errorf("l1 of %s after the restock: %s, %d allocated; want awaiting_choice, 2", older, l.State, l.AllocatedQty)
	}
	if l := lineOf(t, h, younger, "l1"); l.AllocatedQty != 0 {
		t.Errorf("l1 of %s got %d of the older order's kettles", younger, l.AllocatedQty)
	}
	want := []string{"backorder_notice email sent", "delay_option_offer email sent", "restock_notice email suppressed (held: a delay-option offer is open; told if the customer waits)"}
	if got := emailLog(h.summary(older)); !slices.Equal(got, want) {
		t.Errorf("%s while the offer is open:\n got %q\nwant %q", older, got, want)
	}

	runDeadline(t, h, off, time.Hour+5*time.Second)
	if got := offerOf(t, h, older); got.Choice != "wait" || got.ChoiceChannel != "silence" {
		t.Fatalf("offer decided as %q by %q, want wait by silence", got.Choice, got.ChoiceChannel)
	}
	if l := lineOf(t, h, older, "l1"); l.State != store.LineAllocated {
		t.Errorf("l1 of %s after consent: %s, want allocated (its kettles are reserved)", older, l.State)
	}
	waitFor(t, "the confirmation and the notice", func() bool { return settled(h, older, 5) })
	if body := findKind(t, h, older, "restock_notice", "email").Body; !strings.Contains(body, "Blue Kettle (Qty 2") {
		t.Errorf("the restock notice names the two kettles:\n%s", body)
	}
	restocked(t, h, "rdo4", 5)
	if l := lineOf(t, h, older, "l1"); l.AllocatedQty != 2 {
		t.Errorf("l1 of %s after the second restock: %d allocated, want still 2", older, l.AllocatedQty)
	}
	if l := lineOf(t, h, younger, "l1"); l.AllocatedQty != 2 {
		t.Errorf("l1 of %s after the second restock: %d allocated, want 2", younger, l.AllocatedQty)
	}
	want = append(want, "choice_confirmation email sent", "restock_notice email sent") // and no second restock_notice
	if got := emailLog(h.summary(older)); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("%s:\n got %q\nwant %q (in any order)", older, got, want)
	}
}

// The same restock while an offer with no date is open: silence is not consent, and
// the customer, who never answered, is canceled at the deadline — without having been
// told the kettles were reserved and would ship. (The kettles are not handed on by
// notifyd: the shop's inventory gets them back with the cancellation, and its
// inventory.restocked for them covers the next order.)
func TestFlowRestockDuringOfferThenCanceled(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_rdc"
	h.start1(orderEvent("rdc1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":null}]`))
	off := offerOf(t, h, o)
	if off.Silence != store.SilenceCancel {
		t.Fatalf("offer silence %s, want cancel", off.Silence)
	}
	restocked(t, h, "rdc2", 2)
	runDeadline(t, h, off, 40*24*time.Hour)
	waitFor(t, "the notice", func() bool { return slices.Contains(emailLog(h.summary(o)), "auto_cancel_notice email sent") })
	want := []string{"backorder_notice email sent", "delay_option_offer email sent", "restock_notice email suppressed (held: a delay-option offer is open; told if the customer waits)", "auto_cancel_notice email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineCanceled {
		t.Errorf("l1 after the deadline: %s, want canceled", l.State)
	}
}

// A customer who chose the substitute no longer waits for the kettle: a restock passes
// the line by. Switching back to wait before the deadline puts it in line again.
func TestFlowSubstituteChosenThenRestock(t *testing.T) {
	forEachDB(t, flowSubstituteChosenThenRestock)
}

func flowSubstituteChosenThenRestock(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const chose, other = "ord_scr_a", "ord_scr_b"
	sub := `,"substitutes":[{"line_id":"l1","sku":"KET-RED","name":"Red Kettle","unit_price":"39.00"}]`
	h.start1(orderEvent("scr1", "order.backordered", "2026-11-02T10:00:00Z", chose, custNoConsent, boL1+sub))
	h.start1(orderEvent("scr2", "order.backordered", "2026-11-02T10:00:00Z", other, custNoConsent, boL1))
	off := offerOf(t, h, chose)
	if _, _, err := h.worker.Choose(context.Background(), off.ID, "substitute", "web"); err != nil {
		t.Fatal(err)
	}
	if l := lineOf(t, h, chose, "l1"); l.State != store.LineSubstitute {
		t.Fatalf("l1 after choosing the substitute: %s, want %s", l.State, store.LineSubstitute)
	}
	restocked(t, h, "scr3", 2)
	if l := lineOf(t, h, chose, "l1"); l.AllocatedQty != 0 {
		t.Errorf("the swapped line got %d kettles", l.AllocatedQty)
	}
	if l := lineOf(t, h, other, "l1"); l.AllocatedQty != 2 {
		t.Errorf("%s: %d kettles allocated, want 2", other, l.AllocatedQty)
	}
	if _, _, err := h.worker.Choose(context.Background(), off.ID, "wait", "web"); err != nil {
		t.Fatal(err)
	}
	if l := lineOf(t, h, chose, "l1"); l.State != store.LineAwaiting {
		t.Fatalf("l1 after switching back to wait: %s, want awaiting_choice", l.State)
	}
	restocked(t, h, "scr4", 2)
	if l := lineOf(t, h, chose, "l1"); l.AllocatedQty != 2 {
		t.Errorf("after switching back to wait: %d kettles allocated, want 2", l.AllocatedQty)
	}
}

// The substitute chosen after a restock reserved the kettles for the line: the line
// no longer waits for them, and keeps none reserved.
func TestFlowSubstituteAfterRestock(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_sar"
	sub := `,"substitutes":[{"line_id":"l1","sku":"KET-RED","name":"Red Kettle","unit_price":"39.00"}]`
	h.start1(orderEvent("sar1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1+sub))
	off := offerOf(t, h, o)
	restocked(t, h, "sar2", 2)
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 2 {
		t.Fatalf("l1 after the restock: %d allocated, want 2", l.AllocatedQty)
	}
	if _, _, err := h.worker.Choose(context.Background(), off.ID, "substitute", "web"); err != nil {
		t.Fatal(err)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineSubstitute || l.AllocatedQty != 0 {
		t.Errorf("l1 after choosing the substitute: %s, %d allocated; want %s, 0", l.State, l.AllocatedQty, store.LineSubstitute)
	}
}

// Reserved stock is still a backorder the promise applies to: when the shop moves a
// reserved line's date past the promise, the customer gets the offer (a date within
// it is only an eta_update). The offer keeps the reservation.
func TestReservedLineLate(t *testing.T) {
	h := newHarness(t)
	h.start()
	const o = "ord_reserved_late"
	h.step(backorderL1("rl1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	restocked(t, h, "rl2", 5)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the restock: %s, want allocated", l.State)
	}
	h.step(etaChange("rl3", "2026-11-06T10:00:00Z", o, `"2026-12-05"`))
	h.step(etaChange("rl4", "2026-11-07T10:00:00Z", o, fmt.Sprintf("%q", day(60))))
	want := []string{"backorder_notice email sent", "restock_notice email sent", "eta_update email sent", "delay_option_offer email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 {
		t.Errorf("l1 after the late date: %s, %d allocated; want awaiting_choice, 2", l.State, l.AllocatedQty)
	}
}

// An offer whose line ships in a parcel has nothing left to decide: it closes with
// its reminder and deadline, so the customer is not asked about a kettle on its way,
// and the mug, late later, gets an offer of its own.
func TestFlowOfferedLineShips(t *testing.T) { forEachDB(t, flowOfferedLineShips) }

func flowOfferedLineShips(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_ols"
	h.start1(orderEvent("ols1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
	first := offerOf(t, h, o)
	h.start1(orderEvent("ols2", "order.partially_shipped", "2026-11-03T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":2}`)))
	if got := offerOf(t, h, o); got.ID != first.ID || got.State != store.OfferClosed {
		t.Fatalf("offer after its line shipped: %s %s, want %s closed", got.ID, got.State, first.ID)
	}
	waitFor(t, "the closed offer's follow-ups deleted", func() bool { // after the commit
		ids := h.followUps(t)
		return !slices.Contains(ids, "deadline:"+first.ID) && !slices.Contains(ids, "reminder:"+first.ID)
	})
	h.start1(orderEvent("ols3", "order.backordered", "2026-11-04T10:00:00Z", o, custNoConsent,
		`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":"2026-12-01"}]`))
	second := offerOf(t, h, o)
	if second.ID == first.ID || !slices.Equal(second.LineIDs, []string{"l2"}) {
		t.Fatalf("the mug's offer: %s over %q, want a new one over l2", second.ID, second.LineIDs)
	}
	// (The parcel's message is coalesced: it is decided when its window closes.)
	waitFor(t, "the parcel's message", func() bool { return settled(h, o, 5) })
	want := []string{"backorder_notice email sent", "backorder_notice email sent",
		"delay_option_offer email sent", "delay_option_offer email sent", "partial_shipment email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// An offer over two lines, one of which ships before the deadline: with no date
// silence is not consent, and the deadline cancels the mug only — the kettle went
// out, and the shop is not told to refund it.
func TestFlowDeadlineAfterOneLineShipped(t *testing.T) { forEachDB(t, flowDeadlineAfterOneLineShipped) }

func flowDeadlineAfterOneLineShipped(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	_, h.deliverer = newReceiver(t)
	h.start()
	const o = "ord_dls"
	h.start1(orderEvent("dls1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":null},{"line_id":"l2","quantity":1,"eta":null}]`))
	off := offerOf(t, h, o)
	if off.Silence != store.SilenceCancel || !slices.Equal(off.LineIDs, []string{"l1", "l2"}) {
		t.Fatalf("offer %+v, want one over l1 and l2 that silence cancels", off)
	}
	h.start1(orderEvent("dls2", "order.partially_shipped", "2026-11-03T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":2}`)))
	runDeadline(t, h, off, 40*24*time.Hour)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineShipped {
		t.Errorf("the kettle after the deadline: %s, want shipped", l.State)
	}
	if l := lineOf(t, h, o, "l2"); l.State != store.LineCanceled {
		t.Errorf("the mug after the deadline: %s, want canceled", l.State)
	}
	// The worker's clock is 40 days ahead: the webhook is scheduled, not delivered yet.
	ds, err := h.st.ListDeliveries(context.Background(), store.DeliveryFilter{OrderID: o})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v, %v; want the one order.auto_canceled", ds, err)
	}
	var ce struct {
		Type string
		Data struct {
			LineIDs []string `json:"line_ids"`
		}
	}
	if err := json.Unmarshal(ds[0].Payload, &ce); err != nil || ce.Type != "order.auto_canceled" || !slices.Equal(ce.Data.LineIDs, []string{"l2"}) {
		t.Errorf("webhook %s (%v), want order.auto_canceled of l2 only", ds[0].Payload, err)
	}
	waitFor(t, "the notice", func() bool { return settled(h, o, 4) })
	body := findKind(t, h, o, "auto_cancel_notice", "email").Body
	if !strings.Contains(body, "Mug") || strings.Contains(body, "Blue Kettle") {
		t.Errorf("the notice is about the mug only:\n%s", body)
	}
}

// A parcel and a partial restock of one line, heard of in either order. The parcel
// (Nov 4) ships one of the two backordered kettles; the restock (Nov 5) reserves one.
// Heard of in order, the restock covers the kettle still owed. Heard of the other way
// round, the restock's kettle was reserved after the parcel left, so it cannot have
// been in it: it stays reserved, and the line ends allocated all the same, with the
// same three messages. (Before, the late parcel used the reservation up: the line
// stayed backordered with nothing reserved, and the customer never heard the kettle
// was back.)
func TestParcelAndPartialRestockCrossed(t *testing.T) {
	forEachDB(t, func(t *testing.T) {
		parcel := orderEvent("pr-parcel", "order.partially_shipped", "2026-11-04T10:00:00Z", "ord_pr", custNoConsent,
			shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)+`,"pending_lines":[{"line_id":"l1","quantity":1,"eta":"2026-12-01"}]`)
		for _, parcelFirst := range []bool{true, false} {
			t.Run(fmt.Sprint("parcel heard of first: ", parcelFirst), func(t *testing.T) {
				h := newHarness(t)
				h.start()
				h.step(backorderL1("pr-bo", "2026-11-02T10:00:00Z", "ord_pr", `"2026-12-01"`))
				if parcelFirst {
					h.step(parcel)
				}
				restocked(t, h, "pr-restock", 1)
				if !parcelFirst {
					h.step(parcel)
				}
				waitFor(t, "the parcel's message", func() bool {
					return slices.Contains(emailLog(h.summary("ord_pr")), "partial_shipment email sent")
				})
				if l := lineOf(t, h, "ord_pr", "l1"); l.State != store.LineAllocated || l.AllocatedQty != 1 || l.ShippedQty != 1 {
					t.Errorf("l1: %s, %d allocated, %d shipped; want allocated, 1, 1", l.State, l.AllocatedQty, l.ShippedQty)
				}
				got := emailLog(h.summary("ord_pr"))
				want := []string{"backorder_notice email sent", "partial_shipment email sent", "restock_notice email sent"}
				if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
					t.Errorf("\n got %q\nwant %q (in any order)", got, want)
				}
				if body := findKind(t, h, "ord_pr", "restock_notice", "email").Body; !strings.Contains(body, "Blue Kettle (Qty 1") {
					t.Errorf("the restock notice is about the one kettle still owed:\n%s", body)
				}
			})
		}
	})
}

// promisedBy gives an order event's order a promised_ship_by n days from today, so
// its lines are not late under flowPolicy's 1 s window.
func promisedBy(raw string, n int) string {
	return strings.Replace(raw, `"currency":"USD"`, fmt.Sprintf(`"promised_ship_by":%q,"currency":"USD"`, day(n)), 1)
}

// newOfferOver waits until the order's newest offer is another than old and covers
// exactly lines.
func newOfferOver(t *testing.T, h *harness, order, old string, lines ...string) store.Offer {
	t.Helper()
	waitFor(t, fmt.Sprintf("an offer over %q", lines), func() bool {
		got := offerOf(t, h, order)
		return got.ID != old && slices.Equal(got.LineIDs, lines)
	})
	return offerOf(t, h, order)
}

// One open offer at a time: a line that goes late while another's offer is open
// waits for it. When a parcel takes the offer's only line and closes it, the late
// line gets its offer at once — a backordered mug late already (a), a reserved mug
// whose date slips past the promise (b), and a kettle offered, backordered again and
// then shipped, which the parcel still takes out of the offer (c).
func TestLateLineOfferedWhenOfferCloses(t *testing.T) {
	kettleLate := promisedBy(orderEvent("lo1", "order.backordered", "2026-11-02T10:00:00Z", "ord_lo", custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q}]`, day(70))), 60)
	parcel := promisedBy(orderEvent("lo-parcel", "order.partially_shipped", "2026-11-07T10:00:00Z", "ord_lo", custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":2}`)), 60)
	mugETA := func(id, at string, days int) string {
		return promisedBy(orderEvent(id, "order.eta_changed", at, "ord_lo", custNoConsent,
			fmt.Sprintf(`,"changes":[{"line_id":"l2","previous_eta":null,"eta":%q}]`, day(days))), 60)
	}
	mugBackordered := func(days int) string {
		return promisedBy(orderEvent("lo-mug", "order.backordered", "2026-11-03T10:00:00Z", "ord_lo", custNoConsent,
			fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(days))), 60)
	}
	for _, c := range []struct {
		name  string
		setup func(h *harness)
	}{
		{"a: backordered mug late already", func(h *harness) { h.start1(mugBackordered(80)) }},
		{"b: reserved mug's date slips", func(h *harness) {
			h.start1(mugBackordered(10))
			h.start1(ev("lo-restock", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"MUG","quantity":1}`))
			waitFor(t, "the mug reserved", func() bool { return lineOf(t, h, "ord_lo", "l2").State == store.LineAllocated })
			h.start1(mugETA("lo-slip", "2026-11-06T10:00:00Z", 80))
		}},
		{"c: kettle backordered again before it ships", func(h *harness) {
			h.start1(promisedBy(orderEvent("lo-again", "order.backordered", "2026-11-03T10:00:00Z", "ord_lo", custNoConsent,
				fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q}]`, day(20))), 60))
			h.start1(mugBackordered(80))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, hourToAnswer)
			h.start()
			h.start1(kettleLate)
			first := offerOf(t, h, "ord_lo")
			if !slices.Equal(first.LineIDs, []string{"l1"}) {
				t.Fatalf("first offer over %q, want l1", first.LineIDs)
			}
			c.setup(h)
			if got := offerOf(t, h, "ord_lo"); got.ID != first.ID {
				t.Fatalf("a second offer %s over %q while the first is open", got.ID, got.LineIDs)
			}
			h.start1(parcel)
			if got, err := h.st.GetOffer(context.Background(), first.ID); err != nil || got.State != store.OfferClosed {
				t.Fatalf("the kettle's offer after its parcel: %+v, %v; want closed", got, err)
			}
			newOfferOver(t, h, "ord_lo", first.ID, "l2")
		})
	}
}

// §8.4 holds for reserved stock too: after consent (by silence) to R, with the
// kettles reserved during the offer, no date any more, or R − M coming with the line
// unshipped, opens a renewed offer.
func TestFlowConsentedReservedLineRenewed(t *testing.T) {
	for _, trigger := range []string{"no date", "R - M comes"} {
		t.Run(trigger, func(t *testing.T) {
			h := newHarness(t, hourToAnswer)
			h.start()
			const o = "ord_crn"
			h.start1(orderEvent("crn1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
			off := offerOf(t, h, o)
			restocked(t, h, "crn2", 2)
			runDeadline(t, h, off, time.Hour+5*time.Second)
			if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
				t.Fatalf("l1 after consent: %s, want allocated", l.State)
			}
			if trigger == "no date" {
				h.start1(orderEvent("crn3", "order.eta_changed", "2026-11-06T10:00:00Z", o, custNoConsent,
					`,"changes":[{"line_id":"l1","previous_eta":null,"eta":null}]`))
			} else {
				h.skew.Store(int64(20 * 24 * time.Hour)) // R is in 5 days
				if err := h.worker.HandleWindowCheck(context.Background(), followUpTask(jobs.TypeWindowCheck, store.Offer{OrderID: o})); err != nil {
					t.Fatal(err)
				}
			}
			if got := offerOf(t, h, o); got.ID == off.ID || !got.Renewed || got.Silence != store.SilenceCancel {
				t.Errorf("offer %s (renewed %v, silence %s), want a renewed one after %s", got.ID, got.Renewed, got.Silence, off.ID)
			}
		})
	}
}

// backorder.window_expired makes a reserved line late too: its window is the
// promise's, whatever is in stock.
func TestWindowExpiredReservedLine(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_wer"
	h.start1(promisedBy(backorderL1("wer1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`), 60))
	restocked(t, h, "wer2", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the restock: %s, want allocated", l.State)
	}
	h.start1(promisedBy(orderEvent("wer3", "backorder.window_expired", "2026-11-06T10:00:00Z", o, custNoConsent, ""), 60))
	if off := offerOf(t, h, o); !slices.Equal(off.LineIDs, []string{"l1"}) {
		t.Errorf("offer over %q, want l1", off.LineIDs)
	}
}

// A window check that runs as window:<order> and schedules the next one (here the
// renewal check at R − M after consent) schedules it under a TaskID of its own: asynq
// still holds the running task's, and the later check must not be lost.
func TestWindowCheckReschedulesItself(t *testing.T) {
	h, _ := flowHarness(t)
	const o = "ord_wcr"
	h.start1(orderEvent("wcr1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
	waitFor(t, "consent by silence", func() bool { return offerOf(t, h, o).State == store.OfferDecided })
	waitFor(t, "the renewal check", func() bool { return slices.Contains(h.followUps(t), "window:"+o) })
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	if err := in.DeleteTask(jobs.QueueCritical, "window:"+o); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	payload := fmt.Sprintf(`{"order_id":%q,"at":%q}`, o, now.UTC().Format(time.RFC3339Nano))
	if _, err := h.q.Enqueue(asynq.NewTask(jobs.TypeWindowCheck, []byte(payload)), asynq.TaskID("window:"+o), asynq.Queue(jobs.QueueCritical)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the renewal check scheduled again", func() bool {
		return slices.ContainsFunc(h.followUps(t), func(id string) bool { return strings.HasPrefix(id, "window:"+o+"+") })
	})
}
