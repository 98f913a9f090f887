package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// sms returns a notification of kind to recipient by SMS with status, created at when.
func sms(id, ord, kind, recipient, status string, when time.Time) *store.Notification {
	n := newNotification(id, ord, kind, "k-"+id, when)
	n.Channel, n.Recipient, n.Status = store.ChannelSMS, recipient, status
	return n
}

func testHistory(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("LastNotification", func(t *testing.T) { testLastNotification(t, open(t)) })
	t.Run("CountSince", func(t *testing.T) { testCountSince(t, open(t)) })
}

func testLastNotification(t *testing.T, s store.Store) {
	t.Parallel()
	const ada, bob = "+14155550100", "+14155550199"
	w, ctx := workStore(t, s), t.Context()
	create(t, s,
		sms("sent", "ord_1", "eta_update", ada, store.NotificationSent, t0),
		sms("delivered", "ord_1", "eta_update", ada, store.NotificationDelivered, at(time.Hour)),
		sms("tie-1", "ord_1", "eta_update", ada, store.NotificationPending, at(2*time.Hour)),
		sms("tie-2", "ord_1", "eta_update", ada, store.NotificationPending, at(2*time.Hour)),
		sms("suppressed", "ord_1", "eta_update", ada, store.NotificationSuppressed, at(3*time.Hour)),
		sms("failed", "ord_1", "eta_update", ada, store.NotificationFailed, at(4*time.Hour)),
		sms("undelivered", "ord_1", "eta_update", ada, store.NotificationUndelivered, at(5*time.Hour)),
		sms("other-recipient", "ord_1", "eta_update", bob, store.NotificationSent, at(6*time.Hour)),
		sms("other-kind", "ord_1", "shipped", ada, store.NotificationSent, at(6*time.Hour)),
		sms("other-order", "ord_2", "eta_update", ada, store.NotificationSent, at(6*time.Hour)),
		sms("only-suppressed", "ord_3", "eta_update", ada, store.NotificationSuppressed, at(6*time.Hour)),
		sms("only-failed", "ord_3", "eta_update", ada, store.NotificationFailed, at(7*time.Hour)),
		sms("old-delivered", "ord_4", "eta_update", ada, store.NotificationDelivered, at(8*time.Hour)),
		sms("old-suppressed", "ord_4", "eta_update", ada, store.NotificationSuppressed, at(9*time.Hour)),
	)
	email := newNotification("email", "ord_1", "eta_update", "k-email", at(6*time.Hour))
	email.Recipient = ada // same recipient string, other channel
	create(t, s, email)
	cases := []struct {
		name, ord, kind, channel, recipient string
		want                                string // "" means ErrNotFound
	}{
		{"newest, ties by creation, suppressed and failed ignored", "ord_1", "eta_update", store.ChannelSMS, ada, "tie-2"},
		{"other recipient", "ord_1", "eta_update", store.ChannelSMS, bob, "other-recipient"},
		{"other kind", "ord_1", "shipped", store.ChannelSMS, ada, "other-kind"},
		{"other channel", "ord_1", "eta_update", store.ChannelEmail, ada, "email"},
		{"delivered counts", "ord_4", "eta_update", store.ChannelSMS, ada, "old-delivered"},
		{"only suppressed or failed", "ord_3", "eta_update", store.ChannelSMS, ada, ""},
		{"none", "ord_9", "eta_update", store.ChannelSMS, ada, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := w.LastNotification(ctx, c.ord, c.kind, c.channel, c.recipient)
			if c.want == "" {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("LastNotification = %+v, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LastNotification: %v", err)
			}
			if got.ID != c.want {
				t.Errorf("LastNotification = %s, want %s", got.ID, c.want)
			}
		})
	}
	t.Run("record", func(t *testing.T) {
		got, err := w.LastNotification(ctx, "ord_4", "eta_update", store.ChannelSMS, ada)
		if err != nil {
			t.Fatalf("LastNotification: %v", err)
		}
		assertEqual(t, "LastNotification", sms("old-delivered", "ord_4", "eta_update", ada, store.NotificationDelivered, at(8*time.Hour)), got)
	})
}

func testCountSince(t *testing.T, s store.Store) {
	t.Parallel()
	const ada, bob = "+14155550100", "+14155550199"
	w, ctx := workStore(t, s), t.Context()
	create(t, s,
		sms("a", "ord_1", "eta_update", ada, store.NotificationSent, t0),
		sms("b", "ord_2", "eta_update", ada, store.NotificationPending, at(time.Hour)),
		sms("c", "ord_1", "backorder_notice", ada, store.NotificationDelivered, at(2*time.Hour)),
		sms("d", "ord_1", "delay_option_offer", ada, store.NotificationSent, at(2*time.Hour)),
		sms("e", "ord_1", "eta_update", ada, store.NotificationSuppressed, at(2*time.Hour)),
		sms("f", "ord_1", "eta_update", ada, store.NotificationFailed, at(2*time.Hour)),
		sms("g", "ord_1", "eta_update", ada, store.NotificationUndelivered, at(2*time.Hour)),
		sms("h", "ord_1", "eta_update", bob, store.NotificationSent, at(2*time.Hour)),
		sms("early", "ord_1", "eta_update", ada, store.NotificationSent, at(-time.Hour)),
	)
	email := newNotification("email", "ord_1", "eta_update", "k-email", at(time.Hour))
	email.Recipient = ada
	create(t, s, email)
	updates := []string{"eta_update", "backorder_notice"}
	cases := []struct {
		name      string
		channel   string
		recipient string
		kinds     []string
		since     time.Time
		want      int
	}{
		{"update kinds since t0", store.ChannelSMS, ada, updates, t0, 3},
		{"since is inclusive", store.ChannelSMS, ada, updates, at(time.Hour), 2},
		{"later", store.ChannelSMS, ada, updates, at(2*time.Hour + time.Microsecond), 0},
		{"one kind", store.ChannelSMS, ada, []string{"eta_update"}, t0, 2},
		{"all kinds", store.ChannelSMS, ada, []string{"eta_update", "backorder_notice", "delay_option_offer"}, at(-2 * time.Hour), 5},
		{"other recipient", store.ChannelSMS, bob, updates, t0, 1},
		{"other channel", store.ChannelEmail, ada, updates, t0, 1},
		{"no kinds count nothing", store.ChannelSMS, ada, nil, t0, 0},
		{"unknown kind", store.ChannelSMS, ada, []string{"nope"}, t0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := w.CountSince(ctx, c.channel, c.recipient, c.kinds, c.since)
			if err != nil || got != c.want {
				t.Errorf("CountSince = %d, %v; want %d", got, err, c.want)
			}
		})
	}
}
