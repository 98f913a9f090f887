package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/notifyd/notifyd/store"
)

const claimCols = `key, notification_id, state, claimed_at, committed_at`

// ClaimSend inserts a claim for key unless one exists, and returns (nil, true) when it
// did, (the existing claim, false) otherwise. ClaimedAt is at. Under READ COMMITTED
// an insert racing another of the same key waits for it and then does nothing; the
// SELECT that follows sees the winner. Should the winner be released in between, the
// claim is tried again.
func (s *Store) ClaimSend(ctx context.Context, key, notificationID string, at time.Time) (*store.SendClaim, bool, error) {
	for range 3 {
		var inserted bool
		err := s.group.queryRow(ctx, `WITH ins AS (INSERT INTO send_claims (`+claimCols+`)
				VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (key) DO NOTHING RETURNING 1)
			SELECT EXISTS (SELECT 1 FROM ins)`,
			[]any{key, notificationID, store.ClaimClaimed, ts(at)},
			func(row pgx.Row) error { inserted = false; return row.Scan(&inserted) })
		if err != nil {
			return nil, false, fmt.Errorf("postgres: claim send %s: %w", key, mapErr(err))
		}
		if inserted {
			return nil, true, nil
		}
		c, err := scanClaim(s.pool.QueryRow(ctx,
			`SELECT `+claimCols+` FROM send_claims WHERE key = $1`, key))
		if errors.Is(err, pgx.ErrNoRows) {
			continue // released since: claim again
		}
		if err != nil {
			return nil, false, fmt.Errorf("postgres: claim send %s: %w", key, mapErr(err))
		}
		return c, false, nil
	}
	return nil, false, fmt.Errorf("postgres: claim send %s: %w: claimed and released repeatedly", key, store.ErrConflict)
}

// CommitSend marks the claim of key committed (keeping the first CommittedAt if it
// was already), stores n's outcome (status, reason, provider id, error, error code,
// sent and updated times; its content is what was decided, and is not rewritten) and
// records the "sent" attempt (at, n.ProviderID): one statement, committed with those
// of other callers waiting at the same time (group.go). Each part runs only if the one before it did, so a missing claim or
// notification writes nothing: store.ErrNotFound.
func (s *Store) CommitSend(ctx context.Context, key string, n *store.Notification, at time.Time) error {
	var claimed int
	var exists bool
	err := s.group.queryRow(ctx, `WITH c AS (
			UPDATE send_claims SET state = $9, committed_at = COALESCE(committed_at, $10)
			WHERE key = $11 AND EXISTS (SELECT 1 FROM notifications WHERE id = $8)
			RETURNING 1),
		n AS (UPDATE notifications SET status = $1, reason = $2, provider_id = $3, error = $4,
				error_code = $5, sent_at = $6, updated_at = $7
			WHERE id = $8 AND EXISTS (SELECT 1 FROM c)
			RETURNING id),
		a AS (INSERT INTO notification_attempts (`+attemptCols+`)
			SELECT id, $10, 'sent', '', '', $3 FROM n)
		SELECT (SELECT count(*) FROM c), EXISTS (SELECT 1 FROM notifications WHERE id = $8)`,
		[]any{n.Status, n.Reason, n.ProviderID, n.Error, n.ErrorCode, tsPtr(n.SentAt), ts(orNow(n.UpdatedAt)), n.ID,
			store.ClaimCommitted, ts(at), key},
		func(row pgx.Row) error { claimed, exists = 0, false; return row.Scan(&claimed, &exists) })
	switch {
	case err != nil:
	case !exists:
		err = fmt.Errorf("notification %s: %w", n.ID, store.ErrNotFound)
	case claimed != 1:
		err = fmt.Errorf("claim: %w", store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: commit send %s: %w", key, mapErr(err))
	}
	return nil
}

// ReleaseSend deletes the claim of key if it is not committed. store.ErrConflict if it
// is committed (the message went out: it must not be sent again), store.ErrNotFound if
// there is no claim.
func (s *Store) ReleaseSend(ctx context.Context, key string) error {
	// One statement: the DELETE and the look at what is left see the same snapshot.
	var deleted bool
	var state *string
	err := s.pool.QueryRow(ctx, `WITH d AS (
			DELETE FROM send_claims WHERE key = $1 AND state = $2 RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM d), (SELECT state FROM send_claims WHERE key = $1)`,
		key, store.ClaimClaimed).Scan(&deleted, &state)
	switch {
	case err != nil:
		err = mapErr(err)
	case deleted:
		return nil
	case state == nil:
		err = store.ErrNotFound
	default:
		err = fmt.Errorf("%w: the claim is %s", store.ErrConflict, *state)
	}
	return fmt.Errorf("postgres: release send %s: %w", key, err)
}

func scanClaim(row scanner) (*store.SendClaim, error) {
	var c store.SendClaim
	if err := row.Scan(&c.Key, &c.NotificationID, &c.State, &c.ClaimedAt, &c.CommittedAt); err != nil {
		return nil, err
	}
	return &c, nil
}

const allocationCols = `restock_source, restock_id, order_id, line_id, quantity`

// Allocations returns the allocations of a restock, by order id and line id.
func (s *Store) Allocations(ctx context.Context, restockSource, restockID string) ([]store.Allocation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+allocationCols+` FROM restock_allocations
		WHERE restock_source = $1 AND restock_id = $2 ORDER BY order_id, line_id`,
		restockSource, restockID)
	if err != nil {
		return nil, fmt.Errorf("postgres: allocations of %s/%s: %w", restockSource, restockID, err)
	}
	out, err := collect(rows, scanAllocation)
	if err != nil {
		return nil, fmt.Errorf("postgres: allocations of %s/%s: %w", restockSource, restockID, err)
	}
	return out, nil
}

// LineAllocations returns the allocations to orderID's lines with their restocks'
// times, in the order the restocks were received (events.seq).
func (s *Store) LineAllocations(ctx context.Context, orderID string) ([]store.LineAllocation, error) {
	rows, err := s.pool.Query(ctx, `SELECT a.restock_source, a.restock_id, a.line_id, a.quantity, e.time
		FROM restock_allocations a JOIN events e ON e.source = a.restock_source AND e.id = a.restock_id
		WHERE a.order_id = $1 ORDER BY e.seq, a.line_id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("postgres: allocations of order %s: %w", orderID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.LineAllocation, error) {
		var a store.LineAllocation
		err := row.Scan(&a.RestockSource, &a.RestockID, &a.LineID, &a.Quantity, &a.At)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: allocations of order %s: %w", orderID, err)
	}
	return out, nil
}

const pendingCols = `order_id, kind, first_at, due_at, seq, facts, event_source, event_id`

func pendingArgs(p *store.PendingMessage) []any {
	return []any{p.OrderID, p.Kind, ts(p.FirstAt), ts(p.DueAt), p.Seq, jsonArg(p.Facts),
		p.EventSource, p.EventID}
}

// Pending returns the coalesced message of (orderID, kind); store.ErrNotFound if none.
func (s *Store) Pending(ctx context.Context, orderID, kind string) (*store.PendingMessage, error) {
	var p store.PendingMessage
	var facts []byte
	err := s.pool.QueryRow(ctx, `SELECT `+pendingCols+` FROM pending_messages
		WHERE order_id = $1 AND kind = $2`, orderID, kind).Scan(&p.OrderID, &p.Kind,
		&p.FirstAt, &p.DueAt, &p.Seq, &facts, &p.EventSource, &p.EventID)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending %s/%s: %w", orderID, kind, mapErr(err))
	}
	if facts != nil {
		p.Facts = facts
	}
	return &p, nil
}
