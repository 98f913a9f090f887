package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"github.com/notifyd/notifyd/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is goose's default bookkeeping table.
const versionTable = "goose_db_version"

// newProvider returns a goose provider over the embedded migrations. It uses no goose
// global state.
func newProvider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(versionTable),
	)
}

// latestMigration is the highest embedded migration version.
func latestMigration(db *sql.DB) (int64, error) {
	p, err := newProvider(db)
	if err != nil {
		return 0, fmt.Errorf("sqlite: load migrations: %w", err)
	}
	src := p.ListSources()
	if len(src) == 0 {
		return 0, fmt.Errorf("sqlite: load migrations: none embedded")
	}
	return src[len(src)-1].Version, nil
}

// Migrate applies every pending migration. Running it again is a no-op.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := newProvider(s.w)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the applied migration version (0 when unmigrated) and the one
// this binary needs. It only reads: it never creates goose's table.
func (s *Store) SchemaVersion(ctx context.Context) (applied, want int64, err error) {
	var exists bool
	err = s.r.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?)`,
		versionTable).Scan(&exists)
	if err != nil {
		return 0, s.want, fmt.Errorf("sqlite: schema version: %w", err)
	}
	if !exists {
		return 0, s.want, nil
	}
	err = s.r.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version_id), 0) FROM `+versionTable).Scan(&applied)
	if err != nil {
		return 0, s.want, fmt.Errorf("sqlite: schema version: %w", err)
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
