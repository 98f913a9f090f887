package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/storetest"
)

// envURL names the database the tests may create schemas in.
const envURL = "NOTIFYD_TEST_DATABASE_URL"

var (
	baseURL string        // from envURL
	admin   *pgxpool.Pool // creates and drops the per-test schemas
)

// TestMain runs the tests that need Postgres only when envURL is set. Without it, it
// says so on one line, and only the tests that need no database run (openTest skips).
func TestMain(m *testing.M) {
	baseURL = os.Getenv(envURL)
	if baseURL == "" {
		fmt.Println("store/postgres: " + envURL + " not set; Postgres conformance suite not run (SQLite only)")
		os.Exit(m.Run())
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if admin, err = pgxpool.New(ctx, baseURL); err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "store/postgres: %s: %v\n", envURL, err)
		return 1
	}
	defer admin.Close()
	return m.Run()
}

// testDSN returns dsn (URL or key=value form) with search_path set to schema and a
// small pool, so that many parallel tests stay under the server's max_connections.
func testDSN(t testing.TB, dsn, schema string) string {
	t.Helper()
	return withParams(t, dsn, "search_path", schema, "pool_max_conns", "4")
}

// withParams returns dsn (URL or key=value form) with the parameters given as
// key, value pairs set.
func withParams(t testing.TB, dsn string, kv ...string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		for i := 0; i < len(kv); i += 2 {
			dsn += " " + kv[i] + "='" + strings.ReplaceAll(kv[i+1], "'", `\'`) + "'"
		}
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", envURL, err)
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads + as itself
	return u.String()
}

// openTest opens a store on a schema of its own, dropped when the test ends, so tests
// and packages running in parallel never share tables.
func openTest(t testing.TB) *Store {
	t.Helper()
	if baseURL == "" {
		t.Skip(envURL + " not set")
	}
	ctx := t.Context()
	var b [8]byte
	rand.Read(b[:])
	schema := "notifyd_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	s, err := Open(ctx, testDSN(t, baseURL, schema))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() }) // runs before the drop
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
