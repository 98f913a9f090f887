package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

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
	if _, err := s.pool.Exec(ctx, `INSERT INTO `+versionTable+
		` (version_id, is_applied) VALUES ($1, true)`, want+1); err != nil {
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
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := newProvider(db)
	if err != nil {
		t.Fatalf("newProvider: %v", err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatalf("UpTo 1: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO notifications
		(id, kind, channel, status, provider_id, created_at, updated_at)
		VALUES ('n1', 'eta_update', 'sms', 'sent', 'SM1', now(), now())`); err != nil {
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

// TestContentCompressedWithLZ4: 00006 makes Postgres compress rendered content with
// lz4 (the server here is built with it), and undoing it restores the default.
func TestContentCompressedWithLZ4(t *testing.T) {
	t.Parallel()
	s, ctx := openTest(t), t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	methods := func() map[string]string {
		rows, err := s.pool.Query(ctx, `SELECT attname, attcompression::text FROM pg_attribute
			WHERE attrelid = 'notifications'::regclass AND attname IN ('html', 'body')`)
		if err != nil {
			t.Fatalf("read compression: %v", err)
		}
		defer rows.Close()
		got := map[string]string{}
		for rows.Next() {
			var name, method string
			if err := rows.Scan(&name, &method); err != nil {
				t.Fatal(err)
			}
			got[name] = method
		}
		return got
	}
	if got := methods(); got["html"] != "l" || got["body"] != "l" {
		t.Errorf("compression after 00006 = %v, want lz4 (l) for html and body", got)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := newProvider(db)
	if err != nil {
		t.Fatalf("newProvider: %v", err)
	}
	if _, err := p.DownTo(ctx, 5); err != nil {
		t.Fatalf("DownTo 5: %v", err)
	}
	if got := methods(); got["html"] != "" || got["body"] != "" {
		t.Errorf("compression after undoing 00006 = %v, want the default (empty)", got)
	}
}
