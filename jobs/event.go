package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
)

// HandleEvent handles one event task of any of the seven types.
func (w *Worker) HandleEvent(ctx context.Context, t *asynq.Task) error {
	e, problems := event.Parse(t.Payload(), event.Options{Brands: w.Config.BrandIDs()})
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
		return nil
	}
	outcome, err := w.apply(ctx, e)
	if err != nil {
		return err
	}
	if err := w.Store.SetEventStatus(ctx, e.Source, e.ID, store.EventHandled, outcome, w.Now()); err != nil {
		return fmt.Errorf("mark event handled: %w", err)
	}
	log.Info("event handled", "outcome", outcome)
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

// apply updates state and decides the event's messages; it returns a short outcome.
func (w *Worker) apply(ctx context.Context, e *event.Event) (string, error) {
	if e.Restocked != nil {
		return w.applyRestock(ctx, e)
	}
	o, err := w.loadOrder(ctx, e)
	if err != nil {
		return "", err
	}
	ds, err := w.decide(o, e)
	if err != nil {
		return "", err
	}
	if err := w.Store.SaveOrder(ctx, o.rec); err != nil {
		return "", fmt.Errorf("save order: %w", err)
	}
	return w.notifyAll(ctx, e, o, ds)
}

// notifyAll creates and enqueues the notifications of every decision.
func (w *Worker) notifyAll(ctx context.Context, e *event.Event, o *orderState, ds []decision) (string, error) {
	if len(ds) == 0 {
		return "state updated; nothing to send", nil
	}
	var kinds []string
	for _, d := range ds {
		if err := w.notify(ctx, e, o, d); err != nil {
			return "", err
		}
		kinds = append(kinds, d.kind)
	}
	return "decided " + strings.Join(kinds, ", "), nil
}
