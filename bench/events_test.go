package bench

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
)

const (
	shopSource      = "https://shop.example/acme"
	warehouseSource = "https://shop.example/acme/warehouse"
	restockSKU      = "KET-BLUE"
)

// t0 is when the benchmark's orders are placed, yesterday at 09:00 UTC; every event
// is later. Relative to the clock, so that an order is a fresh backorder whatever the
// day: its promise (t0 + 30 days) and its window check lie ahead, and a run measures
// the event, not a delay-option flow that a fixed, aging date would start.
var t0 = time.Now().UTC().Truncate(24 * time.Hour).Add(-15 * time.Hour)

// eta is the backordered lines' ETA, t0 + 25 days: before the promise.
var eta = t0.Truncate(24*time.Hour).AddDate(0, 0, 25)

// customer i has an email address and an SMS-consenting phone number of their own,
// so each message to them is two messages, and no recipient's history grows long.
func customer(i int) event.Customer {
	return event.Customer{
		ID: fmt.Sprint("cus_", i), Name: "Ada Lovelace", Email: fmt.Sprintf("c%d@example.com", i),
		Phone:  fmt.Sprintf("+1415%03d%04d", 230+i/10000%700, i%10000),
		Locale: "en-US", TimeZone: "America/New_York", SMSConsent: true,
	}
}

// order returns order id, placed at placed, for customer i: one line of one unit of
// sku.
func order(id string, i int, placed time.Time, sku string) event.Order {
	return event.Order{
		ID: id, Number: id, PlacedAt: placed, Currency: "USD", Customer: customer(i),
		Lines: []event.Line{{ID: "l1", SKU: sku, Name: "Blue Enamel Kettle", Quantity: 1, UnitPrice: "39.00"}},
	}
}

// backorderedEvent is order.backordered for order ord_<run>_<i>: its one line is
// backordered with a known ETA. It is not coalesced and decides backorder_notice on
// email and SMS.
func backorderedEvent(tb testing.TB, run string, i int) *event.Event {
	tb.Helper()
	id := orderID(run, i)
	at := t0.Add(time.Hour + time.Duration(i)*time.Millisecond)
	data := map[string]any{
		"brand": "acme",
		"order": order(id, i, t0, "KET-"+run),
		"backordered_lines": []map[string]any{
			{"line_id": "l1", "quantity": 1, "eta": eta.Format(time.DateOnly), "reason": "Supplier shipment delayed", "backorder_type": "standard"},
		},
	}
	return parse(tb, envelope(fmt.Sprint("evt_", run, "_", i), shopSource, "order.backordered", at, id, data))
}

// restockedEvent is inventory.restocked of quantity units of sku.
func restockedEvent(tb testing.TB, id, sku string, quantity int, at time.Time) *event.Event {
	tb.Helper()
	data := map[string]any{"brand": "acme", "sku": sku, "quantity": quantity}
	return parse(tb, envelope(id, warehouseSource, "inventory.restocked", at, "", data))
}

func orderID(run string, i int) string { return fmt.Sprintf("ord_%s_%d", run, i) }

func envelope(id, source, typ string, at time.Time, subject string, data any) []byte {
	e := map[string]any{"specversion": "1.0", "id": id, "source": source, "type": typ,
		"time": at.Format(time.RFC3339Nano), "datacontenttype": "application/json", "data": data}
	if subject != "" {
		e["subject"] = subject
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return b
}

// parse validates raw exactly as the HTTP API and client.Enqueue do.
func parse(tb testing.TB, raw []byte) *event.Event {
	tb.Helper()
	e, problems := event.Parse(raw, event.Options{Brands: map[string]bool{"acme": true}})
	if len(problems) > 0 {
		tb.Fatalf("benchmark event invalid: %s: %s\n%s", problems[0].Path, problems[0].Message, raw)
	}
	return e
}

// backorders returns n open orders as the worker stores them after an
// order.backordered (and the backorder_notice it sent): line l1 waits for one unit of
// sku, the oldest order first.
func backorders(first, n int, sku string) []*store.Order {
	eta := eta.Add(5 * time.Hour)
	orders := make([]*store.Order, 0, n)
	for i := first; i < first+n; i++ {
		id := orderID("restock", i)
		placed := t0.Add(time.Duration(i) * time.Second)
		snap, err := json.Marshal(order(id, i, placed, sku))
		if err != nil {
			panic(err)
		}
		at := placed.Add(time.Minute)
		orders = append(orders, &store.Order{
			ID: id, Brand: "acme", Number: id, PlacedAt: placed, State: store.OrderOpen,
			Snapshot: snap, LastEventAt: at, CreatedAt: at, UpdatedAt: at,
			Lines: []store.OrderLine{{
				LineID: "l1", SKU: sku, Quantity: 1, State: store.LineBackordered,
				BackorderedQty: 1, ETA: &eta, ToldETA: &eta, BackorderType: "standard", StateAt: at,
			}},
		})
	}
	return orders
}

// seedBackorders stores n backorders of sku in CommitEvent batches of 5,000 orders
// (one transaction each), the way a bulk import would.
func seedBackorders(tb testing.TB, st store.Store, n int, sku string) {
	tb.Helper()
	const batch = 5000
	for first := 0; first < n; first += batch {
		c := &store.EventCommit{Source: "bench", ID: "seed", Orders: backorders(first, min(batch, n-first), sku), LeaveStatus: true}
		if _, err := st.CommitEvent(tb.Context(), c); err != nil {
			tb.Fatalf("seed orders %d…: %v", first, err)
		}
	}
}
