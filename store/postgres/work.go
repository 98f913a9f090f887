package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/notifyd/notifyd/store"
)

var _ store.WorkStore = (*Store)(nil)

// orderUnnest is the unnest of orderRow's columns, as v(orderColumns).
const orderUnnest = `unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],
		$6::jsonb[], $7::timestamptz[], $8::bigint[], $9::timestamptz[], $10::timestamptz[],
		$11::timestamptz[])`

// CommitEvent's statements; each writes all its rows at once.
const (
	insertOrders = `INSERT INTO orders (` + orderCols + `) SELECT * FROM ` + orderUnnest
	// lockOrders takes the row locks of the orders to update in id order, so two
	// commits sharing orders wait for each other instead of deadlocking.
	lockOrders   = `SELECT 1 FROM orders WHERE id = ANY($1) ORDER BY id FOR UPDATE`
	updateOrders = `UPDATE orders o SET brand = v.brand, number = v.number,
			placed_at = v.placed_at, state = v.state, snapshot = v.snapshot,
			last_event_at = v.last_event_at, closed_at = v.closed_at,
			updated_at = v.updated_at, version = o.version + 1
		FROM ` + orderUnnest + ` AS v(` + orderCols + `)
		WHERE o.id = v.id AND o.version = v.version
		RETURNING o.id`
	deleteLines = `DELETE FROM order_lines WHERE order_id = ANY($1)`
	// checkOrders is the compare-and-set of orders read and left unchanged: only the
	// version moves, no indexed column and no line.
	checkOrders = `UPDATE orders o SET version = o.version + 1
		FROM unnest($1::text[], $2::bigint[]) AS v(id, version)
		WHERE o.id = v.id AND o.version = v.version
		RETURNING o.id`
	// toldReserved marks lines of checked orders told of their reservation (a
	// restock batch's): only a column no index holds.
	toldReserved = `UPDATE order_lines l SET reserved_told = true
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(order_id, line_id, notification_id, dedup_key)
		WHERE l.order_id = t.order_id AND l.line_id = t.line_id AND l.allocated_qty > 0
			AND EXISTS (SELECT 1 FROM notifications n WHERE n.dedup_key = t.dedup_key
				AND (n.id = t.notification_id OR n.status = 'pending'))`
	// withdraw suppresses notifications still pending.
	withdraw = `UPDATE notifications n SET status = 'suppressed', reason = w.reason, updated_at = $3
		FROM unnest($1::text[], $2::text[]) AS w(id, reason)
		WHERE n.id = w.id AND n.status = 'pending'`
	insertAlloc = `INSERT INTO restock_allocations (` + allocationCols + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[])
		ON CONFLICT DO NOTHING`
	upsertPending = `INSERT INTO pending_messages (` + pendingCols + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (order_id, kind) DO UPDATE SET first_at = excluded.first_at,
			due_at = excluded.due_at, seq = excluded.seq, facts = excluded.facts,
			event_source = excluded.event_source, event_id = excluded.event_id`
	deletePending = `DELETE FROM pending_messages WHERE order_id = $1 AND kind = $2`
	handleEvent   = `UPDATE events SET status = $1, handled_at = $2, outcome = $3
		WHERE source = $4 AND id = $5`
)

// insertNotifications creates notifications given column by column (transpose of
// notificationArgs) unless their dedup key exists, and returns those it created.
var insertNotifications = `INSERT INTO notifications (` + notificationCols + `)
	SELECT * FROM unnest(` + casts(1, "text", 21) + `, ` + casts(22, "timestamptz", 4) + `)
	ON CONFLICT (dedup_key) DO NOTHING
	RETURNING id, dedup_key`

// casts returns "$first::typ[], …" for n parameters.
func casts(first int, typ string, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s[]", first+i, typ)
	}
	return b.String()
}

// SQLSTATE a deadlock aborts a transaction with.
const deadlockDetected = "40P01"

// CommitEvent writes everything one handled event changes in one transaction and,
// but for notifications whose dedup key exists, one round trip: a pgx.Batch of
// statements that each write all their rows (unnest). In order: the event's status
// (store.ErrNotFound if the event is absent; skipped with c.LeaveStatus), the orders with compare-and-set on
// Version (store.ErrConflict when one changed since it was read, or when a new one
// exists), their lines, the allocations, the notifications and those withdrawn, the pending messages to
// upsert and then those to delete, the offers, the webhook deliveries. Any error
// rolls everything back and leaves c as it was; on success each order's Version is
// incremented.
func (s *Store) CommitEvent(ctx context.Context, c *store.EventCommit) ([]*store.Notification, error) {
	var out []*store.Notification
	var created *createdNotifications
	err := s.inTx(ctx, func(b *pgx.Batch) error {
		if !c.LeaveStatus {
			b.Queue(handleEvent, store.EventHandled, ts(c.At), c.Outcome, c.Source, c.ID).
				Exec(func(tag pgconn.CommandTag) error {
					if tag.RowsAffected() != 1 {
						return fmt.Errorf("event: %w", store.ErrNotFound)
					}
					return nil
				})
		}
		queueOrders(b, c.Orders)
		queueChecked(b, c.Checked)
		if len(c.Allocations) > 0 {
			rows := make([][]any, len(c.Allocations))
			for i, a := range c.Allocations {
				rows[i] = []any{a.RestockSource, a.RestockID, a.OrderID, a.LineID, a.Quantity}
			}
			b.Queue(insertAlloc, transpose(rows)...)
		}
		created = queueNotifications(b, c.Notifications)
		if len(c.Withdrawn) > 0 {
			ids, reasons := make([]string, len(c.Withdrawn)), make([]string, len(c.Withdrawn))
			for i, w := range c.Withdrawn {
				ids[i], reasons[i] = w.NotificationID, w.Reason
			}
			b.Queue(withdraw, ids, reasons, ts(c.At))
		}
		if told := c.TellingLines(); len(told) > 0 { // after the notifications: it reads them
			n := len(told)
			orders, lines, ids, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			for i, r := range told {
				orders[i], lines[i], ids[i], keys[i] = r.OrderID, r.LineID, r.NotificationID, r.DedupKey
			}
			b.Queue(toldReserved, orders, lines, ids, keys)
		}
		for i := range c.UpsertPending {
			b.Queue(upsertPending, pendingArgs(&c.UpsertPending[i])...)
		}
		for _, k := range c.DeletePending {
			b.Queue(deletePending, k.OrderID, k.Kind)
		}
		return queueOffersAndDeliveries(b, c)
	}, func(tx pgx.Tx) error {
		var err error
		out, err = created.stored(ctx, tx, c.Notifications)
		return err
	})
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == deadlockDetected { // rolled back: retry
			err = fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
		return nil, fmt.Errorf("postgres: commit event %s/%s: %w", c.Source, c.ID, mapErr(err))
	}
	for _, o := range slices.Concat(c.Orders, c.Checked) {
		o.Version++
	}
	return out, nil
}

// inTx runs the statements queue puts in a batch as one transaction whose BEGIN goes
// in the same round trip (pgx.Batch.BeginTx): one round trip fewer than
// pgx.BeginFunc. If every statement and every callback succeeded, then (if not nil)
// runs in the transaction, and it commits; otherwise it is rolled back.
func (s *Store) inTx(ctx context.Context, queue func(*pgx.Batch) error, then func(pgx.Tx) error) (err error) {
	var b pgx.Batch
	b.BeginTx(pgx.TxOptions{})
	if err := queue(&b); err != nil {
		return err
	}
	br := s.pool.SendBatch(ctx, &b)
	tx := br.Tx()
	defer func() {
		if err != nil {
			// ErrTxClosed when BEGIN itself failed; the connection goes back either way.
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = br.Close(); err != nil {
		return err
	}
	if then != nil {
		if err = then(tx); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// queueChecked queues the compare-and-set of the orders read and left unchanged,
// after their row locks in id order (as queueOrders takes them).
func queueChecked(b *pgx.Batch, orders []*store.Order) {
	if len(orders) == 0 {
		return
	}
	ids, versions := make([]string, len(orders)), make([]int64, len(orders))
	for i, o := range orders {
		ids[i], versions[i] = o.ID, o.Version
	}
	if len(orders) > 1 {
		b.Queue(lockOrders, ids)
	}
	b.Queue(checkOrders, ids, versions).Query(allSet(orders, len(ids)))
}

// allSet reads the ids a compare-and-set of n orders returned: fewer than n is the
// ErrConflict naming the orders that changed.
func allSet(orders []*store.Order, n int) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		done, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(done) != n {
			return changedOrders(orders, done)
		}
		return nil
	}
}

// orderRow holds the values of orderCols for o at version.
func orderRow(o *store.Order, version int64) []any {
	return []any{o.ID, o.Brand, o.Number, ts(o.PlacedAt), o.State, jsonPtr(o.Snapshot),
		ts(o.LastEventAt), version, tsPtr(o.ClosedAt), ts(orNow(o.CreatedAt)),
		ts(orNow(o.UpdatedAt))}
}

// queueOrders queues the inserts of the new orders, the compare-and-set updates of
// the others, and the replacement of every order's lines.
func queueOrders(b *pgx.Batch, orders []*store.Order) {
	var inserts, updates, lines [][]any
	var updated []string
	for _, o := range orders {
		if o.Version == 0 {
			inserts = append(inserts, orderRow(o, 1))
		} else {
			updates = append(updates, orderRow(o, o.Version))
			updated = append(updated, o.ID)
		}
		lines = lineRows(lines, o)
	}
	if len(inserts) > 0 {
		b.Queue(insertOrders, transpose(inserts)...) // an existing id: ErrConflict
	}
	if len(updates) > 0 {
		if len(updates) > 1 {
			b.Queue(lockOrders, updated)
		}
		b.Queue(updateOrders, transpose(updates)...).Query(allSet(orders, len(updated)))
		b.Queue(deleteLines, updated)
	}
	if len(lines) > 0 {
		b.Queue(insertLines, transpose(lines)...)
	}
}

// changedOrders is the ErrConflict naming the orders not updated.
func changedOrders(orders []*store.Order, updated []string) error {
	var changed []string
	for _, o := range orders {
		if o.Version != 0 && !slices.Contains(updated, o.ID) {
			changed = append(changed, fmt.Sprintf("%s at version %d", o.ID, o.Version))
		}
	}
	if len(changed) == 0 { // the same order twice in one commit
		changed = append(changed, "an order given twice")
	}
	return fmt.Errorf("order %s: %w", strings.Join(changed, ", "), store.ErrConflict)
}

// notificationKey identifies the row created for one notification given: it was
// created only if a row came back with both its ID and its dedup key.
func notificationKey(id, dedupKey string) string { return id + "\x00" + dedupKey }

// createdNotifications are the notifications a commit asked for: their IDs (given
// or drawn) and, once the batch ran, the rows created, by notificationKey.
type createdNotifications struct {
	ids     []string
	created map[string]*store.Notification
}

// queueNotifications queues the creation of ns.
func queueNotifications(b *pgx.Batch, ns []*store.Notification) *createdNotifications {
	cn := &createdNotifications{ids: make([]string, len(ns)),
		created: make(map[string]*store.Notification, len(ns))}
	if len(ns) == 0 {
		return cn
	}
	rows := make([][]any, len(ns))
	byKey := make(map[string]*store.Notification, len(ns))
	for i, n := range ns {
		rows[i] = notificationArgs(n)
		cn.ids[i] = rows[i][0].(string)
		byKey[notificationKey(cn.ids[i], n.DedupKey)] = insertedNotification(n, rows[i])
	}
	// Only the keys come back: the rows created are the ones given (a restock batch
	// inserts a thousand, each with its rendered HTML; reading them back cost as much
	// as writing them).
	b.Queue(insertNotifications, transpose(rows)...).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var id string
			var dedupKey *string
			if err := rows.Scan(&id, &dedupKey); err != nil {
				return err
			}
			key := notificationKey(id, deref(dedupKey))
			if n := byKey[key]; n != nil {
				cn.created[key] = n
			}
		}
		return rows.Err()
	})
	return cn
}

// insertedNotification is the record of n as inserted with args (notificationArgs):
// its defaults filled in and its times as Postgres stores them.
func insertedNotification(n *store.Notification, args []any) *store.Notification {
	c := *n
	c.ID, c.Status = args[0].(string), args[9].(string)
	c.NotBefore, c.SentAt = args[21].(*time.Time), args[23].(*time.Time)
	c.CreatedAt, c.UpdatedAt = args[22].(time.Time), args[24].(time.Time)
	return &c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// stored returns the stored record of each of ns, in order: the one created, or else
// the existing one with its dedup key (one more round trip).
func (cn *createdNotifications) stored(ctx context.Context, tx pgx.Tx, ns []*store.Notification) ([]*store.Notification, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	out := make([]*store.Notification, len(ns))
	var keys []string
	for i, n := range ns {
		if out[i] = cn.created[notificationKey(cn.ids[i], n.DedupKey)]; out[i] == nil {
			keys = append(keys, n.DedupKey)
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT `+notificationCols+` FROM notifications
		WHERE dedup_key = ANY($1)`, keys)
	if err != nil {
		return nil, err
	}
	existing, err := collect(rows, scanNotification)
	if err != nil {
		return nil, err
	}
	for i, n := range ns {
		if out[i] != nil {
			continue
		}
		for j := range existing {
			if existing[j].DedupKey == n.DedupKey {
				out[i] = &existing[j]
			}
		}
		if out[i] == nil { // cannot happen: only a dedup key skips an insert
			return nil, fmt.Errorf("notification %s: neither created nor found", n.DedupKey)
		}
	}
	return out, nil
}
