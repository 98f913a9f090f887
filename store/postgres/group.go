package postgres

import (
	"context"
	"errors"
	"sync"

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

// groupRunners is how many pipelines may run at once. More than one so that a
// pipeline waiting for a lock does not hold up every other write.
const groupRunners = 3

// groupStmt is one statement waiting for its pipeline. scan reads its single result
// row; it may be called twice (the pipeline's attempt, then the statement alone) and
// must overwrite what it read.
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
	// onRun, if set (tests), is told the size of each pipeline before it runs.
	onRun func(n int)
}

var errClosed = errors.New("postgres: store closed")

func newGrouper(pool *pgxpool.Pool) *grouper {
	g := &grouper{pool: pool, in: make(chan *groupStmt), stop: make(chan struct{})}
	for range groupRunners {
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
// pipeline's transaction is rolled back as a whole, and each statement runs again
// alone, so that each caller gets its own statement's outcome.
func (g *grouper) run(batch []*groupStmt) {
	// Not the callers' contexts: one caller giving up must not fail the others.
	ctx := context.Background()
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
		rolledBack := false
		for i, st := range batch {
			errs[i] = st.scan(br.QueryRow())
			rolledBack = rolledBack || isServerError(errs[i])
		}
		cerr := br.Close()
		if !rolledBack && !isServerError(cerr) {
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
	}
	for _, st := range batch {
		st.done <- st.scan(g.pool.QueryRow(ctx, st.sql, st.args...))
	}
}

// isServerError reports whether err is the server's refusal of a statement, which
// aborts the transaction it is in (not a lost connection, whose outcome is unknown,
// nor pgx.ErrNoRows).
func isServerError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}
