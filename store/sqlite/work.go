package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/notifyd/notifyd/store"
)

var _ store.WorkStore = (*Store)(nil)

// CommitEvent's statements. They are prepared once on the writer connection and
// reused by every commit (see prepared).
const (
	updateOrderCAS = `UPDATE orders SET brand = ?, number = ?, placed_at = ?, state = ?,
			snapshot = ?, last_event_at = ?, closed_at = ?, updated_at = ?,
			version = version + 1
		WHERE id = ? AND version = ?`
	// checkOrderCAS is the compare-and-set of an order read and left unchanged.
	checkOrderCAS = `UPDATE orders SET version = version + 1 WHERE id = ? AND version = ?`
	// toldReserved marks a line of a checked order told of its reservation.
	toldReserved = `UPDATE order_lines SET reserved_told = 1
		WHERE order_id = ?1 AND line_id = ?2 AND allocated_qty > 0
			AND EXISTS (SELECT 1 FROM notifications n WHERE n.dedup_key = ?4
				AND (n.id = ?3 OR n.status = 'pending'))`
	// withdraw suppresses a notification still pending.
	withdraw    = `UPDATE notifications SET status = 'suppressed', reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'`
	deleteLines = `DELETE FROM order_lines WHERE order_id = ?`
	insertAlloc = `INSERT INTO restock_allocations (` + allocationCols + `) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	createReturning = insertNotification + ` RETURNING id`
	notificationBy  = `SELECT ` + notificationCols + ` FROM notifications WHERE dedup_key = ?`
	upsertPending   = `INSERT INTO pending_messages (` + pendingCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (order_id, kind) DO UPDATE SET first_at = excluded.first_at,
			due_at = excluded.due_at, seq = excluded.seq, facts = excluded.facts,
			event_source = excluded.event_source, event_id = excluded.event_id`
	deletePending = `DELETE FROM pending_messages WHERE order_id = ? AND kind = ?`
	handleEvent   = `UPDATE events SET status = ?, handled_at = ?, outcome = ?
		WHERE source = ? AND id = ?`
)

// commitQueries are prepared together; commitTx.stmt indexes them.
var commitQueries = []string{insertOrder, updateOrderCAS, checkOrderCAS, toldReserved, withdraw, deleteLines, insertLine,
	insertAlloc, createReturning, notificationBy, upsertPending, deletePending, handleEvent,
	upsertOffer, insertDelivery}

// maxGroupedRows is the most rows a CommitEvent commits grouped with others (an
// event's handful); a larger one (a restock batch) commits alone (group.go).
const maxGroupedRows = 32

// CommitEvent writes everything one handled event changes in one BEGIN IMMEDIATE
// transaction, in this order: the event's status (store.ErrNotFound if the event is
// absent; skipped with c.LeaveStatus), the orders with compare-and-set on Version (store.ErrConflict when one
// changed, or when a new one exists), the allocations, the notifications, the pending
// messages to upsert and then those to delete, the offers, the webhook deliveries.
// Any error rolls everything back and
// leaves c as it was; on success each order's Version is incremented.
func (s *Store) CommitEvent(ctx context.Context, c *store.EventCommit) ([]*store.Notification, error) {
	stmts, err := s.prepared(ctx, commitQueries)
	if err != nil {
		return nil, fmt.Errorf("sqlite: commit event %s/%s: %w", c.Source, c.ID, err)
	}
	var out []*store.Notification
	run := s.inTx
	if len(c.Orders)+len(c.Checked)+len(c.ToldReserved)+len(c.Notifications)+len(c.Withdrawn)+len(c.Allocations) > maxGroupedRows {
		run = s.inTxAlone
	}
	err = run(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ct := commitTx{ctx: ctx, tx: tx, stmts: stmts}
		var err error
		out, err = ct.commit(c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: commit event %s/%s: %w", c.Source, c.ID, mapErr(err))
	}
	for _, o := range slices.Concat(c.Orders, c.Checked) {
		o.Version++
	}
	return out, nil
}

// commitTx is one CommitEvent's transaction.
type commitTx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

// stmt returns the prepared query bound to the transaction.
func (ct *commitTx) stmt(query string) *sql.Stmt {
	return ct.tx.StmtContext(ct.ctx, ct.stmts[query])
}

func (ct *commitTx) commit(c *store.EventCommit) ([]*store.Notification, error) {
	if !c.LeaveStatus {
		res, err := ct.stmt(handleEvent).ExecContext(ct.ctx, store.EventHandled, fmtTime(c.At),
			c.Outcome, c.Source, c.ID)
		if err := exactlyOne(res, err, store.ErrNotFound); err != nil {
			return nil, fmt.Errorf("event: %w", err)
		}
	}
	if err := ct.orders(c.Orders); err != nil {
		return nil, err
	}
	if err := ct.checked(c.Checked); err != nil {
		return nil, err
	}
	if len(c.Allocations) > 0 {
		stmt := ct.stmt(insertAlloc)
		for _, a := range c.Allocations {
			if _, err := stmt.ExecContext(ct.ctx, a.RestockSource, a.RestockID, a.OrderID,
				a.LineID, a.Quantity); err != nil {
				return nil, fmt.Errorf("allocation %s/%s: %w", a.OrderID, a.LineID, err)
			}
		}
	}
	out, err := ct.notifications(c.Notifications)
	if err != nil {
		return nil, err
	}
	if len(c.Withdrawn) > 0 {
		stmt := ct.stmt(withdraw)
		for _, w := range c.Withdrawn {
			if _, err := stmt.ExecContext(ct.ctx, w.Reason, fmtTime(c.At), w.NotificationID); err != nil {
				return nil, fmt.Errorf("withdraw %s: %w", w.NotificationID, err)
			}
		}
	}
	if told := c.TellingLines(); len(told) > 0 { // after the notifications: it reads them
		stmt := ct.stmt(toldReserved)
		for _, r := range told {
			if _, err := stmt.ExecContext(ct.ctx, r.OrderID, r.LineID, r.NotificationID, r.DedupKey); err != nil {
				return nil, fmt.Errorf("line %s/%s told: %w", r.OrderID, r.LineID, err)
			}
		}
	}
	if len(c.UpsertPending) > 0 {
		stmt := ct.stmt(upsertPending)
		for i := range c.UpsertPending {
			p := &c.UpsertPending[i]
			if _, err := stmt.ExecContext(ct.ctx, pendingArgs(p)...); err != nil {
				return nil, fmt.Errorf("pending %s/%s: %w", p.OrderID, p.Kind, err)
			}
		}
	}
	if len(c.DeletePending) > 0 {
		stmt := ct.stmt(deletePending)
		for _, k := range c.DeletePending {
			if _, err := stmt.ExecContext(ct.ctx, k.OrderID, k.Kind); err != nil {
				return nil, fmt.Errorf("pending %s/%s: %w", k.OrderID, k.Kind, err)
			}
		}
	}
	if err := ct.offersAndDeliveries(c); err != nil {
		return nil, err
	}
	return out, nil
}

// orders saves each order with compare-and-set on its Version, then its lines. It
// does not change the orders: CommitEvent increments Version after the commit.
func (ct *commitTx) orders(orders []*store.Order) error {
	if len(orders) == 0 {
		return nil
	}
	var ins, upd, del, lines *sql.Stmt
	for _, o := range orders {
		if o.Version == 0 {
			if ins == nil {
				ins = ct.stmt(insertOrder)
			}
			if _, err := ins.ExecContext(ct.ctx, orderArgs(o, 1)...); err != nil {
				return fmt.Errorf("new order %s: %w", o.ID, err) // exists: ErrConflict
			}
		} else {
			if upd == nil {
				upd, del = ct.stmt(updateOrderCAS), ct.stmt(deleteLines)
			}
			res, err := upd.ExecContext(ct.ctx, o.Brand, o.Number, fmtTime(o.PlacedAt), o.State,
				jsonArg(o.Snapshot), fmtTime(o.LastEventAt), fmtTimePtr(o.ClosedAt),
				fmtTime(orNow(o.UpdatedAt)), o.ID, o.Version)
			if err := exactlyOne(res, err, store.ErrConflict); err != nil {
				return fmt.Errorf("order %s at version %d: %w", o.ID, o.Version, err)
			}
			if _, err := del.ExecContext(ct.ctx, o.ID); err != nil {
				return fmt.Errorf("order %s: %w", o.ID, err)
			}
		}
		if len(o.Lines) > 0 {
			if lines == nil {
				lines = ct.stmt(insertLine)
			}
			if err := insertLines(ct.ctx, lines, o); err != nil {
				return fmt.Errorf("order %s: %w", o.ID, err)
			}
		}
	}
	return nil
}

// checked moves the version of the orders read and left unchanged, each only if it
// is still the version read.
func (ct *commitTx) checked(orders []*store.Order) error {
	if len(orders) == 0 {
		return nil
	}
	stmt := ct.stmt(checkOrderCAS)
	for _, o := range orders {
		res, err := stmt.ExecContext(ct.ctx, o.ID, o.Version)
		if err := exactlyOne(res, err, store.ErrConflict); err != nil {
			return fmt.Errorf("order %s at version %d: %w", o.ID, o.Version, err)
		}
	}
	return nil
}

// notifications creates each notification unless its dedup key exists, and returns
// the stored records in the order given.
func (ct *commitTx) notifications(ns []*store.Notification) ([]*store.Notification, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	out := make([]*store.Notification, len(ns))
	create, byKey := ct.stmt(createReturning), ct.stmt(notificationBy)
	for i, n := range ns {
		_, args := notificationArgs(n)
		var id string
		err := create.QueryRowContext(ct.ctx, args...).Scan(&id)
		switch {
		case err == nil:
			out[i], err = inserted(n, args)
		case errors.Is(err, sql.ErrNoRows): // the dedup key exists
			out[i], err = scanNotification(byKey.QueryRowContext(ct.ctx, n.DedupKey))
		}
		if err != nil {
			return nil, fmt.Errorf("notification %s: %w", n.DedupKey, err)
		}
	}
	return out, nil
}

// inserted is the record of n as inserted with args (notificationArgs): n with the
// id, status and times stored. Only the id comes back from the insert: a restock
// batch inserts a thousand notifications with their rendered content, and reading
// each back (RETURNING every column) was a fifth of the writer's time in it.
func inserted(n *store.Notification, args []any) (*store.Notification, error) {
	c := *n
	c.ID, c.Status = args[0].(string), args[9].(string)
	err := errors.Join(nullTimeCol{&c.NotBefore}.Scan(args[21]), timeCol{&c.CreatedAt}.Scan(args[22]),
		nullTimeCol{&c.SentAt}.Scan(args[23]), timeCol{&c.UpdatedAt}.Scan(args[24]))
	return &c, err
}

// exactlyOne turns the result of a write that must touch one row into an error:
// notOne when it touched none.
func exactlyOne(res sql.Result, err error, notOne error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return notOne
	}
	return nil
}

// readQuery runs q, a constant query, on the reader pool as a statement prepared once
// (database/sql prepares it again on each connection of the pool that runs it): the
// queries every event runs are parsed once, not on every call.
func (s *Store) readQuery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s.rstmtMu.Lock()
	st, err := prepareOnce(ctx, s.r, &s.rstmts, q)
	s.rstmtMu.Unlock()
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// prepareOnce returns q from cache, preparing it on db first if it is not there.
// The caller holds the cache's mutex (stmtMu or rstmtMu).
func prepareOnce(ctx context.Context, db *sql.DB, cache *map[string]*sql.Stmt, q string) (*sql.Stmt, error) {
	if st := (*cache)[q]; st != nil {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if *cache == nil {
		*cache = make(map[string]*sql.Stmt)
	}
	(*cache)[q] = st
	return st, nil
}

// prepared returns queries prepared on the writer pool, preparing those not prepared
// yet. It must be called outside a transaction: the writer pool's only connection is
// the one a transaction holds. Inside one, tx.StmtContext reuses the statement
// prepared on that connection.
func (s *Store) prepared(ctx context.Context, queries []string) (map[string]*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	out := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		st, err := prepareOnce(ctx, s.w, &s.stmts, q)
		if err != nil {
			return nil, err
		}
		out[q] = st
	}
	return out, nil
}
