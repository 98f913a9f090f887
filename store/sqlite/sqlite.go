// Package sqlite implements store.Store on SQLite with modernc.org/sqlite (pure Go, no
// cgo). It is the embedded default: demo mode and single-host installs.
//
// # Locking
//
// SQLite allows one writer at a time. A deferred transaction that reads first and
// writes later must upgrade its lock, and when another connection writes in between
// that upgrade fails with SQLITE_BUSY at once: busy_timeout cannot help, because
// waiting would not change the snapshot the transaction already read. The Store
// therefore keeps two pools on the same file:
//
//   - a writer pool of exactly one connection, used by every method that writes.
//     Writers of this process queue in database/sql for that connection instead of
//     polling SQLite's busy handler, so concurrent goroutines never see SQLITE_BUSY.
//     Its transactions are BEGIN IMMEDIATE (_txlock=immediate): they take the write
//     lock up front, so a writer in another process (`notifyd migrate`, `notifyd
//     tokens create` next to a running server) makes them wait up to busy_timeout
//     rather than fail half-way.
//   - a reader pool of several read-only connections. In WAL mode readers never
//     block the writer nor each other, and each read transaction sees one snapshot.
//
// A single pool with _txlock=immediate alone would also be correct, but every
// goroutine would spin in SQLite's busy handler under contention, and read
// transactions would take the write lock too.
//
// # Times
//
// Times are stored as TEXT in the fixed-width UTC layout 2006-01-02T15:04:05.000000Z:
// microsecond precision like Postgres, readable in the sqlite3 shell, and sorted
// correctly by text comparison. They are truncated to the microsecond on the way in
// and come back in UTC.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/notifyd/notifyd/store"
)

var _ store.Store = (*Store)(nil)

// autoCheckpoint is the WAL size, in pages, at which a commit checkpoints by itself
// (SQLite's default is 1,000): the background checkpoints keep it below that.
const autoCheckpoint = 10_000

// walSizeLimit is the size, in bytes, the WAL file is truncated to when it is reset
// after a checkpoint, so that it does not keep the size of its largest burst.
const walSizeLimit = 64 << 20

// busyTimeout is how long a statement waits for another process's write lock.
const busyTimeout = 10 * time.Second

// Store is a store.Store backed by one SQLite database file.
type Store struct {
	w    *sql.DB // the single writer connection
	r    *sql.DB // read-only connections
	want int64   // highest embedded migration version

	stmtMu  sync.Mutex
	stmts   map[string]*sql.Stmt // prepared on w, by query; see prepared
	rstmtMu sync.Mutex           // apart: preparing on w waits for the writer
	rstmts  map[string]*sql.Stmt // prepared on r, by query; see readQuery

	group grouper // commits the writer's transactions together; see group.go

	ckpt      *sql.DB       // the checkpointer's connection; see checkpoints
	stopCkpt  chan struct{} // closed by Close
	ckptDone  chan struct{} // closed when checkpoints returns
	closeOnce sync.Once
}

// Open opens (creating if needed) the SQLite database at path. It does not migrate:
// call Migrate, or CheckSchema to refuse an unmigrated database. The path is a file
// name; ":memory:" is not supported because the two pools must share one database.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open %q: need a plain file path", path)
	}
	w, err := openPool(ctx, path, 1, false)
	if err != nil {
		return nil, err
	}
	r, err := openPool(ctx, path, max(4, runtime.GOMAXPROCS(0)), true)
	if err != nil {
		w.Close()
		return nil, err
	}
	want, err := latestMigration(w)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	ckpt, err := openPool(ctx, path, 1, false)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	st := &Store{w: w, r: r, want: want, group: grouper{w: w}, ckpt: ckpt, stopCkpt: make(chan struct{}), ckptDone: make(chan struct{})}
	go st.checkpoints(checkpointEvery)
	return st, nil
}

// checkpointEvery is how often checkpoints copies the WAL into the database.
const checkpointEvery = 100 * time.Millisecond

// checkpoints runs a passive checkpoint every interval on a connection of its own
// until Close. SQLite's automatic checkpoint runs inside the commit that passes 1,000
// pages of WAL, on the one writer connection every write of this process waits for:
// in a restock it was an eighth of the writer's time. A passive checkpoint runs
// beside the writer and never blocks it. The writer keeps an automatic checkpoint at
// autoCheckpoint pages, should this one fall behind.
func (s *Store) checkpoints(interval time.Duration) {
	defer close(s.ckptDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stopCkpt:
			return
		case <-t.C:
			s.ckpt.Exec("PRAGMA wal_checkpoint(PASSIVE)") // best effort: the next tick tries again
		}
	}
}

// openPool opens one pool on path and checks that the pragmas took effect.
func openPool(ctx context.Context, path string, conns int, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "NORMAL")
	q.Set("_dqs", "0")
	q.Set("_txlock", "immediate")
	// Statement journals (a statement's undo inside a transaction, e.g. each INSERT
	// of a commit's notifications) stay in memory instead of a temporary file: on a
	// restock batch they were a third of the commit's time in pwrite calls.
	q.Add("_pragma", "temp_store(MEMORY)")
	// A new database gets pages of 8 KiB: the row of an email's notification (~6.5 kB
	// with its rendered content) then fits in one page instead of spilling into an
	// overflow page. An existing database keeps its page size (SQLite changes it only
	// before the first table).
	q.Add("_pragma", "page_size(8192)")
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", autoCheckpoint))
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	if readOnly {
		q.Set("_txlock", "deferred")
		q.Set("_query_only", "1")
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: journal_mode is %q, want wal", path, mode)
	}
	return db, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the prepared statements and both pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.stopCkpt) })
	<-s.ckptDone
	var errs []error
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	s.rstmtMu.Lock()
	for _, st := range s.rstmts {
		errs = append(errs, st.Close())
	}
	s.rstmts = nil
	s.rstmtMu.Unlock()
	return errors.Join(append(errs, s.r.Close(), s.w.Close(), s.ckpt.Close())...)
}

// inTx runs fn in a writer transaction (BEGIN IMMEDIATE) and commits if fn succeeds.
// Transactions that wait for the writer at the same moment are committed together
// (group.go); fn cannot tell, except that it commits a little later. fn must use the
// context it is given, not ctx: grouped, it is not canceled with ctx once fn runs
// (one caller's cancellation would roll back the others' writes).
func (s *Store) inTx(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	return s.group.do(ctx, fn)
}

// inTxAlone is inTx for a large transaction, which is never grouped (group.go).
func (s *Store) inTxAlone(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	return s.group.doAlone(ctx, fn)
}

// exec1 runs a write statement that must touch a row: ErrNotFound when it touched none.
func (s *Store) exec1(ctx context.Context, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// mapErr maps driver errors to the store's sentinels, keeping the driver's message.
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: // the record referred to is absent
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// timeLayout is how every time is stored; see the package comment.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// fmtTime formats t for storage.
func fmtTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(timeLayout)
}

// fmtTimePtr formats an optional time; nil is NULL.
func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// timeCol scans a stored time into *T.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	s, err := textOf(src)
	if err != nil {
		return err
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("parse time %q: %w", s, err)
	}
	*c.t = t
	return nil
}

// nullTimeCol scans a nullable stored time into **T.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

func textOf(src any) (string, error) {
	switch v := src.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	default:
		return "", fmt.Errorf("scan time: unexpected %T", src)
	}
}

// jsonArg stores raw JSON as TEXT; empty is NULL.
func jsonArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// nullString stores "" as NULL (for unique columns where "" means "none").
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
