package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/httpapi"
	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/sqlite"
)

// env is a complete environment for one test: its own Redis database, SQLite file,
// outbox and HTTP port, with the demo's brands.
func testEnv(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "notifyd.yaml")
	if err := os.WriteFile(cfg, demoConfig, 0o644); err != nil {
		t.Fatal(err)
	}
	r := testredis.New(t)
	return map[string]string{
		"NOTIFYD_CONFIG":       cfg,
		"NOTIFYD_REDIS_URL":    fmt.Sprintf("redis://%s/%d", r.Addr, r.DB),
		"NOTIFYD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "notifyd.db"),
		"NOTIFYD_OUTBOX_DIR":   filepath.Join(dir, "outbox"),
		"NOTIFYD_HTTP_ADDR":    freeAddr(t),
		"NOTIFYD_SIGNING_KEY":  strings.Repeat("k", 32),
		"NOTIFYD_LOG_LEVEL":    "warn",
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func migrated(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	if _, stderr, code := runCmd(t, env, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	return env
}

const brokenEvents = `{"specversion":"1.0","id":"ok1","source":"s","type":"order.canceled","time":"2026-11-20T10:00:00Z","subject":"o1","data":{"brand":"acme","order":{"id":"o1","number":"1","placed_at":"2026-11-20T09:00:00Z","currency":"USD","customer":{"id":"c","name":"N","email":"n@example.com"},"lines":[{"id":"l1","sku":"S","name":"Item","quantity":1,"unit_price":"1.00"}]}}}
{"specversion":"1.0","id":"bad1","source":"s","type":"order.backordered","time":"2026-11-20T10:00:00Z","subject":"o2","data":{"brand":"nope","order":{"id":"o2","number":"2","placed_at":"2026-11-20T09:00:00Z","currency":"USD","customer":{"id":"c","name":"N","email":"n@example.com","phone":"555-1234"},"lines":[{"id":"l1","sku":"S","name":"Item","quantity":0,"unit_price":"1.00"}]},"backordered_lines":[{"line_id":"l9","quantity":1,"eta":null}]}}
`

// TestEnqueueBrokenFile: exit 2, every problem with line number, id and path, and
// nothing enqueued — not even the valid first event.
func TestEnqueueBrokenFile(t *testing.T) {
	env := migrated(t, testEnv(t))
	file := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(file, []byte(brokenEvents), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCmd(t, env, "", "enqueue", file)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{
		file + `:2: id=bad1: data.brand: `,
		file + `:2: id=bad1: data.order.customer.phone: `,
		file + `:2: id=bad1: data.order.lines[0].quantity: must be ≥ 1`,
		file + `:2: id=bad1: data.backordered_lines[0].line_id: `,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, ":1: ") {
		t.Errorf("the valid first event was reported:\n%s", stderr)
	}
	if n := pendingTasks(t, env); n != 0 {
		t.Errorf("%d tasks enqueued from an invalid file", n)
	}

	// With --partial the valid event goes in and the exit code is still 2.
	_, stderr, code = runCmd(t, env, "", "enqueue", "--partial", file)
	if code != 2 || pendingTasks(t, env) != 1 {
		t.Errorf("--partial: exit %d, %d tasks; want 2 and 1\n%s", code, pendingTasks(t, env), stderr)
	}
}

func pendingTasks(t *testing.T, env map[string]string) int {
	t.Helper()
	opt, err := asynq.ParseRedisURI(env["NOTIFYD_REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	in := asynq.NewInspector(opt)
	defer in.Close()
	info, err := in.GetQueueInfo("default")
	if err != nil {
		return 0 // the queue does not exist: nothing was ever enqueued
	}
	return info.Pending
}

// TestConfigCheckReportsEveryProblem: both bad keys are named, exit 1.
func TestConfigCheckReportsEveryProblem(t *testing.T) {
	env := testEnv(t)
	env["NOTIFYD_SMTP_POOL"] = "0"
	env["NOTIFYD_REDIS_URL"] = "notaurl"
	_, stderr, code := runCmd(t, env, "", "config", "check")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{"NOTIFYD_SMTP_POOL", `"0"`, "NOTIFYD_REDIS_URL", "notaurl"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestConfigCheckRedactsSecrets prints the effective configuration without secrets.
func TestConfigCheckRedactsSecrets(t *testing.T) {
	env := testEnv(t)
	env["NOTIFYD_SIGNING_KEY"] = "supersecret-signing-key-0123456789abcdef"
	env["NOTIFYD_DATABASE_URL"] = "postgres://notifyd:pgpassw0rd@db.example:5432/notifyd"
	stdout, stderr, code := runCmd(t, env, "", "config", "check")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, secret := range []string{"supersecret", "pgpassw0rd"} {
		if strings.Contains(stdout, secret) {
			t.Errorf("config check printed a secret %q:\n%s", secret, stdout)
		}
	}
	if !strings.Contains(stdout, "db.example:5432") || !strings.Contains(stdout, "acme") {
		t.Errorf("effective configuration incomplete:\n%s", stdout)
	}
}

// TestRefusesUnmigratedSchema: run/worker/serve/enqueue/tokens refuse to start.
func TestRefusesUnmigratedSchema(t *testing.T) {
	env := testEnv(t)
	for _, args := range [][]string{{"worker"}, {"serve"}, {"run"}, {"tokens", "list"}} {
		_, stderr, code := runCmd(t, env, "", args...)
		if code != 1 || !strings.Contains(stderr, "notifyd migrate") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and a hint to run notifyd migrate", args, code, stderr)
		}
	}
}

// TestTokens creates, lists and revokes a token; the secret is shown once, stored hashed.
func TestTokens(t *testing.T) {
	env := migrated(t, testEnv(t))
	if _, stderr, code := runCmd(t, env, "", "tokens", "create", "--role", "boss", "--name", ""); code != 2 ||
		!strings.Contains(stderr, "--role") || !strings.Contains(stderr, "--name") {
		t.Errorf("bad role and name: exit %d, %s", code, stderr)
	}
	stdout, stderr, code := runCmd(t, env, "", "tokens", "create", "--role", "ingest", "--name", "shop")
	if code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	secret := lastLine(stdout)
	id := strings.Fields(stdout)[1]
	if !strings.HasPrefix(secret, "ntd_") {
		t.Fatalf("no secret in %q", stdout)
	}
	list, _, _ := runCmd(t, env, "", "tokens", "list")
	if !strings.Contains(list, id) || strings.Contains(list, secret) {
		t.Errorf("list must show the id and never the secret:\n%s", list)
	}
	st := openTestStore(t, env)
	tok, err := st.TokenByHash(context.Background(), hashToken(secret))
	if err != nil || tok.ID != id || tok.Role != "ingest" {
		t.Fatalf("stored token: %+v %v", tok, err)
	}
	if _, stderr, code := runCmd(t, env, "", "tokens", "revoke", id); code != 0 {
		t.Fatalf("revoke: %s", stderr)
	}
	if _, stderr, code := runCmd(t, env, "", "tokens", "revoke", "tok_nope"); code != 1 || !strings.Contains(stderr, "tok_nope") {
		t.Errorf("revoke unknown: %d %s", code, stderr)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func openTestStore(t *testing.T, env map[string]string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), strings.TrimPrefix(env["NOTIFYD_DATABASE_URL"], "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSameEventThreeWaysHandledOnce sends one event over HTTP, with `notifyd enqueue`
// and through the Go client — the last after asynq has forgotten the task — to a
// running `notifyd run`: one set of messages goes out.
func TestSameEventThreeWaysHandledOnce(t *testing.T) {
	env := migrated(t, testEnv(t))
	stdout, _, _ := runCmd(t, env, "", "tokens", "create", "--role", "ingest", "--name", "t")
	token := lastLine(stdout)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		var out, errb strings.Builder
		err := run(ctx, []string{"run"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil, &out, &errb)
		done <- exitCode(err, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("notifyd run exited %d", code)
		}
	})
	base := "http://" + env["NOTIFYD_HTTP_ADDR"]
	waitReady(t, base)

	raw := firstDemoEvent(t)
	post := func() map[string][]string {
		req := eventRequest(base, token, raw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string][]string
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST /v1/events: %d %v", resp.StatusCode, body)
		}
		return body
	}
	if b := post(); !slices.Equal(b["accepted"], []string{"evt_acme_0001"}) {
		t.Fatalf("first POST: %v", b)
	}
	st := openTestStore(t, env)
	waitEventHandled(t, st, "evt_acme_0001")
	if b := post(); !slices.Equal(b["duplicates"], []string{"evt_acme_0001"}) {
		t.Fatalf("second POST: %v", b)
	}
	if stdout, stderr, code := runCmd(t, env, raw, "enqueue", "-"); code != 0 || !strings.Contains(stdout, "1 duplicate") {
		t.Fatalf("enqueue: %d %s %s", code, stdout, stderr)
	}
	opt, _ := asynq.ParseRedisURI(env["NOTIFYD_REDIS_URL"])
	// The event is handled once its commit is in; its task finishes after its sends.
	waitDefaultDrained(t, opt)
	c := client.New(opt, []string{"acme", "lumen"})
	defer c.Close()
	res, err := c.Enqueue(context.Background(), []byte(raw))
	if err != nil || res.Duplicate {
		t.Fatalf("client enqueue: %+v %v (asynq must have forgotten the handled task)", res, err)
	}
	waitDefaultDrained(t, opt)
	got := outboxMessages(t, env["NOTIFYD_OUTBOX_DIR"])
	if want := []string{"ord_1001 backorder_notice email", "ord_1001 backorder_notice sms"}; !slices.Equal(got, want) {
		t.Errorf("outbox %q, want %q", got, want)
	}
}

// demoLines are the built-in sample events as the demo replays them today.
func demoLines(t *testing.T) []string {
	t.Helper()
	raw, err := shiftDates(demoEvents, daysSinceEpoch(time.Now().UTC()))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(raw)), "\n")
}

func firstDemoEvent(t *testing.T) string {
	t.Helper()
	return demoLines(t)[0]
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("notifyd run never became ready")
}

func waitEventHandled(t *testing.T, st store.Store, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if rec, err := st.GetEvent(context.Background(), "https://shop.example/acme", id); err == nil && rec.Status == store.EventHandled {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("event %s not handled", id)
}

func waitDefaultDrained(t *testing.T, opt asynq.RedisConnOpt) {
	t.Helper()
	in := asynq.NewInspector(opt)
	defer in.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		info, err := in.GetQueueInfo("default")
		if err == nil && info.Pending+info.Active+info.Retry == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("default queue not drained")
}

func hashToken(s string) string { return httpapi.HashToken(s) }

func eventRequest(base, token, raw string) *http.Request {
	req, _ := http.NewRequest("POST", base+"/v1/events", strings.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/cloudevents+json")
	return req
}

func postEvent(t *testing.T, base, token, raw string) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(eventRequest(base, token, raw))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatal(err)
	}
}

// TestConfigCheckRejectsBadChannels: a malformed SMTP URL and Twilio SID are named.
func TestConfigCheckRejectsBadChannels(t *testing.T) {
	env := testEnv(t)
	env["NOTIFYD_SMTP_URL"] = "smtp//mail.example:25"
	env["NOTIFYD_TWILIO_ACCOUNT_SID"] = "AC123"
	env["NOTIFYD_TWILIO_AUTH_TOKEN"] = "token"
	env["NOTIFYD_TWILIO_FROM"] = "+15005550006"
	_, stderr, code := runCmd(t, env, "", "config", "check")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{"NOTIFYD_SMTP_URL", "smtp//mail.example:25", "NOTIFYD_TWILIO_ACCOUNT_SID", "AC123"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
