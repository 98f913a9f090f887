package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// newEvent returns an event of order ord with a payload whose key order and spacing a
// jsonb column would not keep.
func newEvent(id, ord string, when time.Time) *store.EventRecord {
	payload := json.RawMessage(`{"z": 1, "a": {"id": "` + id + `"}}`)
	sum := sha256.Sum256(payload)
	return &store.EventRecord{
		Source: "shop", ID: id, Type: "order.backordered", OrderID: ord, Time: when,
		Payload: payload, Hash: hex.EncodeToString(sum[:]), Status: store.EventReceived,
		ReceivedAt: at(time.Hour),
	}
}

func testEvents(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("record new and get", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		e := newEvent("e1", "ord_1", t0)
		got, created, err := s.RecordEvent(ctx, e)
		if err != nil || !created {
			t.Fatalf("RecordEvent = %v, %v; want created", created, err)
		}
		assertEqual(t, "RecordEvent", e, got)
		if !sameBytes(e.Payload, got.Payload) {
			t.Errorf("Payload = %s, want the exact bytes %s", got.Payload, e.Payload)
		}
		read, err := s.GetEvent(ctx, "shop", "e1")
		if err != nil {
			t.Fatalf("GetEvent: %v", err)
		}
		assertEqual(t, "GetEvent", e, read)
	})
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		e := &store.EventRecord{Source: "shop", ID: "e1", Type: "inventory.restocked",
			Time: t0, Payload: json.RawMessage(`{}`)}
		got, _, err := s.RecordEvent(t.Context(), e)
		if err != nil {
			t.Fatalf("RecordEvent: %v", err)
		}
		sum := sha256.Sum256(e.Payload)
		if got.Hash != hex.EncodeToString(sum[:]) || got.Status != store.EventReceived ||
			got.ReceivedAt.IsZero() || got.OrderID != "" {
			t.Errorf("defaults: hash %q status %q received %v order %q", got.Hash, got.Status,
				got.ReceivedAt, got.OrderID)
		}
	})
	t.Run("duplicate keeps the first", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		first := newEvent("e1", "ord_1", t0)
		if _, _, err := s.RecordEvent(ctx, first); err != nil {
			t.Fatalf("RecordEvent: %v", err)
		}
		second := newEvent("e1", "ord_2", at(time.Minute))
		second.Payload, second.Hash = json.RawMessage(`{"different":true}`), "other"
		got, created, err := s.RecordEvent(ctx, second)
		if err != nil || created {
			t.Fatalf("RecordEvent duplicate = %v, %v; want not created", created, err)
		}
		assertEqual(t, "duplicate", first, got)
	})
	t.Run("get missing", func(t *testing.T) {
		t.Parallel()
		_, err := open(t).GetEvent(t.Context(), "shop", "nope")
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetEvent missing = %v, want ErrNotFound", err)
		}
	})
	t.Run("status", func(t *testing.T) { testEventStatus(t, open) })
	t.Run("list by order", func(t *testing.T) { testListEvents(t, open) })
}

func testEventStatus(t *testing.T, open func(t *testing.T) store.Store) {
	type step struct {
		status, outcome string
		at              time.Time
	}
	done := at(2 * time.Hour)
	cases := []struct {
		name        string
		steps       []step
		wantStatus  string
		wantHandled *time.Time
		wantOutcome string
	}{
		{"enqueued", []step{{store.EventEnqueued, "", done}}, store.EventEnqueued, nil, ""},
		{"handled", []step{{store.EventEnqueued, "", done}, {store.EventHandled, "sent 2", done}},
			store.EventHandled, &done, "sent 2"},
		{"enqueued after handled stays handled",
			[]step{{store.EventHandled, "ok", done}, {store.EventEnqueued, "", at(3 * time.Hour)}},
			store.EventHandled, &done, "ok"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, ctx := open(t), t.Context()
			if _, _, err := s.RecordEvent(ctx, newEvent("e1", "ord_1", t0)); err != nil {
				t.Fatalf("RecordEvent: %v", err)
			}
			for _, st := range c.steps {
				if err := s.SetEventStatus(ctx, "shop", "e1", st.status, st.outcome, st.at); err != nil {
					t.Fatalf("SetEventStatus(%s): %v", st.status, err)
				}
			}
			got, err := s.GetEvent(ctx, "shop", "e1")
			if err != nil {
				t.Fatalf("GetEvent: %v", err)
			}
			want := newEvent("e1", "ord_1", t0)
			want.Status, want.HandledAt, want.Outcome = c.wantStatus, c.wantHandled, c.wantOutcome
			assertEqual(t, "event", want, got)
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		err := open(t).SetEventStatus(t.Context(), "shop", "nope", store.EventHandled, "", t0)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetEventStatus missing = %v, want ErrNotFound", err)
		}
	})
	t.Run("invalid status", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if _, _, err := s.RecordEvent(t.Context(), newEvent("e1", "ord_1", t0)); err != nil {
			t.Fatalf("RecordEvent: %v", err)
		}
		if err := s.SetEventStatus(t.Context(), "shop", "e1", "bogus", "", t0); err == nil {
			t.Error("SetEventStatus(bogus) = nil, want an error")
		}
	})
}

func testListEvents(t *testing.T, open func(t *testing.T) store.Store) {
	t.Parallel()
	s, ctx := open(t), t.Context()
	// Recorded in this order; listed by Time, ties in arrival order.
	for _, e := range []*store.EventRecord{
		newEvent("late", "ord_1", at(time.Hour)),
		newEvent("tie-b", "ord_1", at(time.Minute)),
		newEvent("early", "ord_1", t0),
		newEvent("other-order", "ord_2", t0),
		newEvent("tie-a", "ord_1", at(time.Minute)),
	} {
		if _, _, err := s.RecordEvent(ctx, e); err != nil {
			t.Fatalf("RecordEvent %s: %v", e.ID, err)
		}
	}
	got, err := s.ListEvents(ctx, "ord_1")
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	want := []string{"early", "tie-b", "tie-a", "late"}
	assertEqual(t, "ListEvents ids", want, ids)
	if len(got) > 0 {
		assertEqual(t, "ListEvents[0]", newEvent("early", "ord_1", t0), &got[0])
	}
	none, err := s.ListEvents(ctx, "ord_none")
	if err != nil || len(none) != 0 {
		t.Errorf("ListEvents unknown order = %v, %v; want empty", none, err)
	}
}
