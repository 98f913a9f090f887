package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

const (
	phone = "+15551234567"
	ada   = "ada@example.com"
	bob   = "bob@example.com"
)

func newSuppression(channel, address, kind string, created time.Time) *store.Suppression {
	return &store.Suppression{Channel: channel, Address: address, Kind: kind,
		Reason: kind + " " + address, CreatedAt: created}
}

// addSuppressions stores each suppression, failing the test on error.
func addSuppressions(t *testing.T, s store.Store, sups ...*store.Suppression) {
	t.Helper()
	for _, sup := range sups {
		if err := s.AddSuppression(t.Context(), sup); err != nil {
			t.Fatalf("AddSuppression %s/%s: %v", sup.Channel, sup.Kind, err)
		}
	}
}

// byKind sorts suppressions of one address by kind: Suppressions promises no order.
func byKind(sups []store.Suppression) []store.Suppression {
	slices.SortFunc(sups, func(a, b store.Suppression) int { return strings.Compare(a.Kind, b.Kind) })
	return sups
}

func testSuppressions(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("add and get", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		stop := newSuppression(store.ChannelSMS, phone, store.SuppressStop, t0)
		addSuppressions(t, s, stop)
		got, err := s.Suppressions(ctx, store.ChannelSMS, phone)
		if err != nil {
			t.Fatalf("Suppressions: %v", err)
		}
		assertEqual(t, "Suppressions", []store.Suppression{*stop}, got)
	})
	t.Run("duplicate keeps the first", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		first := newSuppression(store.ChannelSMS, phone, store.SuppressStop, t0)
		again := newSuppression(store.ChannelSMS, phone, store.SuppressStop, at(time.Hour))
		again.Reason = "Twilio 21610"
		addSuppressions(t, s, first, again) // the second is not an error
		got, err := s.Suppressions(ctx, store.ChannelSMS, phone)
		if err != nil {
			t.Fatalf("Suppressions: %v", err)
		}
		assertEqual(t, "Suppressions", []store.Suppression{*first}, got)
	})
	t.Run("created at defaults to now", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		addSuppressions(t, s, &store.Suppression{Channel: store.ChannelEmail, Address: ada, Kind: store.SuppressBounce})
		got, err := s.Suppressions(ctx, store.ChannelEmail, ada)
		if err != nil || len(got) != 1 || got[0].CreatedAt.IsZero() {
			t.Errorf("Suppressions = %v, %v; want one with CreatedAt set", got, err)
		}
	})
	t.Run("by address", testSuppressionsByAddress(open))
	t.Run("list newest first", testListSuppressions(open))
	t.Run("delete", testDeleteSuppressions(open))
}

func testSuppressionsByAddress(open func(t *testing.T) store.Store) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		unsub := newSuppression(store.ChannelEmail, ada, store.SuppressUnsubscribe, t0)
		bounce := newSuppression(store.ChannelEmail, ada, store.SuppressBounce, at(time.Minute))
		addSuppressions(t, s, unsub, bounce,
			newSuppression(store.ChannelEmail, bob, store.SuppressBounce, t0),
			newSuppression(store.ChannelSMS, ada, store.SuppressStop, t0)) // same address, other channel
		cases := []struct {
			name, channel, address string
			want                   []store.Suppression
		}{
			{"every kind of the address", store.ChannelEmail, ada, []store.Suppression{*bounce, *unsub}},
			{"compared as given", store.ChannelEmail, strings.ToUpper(ada), nil},
			{"other channel", store.ChannelSMS, bob, nil},
			{"unknown", store.ChannelEmail, "nobody@example.com", nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := s.Suppressions(ctx, c.channel, c.address)
				if err != nil {
					t.Fatalf("Suppressions: %v", err)
				}
				assertEqual(t, "Suppressions", c.want, byKind(got))
			})
		}
	}
}

func testListSuppressions(open func(t *testing.T) store.Store) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		oldest := newSuppression(store.ChannelEmail, bob, store.SuppressBounce, t0)
		newest := newSuppression(store.ChannelSMS, phone, store.SuppressStop, at(2*time.Hour))
		middle := newSuppression(store.ChannelEmail, ada, store.SuppressUnsubscribe, at(time.Hour))
		addSuppressions(t, s, oldest, newest, middle)
		cases := []struct {
			name  string
			limit int
			want  []store.Suppression
		}{
			{"no limit", 0, []store.Suppression{*newest, *middle, *oldest}},
			{"limit", 2, []store.Suppression{*newest, *middle}},
			{"limit above count", 10, []store.Suppression{*newest, *middle, *oldest}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := s.ListSuppressions(ctx, c.limit)
				if err != nil {
					t.Fatalf("ListSuppressions(%d): %v", c.limit, err)
				}
				assertEqual(t, "ListSuppressions", c.want, got)
			})
		}
	}
}

func testDeleteSuppressions(open func(t *testing.T) store.Store) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		keep := []*store.Suppression{
			newSuppression(store.ChannelEmail, bob, store.SuppressBounce, t0),
			newSuppression(store.ChannelSMS, ada, store.SuppressStop, t0),
		}
		addSuppressions(t, s, newSuppression(store.ChannelEmail, ada, store.SuppressBounce, t0),
			newSuppression(store.ChannelEmail, ada, store.SuppressUnsubscribe, t0))
		addSuppressions(t, s, keep...)
		for _, want := range []int{2, 0} { // deleting again removes nothing
			n, err := s.DeleteSuppressions(ctx, store.ChannelEmail, ada)
			if err != nil || n != want {
				t.Fatalf("DeleteSuppressions = %d, %v; want %d, nil", n, err, want)
			}
		}
		got, err := s.ListSuppressions(ctx, 0)
		if err != nil {
			t.Fatalf("ListSuppressions: %v", err)
		}
		slices.SortFunc(got, func(a, b store.Suppression) int { return strings.Compare(a.Channel, b.Channel) })
		assertEqual(t, "left after delete", []store.Suppression{*keep[0], *keep[1]}, got)
	}
}
