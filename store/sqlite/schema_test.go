package sqlite

import (
	"errors"
	"fmt"
	"testing"

	"github.com/notifyd/notifyd/store"
)

func TestCheckSchemaNewer(t *testing.T) {
	t.Parallel()
	s, ctx := openTest(t), t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	_, want, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	// A later notifyd applied a migration this one does not know.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO `+versionTable+
		` (version_id, is_applied) VALUES (?, 1)`, want+1); err != nil {
		t.Fatalf("insert fake version: %v", err)
	}
	err = s.CheckSchema(ctx)
	msg := fmt.Sprintf("database schema version %d is newer than this notifyd (%d): upgrade notifyd", want+1, want)
	if !errors.Is(err, store.ErrSchema) || err.Error() != msg {
		t.Errorf("CheckSchema = %v, want ErrSchema saying %q", err, msg)
	}
}
