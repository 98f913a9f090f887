package jobs_test

// Reservations and their notices when offers, parcels and restocks cross: cases a
// review of 6214e10 found, each failing there.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
)

// A line a restock covered (restock_notice sent) whose date then slips past the
// promise gets an offer. Silence at the deadline is consent and the line is reserved
// again — but the customer heard of that reservation at the restock: no second
// restock_notice (waitDecided shares the restock's DedupKey).
func TestReservedLineOfferedToldOnce(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_rsv_dup"
	h.start1(promisedBy(backorderL1("rvd1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
	restocked(t, h, "rvd2", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the restock: %s, want allocated", l.State)
	}
	h.start1(promisedBy(etaChange("rvd3", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting {
		t.Fatalf("l1 after the slip: %s, want awaiting_choice", l.State)
	}
	runDeadline(t, h, off, 4*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	waitConfirmed(t, h, o)
	if n := restockNoticesSent(h, o); n != 1 {
		t.Errorf("restock_notice sent %d times, want once (the customer was told at the restock):\n%q", n, emailLog(h.summary(o)))
	}
}

// holdBatches keeps restock.batch tasks out of the queue (a busy low queue) until
// the test runs them.
type holdBatches struct {
	next jobs.Enqueuer
	mu   sync.Mutex
	held []*asynq.Task
}

// holdingBatches makes h (not started yet) hold its restock batches for the test to
// run.
func (h *harness) holdingBatches() *holdBatches {
	hb := &holdBatches{}
	h.enqueuer = func(e jobs.Enqueuer) jobs.Enqueuer { hb.next = e; return hb }
	return hb
}

func (d *holdBatches) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	if t.Type() == jobs.TypeRestockBatch {
		d.mu.Lock()
		d.held = append(d.held, t)
		d.mu.Unlock()
		return &asynq.TaskInfo{}, nil
	}
	return d.next.EnqueueContext(ctx, t, opts...)
}

// A partial restock (1 of the 2 kettles owed), then a parcel dated before it (1
// kettle) heard of before the restock's notice batch ran: the parcel's event sends
// restock_notice (coveredNews), and the batch, running after the parcel's coalesced
// partial_shipment went out, does not send it again (one DedupKey for both).
func TestCrossedParcelAndBatchToldOnce(t *testing.T) {
	h := newHarness(t)
	hb := h.holdingBatches()
	h.start()
	const o = "ord_rsv_slow"
	h.step(backorderL1("rvs1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	h.step(ev("rvs2", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":1}`))
	h.step(orderEvent("rvs3", "order.partially_shipped", "2026-11-04T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)))
	waitFor(t, "the parcel's message", func() bool {
		return slices.Contains(emailLog(h.summary(o)), "partial_shipment email sent")
	})
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1: %s, want allocated", l.State)
	}
	hb.mu.Lock()
	held := slices.Clone(hb.held)
	hb.mu.Unlock()
	if len(held) != 1 {
		t.Fatalf("%d batches held, want 1", len(held))
	}
	if err := h.worker.HandleRestockBatch(context.Background(), held[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	n := 0
	for _, s := range h.summary(o) {
		if s == "restock_notice email sent" || s == "restock_notice email pending" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("restock_notice decided %d times, want once:\n%q", n, h.summary(o))
	}
}

// order3Event is orderEvent with three kettles on l1.
func order3Event(id, typ, at, orderID, extra string) string {
	raw := orderEvent(id, typ, at, orderID, custNoConsent, extra)
	return strings.Replace(raw, `"sku":"KET","name":"Blue Kettle","quantity":2`, `"sku":"KET","name":"Blue Kettle","quantity":3`, 1)
}

func restockAt(t *testing.T, h *harness, id, at string, n int) {
	t.Helper()
	h.step(ev(id, "inventory.restocked", at, "", fmt.Sprintf(`{"brand":"acme","sku":"KET","quantity":%d}`, n)))
}

// Three kettles backordered. Restock R0 (Nov 3) reserves 1, restock R1 (Nov 5)
// reserves 1; parcel P2 (Nov 6, in order) ships 1; parcel P1 (Nov 4, heard of last)
// ships 1. Two kettles were ever reserved and two backordered kettles shipped:
// nothing is reserved any more, one is owed. Heard of in time order the line ends
// backordered with 0 allocated. P1 must not keep R1's unit (newer than P1): P2 may
// have used it up (it did), and a kettle promised as reserved that does not exist
// would leave the customer told "reserved" and passed by by the next restock.
func TestCrossedParcelsKeepNoShippedUnit(t *testing.T) {
	forEachDB(t, crossedParcelsKeepNoShippedUnit)
}

func crossedParcelsKeepNoShippedUnit(t *testing.T) {
	h := newHarness(t)
	h.start()
	const o = "ord_rsv_keep"
	h.step(order3Event("rvk1", "order.backordered", "2026-11-02T10:00:00Z", o,
		`,"backordered_lines":[{"line_id":"l1","quantity":3,"eta":"2026-12-01"}]`))
	restockAt(t, h, "rvk-r0", "2026-11-03T10:00:00Z", 1)
	restockAt(t, h, "rvk-r1", "2026-11-05T10:00:00Z", 1)
	if l := lineOf(t, h, o, "l1"); l.AllocatedQty != 2 || l.State != store.LineBackordered {
		t.Fatalf("after the restocks: %s, %d allocated; want backordered, 2", l.State, l.AllocatedQty)
	}
	h.step(order3Event("rvk-p2", "order.partially_shipped", "2026-11-06T10:00:00Z", o,
		shipmentJSON("s2", "1Z2", `{"line_id":"l1","quantity":1}`)))
	h.step(order3Event("rvk-p1", "order.partially_shipped", "2026-11-04T10:00:00Z", o,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)))
	l := lineOf(t, h, o, "l1")
	if l.ShippedQty != 2 {
		t.Fatalf("shipped %d, want 2", l.ShippedQty)
	}
	if l.State != store.LineBackordered || l.AllocatedQty != 0 {
		t.Errorf("l1 after both parcels: %s, %d allocated; want backordered, 0 (both reserved kettles shipped)", l.State, l.AllocatedQty)
	}
	if slices.Contains(emailLog(h.summary(o)), "restock_notice email sent") ||
		slices.Contains(emailLog(h.summary(o)), "restock_notice email pending") {
		t.Errorf("restock_notice for a kettle not reserved: %q", emailLog(h.summary(o)))
	}
	// The next kettle goes to whoever waits for it: this line, which still waits.
	restockAt(t, h, "rvk-r2", "2026-11-07T10:00:00Z", 1)
	as, err := h.st.Allocations(t.Context(), "test", "rvk-r2")
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].OrderID != o {
		t.Errorf("the next kettle went to %+v; want it reserved for %s, which still waits for one", as, o)
	}
}

// A reserved (allocated) line is no longer an indefinite backorder (handling.md
// "Reserved stock"): when its date slips past the promise, its offer states the date
// R (within P + D), and silence is consent.
func TestReservedIndefiniteLineOfferDated(t *testing.T) {
	h := newHarness(t)
	h.start()
	const o = "ord_rsv_indef"
	h.start1(orderEvent("rvi1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l2","quantity":1,"eta":%q}]`, day(60))))
	first := offerOf(t, h, o)
	h.start1(orderEvent("rvi2", "order.backordered", "2026-11-02T11:00:00Z", o, custNoConsent,
		`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":null,"backorder_type":"indefinite"}]`))
	restocked(t, h, "rvi3", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the restock: %s, want allocated", l.State)
	}
	if _, _, err := h.worker.Choose(context.Background(), first.ID, "refund", "web"); err != nil {
		t.Fatal(err)
	}
	h.start1(orderEvent("rvi4", "order.eta_changed", "2026-11-06T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"changes":[{"line_id":"l1","previous_eta":null,"eta":%q}]`, day(45))))
	off := newOfferOver(t, h, o, first.ID, "l1")
	if off.NewDate == nil || off.Silence != store.SilenceConsent {
		t.Errorf("offer over the reserved line: new date %v, silence %s; want day(45), silence is consent (R <= P + D)", off.NewDate, off.Silence)
	}
}

// A partial restock (1 of 2 kettles), order.shipped closing the order (the mug), then
// an earlier parcel with one kettle heard of late (lateParcel). The kettle line of
// the closed order is not moved to allocated ("reserved"): nothing ships from a
// closed order, and no restock looks at it again.
func TestLateParcelClosedOrderNotReserved(t *testing.T) {
	h := newHarness(t)
	h.start()
	const o = "ord_rsv_closed"
	h.step(backorderL1("rvc1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	restockAt(t, h, "rvc2", "2026-11-05T10:00:00Z", 1)
	h.step(orderEvent("rvc3", "order.shipped", "2026-11-06T10:00:00Z", o, custNoConsent,
		shipmentJSON("s2", "1Z2", `{"line_id":"l2","quantity":1}`)))
	h.step(orderEvent("rvc4", "order.partially_shipped", "2026-11-04T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)))
	rec, err := h.st.GetOrder(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != store.OrderClosed {
		t.Fatalf("order %s, want closed", rec.State)
	}
	if l := lineOf(t, h, o, "l1"); l.State == store.LineAllocated {
		t.Errorf("l1 of the closed order: %s, %d allocated, %d shipped; a closed order's line moved to allocated", l.State, l.AllocatedQty, l.ShippedQty)
	}
}
