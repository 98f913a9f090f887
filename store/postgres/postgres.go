// Package postgres implements store.Store on PostgreSQL with pgx v5 (pgxpool).
//
// Times are timestamptz: microsecond precision, truncated on the way in (as pgx
// encodes them) and returned in UTC. Event payloads are json, which keeps the exact
// bytes their hash was taken of; order snapshots are jsonb, so they come back equal
// as JSON but not byte for byte.
//
// The database URL may set search_path (postgres://…/db?search_path=notifyd) to keep
// notifyd's tables, goose's version table included, in a schema of their own.
//
// Sessions run with jit=off unless jit is set anywhere (jitOff).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/notifyd/notifyd/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store backed by a PostgreSQL connection pool.
type Store struct {
	pool  *pgxpool.Pool
	group *grouper // the hot single-statement writes, committed together
	want  int64    // highest embedded migration version
}

// Open connects to the database at url (postgres://… or any form pgx accepts) and
// checks that it answers. It does not migrate: call Migrate, or CheckSchema to refuse
// an unmigrated database.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		// Scan timestamptz in UTC rather than the process's local zone.
		m := c.TypeMap()
		m.RegisterType(&pgtype.Type{
			Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapPresized}, m.TryWrapEncodePlanFuncs...)
		_, err := c.Exec(ctx, jitOff)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool) // goose wants a *sql.DB even just to list files
	want, err := latestMigration(db)
	db.Close()
	if err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, want: want}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.group = newGrouper(pool)
	return s, nil
}

// jitOff turns JIT compilation off for the session unless jit has a value other than
// the server's built-in default: from postgresql.conf, ALTER DATABASE or ALTER ROLE,
// or the client (the URL's jit or options, PGOPTIONS). The worker's statements are
// short, and a batch's estimated cost on a table not yet analyzed passes
// jit_above_cost, so Postgres compiled the plan of a restock batch's read again on
// every call (docs/performance.md). Set after connecting rather than as a startup
// parameter, which would outrank all of those, and which PgBouncer refuses unless
// told to ignore it.
const jitOff = `SELECT set_config('jit', 'off', false)
	WHERE (SELECT source FROM pg_settings WHERE name = 'jit') = 'default'`

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be released.
func (s *Store) Close() error {
	s.group.close()
	s.pool.Close()
	return nil
}

// exec1 runs a statement that must touch a row: ErrNotFound when it touched none.
func (s *Store) exec1(ctx context.Context, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SQLSTATEs mapErr maps.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503" // the record referred to is absent
)

// mapErr maps driver errors to the store's sentinels, keeping the driver's message.
func mapErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case uniqueViolation:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case foreignKeyViolation:
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// scanner is pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, scan func(scanner) (*T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// ts prepares a time for storage: UTC, truncated to the microsecond.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// tsPtr prepares an optional time; nil is NULL.
func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// jsonArg passes raw JSON through unchanged; empty is NULL.
func jsonArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// nullString stores "" as NULL (for unique columns where "" means "none").
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// jsonPtr passes raw JSON as text for a json or jsonb array element; empty is NULL.
func jsonPtr(b []byte) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}

// transpose turns rows of values into one slice per column, the arguments of an
// INSERT … SELECT * FROM unnest($1::text[], …) that writes every row in one
// statement. Every row holds the same Go types: string, *string, int, int64,
// time.Time, *time.Time or bool. The first column is presized with the size of them all.
func transpose(rows [][]any) []any {
	if len(rows) == 0 {
		return nil
	}
	cols := make([]any, len(rows[0]))
	size := 0
	for j := range cols {
		size += arrayHeader + len(rows)*elementHeader
		switch v := rows[0][j].(type) {
		case string:
			cols[j] = column[string](rows, j)
			for _, s := range cols[j].([]string) {
				size += len(s)
			}
		case *string:
			cols[j] = column[*string](rows, j)
			for _, s := range cols[j].([]*string) {
				if s != nil {
					size += len(*s)
				}
			}
		case int:
			cols[j] = column[int](rows, j)
			size += 8 * len(rows)
		case int64:
			cols[j] = column[int64](rows, j)
			size += 8 * len(rows)
		case time.Time:
			cols[j] = column[time.Time](rows, j)
			size += 8 * len(rows)
		case *time.Time:
			cols[j] = column[*time.Time](rows, j)
			size += 8 * len(rows)
		case bool:
			cols[j] = column[bool](rows, j)
			size += len(rows)
		default:
			panic(fmt.Sprintf("postgres: transpose: column %d is a %T", j, v))
		}
	}
	cols[0] = presize(cols[0], size)
	return cols
}

// Sizes in Postgres's binary array format: the header of a one-dimensional array,
// and the length before each element.
const (
	arrayHeader   = 20
	elementHeader = 4
)

// presized is a statement argument whose encoding first makes room for bytes more
// in pgx's parameter buffer, then encodes value. pgx encodes a statement's arguments
// one after the other into one buffer, which starts at 256 bytes for every statement
// and grows by a quarter at a time: a restock batch's thousand rendered messages
// (~6 MB) were copied and reallocated ~40 times, 8× the time of encoding them into
// a buffer of the right size (BenchmarkEncodeBatch). transpose wraps the first
// column with the size of all of them. It is generic so that each column type is a
// type of its own: pgx caches an encode plan per Go type of the argument.
type presized[T any] struct {
	bytes int
	value []T
}

func (p presized[T]) unwrap() (int, any) { return p.bytes, p.value }

// presizer is any presized.
type presizer interface{ unwrap() (bytes int, value any) }

// presize wraps col, one of transpose's columns, with bytes.
func presize(col any, bytes int) any {
	switch c := col.(type) {
	case []string:
		return presized[string]{bytes, c}
	case []*string:
		return presized[*string]{bytes, c}
	case []int:
		return presized[int]{bytes, c}
	case []int64:
		return presized[int64]{bytes, c}
	case []time.Time:
		return presized[time.Time]{bytes, c}
	case []*time.Time:
		return presized[*time.Time]{bytes, c}
	}
	return col
}

// presizedPlan is the encode plan of a presized: it grows the buffer and hands the
// value to the plan of its own type.
type presizedPlan struct{ next pgtype.EncodePlan }

func (p *presizedPlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *presizedPlan) Encode(value any, buf []byte) ([]byte, error) {
	bytes, v := value.(presizer).unwrap()
	return p.next.Encode(v, slices.Grow(buf, bytes))
}

// tryWrapPresized is the pgtype.TryWrapEncodePlanFunc of presized, which every
// connection's type map tries first (Open).
func tryWrapPresized(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if p, ok := value.(presizer); ok {
		_, v := p.unwrap()
		return &presizedPlan{}, v, true
	}
	return nil, nil, false
}

func column[T any](rows [][]any, j int) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = r[j].(T)
	}
	return out
}
