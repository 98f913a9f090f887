package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/postgres"
	"github.com/notifyd/notifyd/store/sqlite"
)

// envDatabase names the Postgres the Postgres variants create their schemas in.
const envDatabase = "NOTIFYD_TEST_DATABASE_URL"

// Sizes of the scenarios, for the benchmarks (the smoke test uses its own, small ones).
// Pass them after -args: go test -run '^$' -bench Throughput ./bench/ -args -events 6000
var (
	flagEvents  = flag.Int("events", 3000, "BenchmarkThroughput: events per run (each is 2 messages)")
	flagOrders  = flag.Int("orders", 100_000, "BenchmarkRestock: open backorders of the restocked SKU")
	flagRate    = flag.Int("rate", 1000, "BenchmarkLatency: events/s of the target runs")
	flagPool    = flag.Int("pool", 32, "Postgres pool_max_conns (0: pgxpool's default); notifyd run uses NOTIFYD_CONCURRENCY + 12")
	flagSweep   = flag.Int("sweep-rate", 100, "BenchmarkLatency: events/s of the TaskCheckInterval sweep, one the worker sustains")
	flagSteady  = flag.Duration("steady", 5*time.Second, "BenchmarkLatency: how long the producer runs after a 1 s warm-up")
	flagRestock = flag.Bool("restock-sends", false, "BenchmarkRestock: also wait until every notice is sent")
	flagTimes   = flag.Bool("breakdown", false, "BenchmarkThroughput, BenchmarkRestock: log the time spent in each store method")
)

var (
	pgURL   string        // from envDatabase; "" runs SQLite only
	pgAdmin *pgxpool.Pool // creates and drops the per-run schemas
)

// TestMain says in one line which stores run, and fails loudly when the Postgres it
// was told to use does not answer.
func TestMain(m *testing.M) {
	flag.Parse()
	pgURL = os.Getenv(envDatabase)
	if pgURL == "" {
		fmt.Println("bench: " + envDatabase + " not set; SQLite only (Postgres variants not run)")
		os.Exit(m.Run())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	var err error
	if pgAdmin, err = pgxpool.New(ctx, pgURL); err == nil {
		err = pgAdmin.Ping(ctx)
	}
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", envDatabase, err)
		os.Exit(1)
	}
	fmt.Println("bench: SQLite and Postgres (" + envDatabase + ")")
	code := m.Run()
	pgAdmin.Close()
	os.Exit(code)
}

// backend is a store implementation the scenarios run on.
type backend struct {
	name string
	// open returns a new, empty, migrated store, closed (and dropped) at cleanup.
	open func(tb testing.TB) store.Store
}

// backends returns SQLite, and Postgres when envDatabase is set.
func backends() []backend {
	bs := []backend{{"sqlite", openSQLite}}
	if pgURL != "" {
		bs = append(bs, backend{"postgres", openPostgres})
	}
	return bs
}

func openSQLite(tb testing.TB) store.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "notifyd.db"))
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return migrate(tb, s)
}

// openPostgres opens a store on a schema of its own (search_path), with the pool
// `notifyd run` gives production (concurrency + 12 connections, unless -pool says
// otherwise), and drops the schema at cleanup.
func openPostgres(tb testing.TB) store.Store {
	tb.Helper()
	var b [8]byte
	rand.Read(b[:])
	schema := "notifyd_bench_" + hex.EncodeToString(b[:])
	if _, err := pgAdmin.Exec(tb.Context(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := pgAdmin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsn := withSearchPath(tb, pgURL, schema)
	if *flagPool > 0 && strings.HasPrefix(dsn, "postgres") && !strings.Contains(dsn, "pool_max_conns") {
		dsn += "&pool_max_conns=" + strconv.Itoa(*flagPool)
	}
	s, err := postgres.Open(tb.Context(), dsn)
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() }) // runs before the drop
	return migrate(tb, s)
}

// withSearchPath returns dsn (URL or key=value form) with search_path set to schema.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", envDatabase, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func migrate(tb testing.TB, s store.Store) store.Store {
	tb.Helper()
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// needRealRedis fails a benchmark that would otherwise measure the in-process
// miniredis: its figures say nothing about asynq on Redis.
func needRealRedis(b *testing.B) {
	b.Helper()
	if !testredis.Real() {
		b.Fatalf("benchmarks need a real Redis: set %s (e.g. redis://127.0.0.1:6379/1); "+
			"miniredis figures would mean nothing", testredis.EnvVar)
	}
}
