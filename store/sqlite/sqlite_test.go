package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/storetest"
)

// openTest opens a fresh, unmigrated database file in the test's temp dir.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "notifyd.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func BenchmarkCommitEvent(b *testing.B) {
	storetest.BenchmarkCommitEvent(b, func(tb testing.TB) store.Store { return openTest(tb) })
}

func BenchmarkAllocateRestock100k(b *testing.B) {
	storetest.BenchmarkAllocateRestock100k(b, func(tb testing.TB) store.Store { return openTest(tb) })
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	cases := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "10000"},
		{"temp_store", "2"}, // MEMORY: statement journals too
		{"wal_autocheckpoint", "10000"},
		{"journal_size_limit", "67108864"},
		{"page_size", "8192"}, // a new database
	}
	for _, pool := range []struct {
		name string
		db   *sql.DB
	}{{"writer", s.w}, {"reader", s.r}} {
		for _, c := range cases {
			var got string
			if err := pool.db.QueryRowContext(t.Context(), "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", pool.name, c.pragma, err)
			}
			if got != c.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", pool.name, c.pragma, got, c.want)
			}
		}
	}
	if _, err := s.r.ExecContext(t.Context(), "DELETE FROM goose_db_version"); err == nil {
		t.Error("the reader pool accepted a write")
	}
}

// TestOldPageSize: a database made with SQLite's default pages of 4 KiB keeps them,
// and migrates and takes writes as a new one does.
func TestOldPageSize(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec("PRAGMA journal_mode = WAL; CREATE TABLE before_notifyd (x)"); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	var size int
	if err := s.w.QueryRow("PRAGMA page_size").Scan(&size); err != nil || size != 4096 {
		t.Errorf("page_size = %d, %v; want the database's own 4096", size, err)
	}
	if err := s.SaveOrder(t.Context(), &store.Order{ID: "ord_1", Brand: "acme", Number: "1",
		PlacedAt: time.Now(), State: store.OrderOpen}); err != nil {
		t.Errorf("SaveOrder: %v", err)
	}
}

// TestCheckpointsInBackground: WAL written by the writer reaches the database file
// without a commit checkpointing it. 20 MB of WAL is a quarter of the writer's own
// autoCheckpoint (10,000 pages of 8 KiB), so only the background checkpoints can
// have copied it.
func TestCheckpointsInBackground(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notifyd.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	const rows, row = 5000, 4000
	if _, err := s.w.ExecContext(t.Context(), `CREATE TABLE scratch (b BLOB);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO scratch SELECT randomblob(?) FROM n`, rows, row); err != nil {
		t.Fatalf("write: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for size()-before < rows*row*3/4 {
		if time.Now().After(deadline) {
			t.Fatalf("database file grew by %d bytes in 10 s after %d bytes were written: not checkpointed", size()-before, rows*row)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestTwoProcesses has two Stores on one file, as two notifyd processes would, write
// at once: BEGIN IMMEDIATE and busy_timeout must make them wait, not fail with
// SQLITE_BUSY.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notifyd.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	if err := stores[0].Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	var wg sync.WaitGroup
	created := make(chan bool, 40)
	for i := range 40 {
		wg.Go(func() {
			e := &store.EventRecord{Source: "shop", ID: fmt.Sprint(i % 4), Type: "order.shipped",
				Time: time.Now(), Payload: json.RawMessage(`{}`)}
			_, ok, err := stores[i%2].RecordEvent(t.Context(), e)
			if err != nil {
				t.Errorf("RecordEvent %d: %v", i, err)
			}
			created <- ok
		})
	}
	wg.Wait()
	close(created)
	n := 0
	for ok := range created {
		if ok {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d events created, want 4", n)
	}
}
