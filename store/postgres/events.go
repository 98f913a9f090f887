package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	var (
		got     *store.EventRecord
		created bool
	)
	// Under READ COMMITTED, a concurrent insert of the same key makes ours wait for it
	// and then do nothing; the SELECT that follows sees the committed winner.
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO events (`+eventCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (source, id) DO NOTHING`,
			e.Source, e.ID, e.Type, e.OrderID, ts(e.Time), jsonArg(e.Payload), hash,
			status, ts(orNow(e.ReceivedAt)), tsPtr(e.HandledAt), e.Outcome)
		if err != nil {
			return err
		}
		created = tag.RowsAffected() == 1
		got, err = scanEvent(tx.QueryRow(ctx,
			`SELECT `+eventCols+` FROM events WHERE source = $1 AND id = $2`, e.Source, e.ID))
		return err
	})
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

func scanEvent(row scanner) (*store.EventRecord, error) {
	var e store.EventRecord
	var payload []byte
	err := row.Scan(&e.Source, &e.ID, &e.Type, &e.OrderID, &e.Time, &payload, &e.Hash,
		&e.Status, &e.ReceivedAt, &e.HandledAt, &e.Outcome)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		e.Payload = payload
	}
	return &e, nil
}
