package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/notifyd/notifyd/channels/outbox"
	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/postgres"
	"github.com/notifyd/notifyd/store/sqlite"
)

// pgEnvVar names the Postgres server the Postgres run creates its schema in.
const pgEnvVar = "NOTIFYD_TEST_DATABASE_URL"

// configYAML is the demo's brands with short, time-of-day independent policies: a
// 200 ms coalescing window, no quiet hours and a daily cap no test reaches.
const configYAML = `
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
  - id: lumen
    name: Lumen Living
    logo_url: https://cdn.lumen.example/logo.png
    colors: {primary: "#5b3cc4", text: "#1b1b1f", background: "#ffffff"}
    email: {from: bestellungen@lumen.example, from_name: Lumen Living, reply_to: hilfe@lumen.example}
    sms: {sender_name: Lumen}
    support: {url: https://lumen.example/hilfe, email: hilfe@lumen.example, phone: "+493012345678"}
    postal_address: Lichtstraße 5, 10115 Berlin, Deutschland
    default_locale: de-DE
    time_zone: Europe/Berlin
policies:
  default:
    window: 30d
    silent_consent_max_delay: 30d
    min_response_time: 40s
    reminder_before: 20s
    coalesce_window: 200ms
    quiet_hours: ""
    max_updates_per_day: 1000
`

// env is one deployment under test: a Redis database, a database, a configuration
// and an outbox shared by the worker processes the test starts.
type env struct {
	t        *testing.T
	dir      string
	redis    asynq.RedisClientOpt
	redisURL string
	dbURL    string // NOTIFYD_DATABASE_URL
	st       store.Store
	q        *asynq.Client
	client   *client.Client
	insp     *asynq.Inspector
	outbox   string
	config   string
	// concurrency is each worker's NOTIFYD_CONCURRENCY.
	concurrency int
	workers     []*workerProc

	mu       sync.Mutex
	accepted map[string]int // event key → deliveries jobs.Ingest reported accepted
}

// newEnv prepares a deployment on a fresh Redis database and a fresh SQLite file
// ("sqlite") or Postgres schema ("postgres"), migrated with `notifyd migrate`.
func newEnv(t *testing.T, db string) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, dir: t.TempDir(), concurrency: 10, accepted: map[string]int{}}
	e.redis = testredis.New(t)
	u := url.URL{Scheme: "redis", Host: e.redis.Addr, Path: fmt.Sprintf("/%d", e.redis.DB)}
	if e.redis.Password != "" {
		u.User = url.UserPassword(e.redis.Username, e.redis.Password)
	}
	e.redisURL = u.String()
	e.outbox = filepath.Join(e.dir, "outbox")
	e.config = filepath.Join(e.dir, "notifyd.yaml")
	if err := os.WriteFile(e.config, []byte(configYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	switch db {
	case "sqlite":
		e.dbURL = "sqlite:" + filepath.Join(e.dir, "notifyd.db")
	case "postgres":
		e.dbURL = pgSchema(t)
	default:
		t.Fatalf("unknown database %q", db)
	}
	if out, err := e.command("migrate").CombinedOutput(); err != nil {
		t.Fatalf("notifyd migrate: %v\n%s", err, out)
	}
	var err error
	if db == "sqlite" {
		e.st, err = sqlite.Open(ctx, strings.TrimPrefix(e.dbURL, "sqlite:"))
	} else {
		e.st, err = postgres.Open(ctx, e.dbURL)
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { e.st.Close() })
	if err := e.st.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
	e.q = asynq.NewClient(e.redis)
	e.client = client.NewFromAsynq(e.q, []string{"acme", "lumen"})
	e.insp = asynq.NewInspector(e.redis)
	t.Cleanup(func() { e.q.Close(); e.insp.Close() })
	return e
}

// pgSchema creates a schema of its own for t on the Postgres of NOTIFYD_TEST_DATABASE_URL,
// dropped when t ends, and returns the URL that selects it.
func pgSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv(pgEnvVar)
	if base == "" {
		t.Fatalf("%s not set", pgEnvVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgxpool.New(ctx, base)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		t.Fatalf("%s: %v", pgEnvVar, err)
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "notifyd_e2e_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { // after the workers and the store are closed (cleanups run last first)
		defer admin.Close()
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s: want a postgres:// URL, got %q", pgEnvVar, base)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "8")
	u.RawQuery = q.Encode()
	return u.String()
}

// environ is the environment of every notifyd process: nothing inherited from the
// developer's NOTIFYD_* variables.
func (e *env) environ() []string {
	vars := []string{
		"NOTIFYD_REDIS_URL=" + e.redisURL,
		"NOTIFYD_DATABASE_URL=" + e.dbURL,
		"NOTIFYD_CONFIG=" + e.config,
		"NOTIFYD_OUTBOX_DIR=" + e.outbox,
		"NOTIFYD_SIGNING_KEY=e2e-signing-key-0123456789abcdef0123456789",
		fmt.Sprintf("NOTIFYD_CONCURRENCY=%d", e.concurrency),
		"NOTIFYD_EMAIL_RATE=100000",
		"NOTIFYD_SMS_RATE=100000",
		"NOTIFYD_LOG_LEVEL=info",
		"NOTIFYD_LOG_FORMAT=json",
	}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			vars = append(vars, k+"="+v)
		}
	}
	return vars
}

func (e *env) command(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = e.environ()
	return cmd
}

// workerProc is one `notifyd worker` process; its stdout and stderr go to log.
type workerProc struct {
	name    string
	cmd     *exec.Cmd
	log     string
	done    chan struct{}
	err     error     // Wait's result, once done is closed
	exitAt  time.Time // once done is closed
	started time.Time
}

// startWorker starts a worker process and waits until it says it has started. The
// test's cleanup stops it (SIGTERM, then SIGKILL after 30 s) if it still runs.
func (e *env) startWorker(name string) *workerProc {
	e.t.Helper()
	w := &workerProc{name: name, cmd: e.command("worker"), log: filepath.Join(e.dir, name+".log"), done: make(chan struct{})}
	f, err := os.Create(w.log)
	if err != nil {
		e.t.Fatal(err)
	}
	w.cmd.Stdout, w.cmd.Stderr = f, f
	if err := w.cmd.Start(); err != nil {
		f.Close()
		e.t.Fatalf("start %s: %v", name, err)
	}
	w.started = time.Now()
	go func() {
		w.err = w.cmd.Wait()
		w.exitAt = time.Now()
		f.Close()
		close(w.done)
	}()
	e.workers = append(e.workers, w)
	e.t.Cleanup(func() { w.stop(e.t) })
	deadline := time.Now().Add(30 * time.Second)
	for !w.logContains("worker started") {
		select {
		case <-w.done:
			e.t.Fatalf("%s exited before starting (%v):\n%s", name, w.err, w.tail(20))
		default:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s did not start within 30 s:\n%s", name, w.tail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return w
}

func (w *workerProc) running() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// stop ends the process if it is still running: SIGTERM, then SIGKILL after 30 s.
func (w *workerProc) stop(t *testing.T) {
	if !w.running() {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop within 30 s of SIGTERM; killing it", w.name)
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (w *workerProc) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %s: %v", w.name, err)
	}
	<-w.done
}

func (w *workerProc) logContains(s string) bool {
	b, _ := os.ReadFile(w.log)
	return strings.Contains(string(b), s)
}

func (w *workerProc) tail(n int) string {
	b, _ := os.ReadFile(w.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logStats summarises a worker's JSON log.
type logStats struct {
	uncommitted int            // "send after uncommitted claim" warnings
	byChannel   map[string]int // the same, by channel
	errors      []string       // ERROR lines
	warnings    map[string]int // WARN lines by message
}

const uncommittedMsg = "send after uncommitted claim"

func (w *workerProc) stats(t *testing.T) logStats {
	t.Helper()
	s := logStats{warnings: map[string]int{}, byChannel: map[string]int{}}
	f, err := os.Open(w.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		var l struct {
			Level   string `json:"level"`
			Msg     string `json:"msg"`
			Channel string `json:"channel"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue // a panic trace or the like would show in ERROR lines' absence; keep going
		}
		switch l.Level {
		case "ERROR":
			s.errors = append(s.errors, sc.Text())
		case "WARN":
			if strings.HasPrefix(l.Msg, uncommittedMsg) {
				s.uncommitted++
				s.byChannel[l.Channel]++
			}
			s.warnings[l.Msg]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", w.log, err)
	}
	return s
}

// workerStats sums the logs of every worker started so far.
func (e *env) workerStats() logStats {
	e.t.Helper()
	sum := logStats{warnings: map[string]int{}, byChannel: map[string]int{}}
	for _, w := range e.workers {
		s := w.stats(e.t)
		sum.uncommitted += s.uncommitted
		sum.errors = append(sum.errors, s.errors...)
		for k, v := range s.warnings {
			sum.warnings[k] += v
		}
		for k, v := range s.byChannel {
			sum.byChannel[k] += v
		}
	}
	return sum
}

// deliver delivers ds from four concurrent producers, as a shop's several frontends
// would.
func (e *env) deliver(ds []delivery) {
	e.t.Helper()
	if err := e.deliverAll(ds); err != nil {
		e.t.Fatal(err)
	}
}

// deliverAsync delivers ds in the background; the channel yields the outcome.
func (e *env) deliverAsync(ds []delivery) <-chan error {
	done := make(chan error, 1)
	go func() { done <- e.deliverAll(ds) }()
	return done
}

func (e *env) deliverAll(ds []delivery) error {
	ctx := context.Background()
	ch := make(chan delivery)
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range ch {
				if err := e.deliverOne(ctx, d); err != nil {
					errc <- err
					for range ch { // drain
					}
					return
				}
			}
		}()
	}
	for _, d := range ds {
		ch <- d
	}
	close(ch)
	wg.Wait()
	close(errc)
	return <-errc // nil when no producer failed
}

func (e *env) deliverOne(ctx context.Context, d delivery) error {
	if !d.viaAPI {
		if _, err := e.client.Enqueue(ctx, d.ev.Raw); err != nil {
			return fmt.Errorf("client.Enqueue %s: %w", d.ev.Key(), err)
		}
		return nil
	}
	res, err := jobs.Ingest(ctx, e.st, e.q, []*event.Event{d.ev}, time.Now())
	if err != nil {
		return fmt.Errorf("jobs.Ingest %s: %w", d.ev.Key(), err)
	}
	if len(res.Accepted)+len(res.Duplicates) != 1 {
		return fmt.Errorf("jobs.Ingest %s: want the event either accepted or a duplicate, got %+v", d.ev.Key(), res)
	}
	if len(res.Changed) > 0 {
		return fmt.Errorf("jobs.Ingest %s: identical redelivery reported as changed", d.ev.Key())
	}
	e.mu.Lock()
	e.accepted[d.ev.Key()] += len(res.Accepted)
	e.mu.Unlock()
	return nil
}

// checkAccepted: no event is reported accepted twice by ingestion.
func (e *env) checkAccepted() {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, n := range e.accepted {
		if n > 1 {
			e.t.Errorf("event %s reported accepted %d times by jobs.Ingest; want once, the rest as duplicates", k, n)
		}
	}
}

// progress is what the deployment has done so far.
type progress struct {
	unhandled  int // events not yet handled
	busy       int // tasks pending, active, retrying or scheduled within a minute, over all queues
	archived   int
	pendingNtf int // notifications decided but not yet sent (or suppressed)
	outbox     int // messages in the outbox (email files + SMS lines)
}

func (p progress) idle() bool { return p.unhandled == 0 && p.busy == 0 && p.pendingNtf == 0 }

func (p progress) String() string {
	return fmt.Sprintf("%d events unhandled, %d tasks queued/active, %d archived, %d notifications pending, %d messages in the outbox",
		p.unhandled, p.busy, p.archived, p.pendingNtf, p.outbox)
}

// unhandled returns the events of keys not yet handled.
func (e *env) unhandled(keys []string) []string {
	e.t.Helper()
	var left []string
	for _, k := range keys {
		source, id, _ := strings.Cut(k, " ")
		rec, err := e.st.GetEvent(context.Background(), source, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			left = append(left, k)
		case err != nil:
			e.t.Fatalf("GetEvent %s: %v", k, err)
		case rec.Status != store.EventHandled:
			left = append(left, k)
		}
	}
	return left
}

func (e *env) progress(keys []string) progress {
	e.t.Helper()
	var p progress
	var ns []store.Notification
	p.unhandled = len(e.unhandled(keys))
	queues, err := e.insp.Queues() // those that exist yet
	if err != nil {
		e.t.Fatalf("asynq queues: %v", err)
	}
	for _, q := range queues {
		info, err := e.insp.GetQueueInfo(q)
		if err != nil {
			e.t.Fatalf("queue %s: %v", q, err)
		}
		p.busy += info.Pending + info.Active + info.Retry + info.Aggregating
		p.archived += info.Archived
		if info.Scheduled > 0 {
			p.busy += e.scheduledSoon(q)
		}
	}
	ns, err = e.st.ListNotifications(context.Background(), store.NotificationFilter{Status: store.NotificationPending})
	if err != nil {
		e.t.Fatal(err)
	}
	p.pendingNtf = len(ns)
	p.outbox = e.outboxCount()
	return p
}

// scheduledSoon counts the tasks of queue scheduled within the next minute: the
// coalescing flushes and held sends the test waits for, not the policy's follow-ups
// due weeks from now (CONTRACT.md §1, demo --once, counts the same way).
func (e *env) scheduledSoon(queue string) int {
	e.t.Helper()
	soon := time.Now().Add(time.Minute)
	n := 0
	for page := 1; ; page++ {
		tasks, err := e.insp.ListScheduledTasks(queue, asynq.PageSize(500), asynq.Page(page))
		if err != nil {
			e.t.Fatalf("scheduled tasks of %s: %v", queue, err)
		}
		for _, ti := range tasks {
			if ti.NextProcessAt.Before(soon) {
				n++
			}
		}
		if len(tasks) < 500 {
			return n
		}
	}
}

// waitIdle waits until every event of keys is handled, no task is pending, active,
// waiting for a retry or scheduled within the next minute, and no notification is
// still pending — twice in
// a row, 200 ms apart.
func (e *env) waitIdle(keys []string, timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	left := append([]string(nil), keys...)
	calm := 0
	for {
		left = e.unhandled(left)
		p := e.progress(left)
		if p.idle() {
			calm++
			if calm == 2 {
				return
			}
		} else {
			calm = 0
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("not done after %s: %s", timeout, p)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// outboxCount counts the emails and SMS lines in the outbox so far.
func (e *env) outboxCount() int {
	ms, _ := filepath.Glob(filepath.Join(e.outbox, "email", "*.eml"))
	n := len(ms)
	if b, err := os.ReadFile(filepath.Join(e.outbox, "sms.jsonl")); err == nil {
		n += strings.Count(string(b), "\n")
	}
	return n
}

// sentMessage is one message found in the outbox.
type sentMessage struct {
	key            msgKey
	id, recipient  string
	notificationID string
}

// readOutbox returns every email and every SMS line in the outbox.
func (e *env) readOutbox() (emails, sms []sentMessage) {
	e.t.Helper()
	files, err := filepath.Glob(filepath.Join(e.outbox, "email", "*.eml"))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			e.t.Fatal(err)
		}
		m, err := mail.ReadMessage(f)
		if err != nil {
			f.Close()
			e.t.Fatalf("%s: %v", path, err)
		}
		f.Close()
		to, err := mail.ParseAddress(m.Header.Get("To"))
		if err != nil {
			e.t.Fatalf("%s: To: %v", path, err)
		}
		id := strings.TrimSuffix(filepath.Base(path), ".eml")
		emails = append(emails, sentMessage{
			key:       msgKey{m.Header.Get("X-Notifyd-Order-Id"), m.Header.Get("X-Notifyd-Kind"), "email"},
			id:        id,
			recipient: to.Address, notificationID: m.Header.Get("X-Notifyd-Notification-Id"),
		})
	}
	recs, err := outbox.ReadSMS(e.outbox)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range recs {
		sms = append(sms, sentMessage{key: msgKey{r.OrderID, r.Kind, "sms"}, id: r.ID, recipient: r.To, notificationID: r.ID})
	}
	return emails, sms
}

// outcome is what verify found.
type outcome struct {
	messages   int // distinct messages in the outbox
	duplicates int // repeated sends of one notification (SMS lines; an email file is overwritten)
}

// verify checks the outbox and the notification log against the scenario, message by
// message: each expected message exactly once (up to allowDup repeated sends of the
// same notification, the duplicate window), nothing else; every notification sent or
// suppressed for lack of SMS consent, as expected.
func (e *env) verify(sc *scenario, allowDup int) outcome {
	e.t.Helper()
	t := e.t
	emails, sms := e.readOutbox()
	var out outcome
	found := map[msgKey]map[string]int{} // key → notification id → sends
	recipient := map[msgKey]string{}
	for _, m := range append(emails, sms...) {
		if m.key.Channel == "email" && m.notificationID != m.id {
			t.Errorf("email %s.eml carries X-Notifyd-Notification-Id %q", m.id, m.notificationID)
		}
		if found[m.key] == nil {
			found[m.key] = map[string]int{}
		}
		found[m.key][m.id]++
		recipient[m.key] = m.recipient
	}
	var problems []string
	for k, to := range sc.expect {
		ids := found[k]
		switch {
		case len(ids) == 0:
			problems = append(problems, fmt.Sprintf("missing: %s to %s", k, to))
		case len(ids) > 1:
			problems = append(problems, fmt.Sprintf("decided and sent %d times (notifications %v): %s", len(ids), keys(ids), k))
		case recipient[k] != to:
			problems = append(problems, fmt.Sprintf("%s went to %s, want %s", k, recipient[k], to))
		}
		for id, n := range ids {
			if n > 1 {
				out.duplicates += n - 1
				t.Logf("duplicate send: notification %s (%s) is in the outbox %d times", id, k, n)
			}
		}
		out.messages += len(ids)
	}
	for k, ids := range found {
		if _, ok := sc.expect[k]; !ok {
			problems = append(problems, fmt.Sprintf("unexpected: %s to %s (notifications %v)", k, recipient[k], keys(ids)))
		}
	}
	report(t, "outbox", problems)
	if out.duplicates > allowDup {
		t.Errorf("%d duplicate sends in the outbox, but only %d sends after an uncommitted claim were logged", out.duplicates, allowDup)
	}

	// The notification log says the same: sent exactly the outbox's notifications,
	// suppressed exactly the SMS without consent, nothing pending or failed.
	ns, err := e.st.ListNotifications(context.Background(), store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	inOutbox := map[string]msgKey{}
	for k, ids := range found {
		for id := range ids {
			inOutbox[id] = k
		}
	}
	problems = nil
	suppressed := map[msgKey]int{}
	for _, n := range ns {
		k := msgKey{n.OrderID, n.Kind, n.Channel}
		switch n.Status {
		case store.NotificationSent:
			if got, ok := inOutbox[n.ID]; !ok || got != k {
				problems = append(problems, fmt.Sprintf("notification %s (%s) is sent but not in the outbox", n.ID, k))
			}
			delete(inOutbox, n.ID)
		case store.NotificationSuppressed:
			suppressed[k]++
			if _, ok := sc.noConsent[k]; !ok || n.Reason != "no SMS consent" {
				problems = append(problems, fmt.Sprintf("notification %s (%s) suppressed: %s", n.ID, k, n.Reason))
			}
		default:
			problems = append(problems, fmt.Sprintf("notification %s (%s) is %s %s", n.ID, k, n.Status, n.Error))
		}
	}
	for id, k := range inOutbox {
		problems = append(problems, fmt.Sprintf("notification %s (%s) is in the outbox but not recorded as sent", id, k))
	}
	for k := range sc.noConsent {
		if suppressed[k] != 1 {
			problems = append(problems, fmt.Sprintf("want %s recorded once as suppressed (no SMS consent), found %d", k, suppressed[k]))
		}
	}
	report(t, "notification log", problems)
	return out
}

// report fails t with up to 20 of the problems, sorted.
func report(t *testing.T, what string, problems []string) {
	t.Helper()
	if len(problems) == 0 {
		return
	}
	sort.Strings(problems)
	shown := problems
	if len(shown) > 20 {
		shown = shown[:20]
	}
	t.Errorf("%s: %d problems:\n  %s", what, len(problems), strings.Join(shown, "\n  "))
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkLogs fails on any ERROR a worker logged, and reports the warnings.
func (e *env) checkLogs(s logStats) {
	e.t.Helper()
	for msg, n := range s.warnings {
		e.t.Logf("workers warned %d× %q", n, msg)
	}
	if len(s.errors) > 0 {
		shown := s.errors
		if len(shown) > 10 {
			shown = shown[:10]
		}
		e.t.Errorf("workers logged %d errors:\n  %s", len(s.errors), strings.Join(shown, "\n  "))
	}
}
