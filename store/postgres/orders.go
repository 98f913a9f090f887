package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/notifyd/notifyd/store"
)

const orderCols = `id, brand, number, placed_at, state, snapshot, last_event_at,
	version, closed_at, created_at, updated_at`

const lineCols = `line_id, sku, quantity, state, backordered_qty, allocated_qty,
	shipped_qty, eta, told_eta, backorder_type, state_at, reserved_told`

// GetOrder returns an order with its lines in the order they were saved;
// store.ErrNotFound if absent. One statement (one snapshot, one round trip): the
// order row joined with each of its lines.
func (s *Store) GetOrder(ctx context.Context, id string) (*store.Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+qualified("o.", orderCols)+`, `+qualified("l.", lineCols)+`
		FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id
		WHERE o.id = $1 ORDER BY l.position`, id)
	var o *store.Order
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var ord store.Order
			var snapshot []byte
			var l nullLine
			err = rows.Scan(&ord.ID, &ord.Brand, &ord.Number, &ord.PlacedAt, &ord.State, &snapshot,
				&ord.LastEventAt, &ord.Version, &ord.ClosedAt, &ord.CreatedAt, &ord.UpdatedAt,
				&l.LineID, &l.SKU, &l.Quantity, &l.State, &l.BackorderedQty, &l.AllocatedQty,
				&l.ShippedQty, &l.ETA, &l.ToldETA, &l.BackorderType, &l.StateAt, &l.ReservedTold)
			if err != nil {
				break
			}
			if o == nil {
				ord.Snapshot = snapshot
				o = &ord
			}
			if l.LineID != nil {
				o.Lines = append(o.Lines, l.line())
			}
		}
		if err == nil {
			err = rows.Err()
		}
		if err == nil && o == nil {
			err = pgx.ErrNoRows
		}
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get order %s: %w", id, mapErr(err))
	}
	return o, nil
}

// nullLine is a line of an outer join: all NULL for an order without lines.
type nullLine struct {
	LineID, SKU, State, BackorderType                  *string
	Quantity, BackorderedQty, AllocatedQty, ShippedQty *int
	ETA, ToldETA, StateAt                              *time.Time
	ReservedTold                                       *bool
}

func (n nullLine) line() store.OrderLine {
	return store.OrderLine{LineID: *n.LineID, SKU: *n.SKU, Quantity: *n.Quantity, State: *n.State,
		BackorderedQty: *n.BackorderedQty, AllocatedQty: *n.AllocatedQty, ShippedQty: *n.ShippedQty,
		ETA: n.ETA, ToldETA: n.ToldETA, BackorderType: *n.BackorderType, StateAt: *n.StateAt,
		ReservedTold: *n.ReservedTold}
}

// qualified qualifies each of a comma-separated column list with prefix.
func qualified(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// ordersLines reads the lines of the orders $1, by order and position, with one
// index lookup per order (order_lines' primary key begins with order_id). Not
// `order_id = ANY($1)`: on a table without statistics (a shop's backorders
// imported, or the restock benchmark's, before autovacuum analyzes them) the planner
// takes each of 500 ids to match 0.5 % of the table, so a restock batch's read
// became a parallel scan of every line (0.2–0.9 s each on 100,000 lines). OFFSET 0
// keeps the subquery per id, so the plan is an index lookup whatever the statistics.
var ordersLines = `SELECT l.order_id, ` + qualified("l.", lineCols) + `
	FROM (SELECT DISTINCT id FROM unnest($1::text[]) AS u(id)) ids,
		LATERAL (SELECT * FROM order_lines WHERE order_id = ids.id OFFSET 0) l
	ORDER BY l.order_id, l.position`

// GetOrders returns the orders with these ids that exist, by id, with their lines:
// one query for the orders and one for all their lines, in one REPEATABLE READ
// snapshot.
func (s *Store) GetOrders(ctx context.Context, ids []string) ([]*store.Order, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []*store.Order
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT `+orderCols+` FROM orders
				WHERE id = ANY($1) ORDER BY id`, ids)
			if err != nil {
				return err
			}
			if out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Order, error) {
				return scanOrder(row)
			}); err != nil || len(out) == 0 {
				return err
			}
			byID := make(map[string]*store.Order, len(out))
			for _, o := range out {
				byID[o.ID] = o
			}
			rows, err = tx.Query(ctx, ordersLines, ids)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var orderID string
				l, err := scanLine(prefixed{rows, &orderID})
				if err != nil {
					return err
				}
				if o := byID[orderID]; o != nil {
					o.Lines = append(o.Lines, *l)
				}
			}
			return rows.Err()
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: get %d orders: %w", len(ids), mapErr(err))
	}
	return out, nil
}

// prefixed scans one more leading column into first before the columns asked for.
type prefixed struct {
	row   scanner
	first any
}

func (p prefixed) Scan(dest ...any) error {
	return p.row.Scan(append([]any{p.first}, dest...)...)
}

func scanOrder(row scanner) (*store.Order, error) {
	var o store.Order
	var snapshot []byte
	err := row.Scan(&o.ID, &o.Brand, &o.Number, &o.PlacedAt, &o.State, &snapshot,
		&o.LastEventAt, &o.Version, &o.ClosedAt, &o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if snapshot != nil {
		o.Snapshot = snapshot
	}
	return &o, nil
}

func scanLine(row scanner) (*store.OrderLine, error) {
	var l store.OrderLine
	err := row.Scan(&l.LineID, &l.SKU, &l.Quantity, &l.State, &l.BackorderedQty,
		&l.AllocatedQty, &l.ShippedQty, &l.ETA, &l.ToldETA, &l.BackorderType, &l.StateAt, &l.ReservedTold)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// SaveOrder inserts or replaces the order and all of its lines in one transaction.
// CreatedAt is kept from the first save (now when zero); UpdatedAt defaults to now.
// It stores o.Version as given without checking it: compare-and-set is CommitEvent's.
func (s *Store) SaveOrder(ctx context.Context, o *store.Order) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO orders (`+orderCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (id) DO UPDATE SET brand = excluded.brand, number = excluded.number,
				placed_at = excluded.placed_at, state = excluded.state,
				snapshot = excluded.snapshot, last_event_at = excluded.last_event_at,
				version = excluded.version, closed_at = excluded.closed_at,
				updated_at = excluded.updated_at`,
			o.ID, o.Brand, o.Number, ts(o.PlacedAt), o.State, jsonArg(o.Snapshot),
			ts(o.LastEventAt), o.Version, tsPtr(o.ClosedAt), ts(orNow(o.CreatedAt)),
			ts(orNow(o.UpdatedAt)))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM order_lines WHERE order_id = $1`, o.ID); err != nil {
			return err
		}
		if len(o.Lines) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, insertLines, transpose(lineRows(nil, o))...)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: save order %s: %w", o.ID, mapErr(err))
	}
	return nil
}

// insertLines inserts lines given column by column (transpose of lineRow) in one
// statement.
const insertLines = `INSERT INTO order_lines (order_id, position, ` + lineCols + `)
	SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::integer[],
		$6::text[], $7::integer[], $8::integer[], $9::integer[], $10::timestamptz[],
		$11::timestamptz[], $12::text[], $13::timestamptz[], $14::boolean[])`

// lineRows appends the rows insertLines takes for o's lines.
func lineRows(rows [][]any, o *store.Order) [][]any {
	for i, l := range o.Lines {
		rows = append(rows, []any{o.ID, i, l.LineID, l.SKU, l.Quantity, l.State,
			l.BackorderedQty, l.AllocatedQty, l.ShippedQty, tsPtr(l.ETA), tsPtr(l.ToldETA),
			l.BackorderType, ts(l.StateAt), l.ReservedTold && l.AllocatedQty > 0})
	}
	return rows
}
