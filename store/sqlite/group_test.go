package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// groupLog makes a table without a key, so that a write that ran twice shows.
func groupLog(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.w.ExecContext(t.Context(), `CREATE TABLE group_log (v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

func logged(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.w.QueryContext(t.Context(), `SELECT v FROM group_log ORDER BY v`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// logTx is a transaction that inserts the values vs.
func logTx(ctx context.Context, vs ...int) *txReq {
	return &txReq{ctx: ctx, done: make(chan struct{}), fn: func(ctx context.Context, tx *sql.Tx) error {
		for _, v := range vs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO group_log (v) VALUES (?)`, v); err != nil {
				return err
			}
		}
		return nil
	}}
}

// A transaction that fails in a group is undone alone: the writes it made before
// failing are gone, its caller gets its error, and the others commit once.
func TestGroupFailureIsUndoneAlone(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	ctx := t.Context()
	boom := errors.New("boom")
	failing := &txReq{ctx: ctx, done: make(chan struct{}), fn: func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_log (v) VALUES (99)`); err != nil {
			return err
		}
		return boom
	}}
	batch := []*txReq{logTx(ctx, 1), failing, logTx(ctx, 2, 3)}
	runGroup(s, batch)
	for i, r := range batch {
		if r == failing && !errors.Is(r.err, boom) || r != failing && r.err != nil {
			t.Errorf("transaction %d: %v", i, r.err)
		}
	}
	wantLogged(t, s, 1, 2, 3)
}

// When SQLite rolls back the shared transaction (here the fn ends it itself, as an
// interrupted statement or a full disk would), the callers whose writes were lost
// get an error and those not yet run still run, each alone.
func TestGroupLostTransaction(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	ctx := t.Context()
	killer := &txReq{ctx: ctx, done: make(chan struct{}), fn: func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_log (v) VALUES (50)`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `ROLLBACK`)
		return err // nil: the loss shows only at the savepoint's release
	}}
	first, last := logTx(ctx, 1), logTx(ctx, 2)
	batch := []*txReq{first, killer, last}
	runGroup(s, batch)
	if first.err == nil || killer.err == nil {
		t.Errorf("the rolled-back transactions reported %v and %v; want errors", first.err, killer.err)
	}
	if last.err != nil {
		t.Errorf("the transaction after the loss: %v; want it run alone", last.err)
	}
	wantLogged(t, s, 2)
	// The writer is usable afterwards.
	if err := s.inTx(ctx, logTx(ctx, 3).fn); err != nil {
		t.Fatal(err)
	}
}

// A caller whose context ended before its turn writes nothing; the others commit.
func TestGroupCanceledCaller(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	gone := logTx(canceled, 7)
	batch := []*txReq{logTx(t.Context(), 1), gone, logTx(t.Context(), 2)}
	runGroup(s, batch)
	if !errors.Is(gone.err, context.Canceled) || batch[0].err != nil || batch[2].err != nil {
		t.Errorf("errors %v, %v, %v", batch[0].err, gone.err, batch[2].err)
	}
	wantLogged(t, s, 1, 2)
}

// Many callers at once through inTx and inTxAlone: each commits once, in fewer
// groups than transactions, those of inTxAlone never with others, and the writer is
// handed on until nobody waits.
func TestGroupConcurrentCallers(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	var mu sync.Mutex
	groups, largest := 0, 0
	aloneGrouped := 0
	s.group.onRun = func(batch []*txReq) {
		mu.Lock()
		groups++
		largest = max(largest, len(batch))
		for _, r := range batch {
			if r.alone && len(batch) > 1 {
				aloneGrouped++
			}
		}
		mu.Unlock()
	}
	const n = 300
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		run := s.inTx
		if i%7 == 3 {
			run = s.inTxAlone
		}
		wg.Go(func() {
			errs[i] = run(t.Context(), func(_ context.Context, tx *sql.Tx) error {
				if i%10 == 9 {
					if _, err := tx.Exec(`INSERT INTO group_log (v) VALUES (?)`, -i); err != nil {
						return err
					}
					return fmt.Errorf("fail %d", i)
				}
				_, err := tx.Exec(`INSERT INTO group_log (v) VALUES (?)`, i)
				return err
			})
		})
	}
	wg.Wait()
	var want []int
	for i := range n {
		switch {
		case i%10 == 9 && (errs[i] == nil || errs[i].Error() != fmt.Sprintf("fail %d", i)):
			t.Errorf("transaction %d: err %v, want its own", i, errs[i])
		case i%10 != 9 && errs[i] != nil:
			t.Errorf("transaction %d: %v", i, errs[i])
		case i%10 != 9:
			want = append(want, i)
		}
	}
	if got := logged(t, s); !slices.Equal(got, want) {
		t.Errorf("group_log holds %d values; want the %d that succeeded, once each", len(got), len(want))
	}
	mu.Lock()
	defer mu.Unlock()
	if aloneGrouped > 0 {
		t.Errorf("%d transactions run with inTxAlone were grouped with others", aloneGrouped)
	}
	if groups >= n || largest < 2 {
		t.Errorf("%d groups for %d transactions, the largest %d: nothing was grouped", groups, n, largest)
	}
	s.group.mu.Lock()
	busy, waiting := s.group.busy, len(s.group.queue)
	s.group.mu.Unlock()
	if busy || waiting != 0 {
		t.Errorf("after the last caller: busy %v, %d waiting", busy, waiting)
	}
	t.Logf("%d transactions in %d groups, the largest %d", n, groups, largest)
}

// A caller canceled once its grouped transaction's turn has come does not fail it,
// nor roll back the others: its statements run to the end (SQLite answers a statement
// interrupted inside a transaction by rolling back the whole transaction, the others'
// writes with it).
func TestGroupCancelDuringTurn(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	caller, cancel := context.WithCancel(t.Context())
	defer cancel()
	during := &txReq{ctx: caller, done: make(chan struct{}), fn: func(ctx context.Context, tx *sql.Tx) error {
		cancel() // the caller gives up while its turn runs
		_, err := tx.ExecContext(ctx, `INSERT INTO group_log (v) VALUES (2)`)
		return err
	}}
	batch := []*txReq{logTx(t.Context(), 1), during, logTx(t.Context(), 3)}
	runGroup(s, batch)
	for i, r := range batch {
		if r.err != nil {
			t.Errorf("transaction %d: %v", i, r.err)
		}
	}
	wantLogged(t, s, 1, 2, 3)
}

// A panic in a grouped transaction is its caller's error; the others commit and the
// writer is free afterwards.
func TestGroupPanic(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	ctx := t.Context()
	panics := &txReq{ctx: ctx, done: make(chan struct{}), fn: func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_log (v) VALUES (99)`); err != nil {
			return err
		}
		panic("boom")
	}}
	batch := []*txReq{logTx(ctx, 1), panics, logTx(ctx, 2)}
	runGroup(s, batch)
	if panics.err == nil || !strings.Contains(panics.err.Error(), "panic") || batch[0].err != nil || batch[2].err != nil {
		t.Errorf("errors %v, %v, %v", batch[0].err, panics.err, batch[2].err)
	}
	if err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { panic("alone") }); err == nil {
		t.Error("a panic alone: no error")
	}
	if err := s.inTx(ctx, logTx(ctx, 3).fn); err != nil {
		t.Fatal(err)
	}
	wantLogged(t, s, 1, 2, 3)
}

// A caller whose context ends while it waits for the writer gives up at once and
// writes nothing; the others go on.
func TestGroupCancelWhileWaiting(t *testing.T) {
	s := openTest(t)
	groupLog(t, s)
	ctx := t.Context()
	started, release := make(chan struct{}), make(chan struct{})
	leader := make(chan error, 1)
	go func() {
		leader <- s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			close(started)
			<-release // holds the writer
			_, err := tx.ExecContext(ctx, `INSERT INTO group_log (v) VALUES (1)`)
			return err
		})
	}()
	<-started
	waiting := func(n int) { // until n callers wait in the queue
		for {
			s.group.mu.Lock()
			l := len(s.group.queue)
			s.group.mu.Unlock()
			if l == n {
				return
			}
			runtime.Gosched()
		}
	}
	gives, giveUp := context.WithCancel(ctx)
	defer giveUp()
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- s.inTx(gives, logTx(gives, 7).fn) }()
	waiting(1)
	stays := make(chan error, 1)
	go func() { stays <- s.inTx(ctx, logTx(ctx, 8).fn) }()
	waiting(2)

	giveUp()
	select { // before the writer is free
	case err := <-gaveUp:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the caller that gave up: %v", err)
		}
	case <-time.After(10 * time.Second): // only if it is broken
		close(release)
		t.Fatal("the caller that gave up still waits for the writer")
	}
	close(release)
	if err := <-leader; err != nil {
		t.Error(err)
	}
	if err := <-stays; err != nil {
		t.Error(err)
	}
	wantLogged(t, s, 1, 8)
}

// runGroup runs batch as one group and waits for every caller's outcome.
func runGroup(s *Store, batch []*txReq) {
	s.group.run(batch)
	for _, r := range batch {
		<-r.done
	}
}

// wantLogged checks that group_log holds exactly want, in order.
func wantLogged(t *testing.T, s *Store, want ...int) {
	t.Helper()
	if got := logged(t, s); !slices.Equal(got, want) {
		t.Errorf("group_log holds %v; want %v", got, want)
	}
}
