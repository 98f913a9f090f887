package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
)

// orderState is an order being changed by one event: the stored record, the latest
// snapshot from the commerce system, and the brand it belongs to.
type orderState struct {
	rec   *store.Order
	snap  *event.Order
	brand *config.Brand
	loc   *time.Location     // the brand's time zone: plain dates end there
	subs  []event.Substitute // substitutes the event offers, if any
	// expired holds lines a backorder.window_expired made late whatever their ETA.
	expired map[string]bool
	// shipmentSeen: the event's shipment was recorded already, by another event of
	// the order (a resend or a correction under a new id): ship counts nothing.
	shipmentSeen bool
	// closedByShipment: the order was closed by an order.shipped (shipmentHistory,
	// for shipment events only).
	closedByShipment bool
	// allocs are the allocations to the order's lines with their restocks' times,
	// loaded for a shipment that carries a line with reserved units (reservedAfter).
	allocs []store.LineAllocation
	// newerParcel holds, for the lines handled shipment events newer than this one
	// carried, the newest such parcel's time (shipmentHistory, for shipment events
	// only).
	newerParcel map[string]time.Time
	// closing: the event is the order.shipped that closes the order (shipped).
	closing bool
	// shippedAny: the event's shipment added units to a line (ship).
	shippedAny bool
	// covered are the lines a shipment left fully covered by their reservations
	// (ship): they are restock news.
	covered []string
}

// reservedAfter is how many units restocks newer than t reserved for line id and no
// parcel can have carried: a parcel of time t cannot carry units reserved after it,
// and a newer parcel that carried the line (newerParcel) may have carried any
// reserved before it — so only those reserved after both count.
func (o *orderState) reservedAfter(id string, t time.Time) int {
	if p, ok := o.newerParcel[id]; ok && p.After(t) {
		t = p
	}
	n := 0
	for _, a := range o.allocs {
		if a.LineID == id && a.At.After(t) {
			n += a.Quantity
		}
	}
	return n
}

// line returns the state of line id, adding it from the snapshot if it is new.
func (o *orderState) line(id string) *store.OrderLine {
	for i := range o.rec.Lines {
		if o.rec.Lines[i].LineID == id {
			return &o.rec.Lines[i]
		}
	}
	l, _ := o.snap.Line(id)
	o.rec.Lines = append(o.rec.Lines, store.OrderLine{
		LineID: id, SKU: l.SKU, Quantity: l.Quantity, State: store.LineOpen,
	})
	return &o.rec.Lines[len(o.rec.Lines)-1]
}

// loadOrder returns the order of an order event with the event's snapshot applied
// (unless the event is older than the newest one already applied).
func (w *Worker) loadOrder(ctx context.Context, e *event.Event) (*orderState, error) {
	od := e.OrderData()
	brand, loc, err := w.brandOf(od.Brand)
	if err != nil {
		return nil, err
	}
	rec, err := w.Store.GetOrder(ctx, od.Order.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		rec = &store.Order{ID: od.Order.ID, Brand: od.Brand, State: store.OrderOpen, CreatedAt: w.Now()}
	case err != nil:
		return nil, fmt.Errorf("load order: %w", err)
	}
	o := &orderState{rec: rec, snap: od.Order, brand: brand, loc: loc, subs: od.Substitutes}
	if e.Time.Before(rec.LastEventAt) && rec.Snapshot != nil {
		// An older event: keep the newer snapshot the store has.
		var snap event.Order
		if err := json.Unmarshal(rec.Snapshot, &snap); err != nil {
			return nil, fmt.Errorf("order %s snapshot: %w", rec.ID, err)
		}
		o.snap = &snap
		return o, nil
	}
	snap, err := json.Marshal(od.Order)
	if err != nil {
		return nil, err
	}
	rec.Snapshot, rec.Number, rec.PlacedAt = snap, od.Order.Number, od.Order.PlacedAt.UTC()
	rec.LastEventAt, rec.UpdatedAt = e.Time.UTC(), w.Now()
	return o, nil
}

// stale reports whether an event at t is older than what is known of line l; such an
// event neither changes the line nor sends anything about it.
func stale(l *store.OrderLine, t time.Time) bool { return t.Before(l.StateAt) }

// owed is how many units of l its backorder still owes the customer (store.OrderLine.Owed).
func owed(l *store.OrderLine) int { return l.Owed() }

// reserved reports whether restocks reserved all that line l still owes.
func reserved(l *store.OrderLine) bool { return owed(l) > 0 && l.AllocatedQty >= owed(l) }

// waitingState is the state line l returns to when it waits for stock again after a
// delay-option offer (the customer's "wait", or silence taken as consent): allocated
// when restocks reserved all it is owed while the offer was open, else backordered.
func waitingState(l *store.OrderLine) string {
	if reserved(l) {
		return store.LineAllocated
	}
	return store.LineBackordered
}

// open reports whether a line still waits for something (not shipped or canceled).
func open(l *store.OrderLine) bool {
	return l.State != store.LineShipped && l.State != store.LineCanceled
}

func (o *orderState) resolve(w *event.When) (*time.Time, error) {
	if w == nil {
		return nil, nil
	}
	t, err := w.Resolve(o.loc)
	if err != nil {
		return nil, err
	}
	t = t.UTC().Truncate(time.Microsecond) // what the store keeps
	return &t, nil
}
