package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// restockAt is the time of the restocks of these tests.
var restockAt = at(24 * time.Hour)

// alloc is an allocation of shop's restock.
func alloc(restock, ord, line string, qty int) store.Allocation {
	return store.Allocation{RestockSource: "shop", RestockID: restock, OrderID: ord, LineID: line, Quantity: qty}
}

// saveOrders saves orders with SaveOrder.
func saveOrders(t *testing.T, s store.Store, orders ...*store.Order) {
	t.Helper()
	for _, o := range orders {
		if err := s.SaveOrder(t.Context(), o); err != nil {
			t.Fatalf("SaveOrder %s: %v", o.ID, err)
		}
	}
}

// cloneOrder copies o and its lines.
func cloneOrder(o *store.Order) *store.Order {
	c := *o
	c.Lines = slices.Clone(o.Lines)
	return &c
}

// checkOrders checks the stored orders against want. Those whose Version differs
// from saved's were touched: their UpdatedAt must be since; the others' is saved's.
func checkOrders(t *testing.T, s store.Store, since time.Time, saved map[string]*store.Order, want ...*store.Order) {
	t.Helper()
	for _, w := range want {
		got, err := s.GetOrder(t.Context(), w.ID)
		if err != nil {
			t.Fatalf("GetOrder %s: %v", w.ID, err)
		}
		if w.Version != saved[w.ID].Version {
			if got.UpdatedAt.Before(since.Truncate(time.Microsecond)) {
				t.Errorf("order %s: UpdatedAt %v, want since %v (now)", w.ID, got.UpdatedAt, since)
			}
			w = cloneOrder(w)
			w.UpdatedAt = got.UpdatedAt
		}
		assertEqual(t, "order "+w.ID, w, got)
	}
}

// byID indexes orders by id, as copies.
func byID(orders ...*store.Order) map[string]*store.Order {
	m := make(map[string]*store.Order, len(orders))
	for _, o := range orders {
		m[o.ID] = cloneOrder(o)
	}
	return m
}

func testAllocateRestock(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("oldest first, ties by order id, last line partly", func(t *testing.T) { testAllocateOrder(t, open(t)) })
	t.Run("skips closed orders, other line states, brands and SKUs", func(t *testing.T) { testAllocateSkips(t, open(t)) })
	t.Run("units shipped beyond those in stock are not owed", func(t *testing.T) { testAllocateShipped(t, open(t)) })
	t.Run("a line awaiting the customer's choice keeps its turn and its state", func(t *testing.T) { testAllocateAwaiting(t, open(t)) })
	t.Run("idempotent per restock", func(t *testing.T) { testAllocateTwice(t, open(t)) })
	t.Run("two restocks add up", func(t *testing.T) { testAllocateAddUp(t, open(t)) })
	t.Run("an order's allocations with their restocks' times", func(t *testing.T) { testLineAllocations(t, open(t)) })
	t.Run("nothing to allocate", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w, ctx := workStore(t, s), t.Context()
		o := newOrder("ord_1", "acme", t0, backordered("l1", "KET", 2, 0))
		saveOrders(t, s, o)
		for _, c := range []struct {
			sku string
			qty int
		}{{"KET", 0}, {"NONE", 5}} {
			got, err := w.AllocateRestock(ctx, "shop", "r1", "acme", c.sku, c.qty, restockAt)
			if err != nil || len(got) != 0 {
				t.Errorf("AllocateRestock of %d %s = %v, %v; want none", c.qty, c.sku, got, err)
			}
		}
		if got, err := w.Allocations(ctx, "shop", "r1"); err != nil || len(got) != 0 {
			t.Errorf("Allocations = %v, %v; want none", got, err)
		}
		checkOrders(t, s, time.Now(), byID(o), o)
	})
	t.Run("a commit of an order read before the restock conflicts", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w, ctx := workStore(t, s), t.Context()
		recordEvents(t, s, "ord_1", "e1")
		o := newOrder("ord_1", "acme", t0, backordered("l1", "KET", 2, 0))
		o.Version = 3
		saveOrders(t, s, o)
		read, err := s.GetOrder(ctx, "ord_1")
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		if _, err := w.AllocateRestock(ctx, "shop", "r1", "acme", "KET", 1, restockAt); err != nil {
			t.Fatalf("AllocateRestock: %v", err)
		}
		read.Number = "changed"
		if _, err := w.CommitEvent(ctx, newCommit("e1", []*store.Order{read})); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CommitEvent at the version read before the restock = %v, want ErrConflict", err)
		}
		got, err := s.GetOrder(ctx, "ord_1")
		if err != nil || got.Version != 4 || got.Number != o.Number || got.Lines[0].AllocatedQty != 1 {
			t.Errorf("order after the conflict = %+v, %v; want the restock's, at version 4", got, err)
		}
	})
	t.Run("concurrent restocks of one SKU", func(t *testing.T) { testAllocateConcurrent(t, open(t)) })
	t.Run("concurrent deliveries of one restock", func(t *testing.T) { testAllocateSameConcurrent(t, open(t)) })
}

// testAllocateOrder allocates to lines of several orders, two placed at the same
// time, with the last line only partly covered.
func testAllocateOrder(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	late := backordered("l1", "KET", 3, 0)
	late.StateAt = at(48 * time.Hour) // newer than the restock: kept
	orders := []*store.Order{
		newOrder("ord_new", "acme", at(2*time.Hour), backordered("l1", "KET", 4, 0)),
		newOrder("ord_b", "acme", at(time.Hour), backordered("l2", "KET", 2, 1), backordered("l1", "KET", 1, 0)),
		newOrder("ord_a", "acme", at(time.Hour), backordered("l1", "KET", 2, 0)),
		newOrder("ord_old", "acme", t0, late, backordered("l2", "MUG", 1, 0)),
		newOrder("ord_last", "acme", at(3*time.Hour), backordered("l1", "KET", 1, 0)),
	}
	saveOrders(t, s, orders...)
	saved := byID(orders...)
	since := time.Now()
	got, err := w.AllocateRestock(ctx, "shop", "r1", "acme", "KET", 8, restockAt)
	if err != nil {
		t.Fatalf("AllocateRestock: %v", err)
	}
	want := []store.Allocation{alloc("r1", "ord_old", "l1", 3), alloc("r1", "ord_a", "l1", 2),
		alloc("r1", "ord_b", "l1", 1), alloc("r1", "ord_b", "l2", 1), alloc("r1", "ord_new", "l1", 1)}
	assertEqual(t, "allocations returned", want, got)
	stored, err := w.Allocations(ctx, "shop", "r1")
	if err != nil {
		t.Fatalf("Allocations: %v", err)
	}
	assertEqual(t, "allocations stored (by order id)", []store.Allocation{want[1], want[2], want[3],
		want[4], want[0]}, stored)

	covered := func(l *store.OrderLine, stateAt time.Time) {
		l.AllocatedQty, l.State, l.StateAt = l.BackorderedQty, store.LineAllocated, stateAt
	}
	old, a, b, nw := cloneOrder(saved["ord_old"]), cloneOrder(saved["ord_a"]), cloneOrder(saved["ord_b"]), cloneOrder(saved["ord_new"])
	covered(&old.Lines[0], late.StateAt)
	covered(&a.Lines[0], restockAt)
	covered(&b.Lines[0], restockAt)
	covered(&b.Lines[1], restockAt)
	nw.Lines[0].AllocatedQty = 1 // still backordered
	for _, o := range []*store.Order{old, a, b, nw} {
		o.Version++
	}
	checkOrders(t, s, since, saved, old, a, b, nw, saved["ord_last"])
}

// testAllocateShipped allocates to lines that shipped some units: a parcel ships the
// units in stock first, so a line of 3 with 2 backordered is owed 2 after one unit
// shipped and 1 after two.
func testAllocateShipped(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	twoShipped, oneShipped := backordered("l1", "KET", 2, 0), backordered("l1", "KET", 2, 0)
	twoShipped.ShippedQty, oneShipped.ShippedQty = 2, 1
	orders := []*store.Order{
		newOrder("ord_two_shipped", "acme", t0, twoShipped),
		newOrder("ord_one_shipped", "acme", at(time.Hour), oneShipped),
		newOrder("ord_next", "acme", at(2*time.Hour), backordered("l1", "KET", 2, 0)),
	}
	saveOrders(t, s, orders...)
	saved := byID(orders...)
	since := time.Now()
	got, err := w.AllocateRestock(ctx, "shop", "r1", "acme", "KET", 4, restockAt)
	if err != nil {
		t.Fatalf("AllocateRestock: %v", err)
	}
	assertEqual(t, "allocations", []store.Allocation{alloc("r1", "ord_two_shipped", "l1", 1),
		alloc("r1", "ord_one_shipped", "l1", 2), alloc("r1", "ord_next", "l1", 1)}, got)
	two, one, next := cloneOrder(saved["ord_two_shipped"]), cloneOrder(saved["ord_one_shipped"]), cloneOrder(saved["ord_next"])
	two.Lines[0].AllocatedQty, two.Lines[0].State, two.Lines[0].StateAt = 1, store.LineAllocated, restockAt
	one.Lines[0].AllocatedQty, one.Lines[0].State, one.Lines[0].StateAt = 2, store.LineAllocated, restockAt
	next.Lines[0].AllocatedQty = 1 // still backordered
	for _, o := range []*store.Order{two, one, next} {
		o.Version++
	}
	checkOrders(t, s, since, saved, two, one, next)
}

// testAllocateAwaiting allocates to the oldest order, whose line awaits the
// customer's answer to a delay-option offer: it gets the units (the customer may
// still choose to wait) and stays awaiting_choice, covered or not; the backordered
// line after it moves to allocated when covered.
func testAllocateAwaiting(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	awaiting, partly := backordered("l1", "KET", 2, 0), backordered("l1", "KET", 3, 0)
	awaiting.State, partly.State = store.LineAwaiting, store.LineAwaiting
	orders := []*store.Order{
		newOrder("ord_awaiting", "acme", t0, awaiting),
		newOrder("ord_backordered", "acme", at(time.Hour), backordered("l1", "KET", 1, 0)),
		newOrder("ord_partly", "acme", at(2*time.Hour), partly),
	}
	saveOrders(t, s, orders...)
	saved := byID(orders...)
	since := time.Now()
	got, err := w.AllocateRestock(ctx, "shop", "r1", "acme", "KET", 4, restockAt)
	if err != nil {
		t.Fatalf("AllocateRestock: %v", err)
	}
	assertEqual(t, "allocations", []store.Allocation{alloc("r1", "ord_awaiting", "l1", 2),
		alloc("r1", "ord_backordered", "l1", 1), alloc("r1", "ord_partly", "l1", 1)}, got)
	aw, bo, pa := cloneOrder(saved["ord_awaiting"]), cloneOrder(saved["ord_backordered"]), cloneOrder(saved["ord_partly"])
	aw.Lines[0].AllocatedQty = 2 // covered, still awaiting_choice, StateAt unchanged
	bo.Lines[0].AllocatedQty, bo.Lines[0].State, bo.Lines[0].StateAt = 1, store.LineAllocated, restockAt
	pa.Lines[0].AllocatedQty = 1
	for _, o := range []*store.Order{aw, bo, pa} {
		o.Version++
	}
	checkOrders(t, s, since, saved, aw, bo, pa)
}

// testLineAllocations makes two restocks, heard of in the other order than they
// happened, and reads each order's allocations back in the order the restocks were
// received (which the worker takes for the order they were allocated in), each with
// its restock's time.
func testLineAllocations(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	saveOrders(t, s,
		newOrder("ord_a", "acme", t0, backordered("l1", "KET", 3, 0), backordered("l2", "MUG", 1, 0)),
		newOrder("ord_b", "acme", at(time.Hour), backordered("l1", "KET", 1, 0)))
	later, earlier := newEvent("r1", "", restockAt.Add(time.Hour)), newEvent("r2", "", restockAt)
	for _, e := range []*store.EventRecord{later, earlier} {
		e.Type = "inventory.restocked"
		if _, _, err := s.RecordEvent(ctx, e); err != nil {
			t.Fatalf("RecordEvent %s: %v", e.ID, err)
		}
	}
	for _, r := range []struct {
		id, sku string
		qty     int
		at      time.Time
	}{{"r1", "KET", 2, later.Time}, {"r2", "KET", 2, earlier.Time}, {"r2m", "MUG", 1, earlier.Time}} {
		if _, err := w.AllocateRestock(ctx, "shop", r.id, "acme", r.sku, r.qty, r.at); err != nil {
			t.Fatalf("AllocateRestock %s: %v", r.id, err)
		}
	}
	// r2m has no event record (the worker always records the event first): without
	// a time it is not listed.
	for ord, want := range map[string][]store.LineAllocation{
		"ord_a": {{RestockSource: "shop", RestockID: "r1", LineID: "l1", Quantity: 2, At: later.Time},
			{RestockSource: "shop", RestockID: "r2", LineID: "l1", Quantity: 1, At: earlier.Time}},
		"ord_b":    {{RestockSource: "shop", RestockID: "r2", LineID: "l1", Quantity: 1, At: earlier.Time}},
		"ord_none": nil,
	} {
		got, err := w.LineAllocations(ctx, ord)
		if err != nil {
			t.Fatalf("LineAllocations %s: %v", ord, err)
		}
		assertEqual(t, "allocations of "+ord, want, got)
	}
}

// testAllocateSkips allocates plenty to a SKU with only one line truly waiting.
func testAllocateSkips(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	allocated := backordered("l1", "KET", 2, 2)
	allocated.State = store.LineAllocated
	canceled := backordered("l1", "KET", 1, 0)
	canceled.State = store.LineCanceled
	closed := newOrder("ord_closed", "acme", at(-time.Hour), backordered("l1", "KET", 1, 0))
	closed.State, closed.ClosedAt = store.OrderClosed, ptr(at(time.Hour))
	orders := []*store.Order{
		closed,
		newOrder("ord_alloc", "acme", at(-2*time.Hour), allocated),
		newOrder("ord_canceled", "acme", at(-3*time.Hour), canceled),
		newOrder("ord_open_line", "acme", at(-4*time.Hour), store.OrderLine{
			LineID: "l1", SKU: "KET", Quantity: 1, State: store.LineOpen, BackorderedQty: 1, StateAt: t0}),
		newOrder("ord_full", "acme", at(-5*time.Hour), backordered("l1", "KET", 2, 2)),
		newOrder("ord_other_brand", "globex", at(-6*time.Hour), backordered("l1", "KET", 1, 0)),
		newOrder("ord_other_sku", "acme", at(-7*time.Hour), backordered("l1", "MUG", 1, 0)),
		newOrder("ord_ok", "acme", t0, backordered("l1", "MUG", 1, 0), backordered("l2", "KET", 2, 0)),
	}
	saveOrders(t, s, orders...)
	saved := byID(orders...)
	since := time.Now()
	got, err := w.AllocateRestock(ctx, "shop", "r1", "acme", "KET", 100, restockAt)
	if err != nil {
		t.Fatalf("AllocateRestock: %v", err)
	}
	assertEqual(t, "allocations", []store.Allocation{alloc("r1", "ord_ok", "l2", 2)}, got)
	ok := cloneOrder(saved["ord_ok"])
	ok.Lines[1].AllocatedQty, ok.Lines[1].State, ok.Lines[1].StateAt = 2, store.LineAllocated, restockAt
	ok.Version++
	checkOrders(t, s, since, saved, append(orders[:len(orders)-1:len(orders)-1], ok)...)
}

// testAllocateTwice delivers one restock twice, the second time with another
// quantity: the first allocation stands.
func testAllocateTwice(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	orders := []*store.Order{
		newOrder("ord_1", "acme", t0, backordered("l1", "KET", 2, 0)),
		newOrder("ord_2", "acme", at(time.Hour), backordered("l1", "KET", 3, 0)),
	}
	saveOrders(t, s, orders...)
	first, err := w.AllocateRestock(ctx, "shop", "r1", "acme", "KET", 3, restockAt)
	if err != nil {
		t.Fatalf("AllocateRestock: %v", err)
	}
	want := []store.Allocation{alloc("r1", "ord_1", "l1", 2), alloc("r1", "ord_2", "l1", 1)}
	assertEqual(t, "first allocations", want, first)
	after := []*store.Order{}
	for _, o := range orders {
		got, err := s.GetOrder(ctx, o.ID)
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		after = append(after, got)
	}
	for _, qty := range []int{3, 5} {
		again, err := w.AllocateRestock(ctx, "shop", "r1", "acme", "KET", qty, at(30*time.Hour))
		if err != nil {
			t.Fatalf("AllocateRestock again with %d: %v", qty, err)
		}
		assertEqual(t, fmt.Sprintf("allocations delivered again with %d", qty), want, again)
	}
	checkOrders(t, s, time.Now(), byID(after...), after...)
}

// testAllocateAddUp runs two restocks of one SKU one after the other.
func testAllocateAddUp(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	orders := []*store.Order{
		newOrder("ord_1", "acme", t0, backordered("l1", "KET", 4, 0)),
		newOrder("ord_2", "acme", at(time.Hour), backordered("l1", "KET", 2, 0)),
	}
	saveOrders(t, s, orders...)
	saved := byID(orders...)
	since := time.Now()
	for _, r := range []struct {
		id   string
		qty  int
		want []store.Allocation
	}{
		{"r1", 2, []store.Allocation{alloc("r1", "ord_1", "l1", 2)}},
		{"r2", 3, []store.Allocation{alloc("r2", "ord_1", "l1", 2), alloc("r2", "ord_2", "l1", 1)}},
	} {
		got, err := w.AllocateRestock(ctx, "shop", r.id, "acme", "KET", r.qty, restockAt)
		if err != nil {
			t.Fatalf("AllocateRestock %s: %v", r.id, err)
		}
		assertEqual(t, "allocations of "+r.id, r.want, got)
	}
	o1, o2 := cloneOrder(saved["ord_1"]), cloneOrder(saved["ord_2"])
	o1.Lines[0].AllocatedQty, o1.Lines[0].State, o1.Lines[0].StateAt = 4, store.LineAllocated, restockAt
	o1.Version += 2
	o2.Lines[0].AllocatedQty = 1
	o2.Version++
	checkOrders(t, s, since, saved, o1, o2)
}

// concurrentRestocks are the quantities of the restocks testAllocateConcurrent runs
// at once: 50 units in all, for 79 waiting.
var concurrentRestocks = []int{10, 15, 5, 20}

// testAllocateConcurrent runs restocks of one SKU at once, for less than is waiting:
// together they must allocate exactly their total, oldest first, no line beyond its
// backordered quantity.
func testAllocateConcurrent(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	var orders []*store.Order
	var ids []string
	for i := range 40 {
		o := newOrder(fmt.Sprintf("ord_%02d", i), "acme", at(time.Duration(i)*time.Minute),
			backordered("l1", "KET", i%3+1, 0))
		orders, ids = append(orders, o), append(ids, o.ID)
	}
	saveOrders(t, s, orders...)
	got := make([][]store.Allocation, len(concurrentRestocks))
	errs := make([]error, len(concurrentRestocks))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, qty := range concurrentRestocks {
		wg.Go(func() {
			<-start
			got[i], errs[i] = w.AllocateRestock(ctx, "shop", fmt.Sprint("r", i), "acme", "KET", qty, restockAt)
		})
	}
	close(start)
	wg.Wait()
	perLine := map[string]int{} // by order id (one line each)
	restocksOf := map[string]int64{}
	for i, qty := range concurrentRestocks {
		if errs[i] != nil {
			t.Fatalf("restock %d: %v", i, errs[i])
		}
		sum := 0
		for _, a := range got[i] {
			sum += a.Quantity
			perLine[a.OrderID] += a.Quantity
			restocksOf[a.OrderID]++
		}
		if sum != qty {
			t.Errorf("restock %d allocated %d, want %d", i, sum, qty)
		}
		stored, err := w.Allocations(ctx, "shop", fmt.Sprint("r", i))
		if err != nil || len(stored) != len(got[i]) {
			t.Errorf("restock %d: %d allocations stored (%v), %d returned", i, len(stored), err, len(got[i]))
		}
	}
	read, err := s.GetOrders(ctx, ids)
	if err != nil || len(read) != len(orders) {
		t.Fatalf("GetOrders = %d orders, %v; want %d", len(read), err, len(orders))
	}
	slices.SortFunc(read, func(a, b *store.Order) int { return a.PlacedAt.Compare(b.PlacedAt) })
	partial := false // a line partly covered was seen: every later one must have nothing
	for _, o := range read {
		l := o.Lines[0]
		full := l.AllocatedQty == l.BackorderedQty
		switch {
		case l.AllocatedQty != perLine[o.ID]:
			t.Errorf("%s: allocated %d, its allocations sum to %d", o.ID, l.AllocatedQty, perLine[o.ID])
		case l.AllocatedQty > l.BackorderedQty:
			t.Errorf("%s: allocated %d of %d backordered", o.ID, l.AllocatedQty, l.BackorderedQty)
		case full != (l.State == store.LineAllocated):
			t.Errorf("%s: allocated %d of %d, state %s", o.ID, l.AllocatedQty, l.BackorderedQty, l.State)
		case partial && l.AllocatedQty > 0:
			t.Errorf("%s got %d although an older line is not covered: not oldest first", o.ID, l.AllocatedQty)
		case o.Version != restocksOf[o.ID]:
			t.Errorf("%s: version %d, want %d (one bump per restock that touched it)", o.ID, o.Version, restocksOf[o.ID])
		}
		partial = partial || !full
	}
}

// testAllocateSameConcurrent delivers one restock from several goroutines at once:
// it is allocated once and every delivery returns that allocation.
func testAllocateSameConcurrent(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	var orders []*store.Order
	for i := range 10 {
		orders = append(orders, newOrder(fmt.Sprintf("ord_%02d", i), "acme",
			at(time.Duration(i)*time.Minute), backordered("l1", "KET", 1, 0)))
	}
	saveOrders(t, s, orders...)
	var got [4][]store.Allocation
	var errs [4]error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range got {
		wg.Go(func() {
			<-start
			got[i], errs[i] = w.AllocateRestock(ctx, "shop", "r1", "acme", "KET", 5, restockAt)
		})
	}
	close(start)
	wg.Wait()
	var want []store.Allocation
	for i := range 5 {
		want = append(want, alloc("r1", fmt.Sprintf("ord_%02d", i), "l1", 1))
	}
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("delivery %d: %v", i, errs[i])
		}
		assertEqual(t, fmt.Sprint("allocations of delivery ", i), want, got[i])
	}
	for _, o := range orders {
		got, err := s.GetOrder(ctx, o.ID)
		if err != nil {
			t.Fatalf("GetOrder %s: %v", o.ID, err)
		}
		wantQty := 0
		if o.ID < "ord_05" { // the 5 oldest
			wantQty = 1
		}
		if got.Lines[0].AllocatedQty != wantQty {
			t.Errorf("%s: allocated %d, want %d (allocated once, to the 5 oldest)", o.ID, got.Lines[0].AllocatedQty, wantQty)
		}
	}
}
