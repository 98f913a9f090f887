package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/store"
)

const claimCols = `key, notification_id, state, claimed_at, committed_at`

// ClaimSend's and CommitSend's statements, prepared once on the writer (prepared):
// they run for every message sent.
const (
	insertClaim = `INSERT INTO send_claims (` + claimCols + `)
		VALUES (?, ?, ?, ?, NULL) ON CONFLICT (key) DO NOTHING`
	selectClaim      = `SELECT ` + claimCols + ` FROM send_claims WHERE key = ?`
	commitClaim      = `UPDATE send_claims SET state = ?, committed_at = COALESCE(committed_at, ?) WHERE key = ?`
	storeSendOutcome = `UPDATE notifications SET status = ?, reason = ?,
			provider_id = ?, error = ?, error_code = ?, sent_at = ?, updated_at = ?
		WHERE id = ?`
	insertSentAttempt = `INSERT INTO notification_attempts (` + attemptCols + `)
		VALUES (?, ?, 'sent', '', '', ?)`
)

var sendQueries = []string{insertClaim, selectClaim, commitClaim, storeSendOutcome, insertSentAttempt}

// ClaimSend inserts a claim for key unless one exists, and returns (nil, true) when it
// did, (the existing claim, false) otherwise. ClaimedAt is at.
func (s *Store) ClaimSend(ctx context.Context, key, notificationID string, at time.Time) (*store.SendClaim, bool, error) {
	stmts, err := s.prepared(ctx, sendQueries)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: claim send %s: %w", key, err)
	}
	var existing *store.SendClaim
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, stmts[insertClaim]).ExecContext(ctx,
			key, notificationID, store.ClaimClaimed, fmtTime(at))
		if err := exactlyOne(res, err, errExists); !errors.Is(err, errExists) {
			return err
		}
		existing, err = scanClaim(tx.StmtContext(ctx, stmts[selectClaim]).QueryRowContext(ctx, key))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: claim send %s: %w", key, mapErr(err))
	}
	return existing, existing == nil, nil
}

// errExists is ClaimSend's signal that the claim was there already.
var errExists = errors.New("exists")

// CommitSend marks the claim of key committed (keeping the first CommittedAt if it
// was already), stores n's outcome (status, reason, provider id, error, error code,
// sent and updated times; its content is what was decided, and is not rewritten) and
// records the "sent" attempt (at, n.ProviderID), in one transaction. store.ErrNotFound if the claim or the notification is absent.
func (s *Store) CommitSend(ctx context.Context, key string, n *store.Notification, at time.Time) error {
	stmts, err := s.prepared(ctx, sendQueries)
	if err != nil {
		return fmt.Errorf("sqlite: commit send %s: %w", key, err)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, stmts[commitClaim]).ExecContext(ctx,
			store.ClaimCommitted, fmtTime(at), key)
		if err := exactlyOne(res, err, store.ErrNotFound); err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		res, err = tx.StmtContext(ctx, stmts[storeSendOutcome]).ExecContext(ctx,
			n.Status, n.Reason, n.ProviderID, n.Error, n.ErrorCode,
			fmtTimePtr(n.SentAt), fmtTime(orNow(n.UpdatedAt)), n.ID)
		if err := exactlyOne(res, err, store.ErrNotFound); err != nil {
			return fmt.Errorf("notification %s: %w", n.ID, err)
		}
		_, err = tx.StmtContext(ctx, stmts[insertSentAttempt]).ExecContext(ctx, n.ID, fmtTime(at), n.ProviderID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: commit send %s: %w", key, mapErr(err))
	}
	return nil
}

// ReleaseSend deletes the claim of key if it is not committed. store.ErrConflict if it
// is committed (the message went out: it must not be sent again), store.ErrNotFound if
// there is no claim.
func (s *Store) ReleaseSend(ctx context.Context, key string) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM send_claims WHERE key = ? AND state = ?`,
			key, store.ClaimClaimed)
		if err := exactlyOne(res, err, errExists); !errors.Is(err, errExists) {
			return err
		}
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM send_claims WHERE key = ?`,
			key).Scan(&state); err != nil {
			return err // sql.ErrNoRows: ErrNotFound
		}
		return fmt.Errorf("%w: the claim is %s", store.ErrConflict, state)
	})
	if err != nil {
		return fmt.Errorf("sqlite: release send %s: %w", key, mapErr(err))
	}
	return nil
}

func scanClaim(row scanner) (*store.SendClaim, error) {
	var c store.SendClaim
	err := row.Scan(&c.Key, &c.NotificationID, &c.State, timeCol{&c.ClaimedAt},
		nullTimeCol{&c.CommittedAt})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

const allocationCols = `restock_source, restock_id, order_id, line_id, quantity`

// Allocations returns the allocations of a restock, by order id and line id.
func (s *Store) Allocations(ctx context.Context, restockSource, restockID string) ([]store.Allocation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+allocationCols+` FROM restock_allocations
		WHERE restock_source = ? AND restock_id = ? ORDER BY order_id, line_id`,
		restockSource, restockID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: allocations of %s/%s: %w", restockSource, restockID, err)
	}
	defer rows.Close()
	var out []store.Allocation
	for rows.Next() {
		var a store.Allocation
		if err := rows.Scan(&a.RestockSource, &a.RestockID, &a.OrderID, &a.LineID,
			&a.Quantity); err != nil {
			return nil, fmt.Errorf("sqlite: allocations of %s/%s: %w", restockSource, restockID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: allocations of %s/%s: %w", restockSource, restockID, err)
	}
	return out, nil
}

// LineAllocations returns the allocations to orderID's lines with their restocks'
// times, in the order the restocks were received (events.rowid: events are never
// deleted, so rowids are not reused).
func (s *Store) LineAllocations(ctx context.Context, orderID string) ([]store.LineAllocation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT a.restock_source, a.restock_id, a.line_id, a.quantity, e.time
		FROM restock_allocations a JOIN events e ON e.source = a.restock_source AND e.id = a.restock_id
		WHERE a.order_id = ? ORDER BY e.rowid, a.line_id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: allocations of order %s: %w", orderID, err)
	}
	defer rows.Close()
	var out []store.LineAllocation
	for rows.Next() {
		var a store.LineAllocation
		if err := rows.Scan(&a.RestockSource, &a.RestockID, &a.LineID, &a.Quantity, timeCol{&a.At}); err != nil {
			return nil, fmt.Errorf("sqlite: allocations of order %s: %w", orderID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: allocations of order %s: %w", orderID, err)
	}
	return out, nil
}

const pendingCols = `order_id, kind, first_at, due_at, seq, facts, event_source, event_id`

func pendingArgs(p *store.PendingMessage) []any {
	return []any{p.OrderID, p.Kind, fmtTime(p.FirstAt), fmtTime(p.DueAt), p.Seq,
		jsonArg(p.Facts), p.EventSource, p.EventID}
}

// Pending returns the coalesced message of (orderID, kind); store.ErrNotFound if none.
func (s *Store) Pending(ctx context.Context, orderID, kind string) (*store.PendingMessage, error) {
	var p store.PendingMessage
	var facts []byte
	err := s.r.QueryRowContext(ctx, `SELECT `+pendingCols+` FROM pending_messages
		WHERE order_id = ? AND kind = ?`, orderID, kind).Scan(&p.OrderID, &p.Kind,
		timeCol{&p.FirstAt}, timeCol{&p.DueAt}, &p.Seq, &facts, &p.EventSource, &p.EventID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending %s/%s: %w", orderID, kind, mapErr(err))
	}
	if facts != nil {
		p.Facts = facts
	}
	return &p, nil
}
