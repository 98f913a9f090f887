package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/notifyd/notifyd/store"
)

const eventCols = `source, id, type, order_id, time, payload, hash, status,
	received_at, handled_at, outcome`

// RecordEvent inserts e unless (Source, ID) exists, and returns the stored record.
// Hash defaults to the SHA-256 of Payload, Status to store.EventReceived and
// ReceivedAt to now.
func (s *Store) RecordEvent(ctx context.Context, e *store.EventRecord) (*store.EventRecord, bool, error) {
	hash := e.Hash
	if hash == "" {
		sum := sha256.Sum256(e.Payload)
		hash = hex.EncodeToString(sum[:])
	}
	status := e.Status
	if status == "" {
		status = store.EventReceived
	}
	// One statement, grouped with others (group.go): the insert, or else the stored
	// row. Under
	// READ COMMITTED an insert racing another of the same key waits for it and then
	// does nothing, and the statement's snapshot cannot see the winner: then no row
	// comes back and a second SELECT (a new snapshot) reads it.
	var got *store.EventRecord
	var created bool
	err := s.group.queryRow(ctx, `WITH ins AS (
			INSERT INTO events (`+eventCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (source, id) DO NOTHING
			RETURNING `+eventCols+`)
		SELECT `+eventCols+`, true FROM ins
		UNION ALL
		SELECT `+eventCols+`, false FROM events
		WHERE source = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM ins)`,
		[]any{e.Source, e.ID, e.Type, e.OrderID, ts(e.Time), jsonArg(e.Payload), hash,
			status, ts(orNow(e.ReceivedAt)), tsPtr(e.HandledAt), e.Outcome},
		func(row pgx.Row) (err error) {
			created = false // Scan sets nothing when no row comes back
			got, err = scanEventAnd(row, &created)
			return err
		})
	if errors.Is(err, pgx.ErrNoRows) {
		got, err = s.GetEvent(ctx, e.Source, e.ID)
	}
	if err != nil {
		return nil, false, fmt.Errorf("postgres: record event %s/%s: %w", e.Source, e.ID, mapErr(err))
	}
	return got, created, nil
}

// GetEvent returns one event; store.ErrNotFound if absent.
func (s *Store) GetEvent(ctx context.Context, source, id string) (*store.EventRecord, error) {
	e, err := scanEvent(s.pool.QueryRow(ctx,
		`SELECT `+eventCols+` FROM events WHERE source = $1 AND id = $2`, source, id))
	if err != nil {
		return nil, fmt.Errorf("postgres: get event %s/%s: %w", source, id, mapErr(err))
	}
	return e, nil
}

// SetEventStatus moves an event to store.EventEnqueued or store.EventHandled. Marking
// an event enqueued never undoes handled: the worker may finish before the enqueuer
// records that it enqueued.
func (s *Store) SetEventStatus(ctx context.Context, source, id, status, outcome string, at time.Time) error {
	var err error
	switch status {
	case store.EventEnqueued:
		err = s.exec1(ctx, `UPDATE events
			SET status = CASE WHEN status = $1 THEN status ELSE $2 END
			WHERE source = $3 AND id = $4`, store.EventHandled, status, source, id)
	case store.EventHandled:
		err = s.exec1(ctx, `UPDATE events SET status = $1, handled_at = $2, outcome = $3
			WHERE source = $4 AND id = $5`, status, ts(at), outcome, source, id)
	default:
		err = fmt.Errorf("invalid status %q", status)
	}
	if err != nil {
		return fmt.Errorf("postgres: set event %s/%s status %s: %w", source, id, status, err)
	}
	return nil
}

// ListEvents returns the events of an order, oldest Time first, ties in arrival order.
func (s *Store) ListEvents(ctx context.Context, orderID string) ([]store.EventRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventCols+` FROM events
		WHERE order_id = $1 ORDER BY time, seq`, orderID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list events of %s: %w", orderID, err)
	}
	out, err := collect(rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("postgres: list events of %s: %w", orderID, err)
	}
	return out, nil
}

func scanEvent(row scanner) (*store.EventRecord, error) { return scanEventAnd(row) }

// scanEventAnd scans eventCols, then into extra.
func scanEventAnd(row scanner, extra ...any) (*store.EventRecord, error) {
	var e store.EventRecord
	var payload []byte
	err := row.Scan(append([]any{&e.Source, &e.ID, &e.Type, &e.OrderID, &e.Time, &payload, &e.Hash,
		&e.Status, &e.ReceivedAt, &e.HandledAt, &e.Outcome}, extra...)...)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		e.Payload = payload
	}
	return &e, nil
}
