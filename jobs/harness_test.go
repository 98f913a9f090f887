package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/outbox"
	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/postgres"
	"github.com/notifyd/notifyd/store/sqlite"
	"github.com/notifyd/notifyd/templates"
)

const testConfig = `
brands:
  - id: acme
    name: Acme Home
    email: {from: orders@acme.example, from_name: Acme Home}
    support: {email: help@acme.example}
    default_locale: en-US
    time_zone: America/New_York
policies:
  default: {coalesce_window: 300ms, quiet_hours: "", max_updates_per_day: 10}
`

// harness is a worker on a fresh Redis database and SQLite store, sending to an outbox.
type harness struct {
	t     *testing.T
	cfg   *config.Config
	st    store.Store
	redis asynq.RedisClientOpt
	q     *asynq.Client
	dir   string
	srv   *asynq.Server
	// logger receives the worker's logs; nil discards them.
	logger *slog.Logger
	// limits, when set before start, rate-limit the channels.
	limits map[string]jobs.Limiter
	// wrap, when set, wraps the outbox sender of both channels.
	wrap func(channels.Sender) channels.Sender
	// enqueuer, when set before start, wraps the worker's asynq client.
	enqueuer func(jobs.Enqueuer) jobs.Enqueuer
	// deliverer, when set before start, posts decisions to the shop.
	deliverer jobs.Deliverer
	rdb       *redis.Client
	worker    *jobs.Worker
	// store, when set before start, wraps the store the worker uses.
	store func(jobs.Store) jobs.Store
	// skew moves the worker's clock (Worker.Now) from the real time, in nanoseconds.
	skew atomic.Int64
}

// newHarness starts from testConfig; policy, when given, replaces its default policy
// line, e.g. `{coalesce_window: 1s, max_updates_per_day: 2}`.
func newHarness(t *testing.T, policy ...string) *harness {
	t.Helper()
	ctx := context.Background()
	yaml := testConfig
	if len(policy) > 0 {
		yaml = strings.Replace(yaml, `{coalesce_window: 300ms, quiet_hours: "", max_updates_per_day: 10}`, policy[0], 1)
	}
	cfg, err := config.Load(func(string) (string, bool) { return "", false }, config.LoadOptions{Demo: true, File: []byte(yaml)})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, cfg: cfg, st: st, redis: testredis.New(t), dir: t.TempDir()}
	h.q = asynq.NewClient(h.redis)
	t.Cleanup(func() { h.q.Close() })
	return h
}

var ids atomic.Int64

// start runs the worker until the test ends.
func (h *harness) start() {
	h.t.Helper()
	if h.logger == nil {
		h.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ob, err := outbox.New(h.dir)
	if err != nil {
		h.t.Fatal(err)
	}
	r, err := templates.New()
	if err != nil {
		h.t.Fatal(err)
	}
	signer, err := links.NewSigner([]byte(strings.Repeat("s", 32)), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	var sender channels.Sender = ob
	if h.wrap != nil {
		sender = h.wrap(ob)
	}
	var enq jobs.Enqueuer = h.q
	if h.enqueuer != nil {
		enq = h.enqueuer(h.q)
	}
	h.rdb = redis.NewClient(&redis.Options{Addr: h.redis.Addr, DB: h.redis.DB, Username: h.redis.Username, Password: h.redis.Password})
	h.t.Cleanup(func() { h.rdb.Close() })
	var ws jobs.Store = h.st
	if h.store != nil {
		ws = h.store(ws)
	}
	w := &jobs.Worker{
		Links: signer, Redis: h.rdb, Limits: h.limits, Deliverer: h.deliverer,
		Tasks: asynq.NewInspector(h.redis),
		Store: ws, Config: h.cfg, Renderer: r, Enqueuer: enq,
		Senders: map[string]channels.Sender{channels.Email: sender, channels.SMS: sender},
		Logger:  h.logger,
		Now:     func() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) },
		NewID:   func() string { return fmt.Sprintf("n%06d", ids.Add(1)) },
	}
	h.worker = w
	mux := asynq.NewServeMux()
	w.Register(mux)
	h.srv = asynq.NewServer(h.redis, asynq.Config{
		Concurrency: 4, Queues: jobs.QueueWeights(), LogLevel: asynq.FatalLevel,
		ErrorHandler:      asynq.ErrorHandlerFunc(w.HandleError),
		TaskCheckInterval: 20 * time.Millisecond, DelayedTaskCheckInterval: 50 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second,
	})
	if err := h.srv.Start(mux); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(h.srv.Shutdown)
}

// ingest records and enqueues raw events as the HTTP API does.
func (h *harness) ingest(raws ...string) *jobs.IngestResult {
	h.t.Helper()
	var evs []*event.Event
	for _, raw := range raws {
		e, ps := event.Parse([]byte(raw), event.Options{Brands: h.cfg.BrandIDs()})
		if len(ps) > 0 {
			h.t.Fatalf("test event invalid: %v", ps)
		}
		evs = append(evs, e)
	}
	res, err := jobs.Ingest(context.Background(), h.st, h.q, evs, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// waitHandled waits until the event is handled and its sends are done.
func (h *harness) waitHandled(source, id string) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	// idle looks at the log and at each queue in turn, so a task can move between
	// them while it looks: only two idle looks in a row count.
	calm := 0
	for time.Now().Before(deadline) {
		rec, err := h.st.GetEvent(context.Background(), source, id)
		if err == nil && rec.Status == store.EventHandled && h.idle() {
			if calm++; calm == 2 {
				return
			}
		} else {
			calm = 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("event %s not handled in time", id)
}

// idle reports whether no notification is still pending and no task is queued,
// running, scheduled (a coalescing flush) or waiting to retry.
func (h *harness) idle() bool {
	ns, err := h.st.ListNotifications(context.Background(), store.NotificationFilter{Status: store.NotificationPending})
	if err != nil || len(ns) > 0 {
		return false
	}
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	for q := range jobs.QueueWeights() {
		info, err := in.GetQueueInfo(q)
		if err != nil {
			continue // never used
		}
		if info.Pending+info.Active+info.Retry > 0 {
			return false
		}
		if info.Scheduled > 0 { // follow-ups days ahead do not count; a flush due soon does
			tasks, err := in.ListScheduledTasks(q, asynq.PageSize(1000))
			if err != nil {
				return false
			}
			for _, t := range tasks {
				if time.Until(t.NextProcessAt) < time.Minute {
					return false
				}
			}
		}
	}
	return true
}

// sent lists "kind/channel" of every message in the outbox, sorted by kind.
func (h *harness) outbox() (emails []string, sms []outbox.SMSRecord) {
	h.t.Helper()
	ids, err := outbox.EmailIDs(h.dir)
	if err != nil {
		h.t.Fatal(err)
	}
	recs, err := outbox.ReadSMS(h.dir)
	if err != nil {
		h.t.Fatal(err)
	}
	return ids, recs
}

// notifications returns "kind channel status [reason]" for every notification of order.
func (h *harness) notifications(orderID string) []string {
	h.t.Helper()
	ns, err := h.st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: orderID})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		s := n.Kind + " " + n.Channel + " " + n.Status
		if n.Reason != "" {
			s += " (" + n.Reason + ")"
		}
		out = append(out, s)
	}
	return out
}

// customer JSON fragments.
const (
	custBoth      = `{"id":"c1","name":"Ada Lovelace","email":"ada@example.com","phone":"+14155550100","locale":"en-US","time_zone":"America/New_York","sms_consent":true}`
	custNoConsent = `{"id":"c2","name":"Bob","email":"bob@example.com","phone":"+14155550101","sms_consent":false}`
	custSMSOnly   = `{"id":"c3","name":"Cy","phone":"+14155550102","sms_consent":true}`
)

// orderJSON returns an order with lines l1 (SKU KET, qty 2) and l2 (SKU MUG, qty 1).
func orderJSON(id, placed, customer string) string {
	return fmt.Sprintf(`{"id":%q,"number":%q,"placed_at":%q,"currency":"USD","customer":%s,
		"lines":[{"id":"l1","sku":"KET","name":"Blue Kettle","quantity":2,"unit_price":"39.00"},
		         {"id":"l2","sku":"MUG","name":"Mug","quantity":1,"unit_price":"9.50"}]}`,
		id, strings.TrimPrefix(id, "ord_"), placed, customer)
}

// relative maps the fixed dates the tests are written with onto dates around today, so
// the orders are placed two days ago and every ETA stays inside the 30-day promise:
// no line is late, and the delay-option flow stays out of tests about other things.
var relative = func() *strings.Replacer {
	now := time.Now().UTC().Truncate(time.Hour)
	placed := now.AddDate(0, 0, -2)
	pairs := []string{
		"2026-11-01T10:00:00Z", placed.Format(time.RFC3339),
		"2026-11-01T12:00:00Z", placed.Add(2 * time.Hour).Format(time.RFC3339),
	}
	for fixed, days := range map[string]int{"2026-12-01": 5, "2026-12-03": 7, "2026-12-05": 9, "2026-12-07": 11,
		"2026-12-08": 12, "2026-12-09": 13, "2026-12-10": 14, "2026-12-20": 24} {
		pairs = append(pairs, fixed, day(days))
	}
	return strings.NewReplacer(pairs...)
}()

// day is the date n days from today in the brand's time zone (America/New_York), as
// a plain YYYY-MM-DD date. A plain date is the end of that day there, so day(n) is
// more than n-1 and at most n days away whatever the time of day. (From today in UTC
// it was up to n days and 5 hours away: between 00:00 and 05:00 UTC a deadline at a
// promise of day(3) came after the test's "4 days later", and the tests that wait for
// it failed.)
func day(n int) string { return time.Now().In(brandZone).AddDate(0, 0, n).Format("2006-01-02") }

var brandZone = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

func ev(id, typ, at, subject, data string) string {
	data = relative.Replace(data)
	subj := ""
	if subject != "" {
		subj = fmt.Sprintf(`"subject":%q,`, subject)
	}
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"test","type":%q,"time":%q,%s"data":%s}`, id, typ, at, subj, data)
}

func orderEvent(id, typ, at, orderID, customer, extra string) string {
	data := fmt.Sprintf(`{"brand":"acme","order":%s%s}`, orderJSON(orderID, "2026-11-01T10:00:00Z", customer), extra)
	return ev(id, typ, at, orderID, data)
}

func eventID(t *testing.T, raw string) string {
	t.Helper()
	var e struct{ ID string }
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

// forEachDB runs f against SQLite and, when NOTIFYD_TEST_DATABASE_URL is set (CI),
// against Postgres too.
func forEachDB(t *testing.T, f func(t *testing.T)) {
	t.Run("sqlite", f)
	if os.Getenv("NOTIFYD_TEST_DATABASE_URL") != "" {
		t.Run("postgres", f)
	}
}

// openStore opens the store the (sub)test runs on: Postgres in a schema of its own
// for a ".../postgres" subtest, else a SQLite file.
func openStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	if !strings.HasSuffix(t.Name(), "/postgres") {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "notifyd.db"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	dsn := os.Getenv("NOTIFYD_TEST_DATABASE_URL")
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("NOTIFYD_TEST_DATABASE_URL: %v", err)
	}
	schema := fmt.Sprintf("notifyd_jobs_%d_%d", time.Now().UnixNano(), ids.Add(1))
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(context.Background())
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	st, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	return st
}
