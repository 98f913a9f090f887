package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// newDelivery returns a pending webhook delivery about order ord, created at created.
// Its payload has the spacing and key order a signer would produce, to be kept exactly.
func newDelivery(id, ord string, created time.Time) *store.WebhookDelivery {
	return &store.WebhookDelivery{ID: id, Type: "customer.choice_made", OrderID: ord,
		Payload: json.RawMessage(fmt.Sprintf(
			`{"specversion":"1.0","id":%q,  "type":"customer.choice_made","data":{"order_id":%q,"line_ids":["l1"],"choice":"wait"}}`,
			id, ord)),
		Status: store.DeliveryPending, NextAttemptAt: ptr(created), CreatedAt: created,
		UpdatedAt: created}
}

// getDelivery reads a webhook delivery back, failing the test if it cannot.
func getDelivery(t *testing.T, s store.Store, id string) *store.WebhookDelivery {
	t.Helper()
	got, err := s.GetDelivery(t.Context(), id)
	if err != nil {
		t.Fatalf("GetDelivery %s: %v", id, err)
	}
	return got
}

// checkPayload checks that a stored payload came back byte for byte.
func checkPayload(t *testing.T, want, got *store.WebhookDelivery) {
	t.Helper()
	if !sameBytes(want.Payload, got.Payload) {
		t.Errorf("payload of %s = %s, want exactly %s", want.ID, got.Payload, want.Payload)
	}
}

func testWebhookDeliveries(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("created once by CommitEvent", func(t *testing.T) { testDeliveryCreate(t, open(t)) })
	t.Run("update", func(t *testing.T) { testDeliveryUpdate(t, open(t)) })
	t.Run("list", func(t *testing.T) { testListDeliveries(t, open(t)) })
	t.Run("delivery without ID", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		recordEvents(t, s, "", "e1")
		c := newCommit("e1", nil)
		c.Deliveries = []*store.WebhookDelivery{newDelivery("", "ord_1", t0)}
		if _, err := s.CommitEvent(t.Context(), c); err == nil {
			t.Error("CommitEvent of a webhook delivery without ID succeeded")
		}
		checkNotWritten(t, s, c, false)
	})
}

// testDeliveryCreate creates deliveries through CommitEvent, then again with the same
// IDs: the first ones stay as they were.
func testDeliveryCreate(t *testing.T, s store.Store) {
	t.Parallel()
	ctx := t.Context()
	full := newDelivery("d1", "ord_1", t0)
	full.Status, full.Attempts, full.LastStatus, full.LastError = store.DeliveryFailed, 2, 410, "gone"
	full.DeliveredAt, full.UpdatedAt = ptr(at(time.Hour)), at(time.Hour)
	bare := &store.WebhookDelivery{ID: "d2", Type: "order.auto_canceled",
		Payload: json.RawMessage(`{"b":1, "a":[2,1]}`)} // defaults
	commitOffers(t, s, "e1", nil, full, bare)
	got := getDelivery(t, s, "d1")
	assertEqual(t, "delivery with every field", full, got)
	checkPayload(t, full, got)
	got = getDelivery(t, s, "d2")
	if got.Status != store.DeliveryPending || got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("delivery defaults not filled: status %q, created %v, updated %v",
			got.Status, got.CreatedAt, got.UpdatedAt)
	}
	want := *bare
	want.Status, want.CreatedAt, want.UpdatedAt = got.Status, got.CreatedAt, got.UpdatedAt
	assertEqual(t, "delivery with defaults", &want, got)
	checkPayload(t, bare, got)
	if bare.Status != "" || !bare.CreatedAt.IsZero() {
		t.Errorf("CommitEvent changed the delivery given: %+v", bare)
	}

	// A retried event decides the same webhooks again: nothing changes, and the
	// payload stays the one first signed.
	again := newDelivery("d1", "ord_2", at(time.Hour))
	again.Payload = json.RawMessage(`{"changed": true}`)
	commitOffers(t, s, "e2", nil, again, newDelivery("d3", "ord_1", at(time.Hour)))
	got = getDelivery(t, s, "d1")
	assertEqual(t, "delivery created twice", full, got)
	checkPayload(t, full, got)
	getDelivery(t, s, "d3")
	if _, err := s.GetDelivery(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDelivery of an unknown delivery = %v, want ErrNotFound", err)
	}
}

// testDeliveryUpdate records attempts of a delivery.
func testDeliveryUpdate(t *testing.T, s store.Store) {
	t.Parallel()
	ctx := t.Context()
	d := newDelivery("d1", "ord_1", t0)
	commitOffers(t, s, "e1", nil, d)
	retry := *d
	retry.Attempts, retry.LastStatus, retry.LastError = 1, 503, "service unavailable"
	retry.NextAttemptAt, retry.UpdatedAt = ptr(at(time.Minute)), at(time.Second)
	done := retry
	done.Status, done.Attempts, done.LastStatus, done.LastError = store.DeliveryDelivered, 2, 204, ""
	done.NextAttemptAt, done.DeliveredAt, done.UpdatedAt = nil, ptr(at(time.Minute)), at(time.Minute)
	for _, u := range []store.WebhookDelivery{retry, done} {
		// Only the attempt's fields are stored: the event sent stays as it was.
		arg := u
		arg.Type, arg.OrderID, arg.Payload, arg.CreatedAt = "other", "ord_9", json.RawMessage(`{}`), at(time.Hour)
		if err := s.UpdateDelivery(ctx, &arg); err != nil {
			t.Fatalf("UpdateDelivery to %s: %v", u.Status, err)
		}
		got := getDelivery(t, s, "d1")
		assertEqual(t, "delivery after UpdateDelivery", &u, got)
		checkPayload(t, d, got)
	}
	now := time.Now()
	done.UpdatedAt = time.Time{} // defaults to now
	if err := s.UpdateDelivery(ctx, &done); err != nil {
		t.Fatalf("UpdateDelivery: %v", err)
	}
	if got := getDelivery(t, s, "d1"); got.UpdatedAt.Before(now.Add(-time.Minute)) {
		t.Errorf("UpdatedAt = %v, want now (%v)", got.UpdatedAt, now)
	}
	absent := newDelivery("none", "ord_1", t0)
	if err := s.UpdateDelivery(ctx, absent); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateDelivery of an unknown delivery = %v, want ErrNotFound", err)
	}
}

// testListDeliveries lists deliveries by order and status, newest first.
func testListDeliveries(t *testing.T, s store.Store) {
	t.Parallel()
	ctx := t.Context()
	d := func(id, ord, status string, created time.Time) *store.WebhookDelivery {
		v := newDelivery(id, ord, created)
		v.Status = status
		return v
	}
	a := d("a", "ord_1", store.DeliveryPending, t0)
	b := d("b", "ord_1", store.DeliveryDelivered, at(2*time.Hour))
	c := d("c", "ord_2", store.DeliveryPending, at(time.Hour))
	e := d("e", "ord_1", store.DeliveryPending, at(3*time.Hour))
	f := d("f", "ord_1", store.DeliveryPending, at(3*time.Hour)) // ties with e, created after it
	commitOffers(t, s, "e1", nil, a, e, c)
	commitOffers(t, s, "e2", nil, b, f)
	cases := []struct {
		name   string
		filter store.DeliveryFilter
		want   []*store.WebhookDelivery
	}{
		{"all", store.DeliveryFilter{}, []*store.WebhookDelivery{f, e, b, c, a}},
		{"order", store.DeliveryFilter{OrderID: "ord_1"}, []*store.WebhookDelivery{f, e, b, a}},
		{"status", store.DeliveryFilter{Status: store.DeliveryPending}, []*store.WebhookDelivery{f, e, c, a}},
		{"order and status", store.DeliveryFilter{OrderID: "ord_1", Status: store.DeliveryPending},
			[]*store.WebhookDelivery{f, e, a}},
		{"limit", store.DeliveryFilter{OrderID: "ord_1", Limit: 2}, []*store.WebhookDelivery{f, e}},
		{"no match", store.DeliveryFilter{OrderID: "ord_9"}, nil},
	}
	for _, tc := range cases {
		got, err := s.ListDeliveries(ctx, tc.filter)
		if err != nil {
			t.Fatalf("%s: ListDeliveries: %v", tc.name, err)
		}
		want := make([]store.WebhookDelivery, len(tc.want))
		for i, w := range tc.want {
			want[i] = *w
		}
		assertEqual(t, tc.name, want, got)
	}
}
