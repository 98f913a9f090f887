package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// maxCommitAttempts bounds how often one task re-decides after losing a
// compare-and-set race on an order (docs/decisions/0002); past it asynq retries.
const maxCommitAttempts = 8

// HandleEvent handles one event task of any of the seven types.
func (w *Worker) HandleEvent(ctx context.Context, t *asynq.Task) error {
	e, problems := event.Parse(t.Payload(), event.Options{Brands: w.Config.BrandIDs(), Queued: true})
	if len(problems) > 0 {
		// Retrying cannot fix an invalid payload. Producers that use the client package
		// never get here; a hand-built task can.
		return fmt.Errorf("invalid event payload (%s: %s): %w", problems[0].Path, problems[0].Message, asynq.SkipRetry)
	}
	log := w.log(ctx).With("order_id", e.OrderID(), "event_id", e.ID)
	rec, err := w.record(ctx, e)
	if err != nil {
		return err
	}
	if rec.Status == store.EventHandled {
		if rec.Hash != hashOf(e.Raw) {
			log.Warn("duplicate event with different content ignored", "source", e.Source)
		} else {
			log.Info("duplicate event ignored", "source", e.Source)
		}
		// A crash between the commit and the enqueues leaves sends and flushes decided
		// but not queued: queue them now (their TaskIDs make this harmless).
		return w.resume(ctx, e.Source, e.ID, e.OrderID())
	}
	if e.Restocked != nil {
		return w.handleRestock(ctx, e)
	}
	var p *plan
	err = w.retryCommit(ctx, func() (*plan, error) {
		p = newPlan(e.Source, e.ID, w.Now())
		return p, w.planOrderEvent(ctx, p, e)
	})
	if err != nil {
		return err
	}
	log.Info("event handled", "outcome", p.commit.Outcome)
	return nil
}

// record remembers the event, or returns what is already remembered of it.
func (w *Worker) record(ctx context.Context, e *event.Event) (*store.EventRecord, error) {
	rec := NewEventRecord(e, w.Now())
	rec.Status = store.EventEnqueued
	existing, created, err := w.Store.RecordEvent(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("record event: %w", err)
	}
	if created {
		return rec, nil
	}
	return existing, nil
}

// NewEventRecord returns the store record of a validated event, in state received.
func NewEventRecord(e *event.Event, now time.Time) *store.EventRecord {
	return &store.EventRecord{
		Source: e.Source, ID: e.ID, Type: e.Type, OrderID: e.OrderID(), Time: e.Time.UTC(),
		Payload: e.Raw, Hash: hashOf(e.Raw), Status: store.EventReceived, ReceivedAt: now.UTC(),
	}
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// planOrderEvent applies an order event to its order and decides what it sends.
func (w *Worker) planOrderEvent(ctx context.Context, p *plan, e *event.Event) error {
	o, err := w.loadOrder(ctx, e)
	if err != nil {
		return err
	}
	ds, err := w.decide(ctx, p, o, e)
	if err != nil {
		return err
	}
	ds, err = w.coalesce(ctx, p, o, e, ds)
	if err != nil {
		return err
	}
	for _, d := range ds {
		base := e.Key()
		if d.dedupBase != "" {
			base = d.dedupBase
		}
		if err := w.decideNotifications(ctx, p, o, d, base); err != nil {
			return err
		}
	}
	p.commit.Orders = append(p.commit.Orders, o.rec)
	return nil
}

// commit writes the plan in one transaction, then queues what it decided and sends
// the few messages it can send at once (sendInline).
func (w *Worker) commit(ctx context.Context, p *plan) error {
	p.commit.Outcome = p.outcome()
	stored, err := w.Store.CommitEvent(ctx, &p.commit)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	now, queue := w.inlineSends(stored, p.queueSends)
	if err := w.enqueueSends(ctx, queue, p.bulkQueue); err != nil {
		return err
	}
	for _, f := range p.flushes {
		if err := w.enqueueFlush(ctx, f); err != nil {
			return err
		}
	}
	for _, f := range p.followUps {
		if err := w.enqueueFollowUp(ctx, f); err != nil {
			return err
		}
	}
	w.dropFollowUps(ctx, p.dropTasks)
	for _, d := range p.commit.Deliveries {
		if err := w.enqueueDelivery(ctx, d.ID, w.Now()); err != nil {
			return err
		}
	}
	return w.sendInline(ctx, now)
}

// resume queues the pending sends of an event already handled.
func (w *Worker) resume(ctx context.Context, source, id, orderID string) error {
	if err := w.queuePending(ctx, store.NotificationFilter{EventSource: source, EventID: id}, nil); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	return w.resumeOrder(ctx, orderID)
}

// resumeOrder re-enqueues the order's coalescing flushes and its open offers'
// follow-ups; their TaskIDs make that harmless when they are queued already.
func (w *Worker) resumeOrder(ctx context.Context, orderID string) error {
	if orderID == "" {
		return nil
	}
	for _, kind := range []string{templates.KindEtaUpdate, templates.KindPartialShipment} {
		pm, err := w.Store.Pending(ctx, orderID, kind)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := w.enqueueFlush(ctx, flushTask{FlushPayload{OrderID: orderID, Kind: kind, Seq: pm.Seq}, pm.DueAt}); err != nil {
			return err
		}
	}
	off, err := w.openOffer(ctx, orderID)
	if err != nil || off == nil {
		return err
	}
	if off.ReminderAt != nil && off.Choice == "" {
		if err := w.enqueueFollowUp(ctx, followUp{TypeReminder, reminderID(off.ID), *off.ReminderAt, FollowUpPayload{OrderID: orderID, OfferID: off.ID}}); err != nil {
			return err
		}
	}
	return w.enqueueFollowUp(ctx, followUp{TypeDeadline, deadlineID(off.ID), off.Deadline, FollowUpPayload{OrderID: orderID, OfferID: off.ID}})
}

// plan is everything one event (or flush) decides, committed in one transaction.
type plan struct {
	commit    store.EventCommit
	flushes   []flushTask
	followUps []followUp
	dropTasks []string // follow-up TaskIDs to delete after the commit
	// pre is the history prefetched for a batch of orders (restock); nil: the
	// decisions read the store one by one.
	pre *prefetched
	// bulkQueue, when set, is the queue the plan's update sends go on (restock: low).
	bulkQueue string
	// queueSends queues every send as a task instead of sending from the caller.
	queueSends bool
	notes      []string
}

func newPlan(source, id string, now time.Time) *plan {
	return &plan{commit: store.EventCommit{Source: source, ID: id, At: now}}
}

func (p *plan) note(format string, args ...any) {
	p.notes = append(p.notes, fmt.Sprintf(format, args...))
}

func (p *plan) outcome() string {
	if len(p.notes) == 0 {
		return "state updated; nothing to send"
	}
	return strings.Join(p.notes, "; ")
}
