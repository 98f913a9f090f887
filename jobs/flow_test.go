package jobs_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/store"
)

const (
	boBoth = `,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":"2026-12-01"},{"line_id":"l2","quantity":1,"eta":null}]`
	boL1   = `,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":"2026-12-01"}]`
	ship1  = `,"shipment":{"id":"s1","carrier":"UPS","tracking_number":"1Z1","tracking_url":"https://ups.example/1Z1","lines":[{"line_id":"l1","quantity":2}]}`
	ship2  = `,"shipment":{"id":"s2","carrier":"UPS","tracking_number":"1Z2","tracking_url":"https://ups.example/1Z2","lines":[{"line_id":"l2","quantity":1}]}`
)

// TestEveryEventType runs each event type through the real pipeline and checks, message
// by message, what the notification log holds for the order afterwards.
func TestEveryEventType(t *testing.T) {
	h := newHarness(t)
	h.start()
	steps := []struct {
		name   string
		event  string
		order  string
		expect []string // the order's whole log after the step
	}{
		{"backordered: email and SMS with consent",
			orderEvent("e1", "order.backordered", "2026-11-02T10:00:00Z", "ord_1", custBoth, boBoth), "ord_1",
			[]string{"backorder_notice email sent", "backorder_notice sms sent"}},
		{"eta changed: eta_update",
			orderEvent("e2", "order.eta_changed", "2026-11-03T10:00:00Z", "ord_1", custBoth,
				`,"changes":[{"line_id":"l1","previous_eta":"2026-12-01","eta":"2026-12-08"}]`), "ord_1",
			[]string{"backorder_notice email sent", "backorder_notice sms sent", "eta_update email sent", "eta_update sms sent"}},
		{"eta unchanged: nothing",
			orderEvent("e3", "order.eta_changed", "2026-11-03T11:00:00Z", "ord_1", custBoth,
				`,"changes":[{"line_id":"l1","previous_eta":"2026-12-08","eta":"2026-12-08"}]`), "ord_1",
			[]string{"backorder_notice email sent", "backorder_notice sms sent", "eta_update email sent", "eta_update sms sent"}},
		{"partially shipped",
			orderEvent("e4", "order.partially_shipped", "2026-11-04T10:00:00Z", "ord_1", custBoth,
				ship1+`,"pending_lines":[{"line_id":"l2","quantity":1,"eta":null}]`), "ord_1",
			[]string{"backorder_notice email sent", "backorder_notice sms sent", "eta_update email sent", "eta_update sms sent",
				"partial_shipment email sent", "partial_shipment sms sent"}},
		{"stale eta change after the line shipped says nothing",
			orderEvent("e5", "order.eta_changed", "2026-11-03T12:00:00Z", "ord_1", custBoth,
				`,"changes":[{"line_id":"l1","previous_eta":"2026-12-08","eta":"2026-12-20"}]`), "ord_1",
			[]string{"backorder_notice email sent", "backorder_notice sms sent", "eta_update email sent", "eta_update sms sent",
				"partial_shipment email sent", "partial_shipment sms sent"}},
		{"shipped closes the order",
			orderEvent("e6", "order.shipped", "2026-11-05T10:00:00Z", "ord_1", custBoth, ship2), "ord_1",
			[]string{"backorder_notice email sent", "backorder_notice sms sent", "eta_update email sent", "eta_update sms sent",
				"partial_shipment email sent", "partial_shipment sms sent", "shipped email sent", "shipped sms sent"}},
		{"no SMS consent: email only, SMS recorded as suppressed",
			orderEvent("e7", "order.backordered", "2026-11-02T10:00:00Z", "ord_2", custNoConsent, boL1), "ord_2",
			[]string{"backorder_notice email sent", "backorder_notice sms suppressed (no SMS consent)"}},
		{"canceled sends nothing",
			orderEvent("e8", "order.canceled", "2026-11-03T10:00:00Z", "ord_2", custNoConsent, `,"reason":"customer request"`), "ord_2",
			[]string{"backorder_notice email sent", "backorder_notice sms suppressed (no SMS consent)"}},
		{"backordered before a cancellation with notify",
			orderEvent("e11", "order.backordered", "2026-11-02T10:00:00Z", "ord_4", custBoth, boL1), "ord_4",
			[]string{"backorder_notice email sent", "backorder_notice sms sent"}},
		{"canceled with notify: cancellation_notice on both channels",
			orderEvent("e12", "order.canceled", "2026-11-03T10:00:00Z", "ord_4", custBoth, `,"reason":"payment declined","notify":true`), "ord_4",
			[]string{"backorder_notice email sent", "backorder_notice sms sent", "cancellation_notice email sent", "cancellation_notice sms sent"}},
		{"canceled again with notify: the order is closed already, nothing",
			orderEvent("e13", "order.canceled", "2026-11-03T11:00:00Z", "ord_4", custBoth, `,"notify":true`), "ord_4",
			[]string{"backorder_notice email sent", "backorder_notice sms sent", "cancellation_notice email sent", "cancellation_notice sms sent"}},
		{"SMS-only customer",
			orderEvent("e9", "order.backordered", "2026-11-02T10:00:00Z", "ord_3", custSMSOnly, boL1), "ord_3",
			[]string{"backorder_notice email suppressed (no email address)", "backorder_notice sms sent"}},
		{"window expired: delay-option offer",
			orderEvent("e10", "backorder.window_expired", "2026-11-10T10:00:00Z", "ord_3", custSMSOnly, ``), "ord_3",
			[]string{"backorder_notice email suppressed (no email address)", "backorder_notice sms sent",
				"delay_option_offer email suppressed (no email address)", "delay_option_offer sms sent"}},
	}
	for _, s := range steps {
		h.ingest(s.event)
		id := eventID(t, s.event)
		h.waitHandled("test", id)
		if got := h.notifications(s.order); !slices.Equal(got, s.expect) {
			t.Fatalf("%s:\n got %q\nwant %q", s.name, got, s.expect)
		}
	}
	ctx := context.Background()
	for id, want := range map[string]string{"ord_1": store.OrderClosed, "ord_2": store.OrderClosed, "ord_3": store.OrderOpen, "ord_4": store.OrderClosed} {
		o, err := h.st.GetOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if o.State != want {
			t.Errorf("order %s state %q, want %q", id, o.State, want)
		}
	}
	ns, err := h.st.ListNotifications(ctx, store.NotificationFilter{OrderID: "ord_4", Kind: "cancellation_notice"})
	if err != nil || len(ns) != 2 {
		t.Fatalf("cancellation_notice of ord_4 = %d, %v; want 2", len(ns), err)
	}
	for _, n := range ns {
		if n.Channel == store.ChannelEmail && (!strings.Contains(n.Body, "payment declined") || !strings.Contains(n.HTML, "payment declined")) {
			t.Errorf("cancellation_notice email does not give the shop's reason:\n%s", n.Body)
		}
	}
	emails, sms := h.outbox()
	if len(emails) != 7 || len(sms) != 8 { // ord_1: 4+4, ord_2: 1 email, ord_3: 2 SMS, ord_4: 2+2
		t.Errorf("outbox holds %d emails and %d SMS, want 7 and 8", len(emails), len(sms))
	}
}

// TestRestockAllocatesOldestFirst: a restock of 3 covers the older order's 2 and only
// part of the newer order's 2, so only the older order gets restock_notice.
func TestRestockAllocatesOldestFirst(t *testing.T) {
	h := newHarness(t)
	h.start()
	older := ev("r1", "order.backordered", "2026-11-02T10:00:00Z", "ord_old",
		`{"brand":"acme","order":`+orderJSON("ord_old", "2026-11-01T10:00:00Z", custNoConsent)+boL1+`}`)
	newer := ev("r2", "order.backordered", "2026-11-02T11:00:00Z", "ord_new",
		`{"brand":"acme","order":`+orderJSON("ord_new", "2026-11-01T12:00:00Z", custNoConsent)+boL1+`}`)
	for _, e := range []string{newer, older} {
		h.ingest(e)
		h.waitHandled("test", eventID(t, e))
	}
	restock := ev("r3", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":3}`)
	h.ingest(restock)
	h.waitHandled("test", "r3")
	if got, want := h.notifications("ord_old"), []string{
		"backorder_notice email sent", "backorder_notice sms suppressed (no SMS consent)",
		"restock_notice email sent", "restock_notice sms suppressed (no SMS consent)",
	}; !slices.Equal(got, want) {
		t.Errorf("older order:\n got %q\nwant %q", got, want)
	}
	if got, want := h.notifications("ord_new"), []string{
		"backorder_notice email sent", "backorder_notice sms suppressed (no SMS consent)",
	}; !slices.Equal(got, want) {
		t.Errorf("newer order:\n got %q\nwant %q", got, want)
	}
	o, err := h.st.GetOrder(context.Background(), "ord_new")
	if err != nil {
		t.Fatal(err)
	}
	if l := o.Lines[0]; l.AllocatedQty != 1 || l.State != store.LineBackordered {
		t.Errorf("newer order line: allocated %d state %s, want 1 backordered", l.AllocatedQty, l.State)
	}
}

// TestDuplicateEventHandledOnce sends one event three ways, also after asynq has
// forgotten the task: one set of messages goes out.
func TestDuplicateEventHandledOnce(t *testing.T) {
	h := newHarness(t)
	h.start()
	raw := orderEvent("dup1", "order.backordered", "2026-11-02T10:00:00Z", "ord_d", custBoth, boL1)
	res := h.ingest(raw)
	if !slices.Equal(res.Accepted, []string{"dup1"}) {
		t.Fatalf("first ingest accepted %v", res.Accepted)
	}
	h.waitHandled("test", "dup1")

	// The same id again through ingestion (HTTP and CLI use it): a duplicate.
	if res := h.ingest(raw); !slices.Equal(res.Duplicates, []string{"dup1"}) || len(res.Accepted) != 0 {
		t.Fatalf("second ingest: %+v", res)
	}
	// Through the Go client, straight into Redis. asynq has already forgotten the
	// completed task (no retention), so this enqueues a new task with the same TaskID,
	// and the worker must recognise the event from the store.
	c := client.NewFromAsynq(asynq.NewClient(h.redis), []string{"acme"})
	defer c.Close()
	r, err := c.Enqueue(context.Background(), []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r.Duplicate {
		t.Fatal("asynq still held the task; the test needs it forgotten")
	}
	waitQueueEmpty(t, h)
	if got, want := h.notifications("ord_d"), []string{"backorder_notice email sent", "backorder_notice sms sent"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	emails, sms := h.outbox()
	if len(emails) != 1 || len(sms) != 1 {
		t.Errorf("outbox holds %d emails and %d SMS, want 1 and 1", len(emails), len(sms))
	}
}

func waitQueueEmpty(t *testing.T, h *harness) {
	t.Helper()
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		info, err := in.GetQueueInfo("default")
		if err == nil && info.Pending+info.Active+info.Retry == 0 && info.Processed > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("default queue not drained")
}

// A cancellation_notice the provider refuses once is retried on a send task; by then
// the order is closed — by the very cancellation it announces — and the notice must
// still go, once, not be suppressed as stale news.
func TestCancellationNoticeRetriedAfterClose(t *testing.T) {
	h := newHarness(t)
	flaky := &refuseKind{kind: "cancellation_notice"}
	h.wrap = func(s channels.Sender) channels.Sender { flaky.next = s; return flaky }
	h.start()
	const o = "ord_cn"
	h.step(orderEvent("cn1", "order.backordered", "2026-11-02T10:00:00Z", o, custSMSOnly, boL1))
	h.step(orderEvent("cn2", "order.canceled", "2026-11-03T10:00:00Z", o, custSMSOnly, `,"reason":"payment declined","notify":true`))
	want := []string{"backorder_notice email suppressed (no email address)", "backorder_notice sms sent",
		"cancellation_notice email suppressed (no email address)", "cancellation_notice sms sent"}
	if got := h.summary(o); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if flaky.refused.Load() != 1 || flaky.passed.Load() != 1 {
		t.Errorf("provider refused %d and accepted %d notices, want 1 and 1", flaky.refused.Load(), flaky.passed.Load())
	}
}
