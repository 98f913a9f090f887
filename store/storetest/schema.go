package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/notifyd/notifyd/store"
)

// schemaVersion is the newest migration, the same in every dialect: migrations come in
// pairs. Bump it with each new pair.
const schemaVersion = 7

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
