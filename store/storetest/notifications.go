package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// newNotification returns a pending email of order ord with the given dedup key. Every
// field is set, so that each test round-trips all of them.
func newNotification(id, ord, kind, dedup string, created time.Time) *store.Notification {
	return &store.Notification{
		ID: id, OrderID: ord, Brand: "acme", Kind: kind, Channel: store.ChannelEmail,
		Recipient: "ada@example.com", EventSource: "shop", EventID: "e1", DedupKey: dedup,
		Status: store.NotificationPending, Subject: "Your order", Body: "text", HTML: "<p>html</p>",
		ErrorCode: "421", TemplateVersion: "backorder_notice/en@v3", ContentHash: "c0ffee",
		FallbackFor: "sms-" + id, Fingerprint: "f1ngerpr1nt", NotBefore: ptr(created.Add(time.Hour)),
		CreatedAt: created, UpdatedAt: created,
	}
}

func testNotifications(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("create and get", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		n := newNotification("n1", "ord_1", "backorder_notice", "k1", t0)
		got, created, err := s.CreateNotification(ctx, n)
		if err != nil || !created {
			t.Fatalf("CreateNotification = %v, %v; want created", created, err)
		}
		assertEqual(t, "CreateNotification", n, got)
		read, err := s.GetNotification(ctx, "n1")
		if err != nil {
			t.Fatalf("GetNotification: %v", err)
		}
		assertEqual(t, "GetNotification", n, read)
	})
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		n := &store.Notification{Kind: "eta_update", Channel: store.ChannelSMS, DedupKey: "k1"}
		got, _, err := open(t).CreateNotification(t.Context(), n)
		if err != nil {
			t.Fatalf("CreateNotification: %v", err)
		}
		if got.ID == "" || got.Status != store.NotificationPending || got.CreatedAt.IsZero() ||
			!got.UpdatedAt.Equal(got.CreatedAt) || got.SentAt != nil || got.ErrorCode != "" ||
			got.TemplateVersion != "" || got.ContentHash != "" || got.FallbackFor != "" ||
			got.Fingerprint != "" || got.NotBefore != nil {
			t.Errorf("defaults not filled: %+v", got)
		}
	})
	t.Run("dedup key", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		first := newNotification("n1", "ord_1", "backorder_notice", "k1", t0)
		if _, _, err := s.CreateNotification(ctx, first); err != nil {
			t.Fatalf("CreateNotification: %v", err)
		}
		again := newNotification("n2", "ord_1", "eta_update", "k1", at(time.Minute))
		got, created, err := s.CreateNotification(ctx, again)
		if err != nil || created {
			t.Fatalf("CreateNotification same key = %v, %v; want not created", created, err)
		}
		assertEqual(t, "existing", first, got)
		if _, err := s.GetNotification(ctx, "n2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetNotification of the duplicate = %v, want ErrNotFound", err)
		}
	})
	t.Run("empty dedup key deduplicates nothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		for _, id := range []string{"n1", "n2"} {
			_, created, err := s.CreateNotification(ctx, newNotification(id, "ord_1", "k", "", t0))
			if err != nil || !created {
				t.Fatalf("CreateNotification %s = %v, %v; want created", id, created, err)
			}
		}
	})
	t.Run("duplicate id", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		if _, _, err := s.CreateNotification(ctx, newNotification("n1", "o", "k", "k1", t0)); err != nil {
			t.Fatalf("CreateNotification: %v", err)
		}
		_, _, err := s.CreateNotification(ctx, newNotification("n1", "o", "k", "k2", t0))
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateNotification same id, other key = %v, want ErrConflict", err)
		}
	})
	t.Run("get missing", func(t *testing.T) {
		t.Parallel()
		if _, err := open(t).GetNotification(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetNotification missing = %v, want ErrNotFound", err)
		}
	})
	t.Run("update", testUpdateNotification(open))
	t.Run("list", testListNotifications(open))
}

func testUpdateNotification(open func(t *testing.T) store.Store) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		n := newNotification("n1", "ord_1", "backorder_notice", "k1", t0)
		if _, _, err := s.CreateNotification(ctx, n); err != nil {
			t.Fatalf("CreateNotification: %v", err)
		}
		u := *n
		u.Status, u.ProviderID, u.Error, u.Reason = store.NotificationSent, "msg-1", "none", "why"
		u.Subject, u.Body, u.HTML = "New subject", "new body", "<p>new</p>"
		u.ErrorCode, u.TemplateVersion, u.ContentHash = "", "eta_update/de@v4", "beef"
		u.SentAt, u.UpdatedAt = ptr(at(time.Minute)), at(2*time.Minute)
		// Fields UpdateNotification does not store.
		u.Kind, u.Recipient, u.DedupKey, u.CreatedAt = "ignored", "ignored", "ignored", at(time.Hour)
		u.FallbackFor, u.Fingerprint, u.NotBefore = "ignored", "ignored", ptr(at(time.Hour))
		if err := s.UpdateNotification(ctx, &u); err != nil {
			t.Fatalf("UpdateNotification: %v", err)
		}
		got, err := s.GetNotification(ctx, "n1")
		if err != nil {
			t.Fatalf("GetNotification: %v", err)
		}
		want := u
		want.Kind, want.Recipient, want.DedupKey, want.CreatedAt = n.Kind, n.Recipient, n.DedupKey, n.CreatedAt
		want.FallbackFor, want.Fingerprint, want.NotBefore = n.FallbackFor, n.Fingerprint, n.NotBefore
		assertEqual(t, "updated", &want, got)

		missing := *n
		missing.ID = "nope"
		if err := s.UpdateNotification(ctx, &missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateNotification missing = %v, want ErrNotFound", err)
		}
	}
}

func testListNotifications(open func(t *testing.T) store.Store) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		// Created in this order; listed by CreatedAt, ties in creation order.
		for _, n := range []*store.Notification{
			newNotification("late", "ord_1", "eta_update", "k1", at(time.Hour)),
			newNotification("tie-b", "ord_1", "backorder_notice", "k2", at(time.Minute)),
			newNotification("early", "ord_2", "backorder_notice", "k3", t0),
			newNotification("tie-a", "ord_1", "eta_update", "k4", at(time.Minute)),
		} {
			if n.ID == "late" {
				n.Status = store.NotificationSent
			}
			if _, _, err := s.CreateNotification(ctx, n); err != nil {
				t.Fatalf("CreateNotification %s: %v", n.ID, err)
			}
		}
		cases := []struct {
			name   string
			filter store.NotificationFilter
			want   []string
		}{
			{"all", store.NotificationFilter{}, []string{"early", "tie-b", "tie-a", "late"}},
			{"order", store.NotificationFilter{OrderID: "ord_1"}, []string{"tie-b", "tie-a", "late"}},
			{"status", store.NotificationFilter{Status: store.NotificationPending}, []string{"early", "tie-b", "tie-a"}},
			{"kind", store.NotificationFilter{Kind: "eta_update"}, []string{"tie-a", "late"}},
			{"order and kind", store.NotificationFilter{OrderID: "ord_1", Kind: "backorder_notice"}, []string{"tie-b"}},
			{"all three", store.NotificationFilter{OrderID: "ord_1", Kind: "eta_update", Status: store.NotificationSent}, []string{"late"}},
			{"limit", store.NotificationFilter{OrderID: "ord_1", Limit: 2}, []string{"tie-b", "tie-a"}},
			{"no match", store.NotificationFilter{OrderID: "ord_none"}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := s.ListNotifications(ctx, c.filter)
				if err != nil {
					t.Fatalf("ListNotifications: %v", err)
				}
				var ids []string
				for _, n := range got {
					ids = append(ids, n.ID)
				}
				assertEqual(t, "ids", c.want, ids)
			})
		}
		t.Run("records", func(t *testing.T) {
			got, err := s.ListNotifications(ctx, store.NotificationFilter{Kind: "backorder_notice", Limit: 1})
			if err != nil || len(got) != 1 {
				t.Fatalf("ListNotifications = %d records, %v; want 1", len(got), err)
			}
			assertEqual(t, "ListNotifications[0]", newNotification("early", "ord_2", "backorder_notice", "k3", t0), &got[0])
		})
	}
}
