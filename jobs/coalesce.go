package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// TypeFlush sends a coalesced message once its window has passed
// (docs/decisions/0004-coalescing.md).
const TypeFlush = "coalesce.flush"

// FlushPayload names the pending message and the reschedule it was queued for.
type FlushPayload struct {
	OrderID string `json:"order_id"`
	Kind    string `json:"kind"`
	Seq     int    `json:"seq"`
}

type flushTask struct {
	FlushPayload
	due time.Time
}

// pendingFacts is what a coalesced message accumulates while it waits.
type pendingFacts struct {
	Reason   string              `json:"reason,omitempty"`
	Shipped  []factLine          `json:"shipped,omitempty"` // partial_shipment: every line shipped in the window
	Pending  []factLine          `json:"pending,omitempty"` // the latest lines still to come
	Shipment *templates.Shipment `json:"shipment,omitempty"`
	// Parcels are the window's parcels, oldest first (facts stored before it was
	// kept have only Shipment).
	Parcels []templates.Shipment `json:"parcels,omitempty"`
}

// addParcel adds s to the parcels a consolidated message covers, once per carrier and
// tracking number.
func addParcel(parcels []templates.Shipment, s *templates.Shipment) []templates.Shipment {
	if s == nil {
		return parcels
	}
	for _, p := range parcels {
		if p.TrackingNumber == s.TrackingNumber && p.Carrier == s.Carrier {
			return parcels
		}
	}
	return append(parcels, *s)
}

// parcelsOf returns the parcels of facts f, the older ones' from before Parcels was
// kept as just the latest.
func (f *pendingFacts) parcelsOf() []templates.Shipment {
	if len(f.Parcels) == 0 {
		return addParcel(nil, f.Shipment)
	}
	return f.Parcels
}

type factLine struct {
	ID  string     `json:"id"`
	Qty int        `json:"qty"`
	ETA *time.Time `json:"eta,omitempty"`
}

// coalesce folds ETA changes and partial shipments into the order's pending messages
// when the policy has a coalescing window, and returns the decisions to send now. A
// shipment that completes the order turns a pending partial_shipment into the
// shipped message; closing the order drops every pending message.
func (w *Worker) coalesce(ctx context.Context, p *plan, o *orderState, e *event.Event, ds []decision) ([]decision, error) {
	pol := w.Config.Policies.For(o.rec.Brand)
	var out []decision
	for _, d := range ds {
		switch {
		case d.kind == templates.KindEtaUpdate && pol.CoalesceWindow <= 0:
			if news, ok := o.etaNews(pol.MaterialETAChange, d.reason, d.except); ok {
				out = append(out, news)
			}
		case d.kind == templates.KindEtaUpdate, d.kind == templates.KindPartialShipment && pol.CoalesceWindow > 0:
			if err := w.fold(ctx, p, o, e, d, pol.CoalesceWindow); err != nil {
				return nil, err
			}
		case d.kind == templates.KindShipped:
			merged, err := w.withPendingShipments(ctx, o, d)
			if err != nil {
				return nil, err
			}
			out = append(out, merged)
		default:
			out = append(out, d)
		}
	}
	if e.Shipped != nil && !hasKind(out, templates.KindShipped) {
		// The last parcel held nothing that had been backordered, but parcels in the
		// window did: they are still news, now as `shipped`.
		merged, err := w.withPendingShipments(ctx, o, decision{kind: templates.KindShipped, shipment: viewShipment(e.Shipped.Shipment)})
		if err != nil {
			return nil, err
		}
		if len(merged.lines) > 0 {
			out = append(out, merged)
		}
	}
	if o.rec.State == store.OrderClosed {
		w.dropPending(p, o.rec.ID)
	}
	return out, nil
}

// fold adds decision d to the order's pending message of its kind, pushing its due
// time to now + window but never past three windows after the first change.
func (w *Worker) fold(ctx context.Context, p *plan, o *orderState, e *event.Event, d decision, window time.Duration) error {
	now := w.Now()
	pm, err := w.Store.Pending(ctx, o.rec.ID, d.kind)
	var f pendingFacts
	switch {
	case errors.Is(err, store.ErrNotFound):
		pm = &store.PendingMessage{PendingKey: store.PendingKey{OrderID: o.rec.ID, Kind: d.kind}, FirstAt: now}
	case err != nil:
		return fmt.Errorf("pending %s: %w", d.kind, err)
	default:
		if err := json.Unmarshal(pm.Facts, &f); err != nil {
			return fmt.Errorf("pending %s facts: %w", d.kind, err)
		}
	}
	if d.reason != "" {
		f.Reason = d.reason
	}
	if d.kind == templates.KindPartialShipment {
		for _, l := range d.lines {
			f.Shipped = append(f.Shipped, factLine{ID: l.ID, Qty: l.Quantity})
		}
		f.Pending = f.Pending[:0]
		for _, l := range d.pending {
			f.Pending = append(f.Pending, factLine{ID: l.ID, Qty: l.Quantity, ETA: l.ETA})
		}
		f.Parcels = addParcel(f.parcelsOf(), d.shipment)
		f.Shipment = d.shipment
	}
	facts, err := json.Marshal(f)
	if err != nil {
		return err
	}
	pm.Seq++
	pm.DueAt = now.Add(window)
	if limit := pm.FirstAt.Add(3 * window); pm.DueAt.After(limit) {
		pm.DueAt = limit
	}
	pm.Facts, pm.EventSource, pm.EventID = facts, e.Source, e.ID
	p.commit.UpsertPending = append(p.commit.UpsertPending, *pm)
	p.flushes = append(p.flushes, flushTask{FlushPayload{OrderID: o.rec.ID, Kind: d.kind, Seq: pm.Seq}, pm.DueAt})
	p.note("%s coalesced until %s", d.kind, pm.DueAt.UTC().Format(time.RFC3339))
	return nil
}

// withPendingShipments adds the lines of a pending partial_shipment to the shipped
// message: the customer hears of everything in one message.
func (w *Worker) withPendingShipments(ctx context.Context, o *orderState, d decision) (decision, error) {
	pm, err := w.Store.Pending(ctx, o.rec.ID, templates.KindPartialShipment)
	if errors.Is(err, store.ErrNotFound) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	var f pendingFacts
	if err := json.Unmarshal(pm.Facts, &f); err != nil {
		return d, err
	}
	lines := make([]templates.Line, 0, len(f.Shipped)+len(d.lines))
	for _, fl := range f.Shipped {
		lines = append(lines, o.viewLine(fl.ID, fl.Qty, nil, nil))
	}
	d.lines = append(lines, d.lines...)
	d.parcels = multiple(addParcel(slices.Clone(f.parcelsOf()), d.shipment))
	return d, nil
}

// dropPending deletes the order's pending messages (and any folded in this plan).
func (w *Worker) dropPending(p *plan, orderID string) {
	kept := p.commit.UpsertPending[:0]
	for _, pm := range p.commit.UpsertPending {
		if pm.OrderID != orderID {
			kept = append(kept, pm)
		}
	}
	p.commit.UpsertPending = kept
	for _, k := range []string{templates.KindEtaUpdate, templates.KindPartialShipment} {
		p.commit.DeletePending = append(p.commit.DeletePending, store.PendingKey{OrderID: orderID, Kind: k})
	}
}

func (w *Worker) enqueueFlush(ctx context.Context, f flushTask) error {
	id := fmt.Sprintf("flush:%s:%s:%d", f.OrderID, f.Kind, f.Seq)
	return w.enqueueOnce(ctx, TypeFlush, id, f.FlushPayload, asynq.Queue(QueueDefault), asynq.ProcessAt(f.due))
}

// HandleFlush sends a coalesced message with the latest facts, unless a later change
// rescheduled it (then that change's flush will) or the order closed meanwhile.
func (w *Worker) HandleFlush(ctx context.Context, t *asynq.Task) error {
	var fp FlushPayload
	if err := json.Unmarshal(t.Payload(), &fp); err != nil || fp.OrderID == "" {
		return fmt.Errorf("bad %s payload %q: %w", TypeFlush, t.Payload(), asynq.SkipRetry)
	}
	return w.retryCommit(ctx, func() (*plan, error) { return w.planFlush(ctx, fp) })
}

func (w *Worker) planFlush(ctx context.Context, fp FlushPayload) (*plan, error) {
	pm, err := w.Store.Pending(ctx, fp.OrderID, fp.Kind)
	if errors.Is(err, store.ErrNotFound) {
		// Flushed already — perhaps by this very task, which then died before queueing
		// the sends it committed: queue what is still pending (TaskIDs make it harmless).
		return nil, w.resendPending(ctx, fp.OrderID, fp.Kind)
	}
	if err != nil {
		return nil, err
	}
	if pm.Seq != fp.Seq {
		return nil, nil // rescheduled: the later flush task sends it
	}
	var f pendingFacts
	if err := json.Unmarshal(pm.Facts, &f); err != nil {
		return nil, fmt.Errorf("pending facts: %w", err)
	}
	rec, err := w.Store.GetOrder(ctx, fp.OrderID)
	if err != nil {
		return nil, fmt.Errorf("load order %s: %w", fp.OrderID, err)
	}
	o, err := w.stateOf(rec)
	if err != nil {
		return nil, err
	}
	p := newPlan(pm.EventSource, pm.EventID, w.Now())
	p.commit.LeaveStatus = true
	p.commit.DeletePending = []store.PendingKey{pm.PendingKey}
	p.commit.Orders = []*store.Order{rec}
	d, ok := o.flushDecision(w, fp.Kind, f)
	if ok {
		// Unique per pending message: the latest event folded into it, and its kind.
		base := "flush:" + fp.Kind + ":" + event.Key(pm.EventSource, pm.EventID)
		if err := w.decideNotifications(ctx, p, o, d, base); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (o *orderState) flushDecision(w *Worker, kind string, f pendingFacts) (decision, bool) {
	if kind == templates.KindEtaUpdate {
		// The lines of an offer decided with the change were marked told by it.
		return o.etaNews(w.Config.Policies.For(o.rec.Brand).MaterialETAChange, f.Reason, nil)
	}
	d := decision{kind: kind, shipment: f.Shipment, parcels: multiple(f.parcelsOf())}
	for _, l := range f.Shipped {
		d.lines = append(d.lines, o.viewLine(l.ID, l.Qty, nil, nil))
	}
	for _, l := range f.Pending {
		// The latest facts: the line's ETA now (an eta_changed inside the window
		// moved it since the parcel), and no line that has shipped or been canceled.
		if ls := o.lineState(l.ID); ls != nil && open(ls) {
			d.pending = append(d.pending, o.viewLine(l.ID, l.Qty, ls.ETA, nil))
		}
	}
	return d, len(d.lines) > 0
}

// multiple returns parcels when there are more than one: a message of one parcel
// names it as Shipment alone.
func multiple(parcels []templates.Shipment) []templates.Shipment {
	if len(parcels) < 2 {
		return nil
	}
	return parcels
}

func hasKind(ds []decision, kind string) bool {
	for _, d := range ds {
		if d.kind == kind {
			return true
		}
	}
	return false
}

// resendPending queues the order's pending notifications of kind.
func (w *Worker) resendPending(ctx context.Context, orderID, kind string) error {
	return w.queuePending(ctx, store.NotificationFilter{OrderID: orderID, Kind: kind}, nil)
}

// queuePending queues a send task for each pending notification f selects (its
// Status is ignored) unless skip says otherwise. TaskIDs make it harmless for a
// notification whose task is queued already.
func (w *Worker) queuePending(ctx context.Context, f store.NotificationFilter, skip func(*store.Notification) bool) error {
	f.Status = store.NotificationPending
	ns, err := w.Store.ListNotifications(ctx, f)
	if err != nil {
		return err
	}
	for i := range ns {
		if skip != nil && skip(&ns[i]) {
			continue
		}
		if err := w.enqueueSend(ctx, &ns[i]); err != nil {
			return err
		}
	}
	return nil
}
