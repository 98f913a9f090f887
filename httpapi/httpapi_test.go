package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/httpapi"
	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/sqlite"
)

type fixture struct {
	api    *httpapi.Server
	srv    *httptest.Server
	st     store.Store
	redis  asynq.RedisClientOpt
	tokens map[string]string // role → secret
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, redis: testredis.New(t), tokens: map[string]string{}}
	q := asynq.NewClient(f.redis)
	t.Cleanup(func() { q.Close() })
	for _, role := range append(slices.Clone(store.Roles), "revoked") {
		secret, hash, err := httpapi.NewTokenSecret()
		if err != nil {
			t.Fatal(err)
		}
		r := role
		if role == "revoked" {
			r = store.RoleIngest
		}
		tok := &store.Token{ID: "tok_" + role, Name: role, Role: r, Hash: hash, CreatedAt: time.Now()}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if role == "revoked" {
			st.RevokeToken(ctx, tok.ID, time.Now())
		}
		f.tokens[role] = secret
	}
	api := &httpapi.Server{
		Store: st, Queue: q, Brands: func() map[string]bool { return map[string]bool{"acme": true} },
		Ready:  func(context.Context) error { return nil },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, MaxBody: 64 << 10,
	}
	f.api = api
	f.srv = httptest.NewServer(api.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) post(t *testing.T, token, ctype, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

const valid = `{"specversion":"1.0","id":"e1","source":"s","type":"order.canceled","time":"2026-11-20T10:00:00Z","subject":"o1","data":{"brand":"acme","order":{"id":"o1","number":"1","placed_at":"2026-11-20T09:00:00Z","currency":"USD","customer":{"id":"c","name":"N","email":"n@example.com"},"lines":[{"id":"l1","sku":"S","name":"Item","quantity":1,"unit_price":"1.00"}]}}}`

const broken = `{"specversion":"1.0","id":"bad1","source":"s","type":"order.backordered","time":"2026-11-20T10:00:00Z","subject":"o2","data":{"brand":"nope","order":{"id":"o2","number":"2","placed_at":"2026-11-20T09:00:00Z","currency":"USD","customer":{"id":"c","name":"N","email":"n@example.com"},"lines":[{"id":"l1","sku":"S","name":"Item","quantity":0,"unit_price":"1.00"}]},"backordered_lines":[{"line_id":"l9","quantity":1,"eta":null}]}}`

const ce, batch = "application/cloudevents+json", "application/cloudevents-batch+json"

func TestAuth(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"unknown token", "ntd_nope", http.StatusUnauthorized},
		{"revoked token", f.tokens["revoked"], http.StatusUnauthorized},
		{"marketing token", f.tokens[store.RoleMarketing], http.StatusForbidden},
		{"support token", f.tokens[store.RoleSupport], http.StatusForbidden},
		{"ingest token", f.tokens[store.RoleIngest], http.StatusAccepted},
		{"admin token", f.tokens[store.RoleAdmin], http.StatusAccepted},
	}
	for _, c := range cases {
		status, hdr, body := f.post(t, c.token, ce, valid)
		if status != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, status, c.status, body)
		}
		if status >= 400 && hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: content type %q", c.name, hdr.Get("Content-Type"))
		}
	}
}

// TestInvalidBatchRejectedWhole: every problem listed with index, id and path, and
// nothing enqueued — not even the valid first event.
func TestInvalidBatchRejectedWhole(t *testing.T) {
	f := newFixture(t)
	status, _, body := f.post(t, f.tokens[store.RoleIngest], batch, "["+valid+","+broken+"]")
	if status != http.StatusBadRequest || body["status"] != float64(400) || body["type"] == "" || body["title"] == "" {
		t.Fatalf("status %d body %v", status, body)
	}
	var got []string
	for _, e := range body["errors"].([]any) {
		m := e.(map[string]any)
		got = append(got, m["path"].(string))
		if m["index"] != float64(1) || m["id"] != "bad1" || m["message"] == "" {
			t.Errorf("problem %v: want index 1, id bad1 and a message", m)
		}
	}
	want := []string{"data.brand", "data.order.lines[0].quantity", "data.backordered_lines[0].line_id"}
	if !slices.Equal(got, want) {
		t.Errorf("paths %q, want %q", got, want)
	}
	if _, err := f.st.GetEvent(context.Background(), "s", "e1"); err == nil {
		t.Error("the valid event of a rejected batch was recorded")
	}
	in := asynq.NewInspector(f.redis)
	defer in.Close()
	if info, err := in.GetQueueInfo("default"); err == nil && info.Size > 0 {
		t.Errorf("%d tasks enqueued from a rejected batch", info.Size)
	}
}

// TestSameProblemsAsParse: the HTTP answer lists exactly what the one validation path finds.
func TestSameProblemsAsParse(t *testing.T) {
	f := newFixture(t)
	_, ps := event.Parse([]byte(broken), event.Options{Brands: map[string]bool{"acme": true}})
	_, _, body := f.post(t, f.tokens[store.RoleIngest], ce, broken)
	errs := body["errors"].([]any)
	if len(errs) != len(ps) {
		t.Fatalf("HTTP lists %d problems, Parse %d", len(errs), len(ps))
	}
	for i, p := range ps {
		m := errs[i].(map[string]any)
		if m["path"] != p.Path || m["message"] != p.Message || m["index"] != float64(0) {
			t.Errorf("problem %d: HTTP %v, Parse %+v", i, m, p)
		}
	}
}

func TestAcceptedThenDuplicate(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens[store.RoleIngest]
	_, _, body := f.post(t, tok, batch, "["+valid+"]")
	if !slices.Equal(strs(body["accepted"]), []string{"e1"}) || len(strs(body["duplicates"])) != 0 {
		t.Fatalf("first: %v", body)
	}
	rec, err := f.st.GetEvent(context.Background(), "s", "e1")
	if err != nil || rec.Status != store.EventEnqueued {
		t.Fatalf("recorded: %+v %v", rec, err)
	}
	_, _, body = f.post(t, tok, ce, valid)
	if !slices.Equal(strs(body["duplicates"]), []string{"e1"}) || len(strs(body["accepted"])) != 0 {
		t.Fatalf("second: %v", body)
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens[store.RoleIngest]
	cases := []struct {
		name, ctype, body string
		status            int
	}{
		{"wrong content type", "text/plain", valid, http.StatusUnsupportedMediaType},
		{"batch that is not an array", batch, valid, http.StatusBadRequest},
		{"not JSON", ce, "hello", http.StatusBadRequest},
		{"empty", ce, "", http.StatusBadRequest},
		{"too large", ce, `{"pad":"` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		status, hdr, body := f.post(t, tok, c.ctype, c.body)
		if status != c.status || hdr.Get("Content-Type") != "application/problem+json" || body["detail"] == "" {
			t.Errorf("%s: %d %q %v, want %d problem+json with a detail", c.name, status, hdr.Get("Content-Type"), body, c.status)
		}
	}
}

func TestSchemas(t *testing.T) {
	f := newFixture(t)
	resp, err := http.Get(f.srv.URL + "/v1/schemas")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	json.NewDecoder(resp.Body).Decode(&all)
	resp.Body.Close()
	for _, typ := range event.Types {
		if len(all[typ]) == 0 {
			t.Errorf("GET /v1/schemas lacks %s", typ)
		}
		resp, err := http.Get(f.srv.URL + "/v1/schemas/" + typ)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !json.Valid(b) || !strings.Contains(string(b), typ) {
			t.Errorf("GET /v1/schemas/%s: %d", typ, resp.StatusCode)
		}
	}
	resp, _ = http.Get(f.srv.URL + "/v1/schemas/order.nope")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown type: %d", resp.StatusCode)
	}
}
