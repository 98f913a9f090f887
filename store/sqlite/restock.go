package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/store"
)

// owedQty is how many units of line l its backorder still owes: the backordered
// quantity, less the units shipped beyond those that were in stock (a parcel ships
// what is in stock first), as jobs' owed computes it.
const owedQty = `min(l.backordered_qty, l.quantity - l.shipped_qty)`

// AllocateRestock's statements.
const (
	// allocationsOf returns a restock's allocations, oldest order first.
	allocationsOf = `SELECT a.restock_source, a.restock_id, a.order_id, a.line_id, a.quantity
		FROM restock_allocations a LEFT JOIN orders o ON o.id = a.order_id
		WHERE a.restock_source = ? AND a.restock_id = ?
		ORDER BY o.placed_at, a.order_id, a.line_id`
	// candidateLines lists the waiting lines (backordered, or awaiting the
	// customer's choice) in allocation order.
	candidateLines = `SELECT l.order_id, l.line_id, ` + owedQty + ` - l.allocated_qty
		FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.brand = ? AND o.state = ? AND l.sku = ? AND l.state IN (?, ?)
			AND ` + owedQty + ` > l.allocated_qty
		ORDER BY o.placed_at, o.id, l.line_id`
	// allocateLines adds a restock's recorded allocations to their lines; a
	// backordered line now fully covered (owedQty, spelled out for the unaliased
	// table) moves to allocated, at the restock's time unless its state is newer
	// (times are fixed-width text: max compares them correctly). A line awaiting the
	// customer's choice keeps that state (and the units). Numbered parameters: ?1 is
	// used twice.
	allocateLines = `UPDATE order_lines
		SET allocated_qty = allocated_qty + a.quantity,
			state = CASE WHEN state = ?1 AND allocated_qty + a.quantity >= min(backordered_qty, order_lines.quantity - shipped_qty) THEN ?2 ELSE state END,
			state_at = CASE WHEN state = ?1 AND allocated_qty + a.quantity >= min(backordered_qty, order_lines.quantity - shipped_qty)
				THEN max(state_at, ?3) ELSE state_at END
		FROM restock_allocations a
		WHERE a.restock_source = ?4 AND a.restock_id = ?5
			AND order_lines.order_id = a.order_id AND order_lines.line_id = a.line_id`
	// bumpOrders makes every commit that read a touched order before the restock fail
	// its compare-and-set.
	bumpOrders = `UPDATE orders SET version = version + 1, updated_at = ?
		WHERE id IN (SELECT order_id FROM restock_allocations
			WHERE restock_source = ? AND restock_id = ?)`
)

// restockQueries are prepared together, like commitQueries.
var restockQueries = []string{allocationsOf, candidateLines, insertAlloc, allocateLines, bumpOrders}

// AllocateRestock allocates quantity of brand's sku to the open lines waiting for it
// (backordered, or awaiting the customer's choice), oldest order first, in one BEGIN IMMEDIATE transaction. The single writer
// connection serialises it with every other write of this process, and the immediate
// write lock with those of other processes, so the check that the restock has no
// allocations yet, the reading of the lines and the writes see one state nobody else
// changes: concurrent restocks of a SKU run one after the other, and an event
// committing a touched order meanwhile fails its compare-and-set on the bumped
// version. The allocations are inserted one by one with a prepared statement; the
// lines and the orders are then updated from them in one statement each.
//
// at is the restock's time: a line it fully covers moves to allocated with StateAt =
// at unless StateAt is later; touched orders get UpdatedAt = now.
func (s *Store) AllocateRestock(ctx context.Context, restockSource, restockID, brand, sku string, quantity int, at time.Time) ([]store.Allocation, error) {
	stmts, err := s.prepared(ctx, restockQueries)
	if err != nil {
		return nil, fmt.Errorf("sqlite: allocate restock %s/%s: %w", restockSource, restockID, err)
	}
	var out []store.Allocation
	err = s.inTxAlone(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stmt := func(q string) *sql.Stmt { return tx.StmtContext(ctx, stmts[q]) }
		var err error
		out, err = queryAllocations(ctx, stmt(allocationsOf), restockSource, restockID)
		if err != nil || len(out) > 0 || quantity <= 0 {
			return err
		}
		rows, err := stmt(candidateLines).QueryContext(ctx, brand, store.OrderOpen, sku, store.LineBackordered, store.LineAwaiting)
		if err != nil {
			return err
		}
		if out, err = allocate(rows, restockSource, restockID, quantity); err != nil || len(out) == 0 {
			return err
		}
		ins := stmt(insertAlloc)
		for _, a := range out {
			if _, err := ins.ExecContext(ctx, a.RestockSource, a.RestockID, a.OrderID, a.LineID, a.Quantity); err != nil {
				return fmt.Errorf("allocation %s/%s: %w", a.OrderID, a.LineID, err)
			}
		}
		if _, err := stmt(allocateLines).ExecContext(ctx, store.LineBackordered, store.LineAllocated, fmtTime(at),
			restockSource, restockID); err != nil {
			return fmt.Errorf("lines: %w", err)
		}
		if _, err := stmt(bumpOrders).ExecContext(ctx, fmtTime(time.Now()), restockSource, restockID); err != nil {
			return fmt.Errorf("orders: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: allocate restock %s/%s of %s/%s: %w",
			restockSource, restockID, brand, sku, mapErr(err))
	}
	return out, nil
}

// allocate gives each waiting line (order id, line id, missing), oldest first, what
// it misses of what is left, until nothing is. It closes rows.
func allocate(rows *sql.Rows, restockSource, restockID string, quantity int) ([]store.Allocation, error) {
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close() // before the writes: one connection, one statement at a time
}

// queryAllocations returns the allocations of a restock with stmt, allocationsOf.
func queryAllocations(ctx context.Context, stmt *sql.Stmt, restockSource, restockID string) ([]store.Allocation, error) {
	rows, err := stmt.QueryContext(ctx, restockSource, restockID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Allocation
	for rows.Next() {
		var a store.Allocation
		if err := rows.Scan(&a.RestockSource, &a.RestockID, &a.OrderID, &a.LineID, &a.Quantity); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
