package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// newSent returns a notification the provider accepted as providerID on channel.
func newSent(id, channel, providerID string) *store.Notification {
	n := newNotification(id, "ord_1", "eta_update", "k-"+id, t0)
	n.Channel, n.Status, n.ProviderID, n.ErrorCode = channel, store.NotificationSent, providerID, ""
	n.SentAt = ptr(at(time.Minute))
	return n
}

// create stores each notification, failing the test on error.
func create(t *testing.T, s store.Store, ns ...*store.Notification) {
	t.Helper()
	for _, n := range ns {
		if _, created, err := s.CreateNotification(t.Context(), n); err != nil || !created {
			t.Fatalf("CreateNotification %s = %v, %v; want created", n.ID, created, err)
		}
	}
}

func testDelivery(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("advance", func(t *testing.T) { testAdvanceDelivery(t, open) })
	t.Run("by provider", func(t *testing.T) { testNotificationByProvider(t, open) })
	t.Run("attempts", func(t *testing.T) { testAttempts(t, open) })
}

func testAdvanceDelivery(t *testing.T, open func(t *testing.T) store.Store) {
	type advance struct {
		status, code string
		at           time.Time
		want         bool
	}
	delivered := advance{store.NotificationDelivered, "", at(time.Hour), true}
	cases := []struct {
		name     string
		from     string // the status the notification is created in
		advances []advance
		// What the notification holds afterwards; zero values mean unchanged.
		wantStatus, wantCode string
		wantUpdated          time.Time
	}{
		{"sent to delivered", store.NotificationSent, []advance{delivered},
			store.NotificationDelivered, "", at(time.Hour)},
		{"sent to undelivered with code", store.NotificationSent,
			[]advance{{store.NotificationUndelivered, "30003", at(time.Hour), true}},
			store.NotificationUndelivered, "30003", at(time.Hour)},
		{"sent to failed with code", store.NotificationSent,
			[]advance{{store.NotificationFailed, "30008", at(time.Hour), true}},
			store.NotificationFailed, "30008", at(time.Hour)},
		{"second advance changes nothing", store.NotificationSent,
			[]advance{delivered, {store.NotificationFailed, "30005", at(2 * time.Hour), false}},
			store.NotificationDelivered, "", at(time.Hour)},
		{"pending is not advanced", store.NotificationPending,
			[]advance{{store.NotificationDelivered, "", at(time.Hour), false}}, "", "", time.Time{}},
		{"suppressed is not advanced", store.NotificationSuppressed,
			[]advance{{store.NotificationFailed, "21610", at(time.Hour), false}}, "", "", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, ctx := open(t), t.Context()
			n := newSent("n1", store.ChannelSMS, "SM1")
			n.Status = c.from
			create(t, s, n)
			for i, a := range c.advances {
				ok, err := s.AdvanceDelivery(ctx, "n1", a.status, a.code, a.at)
				if err != nil || ok != a.want {
					t.Fatalf("AdvanceDelivery #%d (%s) = %v, %v; want %v, nil", i+1, a.status, ok, err, a.want)
				}
			}
			want := *n
			if c.wantStatus != "" {
				want.Status, want.ErrorCode, want.UpdatedAt = c.wantStatus, c.wantCode, c.wantUpdated
			}
			got, err := s.GetNotification(ctx, "n1")
			if err != nil {
				t.Fatalf("GetNotification: %v", err)
			}
			assertEqual(t, "notification", &want, got)
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		ok, err := open(t).AdvanceDelivery(t.Context(), "nope", store.NotificationDelivered, "", t0)
		if ok || err != nil {
			t.Errorf("AdvanceDelivery missing = %v, %v; want false, nil", ok, err)
		}
	})
	t.Run("invalid status", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		n := newSent("n1", store.ChannelSMS, "SM1")
		create(t, s, n)
		for _, status := range []string{store.NotificationPending, store.NotificationSent, "bogus"} {
			if ok, err := s.AdvanceDelivery(ctx, "n1", status, "", at(time.Hour)); ok || err == nil {
				t.Errorf("AdvanceDelivery(%s) = %v, %v; want false and an error", status, ok, err)
			}
		}
		got, err := s.GetNotification(ctx, "n1")
		if err != nil {
			t.Fatalf("GetNotification: %v", err)
		}
		assertEqual(t, "notification", n, got)
	})
}

func testNotificationByProvider(t *testing.T, open func(t *testing.T) store.Store) {
	t.Parallel()
	s, ctx := open(t), t.Context()
	sms, email := newSent("n-sms", store.ChannelSMS, "SM1"), newSent("n-email", store.ChannelEmail, "msg-1")
	// The lookup goes by the attempts' provider ids, as CommitSend records them, not
	// by the notification's own: n-attempt has none of its own, n-column only its own.
	attemptOnly, columnOnly := newSent("n-attempt", store.ChannelSMS, ""), newSent("n-column", store.ChannelSMS, "SM3")
	// A provider that reuses an id: the oldest notification wins.
	older, newer := newSent("n-older", store.ChannelSMS, "SM4"), newSent("n-newer", store.ChannelSMS, "SM4")
	newer.CreatedAt, newer.UpdatedAt = at(time.Hour), at(time.Hour)
	// Pending notifications have no provider id yet: "" must never find them.
	create(t, s, sms, email, attemptOnly, columnOnly, newer, older,
		newNotification("n-pending", "ord_1", "eta_update", "k-pending", t0))
	for _, a := range []store.Attempt{
		{NotificationID: "n-pending", At: at(time.Minute), Outcome: "temporary", Code: "421"},
		{NotificationID: "n-sms", At: at(time.Minute), Outcome: "sent", ProviderID: "SM1"},
		{NotificationID: "n-email", At: at(time.Minute), Outcome: "sent", ProviderID: "msg-1"},
		{NotificationID: "n-attempt", At: at(time.Minute), Outcome: "sent", ProviderID: "SM2"},
		{NotificationID: "n-newer", At: at(2 * time.Hour), Outcome: "sent", ProviderID: "SM4"},
		{NotificationID: "n-older", At: at(3 * time.Hour), Outcome: "sent", ProviderID: "SM4"},
	} {
		if err := s.AddAttempt(ctx, &a); err != nil {
			t.Fatalf("AddAttempt: %v", err)
		}
	}
	cases := []struct {
		name, channel, providerID string
		want                      *store.Notification // nil: ErrNotFound
	}{
		{"found sms", store.ChannelSMS, "SM1", sms},
		{"found email", store.ChannelEmail, "msg-1", email},
		{"by its attempt's id", store.ChannelSMS, "SM2", attemptOnly},
		{"own id without an attempt", store.ChannelSMS, "SM3", nil},
		{"reused id: the oldest", store.ChannelSMS, "SM4", older},
		{"unknown id", store.ChannelSMS, "SM404", nil},
		{"channel mismatch", store.ChannelEmail, "SM1", nil},
		{"empty id", store.ChannelEmail, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.NotificationByProvider(ctx, c.channel, c.providerID)
			if c.want == nil {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("NotificationByProvider = %v, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NotificationByProvider: %v", err)
			}
			assertEqual(t, "NotificationByProvider", c.want, got)
		})
	}
}

func testAttempts(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("oldest first", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		create(t, s, newSent("n1", store.ChannelEmail, "msg-1"), newSent("n2", store.ChannelEmail, "msg-2"))
		attempts := []store.Attempt{ // added in this order
			{NotificationID: "n1", At: at(2 * time.Minute), Outcome: "temporary", Code: "451", Error: "try later"},
			{NotificationID: "n1", At: at(time.Minute), Outcome: "temporary", Code: "421", Error: "busy"},
			{NotificationID: "n2", At: at(time.Minute), Outcome: "sent", ProviderID: "msg-2"},
			{NotificationID: "n1", At: at(3 * time.Minute), Outcome: "sent", ProviderID: "msg-1"},
			{NotificationID: "n1", At: at(3 * time.Minute), Outcome: "permanent", Code: "550", Error: "tie"},
		}
		for i := range attempts {
			if err := s.AddAttempt(ctx, &attempts[i]); err != nil {
				t.Fatalf("AddAttempt #%d: %v", i+1, err)
			}
		}
		got, err := s.ListAttempts(ctx, "n1")
		if err != nil {
			t.Fatalf("ListAttempts: %v", err)
		}
		// By At, ties in the order added.
		want := []store.Attempt{attempts[1], attempts[0], attempts[3], attempts[4]}
		assertEqual(t, "ListAttempts", want, got)
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		create(t, s, newSent("n1", store.ChannelEmail, "msg-1"))
		got, err := s.ListAttempts(ctx, "n1")
		if err != nil || len(got) != 0 {
			t.Errorf("ListAttempts without attempts = %v, %v; want empty", got, err)
		}
	})
	t.Run("at defaults to now", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		create(t, s, newSent("n1", store.ChannelEmail, "msg-1"))
		if err := s.AddAttempt(ctx, &store.Attempt{NotificationID: "n1", Outcome: "sent"}); err != nil {
			t.Fatalf("AddAttempt: %v", err)
		}
		got, err := s.ListAttempts(ctx, "n1")
		if err != nil || len(got) != 1 || got[0].At.IsZero() {
			t.Errorf("ListAttempts = %v, %v; want one attempt with At set", got, err)
		}
	})
	t.Run("missing notification", func(t *testing.T) {
		t.Parallel()
		err := open(t).AddAttempt(t.Context(), &store.Attempt{NotificationID: "nope", At: t0, Outcome: "sent"})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AddAttempt for a missing notification = %v, want ErrNotFound", err)
		}
	})
}
