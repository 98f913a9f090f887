package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
)

// Group commit. SQLite has one writer, and every write transaction of the process
// waits for it in turn. Each COMMIT appends every page the transaction changed to the
// WAL, so twenty small transactions that touch the same pages (a leaf of send_claims,
// the notifications' index pages) write those pages twenty times, and each pays its
// BEGIN and COMMIT on the writer that all the others wait for.
//
// The transactions waiting for the writer when it becomes free run instead as one
// transaction, each in a savepoint of its own. One whose fn fails is rolled back to
// its savepoint alone and its caller gets its error; the others commit together, and
// each caller returns only once that COMMIT is done. A transaction waiting alone runs
// as before, without a savepoint. A caller whose context ends while it waits gives
// up and writes nothing; once its turn has come its fn runs with a context that is not canceled,
// since SQLite answers a statement interrupted inside a transaction by rolling back
// the whole transaction. If the shared transaction is lost all the same (a full disk,
// an I/O error), every caller whose fn had run gets the error, as if its own
// transaction had failed, and those not yet run are run afterwards, each alone.
//
// The caller that finds the writer free leads: it runs the group that holds its own
// transaction, then hands the writer to the first caller still waiting, which leads
// the next group. No goroutine is kept for this.

// maxGroup bounds the transactions of one group.
const maxGroup = 64

type txReq struct {
	ctx   context.Context
	fn    func(context.Context, *sql.Tx) error
	alone bool // never grouped (see doAlone)
	err   error
	lead  bool          // handed the writer: run the next group
	done  chan struct{} // closed once err is final, or lead is set
}

type grouper struct {
	w     *sql.DB
	mu    sync.Mutex
	queue []*txReq
	busy  bool // a leader is running groups
	// onRun, if set (tests), is shown each group before it runs.
	onRun func(batch []*txReq)
}

// do runs fn in a writer transaction, committed with the others waiting beside it.
func (g *grouper) do(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	return g.enter(&txReq{ctx: ctx, fn: fn, done: make(chan struct{})})
}

// doAlone runs fn in a writer transaction of its own, in its turn. It is for large
// transactions (a restock's allocation, a batch of a thousand notifications): inside
// a savepoint SQLite journals the pages a transaction changes, and at the end of each
// statement walks that journal (memjrnlTruncate), so a transaction of a thousand
// statements costs the square of its size there. Grouped, a restock took five times
// as long.
func (g *grouper) doAlone(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	return g.enter(&txReq{ctx: ctx, fn: fn, alone: true, done: make(chan struct{})})
}

// enter queues r and waits for its outcome, leading if the writer is free or is
// handed over.
func (g *grouper) enter(r *txReq) error {
	g.mu.Lock()
	g.queue = append(g.queue, r)
	if g.busy {
		g.mu.Unlock()
		select {
		case <-r.done:
		case <-r.ctx.Done():
			if g.leave(r) {
				return r.ctx.Err()
			}
			<-r.done // taken into a group, or handed the writer, meanwhile
		}
		if !r.lead {
			return r.err
		}
	} else {
		g.busy = true
		g.mu.Unlock()
	}
	g.lead()
	return r.err
}

// leave takes r out of the queue if no leader has taken it yet (nor handed it the
// writer): a caller whose context ends while it waits gives up, as BeginTx(ctx) did.
func (g *grouper) leave(r *txReq) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.Index(g.queue, r)
	if i < 0 || r.lead {
		return false
	}
	g.queue = slices.Delete(g.queue, i, i+1)
	return true
}

// lead runs the group at the head of the queue (the leader's own transaction is its
// first), then hands the writer on.
func (g *grouper) lead() {
	g.mu.Lock()
	n := 1 // the head, alone or not
	for n < len(g.queue) && n < maxGroup && !g.queue[0].alone && !g.queue[n].alone {
		n++
	}
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	g.run(batch)

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		next.lead = true
		close(next.done)
	} else {
		g.busy = false
		g.queue = nil
	}
	g.mu.Unlock()
}

// run runs batch and sets each transaction's outcome.
func (g *grouper) run(batch []*txReq) {
	if g.onRun != nil {
		g.onRun(batch)
	}
	if len(batch) == 1 {
		batch[0].err = g.alone(batch[0])
	} else {
		g.together(batch)
	}
	for _, r := range batch {
		if !r.lead {
			close(r.done)
		}
	}
}

// alone runs r in a transaction of its own.
func (g *grouper) alone(r *txReq) error {
	tx, err := g.w.BeginTx(r.ctx, nil)
	if err != nil {
		return err
	}
	if err := call(r.fn, r.ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// call runs fn; a panic in it is its error. fn runs on the leader's goroutine, and a
// panic there would leave the writer taken and every later caller waiting.
func call(fn func(context.Context, *sql.Tx) error, ctx context.Context, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlite: panic in a write transaction: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(ctx, tx)
}

// together runs batch as one transaction, each in a savepoint.
func (g *grouper) together(batch []*txReq) {
	// Not a caller's context: one caller giving up must not roll back the others.
	tx, err := g.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range batch {
			r.err = err
		}
		return
	}
	for i, r := range batch {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		if err := savepoint(tx, r); err != nil {
			_ = tx.Rollback()
			lost := fmt.Errorf("sqlite: the transaction was rolled back with others it was committed with: %w", err)
			for _, done := range batch[:i+1] {
				if done.err == nil {
					done.err = lost
				}
			}
			for _, rest := range batch[i+1:] {
				rest.err = g.alone(rest)
			}
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
		}
	}
}

// savepoint runs r's fn inside a savepoint of tx and sets r.err to fn's error, after
// undoing fn's writes if it failed. It returns an error only when the savepoint
// itself fails: then SQLite has rolled back the whole transaction.
func savepoint(tx *sql.Tx, r *txReq) error {
	if _, err := tx.Exec(`SAVEPOINT grouped`); err != nil {
		return err
	}
	// Once its turn has come, r's writes run to the end whatever happens to r.ctx:
	// SQLite answers a statement interrupted inside a transaction by rolling back the
	// whole transaction, the other callers' writes with it.
	if r.err = call(r.fn, context.WithoutCancel(r.ctx), tx); r.err != nil {
		if _, err := tx.Exec(`ROLLBACK TO grouped`); err != nil {
			return fmt.Errorf("%w (after: %w)", err, r.err)
		}
	}
	// RELEASE fails, too, when the transaction is gone (an error fn did not return).
	_, err := tx.Exec(`RELEASE grouped`)
	return err
}
