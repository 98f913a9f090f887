package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/notifyd/notifyd/store"
)

const orderCols = `id, brand, number, placed_at, state, snapshot, last_event_at,
	version, closed_at, created_at, updated_at`

const lineCols = `line_id, sku, quantity, state, backordered_qty, allocated_qty,
	shipped_qty, eta, told_eta, backorder_type, state_at, reserved_told`

// insertOrder inserts one order row; the arguments are orderArgs.
const insertOrder = `INSERT INTO orders (` + orderCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertLine inserts one line; the arguments are lineArgs.
const insertLine = `INSERT INTO order_lines (order_id, position, ` + lineCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// orderArgs are the values of orderCols for o, with version as given.
func orderArgs(o *store.Order, version int64) []any {
	return []any{o.ID, o.Brand, o.Number, fmtTime(o.PlacedAt), o.State, jsonArg(o.Snapshot),
		fmtTime(o.LastEventAt), version, fmtTimePtr(o.ClosedAt), fmtTime(orNow(o.CreatedAt)),
		fmtTime(orNow(o.UpdatedAt))}
}

// lineArgs are the values insertLine takes for line i of o.
func lineArgs(o *store.Order, i int) []any {
	l := &o.Lines[i]
	return []any{o.ID, i, l.LineID, l.SKU, l.Quantity, l.State, l.BackorderedQty,
		l.AllocatedQty, l.ShippedQty, fmtTimePtr(l.ETA), fmtTimePtr(l.ToldETA),
		l.BackorderType, fmtTime(l.StateAt), l.ReservedTold && l.AllocatedQty > 0}
}

// GetOrder returns an order with its lines in the order they were saved; store.ErrNotFound if absent.
func (s *Store) GetOrder(ctx context.Context, id string) (*store.Order, error) {
	// Prepared once on the reader pool; tx.StmtContext reuses each connection's.
	s.rstmtMu.Lock()
	orderSt, err := prepareOnce(ctx, s.r, &s.rstmts, selectOrder)
	var linesSt *sql.Stmt
	if err == nil {
		linesSt, err = prepareOnce(ctx, s.r, &s.rstmts, selectLines)
	}
	s.rstmtMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("sqlite: get order %s: %w", id, err)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: get order %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	o, err := scanOrder(tx.StmtContext(ctx, orderSt).QueryRowContext(ctx, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: get order %s: %w", id, mapErr(err))
	}
	rows, err := tx.StmtContext(ctx, linesSt).QueryContext(ctx, id)
	if err == nil {
		o.Lines, err = scanLines(rows)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get order %s: %w", id, err)
	}
	return o, nil
}

const (
	selectOrder = `SELECT ` + orderCols + ` FROM orders WHERE id = ?`
	selectLines = `SELECT ` + lineCols + ` FROM order_lines WHERE order_id = ? ORDER BY position`
)

func scanOrder(row scanner) (*store.Order, error) {
	var o store.Order
	var snapshot []byte
	err := row.Scan(&o.ID, &o.Brand, &o.Number, timeCol{&o.PlacedAt}, &o.State, &snapshot,
		timeCol{&o.LastEventAt}, &o.Version, nullTimeCol{&o.ClosedAt}, timeCol{&o.CreatedAt}, timeCol{&o.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if snapshot != nil {
		o.Snapshot = snapshot
	}
	return &o, nil
}

// scanLines reads and closes rows of lineCols.
func scanLines(rows *sql.Rows) ([]store.OrderLine, error) {
	defer rows.Close()
	var lines []store.OrderLine
	for rows.Next() {
		l, err := scanLine(rows)
		if err != nil {
			return nil, err
		}
		lines = append(lines, *l)
	}
	return lines, rows.Err()
}

func scanLine(row scanner) (*store.OrderLine, error) {
	var l store.OrderLine
	err := row.Scan(&l.LineID, &l.SKU, &l.Quantity, &l.State, &l.BackorderedQty,
		&l.AllocatedQty, &l.ShippedQty, nullTimeCol{&l.ETA}, nullTimeCol{&l.ToldETA}, &l.BackorderType,
		timeCol{&l.StateAt}, &l.ReservedTold)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// GetOrders returns the orders with these ids that exist, by id, with their lines:
// one query for the orders and one for all their lines, in one read transaction. The
// ids go as one JSON array (json_each), so there is no limit on their number.
func (s *Store) GetOrders(ctx context.Context, ids []string) ([]*store.Order, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := s.getOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %d orders: %w", len(ids), err)
	}
	return out, nil
}

func (s *Store) getOrders(ctx context.Context, ids []string) ([]*store.Order, error) {
	b, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	idList := string(b) // TEXT: json_each would read a BLOB as JSONB
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	rows, err := tx.QueryContext(ctx, `SELECT `+orderCols+` FROM orders
		WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`, idList)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Order
	byID := make(map[string]*store.Order)
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out, byID[o.ID] = append(out, o), o
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT order_id, `+lineCols+` FROM order_lines
		WHERE order_id IN (SELECT value FROM json_each(?)) ORDER BY order_id, position`, idList)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var orderID string
		l, err := scanLine(prefixed{rows, &orderID})
		if err != nil {
			return nil, err
		}
		if o := byID[orderID]; o != nil {
			o.Lines = append(o.Lines, *l)
		}
	}
	return out, rows.Err()
}

// prefixed scans one more leading column into first before the columns asked for.
type prefixed struct {
	row   scanner
	first any
}

func (p prefixed) Scan(dest ...any) error {
	return p.row.Scan(append([]any{p.first}, dest...)...)
}

// SaveOrder inserts or replaces the order and all of its lines in one transaction.
// CreatedAt is kept from the first save (now when zero); UpdatedAt defaults to now.
// It stores o.Version as given without checking it: compare-and-set is CommitEvent's.
func (s *Store) SaveOrder(ctx context.Context, o *store.Order) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertOrder+`
			ON CONFLICT (id) DO UPDATE SET brand = excluded.brand, number = excluded.number,
				placed_at = excluded.placed_at, state = excluded.state,
				snapshot = excluded.snapshot, last_event_at = excluded.last_event_at,
				version = excluded.version, closed_at = excluded.closed_at,
				updated_at = excluded.updated_at`,
			orderArgs(o, o.Version)...)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM order_lines WHERE order_id = ?`, o.ID); err != nil {
			return err
		}
		if len(o.Lines) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, insertLine)
		if err != nil {
			return err
		}
		defer stmt.Close()
		return insertLines(ctx, stmt, o)
	})
	if err != nil {
		return fmt.Errorf("sqlite: save order %s: %w", o.ID, mapErr(err))
	}
	return nil
}

// insertLines inserts o's lines with stmt, a prepared insertLine.
func insertLines(ctx context.Context, stmt *sql.Stmt, o *store.Order) error {
	for i := range o.Lines {
		if _, err := stmt.ExecContext(ctx, lineArgs(o, i)...); err != nil {
			return fmt.Errorf("line %s: %w", o.Lines[i].LineID, err)
		}
	}
	return nil
}
