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
