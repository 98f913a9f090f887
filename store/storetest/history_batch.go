package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// mail returns a notification of kind to recipient by email with status, created at when.
func mail(id, ord, kind, recipient, status string, when time.Time) *store.Notification {
	n := newNotification(id, ord, kind, "k-"+id, when)
	n.Recipient, n.Status = recipient, status
	return n
}

// Recipients of the History fixture.
const (
	hAda      = "+14155550100"
	hBob      = "+14155550199"
	hCarol    = "+14155550142"
	hAdaEmail = "ada@example.com"
)

// historyFixture is a notification log of several orders, kinds, channels, recipients
// and statuses, and the suppressions of several addresses. With Since = t0, the
// counts of eta_update and backorder_notice are sms/ada 5, sms/bob 1, email/ada 4 and
// email/+ada 1.
func historyFixture(t *testing.T, s store.Store) {
	t.Helper()
	create(t, s,
		sms("a-before", "ord_1", "eta_update", hAda, store.NotificationSent, at(-time.Hour)),
		sms("a-delivered", "ord_1", "eta_update", hAda, store.NotificationDelivered, at(time.Hour)),
		// A tie on created_at: the later created wins, whatever the ids.
		sms("a-tie-z", "ord_1", "eta_update", hAda, store.NotificationPending, at(2*time.Hour)),
		sms("a-tie-y", "ord_1", "eta_update", hAda, store.NotificationPending, at(2*time.Hour)),
		sms("a-failed", "ord_1", "eta_update", hAda, store.NotificationFailed, at(3*time.Hour)),
		sms("a-suppressed", "ord_1", "eta_update", hAda, store.NotificationSuppressed, at(4*time.Hour)),
		sms("a-backorder", "ord_1", "backorder_notice", hAda, store.NotificationSent, at(5*time.Hour)),
		sms("a-shipped", "ord_1", "shipped", hAda, store.NotificationSent, at(6*time.Hour)),
		sms("b-sent", "ord_1", "eta_update", hBob, store.NotificationSent, at(time.Hour)),
		mail("e-sent", "ord_1", "eta_update", hAdaEmail, store.NotificationSent, at(30*time.Minute)),
		// The same recipient string on the other channel.
		mail("e-phone", "ord_1", "eta_update", hAda, store.NotificationSent, at(time.Hour)),

		sms("2-old", "ord_2", "eta_update", hAda, store.NotificationSent, at(-2*time.Hour)),
		sms("2-undelivered", "ord_2", "eta_update", hAda, store.NotificationUndelivered, at(time.Hour)),
		mail("2-at-since", "ord_2", "backorder_notice", hAdaEmail, store.NotificationPending, t0),
		mail("2-tie-z", "ord_2", "eta_update", hAdaEmail, store.NotificationSent, at(time.Hour)),
		mail("2-tie-y", "ord_2", "eta_update", hAdaEmail, store.NotificationDelivered, at(time.Hour)),

		sms("3-failed", "ord_3", "eta_update", hBob, store.NotificationFailed, at(time.Hour)),
		sms("3-suppressed", "ord_3", "eta_update", hBob, store.NotificationSuppressed, at(2*time.Hour)),
		sms("4-sent", "ord_4", "eta_update", hAda, store.NotificationSent, at(time.Hour)),
		sms("4-carol-failed", "ord_4", "eta_update", hCarol, store.NotificationFailed, at(time.Hour)),
	)
	for _, sup := range []store.Suppression{
		{Channel: store.ChannelSMS, Address: hAda, Kind: store.SuppressStop, Reason: "STOP", CreatedAt: t0},
		{Channel: store.ChannelEmail, Address: hAdaEmail, Kind: store.SuppressUnsubscribe, CreatedAt: at(time.Hour)},
		{Channel: store.ChannelEmail, Address: hAdaEmail, Kind: store.SuppressBounce, Reason: "5.1.1", CreatedAt: t0},
		{Channel: store.ChannelSMS, Address: hCarol, Kind: store.SuppressStop, CreatedAt: at(time.Hour)},
		{Channel: store.ChannelSMS, Address: hBob, Kind: store.SuppressStop, CreatedAt: t0},
		{Channel: store.ChannelEmail, Address: "bob@example.com", Kind: store.SuppressBounce, CreatedAt: t0},
	} {
		if err := s.AddSuppression(t.Context(), &sup); err != nil {
			t.Fatalf("AddSuppression %s/%s: %v", sup.Channel, sup.Kind, err)
		}
	}
}

// historyQuery asks the fixture for everything that has an answer and some that has not.
var historyQuery = store.HistoryQuery{
	Addresses: []store.ChannelAddress{
		{Channel: store.ChannelSMS, Address: hAda},
		{Channel: store.ChannelEmail, Address: hAdaEmail},
		{Channel: store.ChannelSMS, Address: hCarol},
		{Channel: store.ChannelEmail, Address: hAda}, // sms/ada is suppressed, email/ada not
		{Channel: store.ChannelEmail, Address: "nobody@example.com"},
	},
	OrderIDs: []string{"ord_1", "ord_2", "ord_3", "ord_9"},
	Kind:     "eta_update",
	Recipients: []store.ChannelAddress{
		{Channel: store.ChannelSMS, Address: hAda},
		{Channel: store.ChannelSMS, Address: hBob},
		{Channel: store.ChannelEmail, Address: hAdaEmail},
		{Channel: store.ChannelEmail, Address: hAda},
		{Channel: store.ChannelSMS, Address: hCarol}, // only a failed one: absent
		{Channel: store.ChannelSMS, Address: "+14155550000"},
	},
	CountKinds: []string{"eta_update", "backorder_notice"},
	Since:      t0,
}

func testHistoryBatch(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	w, ctx := workStore(t, s), t.Context()
	historyFixture(t, s)
	got, err := w.History(ctx, historyQuery)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	t.Run("expected", func(t *testing.T) { checkHistoryExpected(t, got) })
	t.Run("same as one by one", func(t *testing.T) {
		assertSameHistory(t, oneByOne(t, s, historyQuery), got)
	})
	t.Run("record", func(t *testing.T) {
		want := sms("a-tie-y", "ord_1", "eta_update", hAda, store.NotificationPending, at(2*time.Hour))
		want.Subject, want.Body, want.HTML = "", "", "" // left out: Last serves fingerprints
		for _, n := range got.Last {
			if n.ID == want.ID {
				assertEqual(t, "Last", want, &n)
				return
			}
		}
		t.Errorf("Last has no %s", want.ID)
	})
	t.Run("any kind", func(t *testing.T) {
		q := historyQuery
		q.Kind = ""
		anyKind, err := w.History(ctx, q)
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		assertSameHistory(t, oneByOne(t, s, q), anyKind)
		other := false
		for _, n := range anyKind.Last {
			other = other || n.Kind != historyQuery.Kind
		}
		if !other {
			t.Errorf("Last of any kind = %+v: only %s, but the fixture has newer messages of other kinds", anyKind.Last, historyQuery.Kind)
		}
	})
	t.Run("large batch", func(t *testing.T) {
		q := historyQuery
		q.OrderIDs = slices.Clone(q.OrderIDs)
		for i := len(q.OrderIDs); i < 500; i++ {
			q.OrderIDs = append(q.OrderIDs, fmt.Sprintf("ord_x%d", i))
		}
		q.Recipients = slices.Clone(q.Recipients)
		for i := len(q.Recipients); i < 1000; i++ {
			q.Recipients = append(q.Recipients,
				store.ChannelAddress{Channel: store.ChannelSMS, Address: fmt.Sprintf("+1415556%04d", i)})
		}
		big, err := w.History(ctx, q)
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		assertSameHistory(t, got, big)
	})
	t.Run("parts alone", func(t *testing.T) {
		q := historyQuery
		parts := []store.HistoryQuery{
			{Addresses: q.Addresses},
			{OrderIDs: q.OrderIDs, Kind: q.Kind},
			{Recipients: q.Recipients, CountKinds: q.CountKinds, Since: q.Since},
		}
		sum := &store.History{Counts: make(map[store.ChannelAddress]int)}
		for _, p := range parts {
			h, err := w.History(ctx, p)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			sum.Suppressions = append(sum.Suppressions, h.Suppressions...)
			sum.Last = append(sum.Last, h.Last...)
			maps.Copy(sum.Counts, h.Counts)
		}
		assertSameHistory(t, got, sum)
	})
	t.Run("empty", func(t *testing.T) { testHistoryEmpty(t, w) })
}

// checkHistoryExpected checks the answer to historyQuery against values written out.
func checkHistoryExpected(t *testing.T, got *store.History) {
	t.Helper()
	var sups []string
	for _, sup := range got.Suppressions {
		sups = append(sups, sup.Channel+"/"+sup.Address+"/"+sup.Kind)
	}
	slices.Sort(sups)
	wantSups := []string{
		"email/" + hAdaEmail + "/bounce", "email/" + hAdaEmail + "/unsubscribe",
		"sms/" + hAda + "/stop", "sms/" + hCarol + "/stop",
	}
	if !slices.Equal(sups, wantSups) {
		t.Errorf("Suppressions = %q, want %q", sups, wantSups)
	}
	var last []string
	for _, n := range got.Last {
		last = append(last, n.OrderID+" "+n.Channel+" "+n.Recipient+" "+n.ID)
	}
	slices.Sort(last)
	wantLast := []string{
		"ord_1 email " + hAda + " e-phone",
		"ord_1 email " + hAdaEmail + " e-sent",
		"ord_1 sms " + hAda + " a-tie-y", // tie, created last; failed and suppressed are later
		"ord_1 sms " + hBob + " b-sent",
		"ord_2 email " + hAdaEmail + " 2-tie-y",
		"ord_2 sms " + hAda + " 2-old", // before Since does not matter; undelivered is not last
	}
	if !slices.Equal(last, wantLast) {
		t.Errorf("Last =\n%q\nwant\n%q", last, wantLast)
	}
	wantCounts := map[store.ChannelAddress]int{
		// a-delivered, a-tie-z, a-tie-y, a-backorder, 4-sent
		{Channel: store.ChannelSMS, Address: hAda}: 5,
		{Channel: store.ChannelSMS, Address: hBob}: 1,
		// e-sent, 2-at-since, 2-tie-z, 2-tie-y
		{Channel: store.ChannelEmail, Address: hAdaEmail}: 4,
		{Channel: store.ChannelEmail, Address: hAda}:      1,
	}
	if !maps.Equal(got.Counts, wantCounts) {
		t.Errorf("Counts = %v, want %v", got.Counts, wantCounts)
	}
}

// oneByOne answers q with Suppressions, LastNotification and CountSince, calling them
// for every address, every (order, channel, recipient) the log has, and every
// recipient.
func oneByOne(t *testing.T, s store.Store, q store.HistoryQuery) *store.History {
	t.Helper()
	w, ctx := workStore(t, s), t.Context()
	h := &store.History{Counts: make(map[store.ChannelAddress]int)}
	for _, a := range q.Addresses {
		sups, err := s.Suppressions(ctx, a.Channel, a.Address)
		if err != nil {
			t.Fatalf("Suppressions %s: %v", a.Channel, err)
		}
		h.Suppressions = append(h.Suppressions, sups...)
	}
	all, err := s.ListNotifications(ctx, store.NotificationFilter{})
	if err != nil {
		t.Fatalf("ListNotifications: %v", err)
	}
	seen := make(map[store.ChannelAddress]bool)
	for _, n := range all {
		seen[store.ChannelAddress{Channel: n.Channel, Address: n.Recipient}] = true
	}
	for _, ord := range q.OrderIDs {
		for a := range seen {
			n, err := w.LastNotification(ctx, ord, q.Kind, a.Channel, a.Address)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("LastNotification %s/%s: %v", ord, a.Channel, err)
			}
			n.Subject, n.Body, n.HTML = "", "", "" // History.Last leaves the content out
			h.Last = append(h.Last, *n)
		}
	}
	for _, a := range q.Recipients {
		n, err := w.CountSince(ctx, a.Channel, a.Address, q.CountKinds, q.Since)
		if err != nil {
			t.Fatalf("CountSince %s: %v", a.Channel, err)
		}
		if n > 0 {
			h.Counts[a] = n
		}
	}
	return h
}

// assertSameHistory compares two answers, sorting their lists first.
func assertSameHistory(t *testing.T, want, got *store.History) {
	t.Helper()
	if got == nil || got.Counts == nil {
		t.Fatalf("History = %+v, want a non-nil answer with a non-nil Counts", got)
	}
	for _, h := range []*store.History{want, got} {
		slices.SortFunc(h.Suppressions, func(a, b store.Suppression) int {
			return cmp.Or(cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Address, b.Address),
				cmp.Compare(a.Kind, b.Kind))
		})
		slices.SortFunc(h.Last, func(a, b store.Notification) int {
			return cmp.Or(cmp.Compare(a.OrderID, b.OrderID), cmp.Compare(a.Channel, b.Channel),
				cmp.Compare(a.Recipient, b.Recipient))
		})
	}
	assertEqual(t, "Suppressions", want.Suppressions, got.Suppressions)
	assertEqual(t, "Last", want.Last, got.Last)
	if !maps.Equal(got.Counts, want.Counts) {
		t.Errorf("Counts = %v, want %v", got.Counts, want.Counts)
	}
}

// testHistoryEmpty checks that empty lists select nothing, on a store that has
// records for them.
func testHistoryEmpty(t *testing.T, w store.WorkStore) {
	cases := []struct {
		name string
		q    store.HistoryQuery
	}{
		{"all empty", store.HistoryQuery{}},
		{"kind and since only", store.HistoryQuery{Kind: "eta_update", Since: t0}},
		{"count kinds without recipients", store.HistoryQuery{
			CountKinds: historyQuery.CountKinds, Since: t0}},
		{"recipients without count kinds", store.HistoryQuery{
			Recipients: historyQuery.Recipients, Since: t0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := w.History(t.Context(), c.q)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			if got == nil || got.Counts == nil {
				t.Fatalf("History = %+v, want a non-nil answer with a non-nil Counts", got)
			}
			if len(got.Suppressions) != 0 || len(got.Last) != 0 || len(got.Counts) != 0 {
				t.Errorf("History = %+v, want nothing", got)
			}
		})
	}
}
