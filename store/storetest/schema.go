package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/notifyd/notifyd/store"
)

// schemaVersion is the newest migration, the same in every dialect: migrations come in
// pairs. Bump it with each new pair.
const schemaVersion = 9

// testSchema gets open for unmigrated stores.
func testSchema(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("fresh database is not migrated", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for range 2 { // checking must not create anything that changes the answer
			err := s.CheckSchema(t.Context())
			if !errors.Is(err, store.ErrSchema) {
				t.Fatalf("CheckSchema on a fresh database = %v, want ErrSchema", err)
			}
			if want := "database is not migrated: run `notifyd migrate`"; !strings.Contains(err.Error(), want) {
				t.Errorf("CheckSchema message %q does not say %q", err, want)
			}
		}
		applied, want, err := s.SchemaVersion(t.Context())
		if err != nil || applied != 0 || want != schemaVersion {
			t.Errorf("SchemaVersion = %d, %d, %v; want 0, %d, nil", applied, want, err, schemaVersion)
		}
	})
	t.Run("migrated database passes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i := range 2 { // Migrate twice is fine
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate #%d: %v", i+1, err)
			}
			if err := s.CheckSchema(t.Context()); err != nil {
				t.Fatalf("CheckSchema after Migrate #%d: %v", i+1, err)
			}
		}
		applied, want, err := s.SchemaVersion(t.Context())
		if err != nil || applied != schemaVersion || want != schemaVersion {
			t.Errorf("SchemaVersion = %d, %d, %v; want %d, %d, nil", applied, want, err, schemaVersion, schemaVersion)
		}
	})
	t.Run("ping", func(t *testing.T) {
		t.Parallel()
		if err := open(t).Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

// CheckProviderBackfill checks migration 00007's backfill on s, migrated from schema
// version 1 with notification n (provider id providerID, no SentAt) written there:
// n got one "sent" attempt with that provider id at its UpdatedAt, and undoing and
// redoing 00007 (downTo6, then Migrate) adds no second one. The dialect packages call
// it from TestMigrateFromVersion1.
func CheckProviderBackfill(t *testing.T, s store.Store, n *store.Notification, providerID string, downTo6 func(context.Context) error) {
	t.Helper()
	ctx := t.Context()
	for _, step := range []string{"upgrade", "00007 down and up again"} {
		if step != "upgrade" {
			if err := downTo6(ctx); err != nil {
				t.Fatalf("DownTo 6: %v", err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
		}
		attempts, err := s.ListAttempts(ctx, n.ID)
		if err != nil || len(attempts) != 1 || attempts[0].Outcome != "sent" ||
			attempts[0].ProviderID != providerID || !attempts[0].At.Equal(n.UpdatedAt) {
			t.Errorf("attempts of %s after the %s = %+v, %v; want one sent attempt of %s at %v",
				n.ID, step, attempts, err, providerID, n.UpdatedAt)
		}
	}
}
