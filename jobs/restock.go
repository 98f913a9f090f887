package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/internal/tz"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// TypeRestockBatch decides restock_notice for one batch of the orders a restock
// allocated stock to; batches run on the low queue so a restock of a popular SKU does
// not hold up other customers' news.
const TypeRestockBatch = "restock.batch"

// RestockBatchSize is how many orders one restock.batch task handles.
const RestockBatchSize = 500

// RestockBatchPayload names the restock event and the orders of one batch.
type RestockBatchPayload struct {
	Source string   `json:"source"`
	ID     string   `json:"id"`
	SKU    string   `json:"sku"`
	Orders []string `json:"orders"`
}

// handleRestock allocates the restock's quantity to open backorders of its SKU, oldest
// order first, in one transaction (idempotent per restock, so a retry allocates
// nothing twice), then queues the notice batches and marks the event handled. A crash
// anywhere re-runs to the same allocations and the same batch TaskIDs.
func (w *Worker) handleRestock(ctx context.Context, e *event.Event) error {
	r := e.Restocked
	allocs, err := w.Store.AllocateRestock(ctx, e.Source, e.ID, r.Brand, r.SKU, r.Quantity, e.Time) // state_at: the restock's time, so older events stay stale and newer ones apply
	if err != nil {
		return fmt.Errorf("allocate %s/%s: %w", r.Brand, r.SKU, err)
	}
	var orders []string
	seen := map[string]bool{}
	allocated := 0
	for _, a := range allocs {
		allocated += a.Quantity
		if !seen[a.OrderID] {
			seen[a.OrderID] = true
			orders = append(orders, a.OrderID)
		}
	}
	batches := 0
	for start := 0; start < len(orders); start += RestockBatchSize {
		batch := orders[start:min(start+RestockBatchSize, len(orders))]
		if err := w.enqueueRestockBatch(ctx, e, batches, batch); err != nil {
			return err
		}
		batches++
	}
	p := newPlan(e.Source, e.ID, w.Now())
	p.note("allocated %d of %d to %d orders; %d notice batches", allocated, r.Quantity, len(orders), batches)
	if err := w.commit(ctx, p); err != nil {
		return err
	}
	w.log(ctx).Info("restock allocated", "sku", r.SKU, "orders", len(orders), "batches", batches)
	return nil
}

func (w *Worker) enqueueRestockBatch(ctx context.Context, e *event.Event, n int, orders []string) error {
	return w.enqueueOnce(ctx, TypeRestockBatch, fmt.Sprintf("restock:%s:%d", e.Key(), n),
		RestockBatchPayload{Source: e.Source, ID: e.ID, SKU: e.Restocked.SKU, Orders: orders}, asynq.Queue(QueueLow))
}

// HandleRestockBatch decides restock_notice for each order of the batch whose
// backordered quantity of the SKU is now fully covered (CONTRACT.md §3).
func (w *Worker) HandleRestockBatch(ctx context.Context, t *asynq.Task) error {
	var bp RestockBatchPayload
	if err := json.Unmarshal(t.Payload(), &bp); err != nil || bp.ID == "" {
		return fmt.Errorf("bad %s payload: %w", TypeRestockBatch, asynq.SkipRetry)
	}
	var nothingNew []string
	err := w.retryCommit(ctx, func() (*plan, error) {
		p, quiet, err := w.planRestockBatch(ctx, bp)
		nothingNew = quiet
		return p, err
	})
	if err != nil {
		return err
	}
	// An order with nothing new: its lines were told (by another restock or event,
	// or by this batch in a run that committed and then failed to queue its sends,
	// which stay pending), are held, or still wait for stock. Queue what this
	// restock left pending for them, on the low queue in send batches as a first run
	// does (a send re-checks the order) — but not a notice whose news a later one
	// to the same recipient carries (the units it named were lost, and another
	// restock reserved as many and has announced them).
	var pending []*store.Notification
	for _, id := range nothingNew {
		ns, err := w.Store.ListNotifications(ctx, store.NotificationFilter{OrderID: id, Kind: templates.KindRestockNotice})
		if err != nil {
			return fmt.Errorf("pending notices of %s: %w", id, err)
		}
		for i := range ns {
			n := &ns[i]
			if n.Status != store.NotificationPending || n.EventSource != bp.Source || n.EventID != bp.ID {
				continue
			}
			if later := laterSameNews(ns, n); later != nil {
				n.Status, n.Reason, n.UpdatedAt = store.NotificationSuppressed, dedupReason+" same news as later notification "+later.ID, w.Now()
				if err := w.Store.UpdateNotification(ctx, n); err != nil {
					return fmt.Errorf("notice %s: %w", n.ID, err)
				}
				continue
			}
			pending = append(pending, n)
		}
	}
	return w.enqueueSends(ctx, pending, QueueLow)
}

// laterSameNews returns the notification of ns decided after n with n's news for n's
// recipient that is going or has gone out, or nil.
func laterSameNews(ns []store.Notification, n *store.Notification) *store.Notification {
	for i := range ns {
		m := &ns[i]
		if m.ID != n.ID && m.Channel == n.Channel && m.Recipient == n.Recipient && m.Fingerprint == n.Fingerprint &&
			m.CreatedAt.After(n.CreatedAt) && (m.Status == store.NotificationPending || m.Status == store.NotificationSent ||
			m.Status == store.NotificationDelivered) {
			return m
		}
	}
	return nil
}

// planRestockBatch decides the batch's notices, and returns the orders it found
// nothing new to tell (HandleRestockBatch).
func (w *Worker) planRestockBatch(ctx context.Context, bp RestockBatchPayload) (*plan, []string, error) {
	recs, err := w.Store.GetOrders(ctx, bp.Orders)
	if err != nil {
		return nil, nil, fmt.Errorf("load batch: %w", err)
	}
	var nothingNew []string
	p := newPlan(bp.Source, bp.ID, w.Now())
	p.commit.LeaveStatus = true
	p.bulkQueue = QueueLow
	base := restockKey(bp.Source, bp.ID)
	var news []*orderState
	var ds []decision
	for _, rec := range recs {
		o, err := w.stateOf(rec)
		if err != nil {
			return nil, nil, err
		}
		told, held := o.restockLines(bp.SKU)
		if len(told) == 0 {
			nothingNew = append(nothingNew, o.rec.ID)
		}
		if len(told) > 0 {
			news, ds = append(news, o), append(ds, decision{kind: templates.KindRestockNotice, lines: told})
		}
		if len(held) > 0 {
			off, err := w.openOffer(ctx, o.rec.ID)
			if err != nil {
				return nil, nil, err
			}
			if off != nil { // (an awaiting line has one; a substitute answer's lines are not held)
				news, ds = append(news, o), append(ds, decision{kind: templates.KindRestockNotice, lines: held,
					hold: heldForOffer, dedupBase: heldKey(base, bp.SKU, off.ID)})
			} else {
				// The offer was decided since the order was read: the commit's
				// compare-and-set makes the batch read it again and name the line
				// (checked once: below, if it has news).
				if len(told) == 0 {
					p.commit.Checked = append(p.commit.Checked, o.rec)
				}
			}
		}
	}
	if len(news) == 0 {
		return p, nothingNew, nil
	}
	orders := slices.CompactFunc(slices.Clone(news), func(a, b *orderState) bool { return a == b })
	if p.pre, err = w.prefetch(ctx, orders, templates.KindRestockNotice); err != nil {
		return nil, nil, err
	}
	for i, o := range news {
		b := base
		if ds[i].dedupBase != "" {
			b = ds[i].dedupBase
		}
		decided := len(p.commit.Notifications)
		if err := w.decideNotifications(ctx, p, o, ds[i], b); err != nil {
			return nil, nil, err
		}
		if ds[i].hold == "" { // the order is not rewritten: its lines told go on their own
			for _, vl := range ds[i].lines {
				if l := o.lineState(vl.ID); l != nil && l.ReservedTold {
					p.commit.ToldReserved = append(p.commit.ToldReserved, toldBy(o.rec.ID, vl.ID, p.commit.Notifications[decided:])...)
				}
			}
		}
		// The batch decides from the order and changes nothing on it (the allocation
		// did, before): the commit checks its version, so a concurrent event that
		// ships or cancels it wins and the batch re-decides, without rewriting 500
		// orders and their lines.
		if i == 0 || news[i-1] != o {
			p.commit.Checked = append(p.commit.Checked, o.rec)
		}
	}
	return p, nothingNew, nil
}

// toldBy returns line lineID of order told of its reservation by each of ns that
// tells it: pending, or suppressed as the recipient's last news. Where a DedupKey was
// taken already (by a run of this batch before the line lost its reservation and got
// another) the store marks the line only if what is stored there still goes out.
func toldBy(order, lineID string, ns []*store.Notification) []store.ToldLine {
	var out []store.ToldLine
	for _, n := range ns {
		if n.Status == store.NotificationPending || strings.HasPrefix(n.Reason, dedupReason) {
			out = append(out, store.ToldLine{OrderID: order, LineID: lineID, NotificationID: n.ID, DedupKey: n.DedupKey})
		}
	}
	return out
}

// toldReserved returns the open lines of the order with units reserved that the
// customer was told of: only such a line, losing its units, makes a notice false (a
// canceled line keeps its AllocatedQty, but nothing is reserved for it any more; a
// line no notice named — held for its offer, waiting for another line of its SKU —
// can make none false).
func (o *orderState) toldReserved() []string {
	var out []string
	for _, l := range o.rec.Lines {
		if l.AllocatedQty > 0 && open(&l) && l.ReservedTold {
			out = append(out, l.LineID)
		}
	}
	return out
}

// withdrawReserved withdraws, after units reserved for lines were taken away (before:
// toldReserved, as it was; why: by what), each restock_notice of the order still
// pending (an SMS held for quiet hours, a send not queued yet) that may name a line
// that lost them (noticeLines): "reserved, ships soon" is not true any more, or not
// news. A line backordered again, or swapped for the substitute, is no longer told of
// a reservation (its flag is reset where its units go), so the next notice about its
// SKU names it; a canceled or shipped line is not named again. Other lines keep their
// flag: one told by a notice that went out must not hear it twice.
func (w *Worker) withdrawReserved(ctx context.Context, p *plan, o *orderState, before []string, why string) error {
	lost := map[string]bool{}
	for _, id := range before {
		if l := o.lineState(id); l != nil && (l.AllocatedQty == 0 || !open(l)) {
			lost[id] = true
		}
	}
	if len(lost) == 0 {
		return nil
	}
	ns, err := w.Store.ListNotifications(ctx, store.NotificationFilter{OrderID: o.rec.ID, Kind: templates.KindRestockNotice})
	if err != nil || !slices.ContainsFunc(ns, func(n store.Notification) bool { return n.Status == store.NotificationPending }) {
		return err
	}
	allocs, err := w.Store.LineAllocations(ctx, o.rec.ID)
	if err != nil {
		return fmt.Errorf("allocations of %s: %w", o.rec.ID, err)
	}
	offers, err := w.Store.OffersOf(ctx, o.rec.ID)
	if err != nil {
		return fmt.Errorf("offers of %s: %w", o.rec.ID, err)
	}
	withdrawn := 0
	for i := range ns {
		if ns[i].Status != store.NotificationPending ||
			!slices.ContainsFunc(o.noticeLines(&ns[i], allocs, heldBy(ns, offers)), func(id string) bool { return lost[id] }) {
			continue
		}
		p.commit.Withdrawn = append(p.commit.Withdrawn, store.Withdrawal{NotificationID: ns[i].ID,
			Reason: "superseded: " + why + " before it went out"})
		withdrawn++
	}
	if withdrawn > 0 {
		p.note("%d restock_notice no longer true withdrawn", withdrawn)
	}
	return nil
}

// heldBy returns, for each DedupKey base of the order's restock_notices ns that held
// lines back for an offer (heldKey), the lines of that offer (offers).
func heldBy(ns []store.Notification, offers []store.Offer) map[string][]string {
	out := map[string][]string{}
	for i := range ns {
		base := dedupBaseOf(&ns[i])
		for _, off := range offers {
			if cut, ok := strings.CutSuffix(base, ":"+off.ID); ok {
				if j := strings.LastIndex(cut, heldSep); j >= 0 {
					out[cut[:j]] = append(out[cut[:j]], off.LineIDs...)
				}
			}
		}
	}
	return out
}

// noticeLines returns the lines a restock_notice of the order may name, from its
// DedupKey: a restock's batch names lines that restock reserved units for (allocs;
// looked at first, as a restock's id may hold reservedSep) but those of an offer it
// held back (held: heldBy) — or, rarely, lines of its SKU reserved before and not told
// yet, which it is then not withdrawn for; a notice an event decided (reservedKey)
// names lines of its SKU. Nil when it cannot tell.
func (o *orderState) noticeLines(n *store.Notification, allocs []store.LineAllocation, held map[string][]string) []string {
	base := dedupBaseOf(n)
	var out []string
	batch := false
	for _, a := range allocs {
		if base == restockKey(a.RestockSource, a.RestockID) {
			batch = true
			if !slices.Contains(held[base], a.LineID) {
				out = append(out, a.LineID)
			}
		}
	}
	if batch {
		return out
	}
	if i := strings.LastIndex(base, reservedSep); i >= 0 {
		sku := base[i+len(reservedSep):]
		for _, l := range o.rec.Lines {
			if l.SKU == sku {
				out = append(out, l.LineID)
			}
		}
	}
	return out
}

// restockKey is the DedupKey base of a restock's notices.
func restockKey(source, id string) string { return "restock:" + event.Key(source, id) }

// heldForOffer is why a restock_notice about lines awaiting the customer's choice is
// held: the offer may still end in a cancellation, and "reserved, ships soon" then
// "canceled" would mislead. The held record is for the log: the lines are not told
// of their reservation (ReservedTold), so the "wait" decision names them.
const heldForOffer = "held: a delay-option offer is open; told if the customer waits"

// heldKey is the DedupKey base of the restock_notice what base names (a restock, a
// parcel) holds back for lines of sku awaiting the customer's choice on offer.
func heldKey(base, sku, offer string) string { return base + heldSep + sku + ":" + offer }

const heldSep = ":held:"

// completedNews decides, after lines of the order were canceled, the restock_notice
// for each of skus whose units still owed are all reserved now and some line of which
// was not told of its reservation (its restock's batch found a line of the SKU still
// waiting), under key (what canceled them) and the SKU.
func (w *Worker) completedNews(ctx context.Context, p *plan, o *orderState, skus []string, key string) error {
	for _, sku := range slices.Compact(slices.Sorted(slices.Values(skus))) {
		if d, ok := o.restockNews(sku); ok {
			if err := w.decideNotifications(ctx, p, o, d, reservedKey(key, sku)); err != nil {
				return err
			}
		}
	}
	return nil
}

// restockNews is the restock_notice of an order whose backordered lines of sku are
// all covered now, naming its allocated lines of sku not told of their reservation.
func (o *orderState) restockNews(sku string) (decision, bool) {
	told, _ := o.restockLines(sku)
	return decision{kind: templates.KindRestockNotice, lines: told}, len(told) > 0
}

// restockLines returns, when the order is open and all its backordered lines of sku
// are covered now, those of its lines of sku the customer has not been told of their
// reservation (ReservedTold): the allocated ones (told: news now) and those awaiting
// the customer's choice (held: their units are reserved, but they are not named while
// the offer is open).
func (o *orderState) restockLines(sku string) (told, held []templates.Line) {
	if o.rec.State != store.OrderOpen {
		return nil, nil
	}
	for _, l := range o.rec.Lines {
		if l.SKU != sku || owed(&l) == 0 {
			continue
		}
		switch l.State {
		case store.LineBackordered, store.LineAwaiting:
			if l.AllocatedQty < owed(&l) {
				return nil, nil // not all of it yet
			}
			if l.State == store.LineAwaiting && !l.ReservedTold {
				held = append(held, o.viewLine(l.LineID, owed(&l), nil, nil))
			}
		case store.LineAllocated:
			if !l.ReservedTold {
				told = append(told, o.viewLine(l.LineID, owed(&l), nil, nil))
			}
		}
	}
	return told, held
}

// stateOf rebuilds the orderState of a stored order from its snapshot.
func (w *Worker) stateOf(rec *store.Order) (*orderState, error) {
	var snap event.Order
	if err := json.Unmarshal(rec.Snapshot, &snap); err != nil {
		return nil, fmt.Errorf("order %s snapshot: %w", rec.ID, err)
	}
	brand, loc, err := w.brandOf(rec.Brand)
	if err != nil {
		return nil, err
	}
	return &orderState{rec: rec, snap: &snap, brand: brand, loc: loc}, nil
}

// brandOf returns a configured brand and its time zone.
func (w *Worker) brandOf(id string) (*config.Brand, *time.Location, error) {
	brand, ok := w.Config.Brand(id)
	if !ok {
		return nil, nil, fmt.Errorf("brand %q is not configured", id)
	}
	loc, err := tz.Load(brand.TimeZone)
	if err != nil {
		return nil, nil, fmt.Errorf("brand %s time zone: %w", brand.ID, err)
	}
	return brand, loc, nil
}
