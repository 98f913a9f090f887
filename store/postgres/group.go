package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Group commit. The hot single-statement writes of the send path (ClaimSend,
// CommitSend) and of every event (RecordEvent) arrive from many handlers at once.
// Run one by one, each costs a round trip, a wake-up of a backend and a commit. The
// grouper sends the statements that are waiting together as one pipeline (a pgx.Batch:
// one round trip, one implicit transaction, one commit). It never waits for more to
// arrive: a statement alone goes at once, and those that come while a pipeline runs
// go in the next one, so grouping grows with the load and adds no latency when idle.
//
// A pipeline is one transaction, so one failing statement (a lost connection, a
// deadlock between two pipelines, a constraint) would fail all of them. Then each is
// run again alone, and each caller gets its own statement's outcome, as if there had
// been no grouping. Every grouped statement is one complete write that is correct on
// its own, in any order with the others: grouping changes when they commit, never
// what they do.

// maxGroup bounds the statements of one pipeline.
const maxGroup = 64

// groupRunners is how many pipelines may run at once: more than one so that a
// pipeline waiting for a lock does not hold up every other write, and at most half
// of the pool's connections, so that the runners never crowd out the reads.
const groupRunners = 3

// groupTimeout bounds one pipeline (and each statement run alone after it): a
// statement blocked on a lock must not hold a runner, and the callers behind it,
// for ever. It is longer than any of these statements takes.
const groupTimeout = 30 * time.Second

// groupStmt is one statement waiting for its pipeline. scan reads its single result
// row with row.Scan. It may be called twice (the pipeline's attempt, rolled back,
// then the statement alone), so it must first reset everything it sets: Scan writes
// nothing when there is no row.
type groupStmt struct {
	sql  string
	args []any
	scan func(pgx.Row) error
	done chan error
}

type grouper struct {
	pool *pgxpool.Pool
	in   chan *groupStmt
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	// onRun, if set (tests), is told the size of each pipeline before it runs;
	// beforeRerun, if set, is called between a failed pipeline and its statements'
	// runs alone.
	onRun       func(n int)
	beforeRerun func()
}

var errClosed = errors.New("postgres: store closed")

func newGrouper(pool *pgxpool.Pool) *grouper {
	g := &grouper{pool: pool, in: make(chan *groupStmt), stop: make(chan struct{})}
	for range max(1, min(groupRunners, int(pool.Config().MaxConns)/2)) {
		g.wg.Go(g.loop)
	}
	return g
}

// close stops the runners once the pipelines in flight are done.
func (g *grouper) close() {
	g.once.Do(func() { close(g.stop) })
	g.wg.Wait()
}

// queryRow runs sql with args in the next pipeline and scans its one row. A caller
// whose ctx ends stops waiting; its statement may still commit, as a statement whose
// answer was lost on the way back can.
func (g *grouper) queryRow(ctx context.Context, sql string, args []any, scan func(pgx.Row) error) error {
	if err := ctx.Err(); err != nil {
		return err // not sent: select below would pick at random between the two
	}
	st := &groupStmt{sql: sql, args: args, scan: scan, done: make(chan error, 1)}
	select {
	case g.in <- st:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return errClosed
	}
	select {
	case err := <-st.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *grouper) loop() {
	batch := make([]*groupStmt, 0, maxGroup)
	for {
		select {
		case st := <-g.in:
			batch = append(batch[:0], st)
		case <-g.stop:
			return
		}
	more:
		for len(batch) < maxGroup {
			select {
			case st := <-g.in:
				batch = append(batch, st)
			default:
				break more
			}
		}
		g.run(batch)
	}
}

// run sends batch as one pipeline. If a statement in it fails on the server, the
// pipeline's transaction is rolled back as a whole; if the pipeline failed before it
// was sent, nothing ran. Either way each statement then runs alone, so that each
// caller gets its own statement's outcome.
func (g *grouper) run(batch []*groupStmt) {
	// Not the callers' contexts: one caller giving up must not fail the others.
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	if g.onRun != nil {
		g.onRun(len(batch))
	}
	if len(batch) > 1 {
		b := &pgx.Batch{}
		for _, st := range batch {
			b.Queue(st.sql, st.args...)
		}
		br := g.pool.SendBatch(ctx, b)
		errs := make([]error, len(batch))
		rerun := false
		for i, st := range batch {
			errs[i] = scanRow(st, br.QueryRow())
			rerun = rerun || isServerError(errs[i]) || pgconn.SafeToRetry(errs[i])
		}
		cerr := br.Close()
		rerun = rerun || isServerError(cerr) || pgconn.SafeToRetry(cerr)
		if !rerun {
			for i, st := range batch {
				if errs[i] == nil && cerr != nil {
					// The connection failed at the end: whether the pipeline
					// committed is unknown, as for a statement run alone.
					errs[i] = cerr
				}
				st.done <- errs[i]
			}
			return
		}
		if g.beforeRerun != nil {
			g.beforeRerun()
		}
	}
	for _, st := range batch {
		ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
		st.done <- scanRow(st, g.pool.QueryRow(ctx, st.sql, st.args...))
		cancel()
	}
}

// scanRow calls st.scan on row and makes sure row is read exactly once, whatever
// scan does (a pool row holds its connection until it is scanned; a pipeline's rows
// must be read in order). A panic in scan is st's error, not the runner's end.
func scanRow(st *groupStmt, row pgx.Row) (err error) {
	r := &onceRow{Row: row}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("postgres: reading the result of %q: panic: %v", st.sql, p)
		}
		if !r.scanned {
			_ = row.Scan() // releases the row; its error is not the caller's
		}
	}()
	return st.scan(r)
}

type onceRow struct {
	pgx.Row
	scanned bool
}

func (r *onceRow) Scan(dest ...any) error {
	r.scanned = true
	return r.Row.Scan(dest...)
}

// isServerError reports whether err is the server's refusal of a statement, which
// aborts the transaction it is in (not a lost connection, whose outcome is unknown,
// nor pgx.ErrNoRows).
func isServerError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}
