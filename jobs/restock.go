package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// applyRestock allocates a restock's quantity to open backorders of its SKU, oldest
// order first; each order whose backordered quantity of that SKU is then fully covered
// gets restock_notice (CONTRACT.md §3).
func (w *Worker) applyRestock(ctx context.Context, e *event.Event) (string, error) {
	r := e.Restocked
	obs, err := w.Store.OpenBackorders(ctx, r.Brand, r.SKU)
	if err != nil {
		return "", fmt.Errorf("open backorders of %s/%s: %w", r.Brand, r.SKU, err)
	}
	remaining := r.Quantity
	var orderIDs []string
	take := map[string]map[string]int{} // order → line → quantity allocated now
	for _, ob := range obs {
		if remaining == 0 {
			break
		}
		n := min(remaining, ob.Missing)
		remaining -= n
		if take[ob.OrderID] == nil {
			take[ob.OrderID] = map[string]int{}
			orderIDs = append(orderIDs, ob.OrderID)
		}
		take[ob.OrderID][ob.LineID] += n
	}
	notified := 0
	for _, id := range orderIDs {
		sent, err := w.allocate(ctx, e, id, take[id])
		if err != nil {
			return "", err
		}
		if sent {
			notified++
		}
	}
	return fmt.Sprintf("allocated %d of %d to %d orders; %d notified", r.Quantity-remaining, r.Quantity, len(orderIDs), notified), nil
}

// allocate adds the allocations to one order and notifies it when every backordered
// line of the SKU is covered.
func (w *Worker) allocate(ctx context.Context, e *event.Event, orderID string, lines map[string]int) (bool, error) {
	rec, err := w.Store.GetOrder(ctx, orderID)
	if err != nil {
		return false, fmt.Errorf("load order %s: %w", orderID, err)
	}
	o, err := w.stateOf(rec)
	if err != nil {
		return false, err
	}
	covered := true
	var views []templates.Line
	for i := range rec.Lines {
		l := &rec.Lines[i]
		if l.SKU != e.Restocked.SKU || l.State != store.LineBackordered {
			continue
		}
		l.AllocatedQty = min(l.BackorderedQty, l.AllocatedQty+lines[l.LineID])
		if l.AllocatedQty < l.BackorderedQty {
			covered = false
			continue
		}
		l.State = store.LineAllocated
		if e.Time.After(l.StateAt) {
			l.StateAt = e.Time
		}
		views = append(views, o.viewLine(l.LineID, l.BackorderedQty, nil, nil))
	}
	rec.UpdatedAt = w.Now()
	if err := w.Store.SaveOrder(ctx, rec); err != nil {
		return false, fmt.Errorf("save order %s: %w", orderID, err)
	}
	if !covered || len(views) == 0 {
		return false, nil
	}
	return true, w.notify(ctx, e, o, decision{kind: templates.KindRestockNotice, lines: views})
}

// stateOf rebuilds the orderState of a stored order from its snapshot.
func (w *Worker) stateOf(rec *store.Order) (*orderState, error) {
	var snap event.Order
	if err := json.Unmarshal(rec.Snapshot, &snap); err != nil {
		return nil, fmt.Errorf("order %s snapshot: %w", rec.ID, err)
	}
	brand, ok := w.Config.Brand(rec.Brand)
	if !ok {
		return nil, fmt.Errorf("brand %q is not configured", rec.Brand)
	}
	loc, err := time.LoadLocation(brand.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("brand %s time zone: %w", brand.ID, err)
	}
	return &orderState{rec: rec, snap: &snap, brand: brand, loc: loc}, nil
}
