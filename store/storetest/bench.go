package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// BenchmarkCommitEvent measures CommitEvent on the stores open returns (new, empty
// and unmigrated, as for Run), so that the implementations can be compared:
//
//   - "order+2notifications": one event that updates one order (compare-and-set, its
//     two lines replaced) and creates two notifications, one commit at a time;
//   - "order+2notifications/parallel": the same from GOMAXPROCS goroutines, each on
//     orders and events of its own;
//   - "fan-out/500": one restock commit of 500 orders, 500 allocations and 500
//     notifications, the batch size of a large restock; lines/s is its throughput.
//
// The dialect packages run it as BenchmarkCommitEvent:
//
//	go test -run '^$' -bench CommitEvent ./store/...
func BenchmarkCommitEvent(b *testing.B, open func(testing.TB) store.Store) {
	migrated := func(b *testing.B) (store.Store, store.WorkStore) {
		s := open(b)
		if err := s.Migrate(b.Context()); err != nil {
			b.Fatalf("Migrate: %v", err)
		}
		return s, workStore(b, s)
	}
	b.Run("order+2notifications", func(b *testing.B) {
		s, w := migrated(b)
		events := benchEvents(b, s, "e", 16)
		orders := make([]*store.Order, 256)
		b.ResetTimer()
		for i := range b.N {
			commitOne(b, w, events[i%len(events)], orders, i, fmt.Sprint(i))
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("order+2notifications/parallel", func(b *testing.B) {
		s, w := migrated(b)
		var workers atomic.Int64
		events := benchEvents(b, s, "e", 256)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			g := int(workers.Add(1))
			orders := make([]*store.Order, 64)
			for i := 0; pb.Next(); i++ {
				commitOne(b, w, events[g%len(events)], orders, i, fmt.Sprint(g, "-", i))
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("fan-out/500", func(b *testing.B) {
		const n = 500
		s, w := migrated(b)
		events := benchEvents(b, s, "r", 16)
		orders := make([]*store.Order, n)
		for i := range orders {
			orders[i] = newOrder(fmt.Sprint("ord_", i), "acme", at(time.Duration(i)*time.Second),
				backordered("l1", "KET", 2, 0))
		}
		if _, err := w.CommitEvent(b.Context(), newCommit(events[0], orders)); err != nil {
			b.Fatalf("CommitEvent inserting the orders: %v", err)
		}
		b.ResetTimer()
		for i := range b.N {
			c := newCommit(events[i%len(events)], orders)
			restock := fmt.Sprint("r", i)
			for j, o := range orders {
				o.Lines[0].AllocatedQty, o.Lines[0].State = 2, store.LineAllocated
				c.Allocations = append(c.Allocations, store.Allocation{RestockSource: "shop",
					RestockID: restock, OrderID: o.ID, LineID: "l1", Quantity: 2})
				c.Notifications = append(c.Notifications, newNotification("", o.ID,
					"restock_notice", fmt.Sprint(restock, "-", j), at(time.Hour)))
			}
			if _, err := w.CommitEvent(b.Context(), c); err != nil {
				b.Fatalf("CommitEvent: %v", err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "lines/s")
	})
}

// benchEvents records n events and returns their ids.
func benchEvents(b *testing.B, s store.Store, prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(prefix, i)
	}
	recordEvents(b, s, "", ids...)
	return ids
}

// commitOne commits event with one of orders (inserted the first time round, then
// updated) and two new notifications whose dedup keys end in key.
func commitOne(b *testing.B, w store.WorkStore, event string, orders []*store.Order, i int, key string) {
	o := orders[i%len(orders)]
	if o == nil {
		o = newOrder("ord_"+key, "acme", t0, backordered("l1", "KET", 2, 0), backordered("l2", "MUG", 1, 0))
		orders[i%len(orders)] = o
	}
	o.LastEventAt = at(time.Duration(i) * time.Second)
	email := newNotification("", o.ID, "eta_update", "email-"+key, o.LastEventAt)
	text := newNotification("", o.ID, "eta_update", "sms-"+key, o.LastEventAt)
	text.Channel, text.Recipient = store.ChannelSMS, "+14155550100"
	if _, err := w.CommitEvent(b.Context(), newCommit(event, []*store.Order{o}, email, text)); err != nil {
		b.Fatalf("CommitEvent: %v", err)
	}
}

// BenchmarkAllocateRestock100k measures AllocateRestock of 100,000 units to 100,000
// open backordered lines of one SKU, each in an order of its own: the allocation of
// a large shop's restock day. Each iteration seeds a new SKU (not timed), in
// CommitEvent batches of 5,000 orders. The dialect packages run it as
// BenchmarkAllocateRestock100k:
//
//	go test -run '^$' -bench AllocateRestock100k -benchtime 3x ./store/...
func BenchmarkAllocateRestock100k(b *testing.B, open func(testing.TB) store.Store) {
	const n = 100_000
	s := open(b)
	if err := s.Migrate(b.Context()); err != nil {
		b.Fatalf("Migrate: %v", err)
	}
	w := workStore(b, s)
	for i := range b.N {
		b.StopTimer()
		sku := fmt.Sprint("SKU-", i)
		start := time.Now()
		seedBackorders(b, w, fmt.Sprint("ord_", i, "_"), sku, n)
		b.Logf("seeded %d backorders of %s in %v", n, sku, time.Since(start).Round(time.Millisecond))
		b.StartTimer()
		got, err := w.AllocateRestock(b.Context(), "shop", fmt.Sprint("r", i), "acme", sku, n, at(time.Hour))
		if err != nil || len(got) != n {
			b.Fatalf("AllocateRestock = %d allocations, %v; want %d", len(got), err, n)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "lines/s")
}

// seedBackorders inserts n open orders of acme, prefix000000 on, each placed a second
// after the previous with one line waiting for one unit of sku.
func seedBackorders(b *testing.B, w store.WorkStore, prefix, sku string, n int) {
	const batch = 5000
	for first := 0; first < n; first += batch {
		orders := make([]*store.Order, 0, batch)
		for i := first; i < min(n, first+batch); i++ {
			orders = append(orders, newOrder(fmt.Sprintf("%s%06d", prefix, i), "acme",
				at(time.Duration(i)*time.Second), backordered("l1", sku, 1, 0)))
		}
		c := &store.EventCommit{Source: "bench", ID: "seed", Orders: orders, LeaveStatus: true}
		if _, err := w.CommitEvent(b.Context(), c); err != nil {
			b.Fatalf("CommitEvent seeding orders %d…: %v", first, err)
		}
	}
}
