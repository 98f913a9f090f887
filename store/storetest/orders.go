package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// newOrder returns an open order of brand placed at placed with the given lines.
func newOrder(id, brand string, placed time.Time, lines ...store.OrderLine) *store.Order {
	return &store.Order{
		ID: id, Brand: brand, Number: "N-" + id, PlacedAt: placed, State: store.OrderOpen,
		Snapshot:    json.RawMessage(`{"id": "` + id + `", "customer": {"name": "Ada"}, "lines": []}`),
		LastEventAt: placed.Add(time.Minute),
		Lines:       lines,
		CreatedAt:   placed.Add(2 * time.Minute),
		UpdatedAt:   placed.Add(2 * time.Minute),
	}
}

// backordered returns a backordered line missing backordered-allocated units of sku.
func backordered(id, sku string, backordered, allocated int) store.OrderLine {
	return store.OrderLine{
		LineID: id, SKU: sku, Quantity: backordered + 1, State: store.LineBackordered,
		BackorderedQty: backordered, AllocatedQty: allocated, BackorderType: "temporary",
		StateAt: t0,
	}
}

func testOrders(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("get missing", func(t *testing.T) {
		t.Parallel()
		_, err := open(t).GetOrder(t.Context(), "nope")
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetOrder missing = %v, want ErrNotFound", err)
		}
	})
	t.Run("insert round trip", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		l1 := backordered("l2", "KET-BLUE", 2, 0)
		l1.ETA, l1.ToldETA = ptr(at(72*time.Hour)), ptr(at(48*time.Hour))
		l2 := store.OrderLine{LineID: "l1", SKU: "MUG", Quantity: 1, State: store.LineOpen,
			StateAt: at(time.Second)}
		o := newOrder("ord_1", "acme", t0, l1, l2) // line order as given, not by id
		o.Version, o.ClosedAt = 7, ptr(at(3*time.Hour))
		if err := s.SaveOrder(ctx, o); err != nil {
			t.Fatalf("SaveOrder: %v", err)
		}
		got, err := s.GetOrder(ctx, "ord_1")
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		assertEqual(t, "GetOrder", o, got)
	})
	t.Run("no lines", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		o := newOrder("ord_1", "acme", t0)
		o.Snapshot = nil
		if err := s.SaveOrder(ctx, o); err != nil {
			t.Fatalf("SaveOrder: %v", err)
		}
		got, err := s.GetOrder(ctx, "ord_1")
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		assertEqual(t, "GetOrder", o, got)
	})
	t.Run("replace", testReplaceOrder(open))
	t.Run("GetOrders", testGetOrders(open))
	t.Run("SaveOrder stores the version given", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		for _, v := range []int64{5, 2, 0} { // no compare-and-set: each save wins
			o := newOrder("ord_1", "acme", t0)
			o.Version = v
			if err := s.SaveOrder(ctx, o); err != nil {
				t.Fatalf("SaveOrder at version %d: %v", v, err)
			}
			if got, err := s.GetOrder(ctx, "ord_1"); err != nil || got.Version != v {
				t.Fatalf("GetOrder after saving version %d = %+v, %v", v, got, err)
			}
		}
	})
}

func testReplaceOrder(open func(t *testing.T) store.Store) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		first := newOrder("ord_1", "acme", t0,
			backordered("l1", "KET", 2, 0), backordered("l2", "MUG", 1, 0))
		if err := s.SaveOrder(ctx, first); err != nil {
			t.Fatalf("SaveOrder: %v", err)
		}
		shipped := backordered("l1", "KET", 2, 2)
		shipped.State, shipped.ShippedQty, shipped.StateAt = store.LineShipped, 2, at(time.Hour)
		second := newOrder("ord_1", "acme", t0, shipped, backordered("l3", "CUP", 3, 1))
		second.State, second.ClosedAt, second.Version = store.OrderClosed, ptr(at(time.Hour)), 4
		second.Lines[1].ToldETA = ptr(at(24 * time.Hour))
		second.Snapshot = json.RawMessage(`{"id": "ord_1", "v": 2}`)
		second.LastEventAt, second.UpdatedAt = at(time.Hour), at(2*time.Hour)
		second.CreatedAt = at(5 * time.Hour) // ignored: the first save's is kept
		if err := s.SaveOrder(ctx, second); err != nil {
			t.Fatalf("SaveOrder again: %v", err)
		}
		got, err := s.GetOrder(ctx, "ord_1")
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		want := *second
		want.CreatedAt = first.CreatedAt
		assertEqual(t, "replaced order", &want, got)
	}
}

// testGetOrders reads orders in batches: only those that exist, each once, with
// their lines in saved order.
func testGetOrders(open func(t *testing.T) store.Store) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		closed := newOrder("ord_3", "acme", at(time.Hour), backordered("l1", "KET", 1, 1))
		closed.State, closed.ClosedAt, closed.Version = store.OrderClosed, ptr(at(2*time.Hour)), 5
		orders := []*store.Order{
			newOrder("ord_1", "acme", t0, backordered("l2", "KET", 2, 0), backordered("l1", "MUG", 1, 0)),
			newOrder("ord_2", "globex", t0), // no lines
			closed,
		}
		for _, o := range orders {
			if err := s.SaveOrder(ctx, o); err != nil {
				t.Fatalf("SaveOrder %s: %v", o.ID, err)
			}
		}
		got, err := s.GetOrders(ctx, []string{"ord_3", "nope", "ord_1", "ord_1", "ord_2"})
		if err != nil {
			t.Fatalf("GetOrders: %v", err)
		}
		slices.SortFunc(got, func(a, b *store.Order) int { return strings.Compare(a.ID, b.ID) })
		assertEqual(t, "GetOrders", orders, got)
		for _, ids := range [][]string{nil, {"nope"}} {
			if got, err := s.GetOrders(ctx, ids); err != nil || len(got) != 0 {
				t.Errorf("GetOrders(%q) = %v, %v; want none", ids, got, err)
			}
		}
		testGetManyOrders(t, s)
	}
}

// testGetManyOrders reads more orders at once than SQLite allows parameters in
// older versions (999).
func testGetManyOrders(t *testing.T, s store.Store) {
	t.Helper()
	const n = 1500
	ids := make([]string, n)
	var orders []*store.Order
	for i := range ids {
		ids[i] = fmt.Sprintf("many_%04d", i)
		orders = append(orders, newOrder(ids[i], "acme", t0, backordered("l1", "KET", 1, 0)))
	}
	c := &store.EventCommit{Source: "shop", ID: "seed", Orders: orders, LeaveStatus: true}
	if _, err := workStore(t, s).CommitEvent(t.Context(), c); err != nil {
		t.Fatalf("CommitEvent of %d orders: %v", n, err)
	}
	got, err := s.GetOrders(t.Context(), ids)
	if err != nil || len(got) != n {
		t.Fatalf("GetOrders of %d ids = %d orders, %v", n, len(got), err)
	}
	slices.SortFunc(got, func(a, b *store.Order) int { return strings.Compare(a.ID, b.ID) })
	assertEqual(t, "GetOrders of many", orders, got)
}
