package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/store"
)

// IngestStore is what ingestion needs of the store.
type IngestStore interface {
	RecordEvent(ctx context.Context, e *store.EventRecord) (*store.EventRecord, bool, error)
	SetEventStatus(ctx context.Context, source, id, status, outcome string, at time.Time) error
}

// IngestResult lists the event ids accepted and those recognised as duplicates.
type IngestResult struct {
	Accepted   []string `json:"accepted"`
	Duplicates []string `json:"duplicates"`
	// Changed lists the duplicates whose content differs from the event first
	// received under that id; the first one stands (CONTRACT.md §3), callers warn.
	Changed []string `json:"-"`
}

// Ingest records and enqueues validated events, for the HTTP API and `notifyd enqueue`.
// An event is only reported accepted once it is both recorded and in asynq. A
// duplicate whose first delivery was recorded but never confirmed enqueued (a crash in
// between) is enqueued again — its TaskID makes that harmless — so nothing is lost.
func Ingest(ctx context.Context, st IngestStore, q *asynq.Client, events []*event.Event, now time.Time) (*IngestResult, error) {
	res := &IngestResult{Accepted: []string{}, Duplicates: []string{}}
	for _, e := range events {
		rec := NewEventRecord(e, now)
		existing, created, err := st.RecordEvent(ctx, rec)
		if err != nil {
			return res, fmt.Errorf("record %s: %w", e.ID, err)
		}
		if !created && existing.Hash != rec.Hash {
			res.Changed = append(res.Changed, e.ID)
		}
		if !created && existing.Status != store.EventReceived {
			res.Duplicates = append(res.Duplicates, e.ID)
			continue
		}
		if _, err := client.EnqueueEvent(ctx, q, e); err != nil {
			return res, err
		}
		if err := st.SetEventStatus(ctx, e.Source, e.ID, store.EventEnqueued, "", now); err != nil {
			return res, fmt.Errorf("mark %s enqueued: %w", e.ID, err)
		}
		if created {
			res.Accepted = append(res.Accepted, e.ID)
		} else {
			res.Duplicates = append(res.Duplicates, e.ID)
		}
	}
	return res, nil
}
