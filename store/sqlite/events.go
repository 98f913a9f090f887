package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/store"
)

const eventCols = `source, id, type, order_id, time, payload, hash, status,
	received_at, handled_at, outcome`

// RecordEvent's statements, prepared once on the writer: it runs for every event.
const (
	insertEvent = `INSERT INTO events (` + eventCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, id) DO NOTHING`
	selectEvent = `SELECT ` + eventCols + ` FROM events WHERE source = ? AND id = ?`
)

var recordQueries = []string{insertEvent, selectEvent}

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
	stmts, err := s.prepared(ctx, recordQueries)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: record event %s/%s: %w", e.Source, e.ID, err)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, stmts[insertEvent]).ExecContext(ctx,
			e.Source, e.ID, e.Type, e.OrderID, fmtTime(e.Time), jsonArg(e.Payload), hash,
			status, fmtTime(orNow(e.ReceivedAt)), fmtTimePtr(e.HandledAt), e.Outcome)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		got, err = scanEvent(tx.StmtContext(ctx, stmts[selectEvent]).QueryRowContext(ctx, e.Source, e.ID))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: record event %s/%s: %w", e.Source, e.ID, mapErr(err))
	}
	return got, created, nil
}

// GetEvent returns one event; store.ErrNotFound if absent.
func (s *Store) GetEvent(ctx context.Context, source, id string) (*store.EventRecord, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx,
		`SELECT `+eventCols+` FROM events WHERE source = ? AND id = ?`, source, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: get event %s/%s: %w", source, id, mapErr(err))
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
			SET status = CASE WHEN status = ? THEN status ELSE ? END
			WHERE source = ? AND id = ?`, store.EventHandled, status, source, id)
	case store.EventHandled:
		err = s.exec1(ctx, `UPDATE events SET status = ?, handled_at = ?, outcome = ?
			WHERE source = ? AND id = ?`, status, fmtTime(at), outcome, source, id)
	default:
		err = fmt.Errorf("invalid status %q", status)
	}
	if err != nil {
		return fmt.Errorf("sqlite: set event %s/%s status %s: %w", source, id, status, err)
	}
	return nil
}

// ListEvents returns the events of an order, oldest Time first, ties in arrival order.
func (s *Store) ListEvents(ctx context.Context, orderID string) ([]store.EventRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+eventCols+` FROM events
		WHERE order_id = ? ORDER BY time, rowid`, orderID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list events of %s: %w", orderID, err)
	}
	defer rows.Close()
	var out []store.EventRecord
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list events of %s: %w", orderID, err)
		}
		out = append(out, *e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list events of %s: %w", orderID, err)
	}
	return out, nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanEvent(row scanner) (*store.EventRecord, error) {
	var e store.EventRecord
	var payload []byte
	err := row.Scan(&e.Source, &e.ID, &e.Type, &e.OrderID, timeCol{&e.Time}, &payload, &e.Hash,
		&e.Status, timeCol{&e.ReceivedAt}, nullTimeCol{&e.HandledAt}, &e.Outcome)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		e.Payload = payload
	}
	return &e, nil
}
