package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/notifyd/notifyd/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is goose's default bookkeeping table, in the current schema.
const versionTable = "goose_db_version"

// newProvider returns a goose provider over the embedded migrations, using no goose
// global state.
func newProvider(db *sql.DB, opts ...goose.ProviderOption) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	opts = append(opts, goose.WithDisableGlobalRegistry(true), goose.WithTableName(versionTable))
	return goose.NewProvider(goose.DialectPostgres, db, fsys, opts...)
}

// latestMigration is the highest embedded migration version. db is not used.
func latestMigration(db *sql.DB) (int64, error) {
	p, err := newProvider(db)
	if err != nil {
		return 0, fmt.Errorf("postgres: load migrations: %w", err)
	}
	src := p.ListSources()
	if len(src) == 0 {
		return 0, fmt.Errorf("postgres: load migrations: none embedded")
	}
	return src[len(src)-1].Version, nil
}

// Migrate applies every pending migration, holding a Postgres advisory lock so that
// several notifyd processes migrating at once apply each migration once. The lock is
// keyed by the current schema: notifyd instances in different schemas of one
// database do not wait for each other.
func (s *Store) Migrate(ctx context.Context) error {
	var lockID int64
	err := s.pool.QueryRow(ctx,
		`SELECT hashtext('notifyd migrate ' || current_schema())`).Scan(&lockID)
	if err != nil {
		return fmt.Errorf("postgres: migrate: current schema: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := newProvider(db, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the applied migration version (0 when unmigrated) and the one
// this binary needs. It only reads: it never creates goose's table.
func (s *Store) SchemaVersion(ctx context.Context) (applied, want int64, err error) {
	var exists bool
	err = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables
		WHERE schemaname = current_schema() AND tablename = $1)`, versionTable).Scan(&exists)
	if err != nil {
		return 0, s.want, fmt.Errorf("postgres: schema version: %w", err)
	}
	if !exists {
		return 0, s.want, nil
	}
	err = s.pool.QueryRow(ctx,
		`SELECT COALESCE(MAX(version_id), 0) FROM `+versionTable).Scan(&applied)
	if err != nil {
		return 0, s.want, fmt.Errorf("postgres: schema version: %w", err)
	}
	return applied, s.want, nil
}

// CheckSchema returns nil when the database is at exactly the version this binary
// needs, and a *store.SchemaError (wrapping store.ErrSchema) otherwise.
func (s *Store) CheckSchema(ctx context.Context) error {
	applied, want, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	return store.CompareSchema(applied, want)
}
