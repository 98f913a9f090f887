package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// decision is one message to send about an order, before it is split per channel.
type decision struct {
	kind     string
	lines    []templates.Line
	pending  []templates.Line
	shipment *templates.Shipment
	parcels  []templates.Shipment // a consolidated message's parcels, when several
	reason   string
	offer    *templates.Offer // legal notices
	offerID  string
	// except are lines an eta_update leaves out: the delay-option offer decided with it
	// states their new dates (CONTRACT.md §4).
	except []string
	// dedupBase, when set, replaces the event's (or batch's) key in the messages'
	// DedupKey: a parcel's restock_notice carries its SKU (reservedKey); a held one
	// its SKU and offer (heldKey).
	dedupBase string
	// hold, when set, records the messages as suppressed with this reason
	// (heldForOffer).
	hold string
}

// decide applies an order event to o and returns the messages it calls for
// (CONTRACT.md §3). Lines the event is stale for are left alone and not mentioned,
// but for a shipment's units, which add up (ship).
func (w *Worker) decide(ctx context.Context, p *plan, o *orderState, e *event.Event) ([]decision, error) {
	if s := shipmentOf(e); s != nil {
		if err := w.shipmentHistory(ctx, o, e, s.ID); err != nil {
			return nil, err
		}
		if o.shipmentSeen {
			p.note("shipment %s already recorded: its units are not counted again", s.ID)
		} else if o.carriesReserved(s) {
			var err error
			if o.allocs, err = w.Store.LineAllocations(ctx, o.rec.ID); err != nil {
				return nil, fmt.Errorf("allocations of %s: %w", o.rec.ID, err)
			}
		}
	}
	if o.rec.State == store.OrderClosed && e.Shipped == nil && e.Canceled == nil {
		if e.PartiallyShipped != nil && o.rec.ClosedAt != nil && !e.Time.After(*o.rec.ClosedAt) {
			// The events crossed: an earlier parcel heard of after the shipment that
			// closed the order. Its lines still open went with it, and its tracking is
			// news the customer has not had.
			if ds, applied := o.lateParcel(e.Time, e.PartiallyShipped); applied {
				if len(ds) == 0 {
					p.note("order closed; an earlier parcel recorded, nothing backordered in it")
				}
				return ds, nil
			}
		}
		p.note("order closed; %s ignored", e.Type)
		return nil, nil // a closed case gets no more news
	}
	switch {
	case e.Backordered != nil:
		reserved := o.toldReserved()
		swapped, err := w.swappedInOffer(ctx, o, e.Backordered)
		if err != nil {
			return nil, err
		}
		ds, err := o.backordered(e.Time, e.Backordered, swapped)
		if err != nil {
			return nil, err
		}
		if err := w.withdrawReserved(ctx, p, o, reserved, "backordered again (event "+e.ID+")"); err != nil {
			return nil, err
		}
		return w.delayFlow(ctx, p, o, e.Key(), ds, false)
	case e.EtaChanged != nil:
		ds, err := o.etaChanged(e.Time, e.EtaChanged)
		if err != nil {
			return nil, err
		}
		return w.delayFlow(ctx, p, o, e.Key(), ds, false)
	case e.PartiallyShipped != nil:
		reserved := o.toldReserved()
		ds, err := o.partiallyShipped(e.Time, e.PartiallyShipped)
		if err != nil || !o.shippedAny {
			return ds, err
		}
		if err := w.withdrawReserved(ctx, p, o, reserved, "shipped (event "+e.ID+")"); err != nil {
			return nil, err
		}
		offers, err := w.Store.OffersOf(ctx, o.rec.ID)
		if err != nil {
			return nil, fmt.Errorf("offers of %s: %w", o.rec.ID, err)
		}
		w.closeSettledOffers(p, o, offers)
		return append(ds, o.coveredNews(openIn(offers), lineIDsOf(e.PartiallyShipped.Shipment), e.Key())...), nil
	case e.Shipped != nil:
		ds := o.shipped(e.Time, e.Shipped)
		if o.rec.State == store.OrderClosed {
			return ds, w.closeOffers(ctx, p, o.rec.ID)
		}
		return ds, nil
	case e.Canceled != nil:
		ds := o.canceled(e.Time, e.Canceled)
		return ds, w.closeOffers(ctx, p, o.rec.ID)
	case e.WindowExpired != nil:
		o.expire(e.Time, e.WindowExpired.LineIDs)
		return w.delayFlow(ctx, p, o, e.Key(), nil, true)
	}
	return nil, nil
}

// swappedInOffer returns the lines d lists that the customer swapped for the
// substitute in the order's open offer (only then is the offer read).
func (w *Worker) swappedInOffer(ctx context.Context, o *orderState, d *event.BackorderedData) (map[string]bool, error) {
	if !slices.ContainsFunc(d.BackorderedLines, func(bl event.BackorderedLine) bool {
		l := o.lineState(bl.LineID)
		return l != nil && l.State == store.LineSubstitute
	}) {
		return nil, nil
	}
	off, err := w.openOffer(ctx, o.rec.ID)
	if err != nil || off == nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, id := range off.LineIDs {
		if l := o.lineState(id); l != nil && l.State == store.LineSubstitute {
			out[id] = true
		}
	}
	return out, nil
}

// backordered applies order.backordered; swapped are the lines the customer swapped
// for the substitute in the open offer.
func (o *orderState) backordered(at time.Time, d *event.BackorderedData, swapped map[string]bool) ([]decision, error) {
	var lines []templates.Line
	reason := ""
	for _, bl := range d.BackorderedLines {
		l := o.line(bl.LineID)
		if stale(l, at) {
			continue
		}
		eta, err := o.resolve(bl.ETA)
		if err != nil {
			return nil, err
		}
		// A line of an open offer stays in it: the customer's choice decides it, and a
		// restock is not announced while the offer may still end in a cancellation. (A
		// line swapped in an offer decided since is the shop's again.)
		inOffer := swapped[bl.LineID]
		if l.State != store.LineAwaiting && !inOffer {
			l.State = store.LineBackordered
		}
		l.BackorderedQty, l.AllocatedQty, l.ETA, l.StateAt = bl.Quantity, 0, eta, at
		l.ReservedTold = false // nothing reserved: the next reservation is news
		l.BackorderType = bl.BackorderType
		if l.BackorderType == "" {
			l.BackorderType = event.BackorderStandard
		}
		if inOffer {
			continue // the customer takes the substitute: the item's backorder is not news to them
		}
		lines = append(lines, o.viewLine(bl.LineID, bl.Quantity, eta, nil))
		if reason == "" {
			reason = bl.Reason
		}
	}
	if len(lines) == 0 {
		return nil, nil
	}
	return []decision{{kind: templates.KindBackorderNotice, lines: lines, reason: reason}}, nil
}

// etaChanged records the new ETAs; whether they are news for the customer is decided
// against what the customer was last told (etaNews), now or when the coalescing
// window closes.
func (o *orderState) etaChanged(at time.Time, d *event.EtaChangedData) ([]decision, error) {
	changed := false
	for _, c := range d.Changes {
		l := o.line(c.LineID)
		if stale(l, at) || !open(l) {
			continue
		}
		eta, err := o.resolve(c.ETA)
		if err != nil {
			return nil, err
		}
		l.StateAt = at
		if !sameTime(l.ETA, eta) {
			l.ETA, changed = eta, true
		}
	}
	if !changed {
		return nil, nil
	}
	return []decision{{kind: templates.KindEtaUpdate, reason: d.Reason}}, nil
}

// etaNews returns the eta_update for the open backordered lines, but those in except
// and those the customer swapped for a substitute,
// whose ETA moved materially from what the customer was last told (by at least
// material_eta_change, or from unknown to known and back), or false when nothing is
// news.
func (o *orderState) etaNews(material time.Duration, reason string, except []string) (decision, bool) {
	var lines []templates.Line
	for i := range o.rec.Lines {
		l := &o.rec.Lines[i]
		if owed(l) == 0 || !open(l) || l.State == store.LineSubstitute ||
			!materialChange(l.ToldETA, l.ETA, material) || slices.Contains(except, l.LineID) {
			continue
		}
		lines = append(lines, o.viewLine(l.LineID, owed(l), l.ETA, l.ToldETA))
	}
	if len(lines) == 0 {
		return decision{}, false
	}
	return decision{kind: templates.KindEtaUpdate, lines: lines, reason: reason}, true
}

func materialChange(told, eta *time.Time, material time.Duration) bool {
	if told == nil || eta == nil {
		return (told == nil) != (eta == nil)
	}
	diff := eta.Sub(*told)
	return diff >= material || -diff >= material
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func (o *orderState) partiallyShipped(at time.Time, d *event.PartiallyShippedData) ([]decision, error) {
	_, shipped := o.ship(at, d.Shipment)
	var pending []templates.Line
	moved := false
	for _, p := range d.PendingLines {
		l := o.line(p.LineID)
		if stale(l, at) || !open(l) {
			continue
		}
		eta, err := o.resolve(p.ETA)
		if err != nil {
			return nil, err
		}
		moved = moved || !sameTime(l.ETA, eta)
		l.ETA, l.StateAt = eta, at
		pending = append(pending, o.viewLine(p.LineID, p.Quantity, eta, nil))
	}
	if len(shipped) == 0 {
		if moved {
			// Nothing new shipped (a shipment recorded already), but the dates of
			// what is still to come moved: news as an eta_update would be.
			return []decision{{kind: templates.KindEtaUpdate}}, nil
		}
		return nil, nil
	}
	return []decision{{
		kind: templates.KindPartialShipment, lines: shipped, pending: pending,
		shipment: viewShipment(d.Shipment),
	}}, nil
}

// coveredNews is the restock_notice a shipment makes news, for each SKU it carried:
// when all the order's units of it owed are reserved now, its allocated lines not
// told of their reservation — the shipment left them fully covered (heard of in the
// order they happened, the parcel then the restock, the restock's batch would have
// told them), or carried the last line of the SKU still waiting (the batch found it
// waiting). Each is decided under key (the event's) and its SKU: the lines' flag
// (ReservedTold) keeps a batch that runs later from naming them again. Lines it left
// covered that await the customer's choice on off, the order's open offer, are
// recorded as held, as the batch records them (heldKey).
func (o *orderState) coveredNews(off *store.Offer, carried []string, key string) []decision {
	var ds []decision
	var skus []string
	for _, id := range carried {
		if l := o.lineState(id); l != nil {
			skus = append(skus, l.SKU)
		}
	}
	for _, sku := range slices.Compact(slices.Sorted(slices.Values(skus))) {
		told, held := o.restockLines(sku)
		if len(told) > 0 {
			ds = append(ds, decision{kind: templates.KindRestockNotice, lines: told, dedupBase: reservedKey(key, sku)})
		}
		if off != nil && slices.ContainsFunc(held, func(l templates.Line) bool { return slices.Contains(o.covered, l.ID) }) {
			ds = append(ds, decision{kind: templates.KindRestockNotice, lines: held, hold: heldForOffer,
				dedupBase: heldKey(key, sku, off.ID)})
		}
	}
	return ds
}

// reservedKey is the DedupKey base of the restock_notice about sku that what key
// names (an event, a deadline, an answer) decided besides its own message.
func reservedKey(key, sku string) string { return key + reservedSep + sku }

const reservedSep = ":reserved:"

// ship records a shipment and returns the ids and views of the lines it carried. A
// parcel older than a line's state still adds its units, up to what is left of the
// line, in an open order or one that order.shipped closed (closedByShipment); after a
// cancellation, a line it is stale for is left alone.
func (o *orderState) ship(at time.Time, s *event.Shipment) (ids []string, lines []templates.Line) {
	if o.shipmentSeen {
		return nil, nil
	}
	for _, sl := range s.Lines {
		l := o.line(sl.LineID)
		if !open(l) {
			continue
		}
		qty := sl.Quantity
		switch {
		case !stale(l, at):
			l.StateAt = at
		case o.rec.State == store.OrderOpen || o.closedByShipment:
			// Shipments add up: an older parcel undoes nothing newer, and its units
			// are news the customer has not had. StateAt stays.
			qty = min(qty, l.Quantity-l.ShippedQty)
		default:
			continue
		}
		owedBefore, wasReserved := owed(l), reserved(l)
		l.ShippedQty += qty
		if l.ShippedQty >= l.Quantity {
			l.ShippedQty, l.State = l.Quantity, store.LineShipped
		}
		// The backordered units that went are most likely the ones a restock
		// reserved: they use up that much of the allocation, so the next restock
		// covers what is still owed — but not units a restock newer than the parcel
		// reserved (a parcel heard of late), which stay reserved for what is owed.
		// A parcel newer than this one that carried the line may have taken units
		// reserved before it; which it took is not known, so only units reserved
		// after it too are kept (reservedAfter): the next restock may reserve a unit
		// again, but none that is not there is promised.
		keep := min(l.AllocatedQty, o.reservedAfter(sl.LineID, at))
		l.AllocatedQty = min(owed(l), max(keep, l.AllocatedQty-(owedBefore-owed(l))))
		l.ReservedTold = l.ReservedTold && l.AllocatedQty > 0
		if reserved(l) && o.rec.State == store.OrderOpen && !o.closing {
			switch {
			case l.State == store.LineBackordered:
				l.State = store.LineAllocated // what is left is all reserved now
				o.covered = append(o.covered, l.LineID)
			case l.State == store.LineAwaiting && !wasReserved:
				o.covered = append(o.covered, l.LineID) // held while its offer is open
			}
		}
		ids = append(ids, sl.LineID)
		lines = append(lines, o.viewLine(sl.LineID, qty, nil, nil))
	}
	o.shippedAny = o.shippedAny || len(ids) > 0
	return ids, lines
}

// carriesReserved reports whether shipment s carries an open line with units a
// restock reserved: ship then needs the allocations' times (reservedAfter).
func (o *orderState) carriesReserved(s *event.Shipment) bool {
	for _, sl := range s.Lines {
		if l := o.lineState(sl.LineID); l != nil && open(l) && l.AllocatedQty > 0 {
			return true
		}
	}
	return false
}

// lineIDsOf returns the ids of the lines shipment s carries.
func lineIDsOf(s *event.Shipment) []string {
	ids := make([]string, len(s.Lines))
	for i, sl := range s.Lines {
		ids[i] = sl.LineID
	}
	return ids
}

// shipmentOf returns the shipment an order.partially_shipped or order.shipped
// carries, nil for other events.
func shipmentOf(e *event.Event) *event.Shipment {
	switch {
	case e.PartiallyShipped != nil:
		return e.PartiallyShipped.Shipment
	case e.Shipped != nil:
		return e.Shipped.Shipment
	}
	return nil
}

// shipmentHistory reads the order's handled events for a shipment event and sets:
//
//   - o.shipmentSeen, when another of them carried the shipment with this id: its
//     units are counted once, however many events (a resend under a new id, a
//     correction of its tracking) report it. Two events of one shipment handled at
//     once both see neither; the order's compare-and-set lets one commit, and the
//     other decides again and sees it.
//   - o.newerParcel, for each line a parcel newer than this event carried, the
//     newest such parcel's time (a shipment counts at its first report; ship).
//   - o.closedByShipment, when the event that closed the order (the one dated
//     ClosedAt) was an order.shipped and no order.canceled shares that time.
//     order.shipped is the last shipment, so whatever of a line is still open went
//     in earlier parcels: a parcel heard of late carries units the customer has not
//     been told of, however new the line's state (an ETA change, or the closing
//     shipment carrying part of it). After an order.canceled nothing of this holds.
func (w *Worker) shipmentHistory(ctx context.Context, o *orderState, e *event.Event, id string) error {
	recs, err := w.Store.ListEvents(ctx, o.rec.ID)
	if err != nil {
		return fmt.Errorf("events of %s: %w", o.rec.ID, err)
	}
	closedAt := o.rec.ClosedAt
	var shippedAtClose, canceledAtClose bool
	var reported []string // shipment ids, in the order of their first report (oldest first)
	for _, r := range recs {
		if r.Status != store.EventHandled || (r.Source == e.Source && r.ID == e.ID) {
			continue
		}
		atClose := o.rec.State == store.OrderClosed && closedAt != nil && r.Time.Equal(*closedAt)
		switch r.Type {
		case event.TypeCanceled:
			canceledAtClose = canceledAtClose || atClose
			continue
		case event.TypeShipped:
			shippedAtClose = shippedAtClose || atClose
		case event.TypePartiallyShipped:
		default:
			continue
		}
		var payload struct {
			Data struct {
				Shipment struct {
					ID    string `json:"id"`
					Lines []struct {
						LineID string `json:"line_id"`
					} `json:"lines"`
				} `json:"shipment"`
			} `json:"data"`
		}
		if json.Unmarshal(r.Payload, &payload) != nil {
			continue
		}
		sid := payload.Data.Shipment.ID
		if sid == id {
			o.shipmentSeen = true
		}
		if slices.Contains(reported, sid) {
			continue // a resend: it counted no units
		}
		reported = append(reported, sid)
		if r.Time.After(e.Time) && sid != id {
			for _, l := range payload.Data.Shipment.Lines {
				if o.newerParcel == nil {
					o.newerParcel = map[string]time.Time{}
				}
				if r.Time.After(o.newerParcel[l.LineID]) {
					o.newerParcel[l.LineID] = r.Time
				}
			}
		}
	}
	o.closedByShipment = shippedAtClose && !canceledAtClose
	return nil
}

// shipped closes the order; it sends `shipped` for the items that had been backordered.
func (o *orderState) shipped(at time.Time, d *event.ShippedData) []decision {
	o.closing = true
	_, ds := o.shipBackordered(at, d.Shipment)
	o.close(at) // the last shipment closes the case (CONTRACT.md §3), whatever arrived before
	return ds
}

// lateParcel records a partial shipment older than the order's closing, heard of
// after it, for the lines it carried that are still open — not stale for it, or, in
// an order that order.shipped closed, any (closedByShipment: up to what is left of
// the line) — and sends `shipped` for those that had been backordered, with that
// parcel's tracking: the order has shipped, and this is part of it the customer was
// not told of. applied is whether it recorded any line. After a cancellation at C
// every line still open is newer than C (the cancellation was stale for it), so a
// parcel from before C is stale for it too, and says nothing; so does a parcel whose
// lines went out in full already.
func (o *orderState) lateParcel(at time.Time, d *event.PartiallyShippedData) (ds []decision, applied bool) {
	ids, ds := o.shipBackordered(at, d.Shipment)
	return ds, len(ids) > 0
}

// shipBackordered records shipment s and returns the lines it applied to, and
// `shipped` for the items it carried that had been backordered (nothing when none).
func (o *orderState) shipBackordered(at time.Time, s *event.Shipment) ([]string, []decision) {
	ids, lines := o.ship(at, s)
	var backordered []templates.Line
	for i, id := range ids {
		if l := o.lineState(id); l != nil && l.BackorderedQty > 0 {
			backordered = append(backordered, lines[i])
		}
	}
	if len(backordered) == 0 {
		return ids, nil
	}
	return ids, []decision{{kind: templates.KindShipped, lines: backordered, shipment: viewShipment(s)}}
}

// canceled cancels the open lines and closes the order. By default the shop confirms
// its own cancellations and nothing is sent (CONTRACT.md §3); with "notify": true the
// customer gets cancellation_notice for the lines this event canceled — none when the
// order was closed already, or the event is stale for every line.
func (o *orderState) canceled(at time.Time, d *event.CanceledData) []decision {
	var lines []templates.Line
	for i := range o.rec.Lines {
		l := &o.rec.Lines[i]
		if open(l) && !stale(l, at) {
			l.State, l.StateAt = store.LineCanceled, at
			if qty := l.Quantity - l.ShippedQty; qty > 0 {
				lines = append(lines, o.viewLine(l.LineID, qty, nil, nil))
			}
		}
	}
	o.close(at)
	if !d.Notify || len(lines) == 0 {
		return nil
	}
	return []decision{{kind: templates.KindCancellationNotice, lines: lines, reason: d.Reason}}
}

// close closes the order; ClosedAt (the CloudEvents time) starts the link lifetimes
// and retention.
func (o *orderState) close(at time.Time) {
	o.rec.State = store.OrderClosed
	if o.rec.ClosedAt == nil {
		t := at.UTC()
		o.rec.ClosedAt = &t
	}
}

// windowExpired moves the late lines to awaiting the customer's choice and sends the
// delay-option offer. The full policy (deadlines, reminders, links) is issue 6's.
// expire marks the given backordered or reserved (allocated) lines (all when none are
// named) as past their window: they are late whatever their ETA
// (backorder.window_expired).
func (o *orderState) expire(at time.Time, ids []string) {
	o.expired = map[string]bool{}
	for i := range o.rec.Lines {
		l := &o.rec.Lines[i]
		waiting := l.State == store.LineBackordered || l.State == store.LineAllocated
		if waiting && !stale(l, at) && (len(ids) == 0 || slices.Contains(ids, l.LineID)) {
			o.expired[l.LineID] = true
			l.StateAt = at
		}
	}
}

func viewShipment(s *event.Shipment) *templates.Shipment {
	return &templates.Shipment{Carrier: s.Carrier, TrackingNumber: s.TrackingNumber, TrackingURL: s.TrackingURL}
}
