package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// newOffer returns an open offer of order ord with every field set, created at created.
func newOffer(id, ord, phone string, created time.Time) *store.Offer {
	return &store.Offer{ID: id, OrderID: ord, Brand: "acme", LineIDs: []string{"l1", "l2"},
		Silence: store.SilenceConsent, NewDate: ptr(at(20 * 24 * time.Hour)),
		Substitute: json.RawMessage(`{"line_id": "l1", "sku": "KET-RED", "unit_price": "41.00"}`),
		Deadline:   at(7 * 24 * time.Hour), ReminderAt: ptr(at(4 * 24 * time.Hour)),
		Policy: json.RawMessage(`{"min_response_time": "7d", "reminder_before": "3d"}`),
		State:  store.OfferOpen, Phone: phone, CreatedAt: created, UpdatedAt: created}
}

// commitOffers commits offers (and deliveries) as handled event shop/id, recording
// the event first.
func commitOffers(t *testing.T, s store.Store, id string, offers []*store.Offer, ds ...*store.WebhookDelivery) {
	t.Helper()
	recordEvents(t, s, "", id)
	c := newCommit(id, nil)
	c.Offers, c.Deliveries = offers, ds
	if _, err := s.CommitEvent(t.Context(), c); err != nil {
		t.Fatalf("CommitEvent %s: %v", id, err)
	}
}

// getOffer reads an offer back, failing the test if it cannot.
func getOffer(t *testing.T, s store.Store, id string) *store.Offer {
	t.Helper()
	got, err := s.GetOffer(t.Context(), id)
	if err != nil {
		t.Fatalf("GetOffer %s: %v", id, err)
	}
	return got
}

func testOffers(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("round trip", func(t *testing.T) { testOfferRoundTrip(t, open(t)) })
	t.Run("replace by ID", func(t *testing.T) { testOfferReplace(t, open(t)) })
	t.Run("OffersOf newest first", func(t *testing.T) { testOffersOf(t, open(t)) })
	t.Run("latest open offer for a phone", func(t *testing.T) { testLatestOpenOffer(t, open(t)) })
	t.Run("MarkOfferSent only the first time", func(t *testing.T) { testMarkOfferSent(t, open(t)) })
	t.Run("conflicting commit writes no offer", func(t *testing.T) { testOfferConflict(t, open(t)) })
	t.Run("offer without ID", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		recordEvents(t, s, "", "e1")
		c := newCommit("e1", nil)
		c.Offers = []*store.Offer{newOffer("", "ord_1", "", t0)}
		if _, err := s.CommitEvent(t.Context(), c); err == nil {
			t.Error("CommitEvent of an offer without ID succeeded")
		}
		checkNotWritten(t, s, c, false)
	})
}

// testOfferRoundTrip commits an offer with every field set and one with defaults.
func testOfferRoundTrip(t *testing.T, s store.Store) {
	t.Parallel()
	ctx := t.Context()
	full := newOffer("of1", "ord_1", "+14155550100", t0)
	full.Silence, full.Renewed, full.NoDateReason = store.SilenceCancel, true, "supplier delay"
	full.SentAt, full.ChoiceAt = ptr(at(time.Hour)), ptr(at(2*time.Hour))
	full.Choice, full.ChoiceChannel = "substitute", "web"
	full.UpdatedAt = at(2 * time.Hour)
	bare := &store.Offer{ID: "of2", OrderID: "ord_1", Deadline: at(time.Hour)} // defaults
	recordEvents(t, s, "ord_1", "e1")
	c := newCommit("e1", []*store.Order{newOrder("ord_1", "acme", t0)})
	c.Offers = []*store.Offer{full, bare}
	if _, err := s.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent: %v", err)
	}
	assertEqual(t, "offer with every field", full, getOffer(t, s, "of1"))
	got := getOffer(t, s, "of2")
	if got.State != store.OfferOpen || got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("offer defaults not filled: state %q, created %v, updated %v",
			got.State, got.CreatedAt, got.UpdatedAt)
	}
	want := *bare
	want.State, want.CreatedAt, want.UpdatedAt = got.State, got.CreatedAt, got.UpdatedAt
	assertEqual(t, "offer with defaults", &want, got)
	if bare.State != "" || !bare.CreatedAt.IsZero() {
		t.Errorf("CommitEvent changed the offer given: %+v", bare)
	}
	if _, err := s.GetOffer(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetOffer of an unknown offer = %v, want ErrNotFound", err)
	}
}

// testOfferReplace replaces an offer: every field is the new one's but CreatedAt, and
// a SentAt already set stays.
func testOfferReplace(t *testing.T, s store.Store) {
	t.Parallel()
	first := newOffer("of1", "ord_1", "+14155550100", t0)
	commitOffers(t, s, "e1", []*store.Offer{first})
	if err := s.MarkOfferSent(t.Context(), "of1", at(time.Minute)); err != nil {
		t.Fatalf("MarkOfferSent: %v", err)
	}
	// Decided by a worker that read the offer before it was marked sent.
	decided := *first
	decided.LineIDs, decided.Substitute, decided.NewDate = []string{"l2"}, nil, nil
	decided.Choice, decided.ChoiceChannel, decided.ChoiceAt = "refund", "sms", ptr(at(time.Hour))
	decided.State, decided.Phone, decided.Renewed = store.OfferDecided, "", true
	decided.CreatedAt, decided.UpdatedAt = at(time.Hour), at(time.Hour) // CreatedAt is ignored
	commitOffers(t, s, "e2", []*store.Offer{&decided})
	want := decided
	want.CreatedAt, want.SentAt = first.CreatedAt, ptr(at(time.Minute))
	assertEqual(t, "replaced offer", &want, getOffer(t, s, "of1"))

	// A replacement may set SentAt when none is stored.
	second := newOffer("of2", "ord_1", "", t0)
	commitOffers(t, s, "e3", []*store.Offer{second})
	sent := *second
	sent.SentAt = ptr(at(3 * time.Minute))
	commitOffers(t, s, "e4", []*store.Offer{&sent})
	assertEqual(t, "offer replaced with SentAt", &sent, getOffer(t, s, "of2"))
	if got, err := s.OffersOf(t.Context(), "ord_1"); err != nil || len(got) != 2 {
		t.Errorf("OffersOf = %d offers, %v; want 2", len(got), err)
	}
}

// testOffersOf lists the offers of an order, newest first.
func testOffersOf(t *testing.T, s store.Store) {
	t.Parallel()
	ctx := t.Context()
	a := newOffer("a", "ord_1", "", at(time.Hour))
	b := newOffer("b", "ord_1", "", at(3*time.Hour))
	c := newOffer("c", "ord_1", "", t0)
	d := newOffer("d", "ord_1", "", at(time.Hour)) // ties with a, created after it
	other := newOffer("x", "ord_2", "", at(9*time.Hour))
	commitOffers(t, s, "e1", []*store.Offer{a, b})
	commitOffers(t, s, "e2", []*store.Offer{c, other, d})
	got, err := s.OffersOf(ctx, "ord_1")
	if err != nil {
		t.Fatalf("OffersOf: %v", err)
	}
	assertEqual(t, "offers of ord_1", []store.Offer{*b, *d, *a, *c}, got)
	if got, err = s.OffersOf(ctx, "ord_9"); err != nil || len(got) != 0 {
		t.Errorf("OffersOf an order without offers = %v, %v; want none", got, err)
	}
}

// testLatestOpenOffer finds the newest open offer for a phone, ignoring offers
// decided or closed and other phones.
func testLatestOpenOffer(t *testing.T, s store.Store) {
	t.Parallel()
	ctx := t.Context()
	const phone, other = "+14155550100", "+14155550111"
	older := newOffer("older", "ord_1", phone, t0)
	open := newOffer("open", "ord_2", phone, at(time.Hour))
	decided := newOffer("decided", "ord_3", phone, at(2*time.Hour))
	decided.State = store.OfferDecided
	closed := newOffer("closed", "ord_4", phone, at(3*time.Hour))
	closed.State = store.OfferClosed
	otherPhone := newOffer("other", "ord_5", other, at(4*time.Hour))
	noPhone := newOffer("none", "ord_6", "", at(5*time.Hour))
	onlyDecided := newOffer("only-decided", "ord_7", "+14155550122", at(time.Hour))
	onlyDecided.State = store.OfferDecided
	commitOffers(t, s, "e1", []*store.Offer{decided, open, older, closed, otherPhone, noPhone, onlyDecided})
	got, err := s.LatestOpenOfferForPhone(ctx, phone)
	if err != nil {
		t.Fatalf("LatestOpenOfferForPhone: %v", err)
	}
	assertEqual(t, "latest open offer", open, got)
	if got, err = s.LatestOpenOfferForPhone(ctx, other); err != nil || got.ID != "other" {
		t.Errorf("LatestOpenOfferForPhone(other) = %v, %v; want offer other", got, err)
	}
	for _, p := range []string{"+14155550122", "+10000000000", ""} {
		if got, err := s.LatestOpenOfferForPhone(ctx, p); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestOpenOfferForPhone(%q) = %v, %v; want ErrNotFound", p, got, err)
		}
	}
	// Once the newest is decided, the older open one is the latest.
	open.State = store.OfferDecided
	commitOffers(t, s, "e2", []*store.Offer{open})
	if got, err = s.LatestOpenOfferForPhone(ctx, phone); err != nil || got.ID != "older" {
		t.Errorf("LatestOpenOfferForPhone after deciding the newest = %v, %v; want offer older", got, err)
	}
}

// testMarkOfferSent marks an offer sent twice: the first time counts.
func testMarkOfferSent(t *testing.T, s store.Store) {
	t.Parallel()
	ctx := t.Context()
	o := newOffer("of1", "ord_1", "", t0)
	commitOffers(t, s, "e1", []*store.Offer{o})
	for i, when := range []time.Time{at(time.Minute), at(time.Hour)} {
		if err := s.MarkOfferSent(ctx, "of1", when); err != nil {
			t.Fatalf("MarkOfferSent #%d: %v", i+1, err)
		}
		want := *o
		want.SentAt, want.UpdatedAt = ptr(at(time.Minute)), at(time.Minute)
		assertEqual(t, fmt.Sprintf("offer after MarkOfferSent #%d", i+1), &want, getOffer(t, s, "of1"))
	}
	if err := s.MarkOfferSent(ctx, "none", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkOfferSent of an unknown offer = %v, want ErrNotFound", err)
	}
}

// testOfferConflict commits offers and deliveries with a stale order: none is
// written, and an offer the commit would have replaced is unchanged.
func testOfferConflict(t *testing.T, s store.Store) {
	t.Parallel()
	ctx := t.Context()
	recordEvents(t, s, "ord_1", "e1", "e2")
	o := newOrder("ord_1", "acme", t0)
	kept := newOffer("kept", "ord_1", "", t0)
	c := newCommit("e1", []*store.Order{o})
	c.Offers = []*store.Offer{kept}
	if _, err := s.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent: %v", err)
	}
	stale := *o
	stale.Version = 7 // changed since it was read
	replaced := *kept
	replaced.State, replaced.Choice = store.OfferDecided, "wait"
	c = newCommit("e2", []*store.Order{&stale})
	c.Offers = []*store.Offer{newOffer("new", "ord_1", "", t0), &replaced}
	c.Deliveries = []*store.WebhookDelivery{newDelivery("d1", "ord_1", t0)}
	if _, err := s.CommitEvent(ctx, c); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CommitEvent with a stale order = %v, want ErrConflict", err)
	}
	c.Offers = c.Offers[:1] // checkNotWritten wants the new ones
	checkNotWritten(t, s, c, true)
	assertEqual(t, "offer the failed commit replaced", kept, getOffer(t, s, "kept"))
}
