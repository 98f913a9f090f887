package postgres

import (
	"fmt"
	"strings"
	"testing"
)

// TestOrdersLinesPlan: a batch's lines are read by index whatever the statistics. A
// table of 20,000 lines inserted and never analyzed (as when a restock follows the
// import of a shop's backorders, or the restock benchmark's seeding) made
// `order_id = ANY($1)` of 500 ids a sequential scan of every line.
func TestOrdersLinesPlan(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	const n = 20_000
	for _, q := range []string{
		`ALTER TABLE order_lines SET (autovacuum_enabled = false)`,
		`ALTER TABLE orders SET (autovacuum_enabled = false)`,
		fmt.Sprintf(`INSERT INTO orders (id, brand, number, placed_at, state, last_event_at, created_at, updated_at)
			SELECT 'ord_' || i, 'acme', i::text, now(), 'open', now(), now(), now()
			FROM generate_series(1, %d) i`, n),
		`INSERT INTO order_lines (order_id, line_id, position, sku, quantity, state, state_at)
			SELECT id, 'l' || p, p, 'KET', 1, 'backordered', now()
			FROM orders, generate_series(0, 1) p`,
	} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ids := make([]string, 500)
	for i := range ids {
		ids[i] = fmt.Sprint("ord_", 1000+i)
	}
	rows, err := s.pool.Query(ctx, "EXPLAIN "+ordersLines, ids)
	if err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatalf("EXPLAIN: %v", err)
		}
		if len(line) > 160 {
			line = line[:160] + "…"
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	if p := plan.String(); strings.Contains(p, "Seq Scan on order_lines") || !strings.Contains(p, "order_lines_pkey") {
		t.Errorf("plan of the lines of 500 orders, unanalyzed: want a lookup in order_lines_pkey, got\n%s", p)
	}
	got, err := s.GetOrders(ctx, ids)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("GetOrders of %d ids = %d orders, %v", len(ids), len(got), err)
	}
	for _, o := range got {
		if len(o.Lines) != 2 || o.Lines[0].LineID != "l0" || o.Lines[1].LineID != "l1" {
			t.Fatalf("order %s: lines %+v, want l0 then l1", o.ID, o.Lines)
		}
	}
}

// TestJITOff: sessions run without JIT compilation unless jit is set elsewhere: here
// in the URL, directly or through options.
func TestJITOff(t *testing.T) {
	s := openTest(t)
	var jit string
	if err := s.pool.QueryRow(t.Context(), "SHOW jit").Scan(&jit); err != nil || jit != "off" {
		t.Errorf("SHOW jit = %q, %v; want off", jit, err)
	}
	for _, param := range [][2]string{{"jit", "on"}, {"options", "-c jit=on"}} {
		url := withParams(t, baseURL, param[0], param[1])
		on, err := Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open with %s=%s: %v", param[0], param[1], err)
		}
		err = on.pool.QueryRow(t.Context(), "SHOW jit").Scan(&jit)
		on.Close()
		if err != nil || jit != "on" {
			t.Errorf("with %s=%s in the URL: SHOW jit = %q, %v; want on", param[0], param[1], jit, err)
		}
	}
}
