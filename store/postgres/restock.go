package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/notifyd/notifyd/store"
)

// owedQty is how many units of line l its backorder still owes: the backordered
// quantity, less the units shipped beyond those that were in stock (a parcel ships
// what is in stock first), as jobs' owed computes it.
const owedQty = `least(l.backordered_qty, l.quantity - l.shipped_qty)`

// AllocateRestock's statements.
const (
	// lockRestock serialises the restocks of one brand's SKU: a transaction-level
	// advisory lock, in a key space of its own (two-key form, first key restockLocks),
	// released at commit or rollback. A hash collision between two SKUs only makes
	// their restocks wait for each other.
	lockRestock = `SELECT pg_advisory_xact_lock($1::integer, hashtext($2))`
	// allocationsOf returns a restock's allocations, oldest order first.
	allocationsOf = `SELECT a.restock_source, a.restock_id, a.order_id, a.line_id, a.quantity
		FROM restock_allocations a LEFT JOIN orders o ON o.id = a.order_id
		WHERE a.restock_source = $1 AND a.restock_id = $2
		ORDER BY o.placed_at, a.order_id, a.line_id`
	// lockCandidates row-locks the open orders with a line waiting for the SKU
	// (backordered, or awaiting the customer's choice), in id order as CommitEvent's
	// lockOrders does, so the two never deadlock.
	lockCandidates = `SELECT o.id FROM orders o
		WHERE o.brand = $1 AND o.state = $2 AND EXISTS (SELECT 1 FROM order_lines l
			WHERE l.order_id = o.id AND l.sku = $3 AND l.state IN ($4, $5)
				AND ` + owedQty + ` > l.allocated_qty)
		ORDER BY o.id FOR UPDATE OF o`
	// candidateLines reads, in a snapshot taken after the locks were granted, the
	// waiting lines of the locked orders in allocation order.
	// (A join with unnest, not = ANY, which the planner costs badly for 100,000 ids.)
	candidateLines = `SELECT l.order_id, l.line_id, ` + owedQty + ` - l.allocated_qty
		FROM unnest($1::text[]) AS k(id) JOIN orders o ON o.id = k.id
			JOIN order_lines l ON l.order_id = o.id
		WHERE o.brand = $2 AND o.state = $3
			AND l.sku = $4 AND l.state IN ($5, $6) AND ` + owedQty + ` > l.allocated_qty
		ORDER BY o.placed_at, o.id, l.line_id`
	// allocateLines adds each allocation to its line; a backordered line now fully
	// covered moves to allocated, at the restock's time unless its state is newer. A
	// line awaiting the customer's choice keeps that state (and the units).
	allocateLines = `UPDATE order_lines l
		SET allocated_qty = l.allocated_qty + v.qty,
			state = CASE WHEN l.state = $6 AND l.allocated_qty + v.qty >= ` + owedQty + ` THEN $4 ELSE l.state END,
			state_at = CASE WHEN l.state = $6 AND l.allocated_qty + v.qty >= ` + owedQty + `
				THEN greatest(l.state_at, $5) ELSE l.state_at END
		FROM unnest($1::text[], $2::text[], $3::integer[]) AS v(order_id, line_id, qty)
		WHERE l.order_id = v.order_id AND l.line_id = v.line_id`
	// bumpOrders makes every commit that read a touched order before the restock fail
	// its compare-and-set.
	bumpOrders = `UPDATE orders o SET version = o.version + 1, updated_at = $2
		FROM unnest($1::text[]) AS k(id) WHERE o.id = k.id`
)

// restockLocks is the first key of lockRestock's advisory locks ("ntfy").
const restockLocks = 0x6e746679

// AllocateRestock allocates quantity of brand's sku to the open lines waiting for it
// (backordered, or awaiting the customer's choice), oldest order first, in one READ COMMITTED transaction of a few statements whatever
// the number of lines:
//
//  1. the SKU's advisory lock (lockRestock): restocks of one SKU, and redeliveries
//     of one restock, run one after the other, so the check that the restock has no
//     allocations yet and the allocation itself are atomic;
//  2. if the restock has allocations already, they are returned and nothing changes;
//  3. the row locks of the candidate orders (lockCandidates), in id order. Orders are
//     where per-order events serialise (CommitEvent's UPDATE … WHERE version = ?
//     takes the same lock, and replaces lines only under it), so an event committing
//     one of these orders waits for the restock and then fails its compare-and-set on
//     the bumped version, instead of one overwriting the other's lines;
//  4. the waiting lines of the locked orders, read in a new snapshot that sees every
//     commit the locks waited for; the allocation is computed here;
//  5. one INSERT of the allocations, one UPDATE of the lines and one of the orders,
//     each of all rows at once (unnest, ANY).
//
// The advisory lock alone would not keep an event's commit from replacing lines the
// restock is updating; row locks alone would not make the idempotency check atomic
// without relying on two restocks of a SKU locking a common order first.
//
// at is the restock's time: a line it fully covers moves to allocated with StateAt =
// at unless StateAt is later; touched orders get UpdatedAt = now.
func (s *Store) AllocateRestock(ctx context.Context, restockSource, restockID, brand, sku string, quantity int, at time.Time) ([]store.Allocation, error) {
	var out []store.Allocation
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockRestock, restockLocks, brand+"\n"+sku); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		rows, err := tx.Query(ctx, allocationsOf, restockSource, restockID)
		if err != nil {
			return err
		}
		if out, err = collect(rows, scanAllocation); err != nil || len(out) > 0 || quantity <= 0 {
			return err
		}
		rows, err = tx.Query(ctx, lockCandidates, brand, store.OrderOpen, sku, store.LineBackordered, store.LineAwaiting)
		if err != nil {
			return err
		}
		locked, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(locked) == 0 {
			return err
		}
		rows, err = tx.Query(ctx, candidateLines, locked, brand, store.OrderOpen, sku, store.LineBackordered, store.LineAwaiting)
		if err != nil {
			return err
		}
		out, err = allocate(rows, restockSource, restockID, quantity)
		if err != nil || len(out) == 0 {
			return err
		}
		return writeAllocations(ctx, tx, out, at)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: allocate restock %s/%s of %s/%s: %w",
			restockSource, restockID, brand, sku, mapErr(err))
	}
	return out, nil
}

// allocate gives each waiting line (order id, line id, missing), oldest first, what
// it misses of what is left, until nothing is.
func allocate(rows pgx.Rows, restockSource, restockID string, quantity int) ([]store.Allocation, error) {
	defer rows.Close()
	var out []store.Allocation
	var missing int
	for left := quantity; left > 0 && rows.Next(); {
		a := store.Allocation{RestockSource: restockSource, RestockID: restockID}
		if err := rows.Scan(&a.OrderID, &a.LineID, &missing); err != nil {
			return nil, err
		}
		a.Quantity = min(left, missing)
		left -= a.Quantity
		out = append(out, a)
	}
	return out, rows.Err()
}

// writeAllocations records the allocations, adds them to their lines and bumps the
// versions of their orders, in one round trip of three statements.
func writeAllocations(ctx context.Context, tx pgx.Tx, allocs []store.Allocation, at time.Time) error {
	n := len(allocs)
	sources, restocks := make([]string, n), make([]string, n)
	orderIDs, lineIDs, qtys := make([]string, n), make([]string, n), make([]int, n)
	var touched []string
	for i, a := range allocs {
		sources[i], restocks[i] = a.RestockSource, a.RestockID
		orderIDs[i], lineIDs[i], qtys[i] = a.OrderID, a.LineID, a.Quantity
		if i == 0 || a.OrderID != allocs[i-1].OrderID { // an order's lines are adjacent
			touched = append(touched, a.OrderID)
		}
	}
	var b pgx.Batch
	b.Queue(insertAlloc, sources, restocks, orderIDs, lineIDs, qtys)
	b.Queue(allocateLines, orderIDs, lineIDs, qtys, store.LineAllocated, ts(at), store.LineBackordered)
	b.Queue(bumpOrders, touched, ts(time.Now()))
	return tx.SendBatch(ctx, &b).Close()
}

func scanAllocation(row scanner) (*store.Allocation, error) {
	var a store.Allocation
	err := row.Scan(&a.RestockSource, &a.RestockID, &a.OrderID, &a.LineID, &a.Quantity)
	return &a, err
}
