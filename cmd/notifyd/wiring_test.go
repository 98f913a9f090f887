package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/sqlite"
)

// TestReadiness: /readyz is ready only with Redis reachable and the schema current.
func TestReadiness(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	good := asynq.NewClient(testredis.New(t))
	defer good.Close()
	down := asynq.NewClient(asynq.RedisClientOpt{Addr: freeAddr(t)}) // nothing listens there
	defer down.Close()

	if err := readiness(good, st)(ctx); !errors.Is(err, store.ErrSchema) {
		t.Errorf("unmigrated: %v, want a schema error", err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := readiness(good, st)(ctx); err != nil {
		t.Errorf("ready: %v", err)
	}
	if err := readiness(down, st)(ctx); err == nil || !strings.HasPrefix(err.Error(), "redis:") {
		t.Errorf("redis down: %v", err)
	}
}

func TestWithPoolSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u@h:5432/db?sslmode=disable": "postgres://u@h:5432/db?pool_max_conns=32&sslmode=disable",
		"postgres://u@h/db?pool_max_conns=5":     "postgres://u@h/db?pool_max_conns=5",
		"sqlite:/var/lib/notifyd.db":             "sqlite:/var/lib/notifyd.db",
		"postgresql://u@h/db":                    "postgresql://u@h/db?pool_max_conns=32",
	} {
		if got := withPoolSize(in, 32); got != want {
			t.Errorf("withPoolSize(%q) = %q, want %q", in, got, want)
		}
	}
}
