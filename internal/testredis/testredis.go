// Package testredis gives each test its own empty Redis database: the real server named
// by NOTIFYD_TEST_REDIS_URL when set (as in CI), else an in-process miniredis.
//
// On a real server a test leases one of the database numbers 1–15 (never 0, the
// default of a production notifyd) with a SET NX key in database 0, flushes it, and
// releases it at cleanup, so test packages running in parallel never share a database.
package testredis

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// EnvVar names the real Redis to test against.
const EnvVar = "NOTIFYD_TEST_REDIS_URL"

var announce sync.Once

// Real reports whether tests run against a real Redis.
func Real() bool { return os.Getenv(EnvVar) != "" }

// New returns connection options for a fresh, empty Redis database for t.
func New(t testing.TB) asynq.RedisClientOpt {
	t.Helper()
	url := os.Getenv(EnvVar)
	if url == "" {
		announce.Do(func() {
			fmt.Fprintf(os.Stderr, "testredis: %s not set; using in-process miniredis\n", EnvVar)
		})
		mr := miniredis.RunT(t)
		stop := make(chan struct{})
		go func() { // miniredis expires keys only when told to
			tk := time.NewTicker(50 * time.Millisecond)
			defer tk.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
					mr.FastForward(50 * time.Millisecond)
				}
			}
		}()
		t.Cleanup(func() { close(stop) })
		return asynq.RedisClientOpt{Addr: mr.Addr()}
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	return lease(t, opt)
}

func lease(t testing.TB, opt *redis.Options) asynq.RedisClientOpt {
	t.Helper()
	ctx := context.Background()
	ctl := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: 0})
	defer ctl.Close()
	if err := ctl.Ping(ctx).Err(); err != nil {
		t.Fatalf("%s: cannot reach Redis at %s: %v", EnvVar, opt.Addr, err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		for db := 1; db <= 15; db++ {
			key := fmt.Sprintf("notifyd-test-lease:%d", db)
			ok, err := ctl.SetNX(ctx, key, t.Name(), 10*time.Minute).Result()
			if err != nil {
				t.Fatalf("lease Redis db: %v", err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: db})
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("flush Redis db %d: %v", db, err)
			}
			c.Close()
			t.Cleanup(func() {
				c := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: 0})
				defer c.Close()
				c.Del(context.Background(), key)
			})
			return asynq.RedisClientOpt{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: db}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no free Redis test database among 1–15 for 5 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
