package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
)

func TestDeliveriesRoute(t *testing.T) {
	p := newPages(t)
	ctx := context.Background()
	next := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	ds := []*store.WebhookDelivery{
		{ID: "d1", Type: jobs.WebhookChoiceMade, OrderID: "oa", Payload: json.RawMessage(`{"id":"d1","type":"customer.choice_made"}`),
			Status: store.DeliveryPending, Attempts: 2, LastStatus: 503, LastError: "503 Service Unavailable", NextAttemptAt: &next},
		{ID: "d2", Type: jobs.WebhookAutoCanceled, OrderID: "ob", Payload: json.RawMessage(`{"id":"d2"}`), Status: store.DeliveryDelivered, Attempts: 1, LastStatus: 204},
	}
	if _, err := p.st.CommitEvent(ctx, &store.EventCommit{LeaveStatus: true, Deliveries: ds}); err != nil {
		t.Fatal(err)
	}
	get := func(token, query string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", p.srv.URL+"/v1/webhooks/deliveries"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	cases := []struct {
		name, token, query string
		status             int
		ids                []string
	}{
		{"no token", "", "", 401, nil},
		{"marketing", p.tokens[store.RoleMarketing], "", 403, nil},
		{"support, all", p.tokens[store.RoleSupport], "", 200, []string{"d2", "d1"}},
		{"admin, by order", p.tokens[store.RoleAdmin], "?order_id=oa", 200, []string{"d1"}},
		{"by status", p.tokens[store.RoleSupport], "?status=delivered", 200, []string{"d2"}},
		{"none", p.tokens[store.RoleSupport], "?order_id=zz", 200, []string{}},
		{"bad status", p.tokens[store.RoleSupport], "?status=lost", 400, nil},
		{"bad limit", p.tokens[store.RoleSupport], "?limit=0", 400, nil},
	}
	for _, c := range cases {
		status, out := get(c.token, c.query)
		if status != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, status, c.status, out)
			continue
		}
		if c.ids == nil {
			continue
		}
		list, ok := out["deliveries"].([]any)
		if !ok {
			t.Fatalf("%s: no deliveries list: %v", c.name, out)
		}
		var ids []string
		for _, x := range list {
			ids = append(ids, x.(map[string]any)["id"].(string))
		}
		if strings.Join(ids, ",") != strings.Join(c.ids, ",") {
			t.Errorf("%s: ids %v, want %v", c.name, ids, c.ids)
		}
	}
	_, out := get(p.tokens[store.RoleSupport], "?order_id=oa")
	d := out["deliveries"].([]any)[0].(map[string]any)
	want := map[string]any{"type": "customer.choice_made", "order_id": "oa", "status": "pending", "attempts": float64(2),
		"last_status": float64(503), "last_error": "503 Service Unavailable", "next_attempt_at": next.Format(time.RFC3339),
		"payload": map[string]any{"id": "d1", "type": "customer.choice_made"}}
	for k, v := range want {
		if fmt.Sprint(d[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, d[k], v)
		}
	}
	if _, ok := d["created_at"]; !ok {
		t.Errorf("no created_at: %v", d)
	}
}
