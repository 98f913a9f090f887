package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/storetest"
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

// TestMigrateFromVersion1 upgrades a database holding a notification written by the
// version 1 schema, then checks that 00002 also goes down and up again.
func TestMigrateFromVersion1(t *testing.T) {
	t.Parallel()
	s, ctx := openTest(t), t.Context()
	p, err := newProvider(s.w)
	if err != nil {
		t.Fatalf("newProvider: %v", err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatalf("UpTo 1: %v", err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO notifications
		(id, kind, channel, status, provider_id, created_at, updated_at)
		VALUES ('n1', 'eta_update', 'sms', 'sent', 'SM1', ?, ?)`, fmtTime(time.Now()), fmtTime(time.Now())); err != nil {
		t.Fatalf("insert v1 notification: %v", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	n, err := s.NotificationByProvider(ctx, store.ChannelSMS, "SM1")
	if err != nil {
		t.Fatalf("NotificationByProvider: %v", err)
	}
	if n.ID != "n1" || n.ErrorCode != "" || n.TemplateVersion != "" || n.ContentHash != "" || n.FallbackFor != "" {
		t.Errorf("upgraded notification = %+v, want n1 with the new fields empty", n)
	}
	storetest.CheckProviderBackfill(t, s, n, "SM1", func(ctx context.Context) error {
		_, err := p.DownTo(ctx, 6)
		return err
	})
	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("DownTo 1: %v", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after down: %v", err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema: %v", err)
	}
}
