package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/notifyd/notifyd/store"
)

// groupLog makes a table without a key, so that a statement that ran twice shows.
func groupLog(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.pool.Exec(t.Context(), `CREATE TABLE group_log (v int NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

// logged returns the values in group_log, sorted.
func logged(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT v FROM group_log ORDER BY v`)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// insertStmt inserts v into group_log and reads it back into *got.
func insertStmt(v int, got *int) *groupStmt {
	return &groupStmt{
		sql: `INSERT INTO group_log (v) VALUES ($1) RETURNING v`, args: []any{v},
		scan: func(row pgx.Row) error { return row.Scan(got) },
		done: make(chan error, 1),
	}
}

// A statement the server refuses rolls back its whole pipeline; each statement then
// runs alone, so the others still commit, exactly once, and each caller gets its own
// statement's outcome.
func TestGroupFailureRunsEachAlone(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	var a, b, c int
	bad := &groupStmt{sql: `INSERT INTO group_log (v) VALUES (1 / $1::int) RETURNING v`, args: []any{0},
		scan: func(row pgx.Row) error { var v int; return row.Scan(&v) }, done: make(chan error, 1)}
	batch := []*groupStmt{insertStmt(1, &a), insertStmt(2, &b), bad, insertStmt(3, &c)}
	s.group.run(batch)

	for i, st := range batch {
		err := <-st.done
		var pe *pgconn.PgError
		switch {
		case st == bad && (!errors.As(err, &pe) || pe.Code != "22012"):
			t.Errorf("the refused statement: err %v, want division_by_zero", err)
		case st != bad && err != nil:
			t.Errorf("statement %d: %v", i, err)
		}
	}
	if a != 1 || b != 2 || c != 3 {
		t.Errorf("read back %d, %d, %d; want 1, 2, 3", a, b, c)
	}
	if got := logged(t, s); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("group_log holds %v; want [1 2 3]: each statement committed once", got)
	}
}

// A statement that returns no row is an answer, not a failure: the pipeline commits
// and is not run again.
func TestGroupNoRowIsNotAFailure(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	var a int
	none := &groupStmt{sql: `INSERT INTO group_log (v) SELECT $1::int WHERE false RETURNING v`, args: []any{9},
		scan: func(row pgx.Row) error { var v int; return row.Scan(&v) }, done: make(chan error, 1)}
	batch := []*groupStmt{insertStmt(1, &a), none, insertStmt(2, new(int))}
	s.group.run(batch)
	for i, st := range batch {
		err := <-st.done
		if st == none && !errors.Is(err, pgx.ErrNoRows) || st != none && err != nil {
			t.Errorf("statement %d: %v", i, err)
		}
	}
	if got := logged(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("group_log holds %v; want [1 2]: the pipeline ran once", got)
	}
}

// Many callers at once: every statement commits once and each caller reads its own
// row; statements do go out grouped (fewer pipelines than statements).
func TestGroupConcurrentCallers(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	pipelines := 0
	var mu sync.Mutex
	s.group.onRun = func(n int) {
		mu.Lock()
		pipelines++
		mu.Unlock()
	}
	const n = 400
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			var got int
			err := s.group.queryRow(t.Context(), `INSERT INTO group_log (v) VALUES ($1) RETURNING v`, []any{i},
				func(row pgx.Row) error { return row.Scan(&got) })
			if err == nil && got != i {
				err = fmt.Errorf("read back %d", got)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got := logged(t, s)
	if len(got) != n || got[0] != 0 || got[n-1] != n-1 || len(slices.Compact(got)) != n {
		t.Errorf("group_log holds %d rows (%d distinct); want 0 to %d once each", len(got), len(slices.Compact(got)), n-1)
	}
	mu.Lock()
	defer mu.Unlock()
	if pipelines >= n {
		t.Errorf("%d pipelines for %d concurrent statements: nothing was grouped", pipelines, n)
	}
	t.Logf("%d statements in %d pipelines", n, pipelines)
}

// A caller that stops waiting gets its context's error; the store stays usable, and
// a closed store refuses new statements.
func TestGroupCanceledAndClosed(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.group.queryRow(ctx, `SELECT 1`, nil, func(pgx.Row) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled caller: err %v", err)
	}
	var a int
	if err := s.group.queryRow(t.Context(), `INSERT INTO group_log (v) VALUES ($1) RETURNING v`, []any{7},
		func(row pgx.Row) error { return row.Scan(&a) }); err != nil || a != 7 {
		t.Errorf("after a canceled caller: %d, %v", a, err)
	}
	s.group.close()
	if err := s.group.queryRow(t.Context(), `SELECT 1`, nil, func(pgx.Row) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("closed store: err %v, want errClosed", err)
	}
}

// A statement whose pipeline was rolled back runs again alone and reads only what that
// run returns. Here another worker records the same event between the two: the
// rerun's insert does nothing, and RecordEvent must say it did not create the event
// (before the fix it kept "created" from the rolled-back attempt, and the event would
// have been handled twice).
func TestGroupRerunReadsAfresh(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// A grouper without runners: the test takes the statements and forms the pipeline.
	s.group.close()
	g := &grouper{pool: s.pool, in: make(chan *groupStmt), stop: make(chan struct{})}
	s.group = g
	// The other worker's insert is in progress when the rerun starts and commits while
	// the rerun waits for it: the rerun's insert then does nothing, and its snapshot
	// does not show the other row either (RecordEvent's no-row path).
	committed := make(chan struct{})
	g.beforeRerun = func() {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Error(err)
			close(committed)
			return
		}
		if _, err := tx.Exec(ctx, `INSERT INTO events (`+eventCols+`)
			VALUES ('shop', 'e1', 'theirs', 'o1', now(), '{}', 'h', 'received', now(), NULL, '')`); err != nil {
			t.Error(err)
		}
		go func() {
			defer close(committed)
			for range 2000 { // until the rerun waits for this transaction's row lock
				var waiting bool
				err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
					WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO events%')`).Scan(&waiting)
				if err != nil || waiting {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	type result struct {
		rec     *store.EventRecord
		created bool
		err     error
	}
	res := make(chan result, 1)
	go func() {
		rec, created, err := s.RecordEvent(ctx, &store.EventRecord{Source: "shop", ID: "e1", Type: "ours",
			OrderID: "o1", Time: time.Now(), Payload: []byte(`{}`), Status: store.EventReceived})
		res <- result{rec, created, err}
	}()
	record := <-g.in
	refused := &groupStmt{sql: `SELECT 1 / $1::int`, args: []any{0},
		scan: func(row pgx.Row) error { var v int; return row.Scan(&v) }, done: make(chan error, 1)}
	g.run([]*groupStmt{record, refused})

	r := <-res
	<-committed
	switch {
	case r.err != nil:
		t.Fatalf("RecordEvent: %v", r.err)
	case r.created || r.rec.Type != "theirs":
		t.Errorf("RecordEvent: created %v, type %q; want false and the other worker's record", r.created, r.rec.Type)
	}
	if err := <-refused.done; err == nil {
		t.Error("the refused statement reported no error")
	}
}

// A scan that never reads its row (or panics) does not keep the row's connection:
// the pool can still be closed, and the runner lives on.
func TestGroupScanWithoutRead(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	for range 6 { // more than the test pool's 4 connections
		if err := s.group.queryRow(ctx, `SELECT 1`, nil, func(pgx.Row) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	err := s.group.queryRow(ctx, `SELECT 1`, nil, func(pgx.Row) error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("panicking scan: err %v", err)
	}
	var v int
	if err := s.group.queryRow(ctx, `SELECT 2`, nil, func(row pgx.Row) error { return row.Scan(&v) }); err != nil || v != 2 {
		t.Errorf("after them: %d, %v", v, err)
	}
}
