package bench

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// benchConfig is the demo's acme brand with a policy that lets every benchmark event
// through: nothing coalesced by accident, no quiet hours, no daily cap in the way.
const benchConfig = `
brands:
  - id: acme
    name: Acme Home
    logo_url: https://cdn.acme.example/logo.png
    colors: {primary: "#0b6e4f", text: "#1f2933", background: "#ffffff"}
    email: {from: orders@acme.example, from_name: Acme Home, reply_to: help@acme.example}
    sms: {sender_name: Acme}
    support: {url: https://acme.example/help, email: help@acme.example, phone: "+14155550199"}
    postal_address: 1 Main Street, Springfield, OR 97477, USA
    default_locale: en-US
    time_zone: America/New_York
policies:
  default: {coalesce_window: 1s, quiet_hours: "", max_updates_per_day: 100000}
`

func loadConfig(tb testing.TB) *config.Config {
	tb.Helper()
	cfg, err := config.Load(func(string) (string, bool) { return "", false },
		config.LoadOptions{Demo: true, File: []byte(benchConfig), FileName: "bench config"})
	if err != nil {
		tb.Fatalf("config: %v", err)
	}
	return cfg
}

// serverConfig is the asynq configuration every phase of a run uses, the bare
// baseline included: cmd/notifyd's concurrency and queues, with the given polling
// intervals (cmd/notifyd's workerConfig uses 100 ms and 1 s).
func serverConfig(cfg *config.Config, check, delayed time.Duration) asynq.Config {
	return asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   jobs.QueueWeights(),
		LogLevel:                 asynq.ErrorLevel,
		ShutdownTimeout:          5 * time.Second,
		TaskCheckInterval:        check,
		DelayedTaskCheckInterval: delayed,
		// As cmd/notifyd: "not now" is no failure. Retries are quick, so one shows up
		// as a slower run and in the failure count rather than as a hang.
		IsFailure: func(err error) bool { _, wait := jobs.Backoff(err); return !wait },
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration {
			return 200 * time.Millisecond
		},
	}
}

// rig is one Redis database (leased for the whole benchmark or test, flushed between
// runs), the clients on it, and the counters the scenarios wait on.
type rig struct {
	tb    testing.TB
	cfg   *config.Config
	redis asynq.RedisClientOpt
	rdb   *redis.Client
	q     *asynq.Client
}

func newRig(tb testing.TB) *rig {
	tb.Helper()
	r := &rig{tb: tb, cfg: loadConfig(tb), redis: testredis.New(tb)}
	r.rdb = redis.NewClient(&redis.Options{Addr: r.redis.Addr, DB: r.redis.DB,
		Username: r.redis.Username, Password: r.redis.Password, PoolSize: 64})
	r.q = asynq.NewClient(r.redis)
	tb.Cleanup(func() { r.q.Close(); r.rdb.Close() })
	return r
}

// flush empties the Redis database between runs.
func (r *rig) flush() {
	r.tb.Helper()
	if err := r.rdb.FlushDB(context.Background()).Err(); err != nil {
		r.tb.Fatalf("flush Redis: %v", err)
	}
}

// worker returns a jobs.Worker wired as cmd/notifyd wires it, but on st, sending to
// sink on both channels, without rate limits, logging JSON at info level into
// io.Discard (the formatting is paid, the writes are not).
func (r *rig) worker(st jobs.Store, sink *capture) *jobs.Worker {
	r.tb.Helper()
	rd, err := templates.New()
	if err != nil {
		r.tb.Fatalf("templates: %v", err)
	}
	signer, err := links.NewSigner([]byte(strings.Repeat("k", 32)), nil)
	if err != nil {
		r.tb.Fatalf("signer: %v", err)
	}
	return &jobs.Worker{
		Store: st, Config: r.cfg, Renderer: rd, Enqueuer: r.q, Links: signer, Redis: r.rdb,
		Senders: map[string]channels.Sender{channels.Email: sink, channels.SMS: sink},
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:     time.Now,
		NewID:   func() string { return uuid.Must(uuid.NewV7()).String() },
	}
}

// start runs an asynq server with handler h until stop is called (or the benchmark
// ends); started is when Start was called.
func (r *rig) start(cfg asynq.Config, h asynq.Handler) (started time.Time, stop func()) {
	r.tb.Helper()
	srv := asynq.NewServer(r.redis, cfg)
	started = time.Now()
	if err := srv.Start(h); err != nil {
		r.tb.Fatalf("start asynq server: %v", err)
	}
	var once sync.Once
	stop = func() { once.Do(srv.Shutdown) }
	r.tb.Cleanup(stop)
	return started, stop
}

// capture is the channels.Sender of both channels: it counts, and hands each
// message with the time it arrived to onSend when set.
type capture struct {
	n      atomic.Int64
	onSend func(m *channels.Message, at time.Time)
}

var _ channels.Sender = (*capture)(nil)

func (c *capture) Send(_ context.Context, m *channels.Message) (channels.Receipt, error) {
	at := time.Now()
	if c.onSend != nil {
		c.onSend(m, at)
	}
	c.n.Add(1)
	return channels.Receipt{ProviderID: "capture-" + m.ID, AcceptedAt: at, Segments: 1}, nil
}

// counted wraps a handler and counts the tasks that succeeded and failed, by type.
type counted struct {
	next asynq.Handler
	mu   sync.Mutex
	ok   map[string]int
	bad  map[string]int
	// firstErr is the first failure, for the report.
	firstErr error
	// last is when the latest task of each type succeeded.
	last map[string]time.Time
}

func count(h asynq.Handler) *counted {
	return &counted{next: h, ok: map[string]int{}, bad: map[string]int{}, last: map[string]time.Time{}}
}

func (c *counted) ProcessTask(ctx context.Context, t *asynq.Task) error {
	err := c.next.ProcessTask(ctx, t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.bad[t.Type()]++
		if c.firstErr == nil {
			c.firstErr = err
		}
		return err
	}
	c.ok[t.Type()]++
	c.last[t.Type()] = time.Now()
	return nil
}

// succeeded returns how many tasks of these types succeeded.
func (c *counted) succeeded(types ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range types {
		n += c.ok[t]
	}
	return n
}

// failures returns how many task runs failed, and the first error.
func (c *counted) failures() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.bad {
		n += v
	}
	return n, c.firstErr
}

// waitUntil polls done every millisecond until it holds, and returns when it first
// did; it fails tb after timeout, saying what it waited for and the progress.
func waitUntil(tb testing.TB, timeout time.Duration, what string, done func() bool, progress func() string) time.Time {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not done after %v (%s)", what, timeout, progress())
		}
		time.Sleep(time.Millisecond)
	}
	return time.Now()
}

// countingStore counts the notifications CommitEvent stored, by kind, so a scenario
// knows when everything is decided without scanning the notification log.
type countingStore struct {
	store.Store
	mu     sync.Mutex
	byKind map[string]int
}

func newCountingStore(s store.Store) *countingStore {
	return &countingStore{Store: s, byKind: map[string]int{}}
}

func (s *countingStore) CommitEvent(ctx context.Context, c *store.EventCommit) ([]*store.Notification, error) {
	ns, err := s.Store.CommitEvent(ctx, c)
	if err == nil {
		s.mu.Lock()
		for _, n := range ns {
			s.byKind[n.Kind]++
		}
		s.mu.Unlock()
	}
	return ns, err
}

func (s *countingStore) decided(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byKind[kind]
}
