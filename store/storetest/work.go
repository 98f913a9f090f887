package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// workStore returns s as a store.WorkStore, which every implementation must be.
func workStore(t testing.TB, s store.Store) store.WorkStore {
	t.Helper()
	w, ok := s.(store.WorkStore)
	if !ok {
		t.Fatalf("%T does not implement store.WorkStore", s)
	}
	return w
}

// recordEvents records events e1, e2, … of order ord (status received).
func recordEvents(t testing.TB, s store.Store, ord string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, _, err := s.RecordEvent(t.Context(), newEvent(id, ord, t0)); err != nil {
			t.Fatalf("RecordEvent %s: %v", id, err)
		}
	}
}

// newCommit returns the commit of event shop/id, handled at done.
func newCommit(id string, orders []*store.Order, ns ...*store.Notification) *store.EventCommit {
	return &store.EventCommit{Source: "shop", ID: id, Outcome: "handled " + id,
		At: at(2 * time.Hour), Orders: orders, Notifications: ns}
}

// newPending returns a pending message of order ord.
func newPending(ord, kind string, seq int) store.PendingMessage {
	return store.PendingMessage{PendingKey: store.PendingKey{OrderID: ord, Kind: kind},
		FirstAt: t0, DueAt: at(10 * time.Minute), Seq: seq,
		Facts:       json.RawMessage(fmt.Sprintf(`{"lines": ["l1"], "seq": %d}`, seq)),
		EventSource: "shop", EventID: fmt.Sprint("e", seq)}
}

// checkEvent checks the stored status of event shop/id.
func checkEvent(t *testing.T, s store.Store, id, status, outcome string, handled *time.Time) {
	t.Helper()
	got, err := s.GetEvent(t.Context(), "shop", id)
	if err != nil {
		t.Fatalf("GetEvent %s: %v", id, err)
	}
	if got.Status != status || got.Outcome != outcome ||
		(handled == nil) != (got.HandledAt == nil) || (handled != nil && !got.HandledAt.Equal(handled.Truncate(time.Microsecond))) {
		t.Errorf("event %s = status %q, outcome %q, handled %v; want %q, %q, %v",
			id, got.Status, got.Outcome, got.HandledAt, status, outcome, handled)
	}
}

// checkNotWritten checks that nothing of commit c was written, but for notifications
// whose dedup key existed before (skip).
func checkNotWritten(t *testing.T, s store.Store, c *store.EventCommit, orderExisted bool) {
	t.Helper()
	ctx, w := t.Context(), workStore(t, s)
	checkEvent(t, s, c.ID, store.EventReceived, "", nil)
	for _, n := range c.Notifications {
		if _, err := s.GetNotification(ctx, n.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("notification %s of the failed commit: %v, want ErrNotFound", n.ID, err)
		}
	}
	for _, a := range c.Allocations {
		if got, err := w.Allocations(ctx, a.RestockSource, a.RestockID); err != nil || len(got) != 0 {
			t.Errorf("allocations of the failed commit = %v, %v; want none", got, err)
		}
	}
	for _, p := range c.UpsertPending {
		if _, err := w.Pending(ctx, p.OrderID, p.Kind); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("pending %s/%s of the failed commit: %v, want ErrNotFound", p.OrderID, p.Kind, err)
		}
	}
	for _, o := range c.Offers {
		if _, err := s.GetOffer(ctx, o.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("offer %s of the failed commit: %v, want ErrNotFound", o.ID, err)
		}
	}
	for _, d := range c.Deliveries {
		if _, err := s.GetDelivery(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("webhook delivery %s of the failed commit: %v, want ErrNotFound", d.ID, err)
		}
	}
	if !orderExisted {
		for _, o := range c.Orders {
			if _, err := s.GetOrder(ctx, o.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("order %s of the failed commit: %v, want ErrNotFound", o.ID, err)
			}
		}
	}
}

func testCommitEvent(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("new order and everything", func(t *testing.T) { testCommitAll(t, open(t)) })
	t.Run("insert of an existing order conflicts", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w, ctx := workStore(t, s), t.Context()
		recordEvents(t, s, "ord_1", "e1", "e2")
		first := newOrder("ord_1", "acme", t0, backordered("l1", "KET", 1, 0))
		if _, err := w.CommitEvent(ctx, newCommit("e1", []*store.Order{first})); err != nil {
			t.Fatalf("CommitEvent: %v", err)
		}
		again := newOrder("ord_1", "acme", t0, backordered("l1", "KET", 2, 0))
		c := newCommit("e2", []*store.Order{again},
			newNotification("n2", "ord_1", "backorder_notice", "k2", t0))
		c.Allocations = []store.Allocation{{RestockSource: "shop", RestockID: "r2", OrderID: "ord_1", LineID: "l1", Quantity: 1}}
		c.UpsertPending = []store.PendingMessage{newPending("ord_1", "eta_update", 1)}
		if _, err := w.CommitEvent(ctx, c); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CommitEvent inserting ord_1 again = %v, want ErrConflict", err)
		}
		if again.Version != 0 {
			t.Errorf("Version after the failed insert = %d, want 0", again.Version)
		}
		checkNotWritten(t, s, c, true)
		got, err := s.GetOrder(ctx, "ord_1")
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		assertEqual(t, "the first order", first, got)
	})
	t.Run("compare-and-set", func(t *testing.T) { testCommitCAS(t, open(t)) })
	t.Run("checked orders: compare-and-set of the version only", func(t *testing.T) { testCommitChecked(t, open(t)) })
	t.Run("lines told of their reservation", func(t *testing.T) { testReservedTold(t, open(t)) })
	t.Run("notifications withdrawn", func(t *testing.T) { testWithdrawn(t, open(t)) })
	t.Run("conflict of a later order leaves earlier ones unchanged", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w, ctx := workStore(t, s), t.Context()
		recordEvents(t, s, "", "e1", "e2")
		a, b := newOrder("ord_a", "acme", t0), newOrder("ord_b", "acme", t0)
		if _, err := w.CommitEvent(ctx, newCommit("e1", []*store.Order{a, b})); err != nil {
			t.Fatalf("CommitEvent: %v", err)
		}
		a.State, b.State, b.Version = store.OrderClosed, store.OrderClosed, 7 // b is stale
		c := newCommit("e2", []*store.Order{a, b}, newNotification("n1", "ord_a", "shipped", "k1", t0))
		if _, err := w.CommitEvent(ctx, c); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CommitEvent with a stale order = %v, want ErrConflict", err)
		}
		if a.Version != 1 || b.Version != 7 {
			t.Errorf("Versions after the failed commit = %d, %d; want 1, 7 (unchanged)", a.Version, b.Version)
		}
		if got, err := s.GetOrder(ctx, "ord_a"); err != nil || got.State != store.OrderOpen || got.Version != 1 {
			t.Errorf("ord_a after the failed commit = %+v, %v; want open at version 1", got, err)
		}
		checkNotWritten(t, s, c, true)
	})
	t.Run("concurrent commits of one order", func(t *testing.T) { testCommitRace(t, open(t)) })
	t.Run("notifications dedup", func(t *testing.T) { testCommitDedup(t, open(t)) })
	t.Run("allocations are idempotent", func(t *testing.T) { testCommitAllocations(t, open(t)) })
	t.Run("pending upsert, delete and get", func(t *testing.T) { testCommitPending(t, open(t)) })
	t.Run("LeaveStatus leaves the event untouched", func(t *testing.T) { testCommitLeaveStatus(t, open(t)) })
	t.Run("unknown event", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w, ctx := workStore(t, s), t.Context()
		o := newOrder("ord_1", "acme", t0, backordered("l1", "KET", 1, 0))
		c := newCommit("nope", []*store.Order{o}, newNotification("n1", "ord_1", "backorder_notice", "k1", t0))
		c.Allocations = []store.Allocation{{RestockSource: "shop", RestockID: "r1", OrderID: "ord_1", LineID: "l1", Quantity: 1}}
		c.UpsertPending = []store.PendingMessage{newPending("ord_1", "eta_update", 1)}
		c.Offers = []*store.Offer{newOffer("of1", "ord_1", "", t0)}
		c.Deliveries = []*store.WebhookDelivery{newDelivery("d1", "ord_1", t0)}
		if _, err := w.CommitEvent(ctx, c); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CommitEvent of an unknown event = %v, want ErrNotFound", err)
		}
		if o.Version != 0 {
			t.Errorf("Version = %d, want 0", o.Version)
		}
		if _, err := s.GetEvent(ctx, "shop", "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetEvent = %v, want ErrNotFound: the event must not be created", err)
		}
		for _, n := range c.Notifications {
			if _, err := s.GetNotification(ctx, n.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("notification %s: %v, want ErrNotFound", n.ID, err)
			}
		}
		if _, err := s.GetOrder(ctx, "ord_1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetOrder = %v, want ErrNotFound", err)
		}
		if got, err := w.Allocations(ctx, "shop", "r1"); err != nil || len(got) != 0 {
			t.Errorf("Allocations = %v, %v; want none", got, err)
		}
		if _, err := w.Pending(ctx, "ord_1", "eta_update"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Pending = %v, want ErrNotFound", err)
		}
		if _, err := s.GetOffer(ctx, "of1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetOffer = %v, want ErrNotFound", err)
		}
		if _, err := s.GetDelivery(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetDelivery = %v, want ErrNotFound", err)
		}
	})
}

// testCommitAll commits a new order with every kind of record and reads each back.
func testCommitAll(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "ord_1", "e1")
	l1 := backordered("l1", "KET", 2, 1)
	l1.ETA, l1.ToldETA = ptr(at(72*time.Hour)), ptr(at(48*time.Hour))
	o := newOrder("ord_1", "acme", t0, l1, backordered("l0", "MUG", 1, 0))
	n1 := newNotification("n1", "ord_1", "backorder_notice", "k1", t0)
	n2 := newNotification("", "ord_1", "backorder_notice", "k2", time.Time{}) // defaults
	n2.Channel, n2.Status = store.ChannelSMS, ""
	// n3's times are all different, in a zone, below the microsecond: what comes back
	// is what is stored (the loop below), not what was given.
	zone := time.FixedZone("UTC+2", 2*3600)
	n3 := newNotification("n3", "ord_1", "backorder_notice", "k3", t0.Add(1500*time.Nanosecond).In(zone))
	n3.UpdatedAt = t0.Add(time.Minute + 2500*time.Nanosecond).In(zone)
	n3.NotBefore, n3.SentAt = ptr(t0.Add(time.Hour+700*time.Nanosecond).In(zone)), ptr(t0.Add(time.Second+1).In(zone))
	c := newCommit("e1", []*store.Order{o}, n1, n2, n3)
	c.Allocations = []store.Allocation{{RestockSource: "shop", RestockID: "r1", OrderID: "ord_1", LineID: "l1", Quantity: 1}}
	c.UpsertPending = []store.PendingMessage{newPending("ord_1", "eta_update", 1)}
	c.DeletePending = []store.PendingKey{{OrderID: "ord_1", Kind: "partial_shipment"}} // absent: fine
	got, err := w.CommitEvent(ctx, c)
	if err != nil {
		t.Fatalf("CommitEvent: %v", err)
	}
	if o.Version != 1 {
		t.Errorf("Version after inserting = %d, want 1", o.Version)
	}
	if len(got) != 3 {
		t.Fatalf("CommitEvent returned %d notifications, want 3", len(got))
	}
	assertEqual(t, "notification 0", n1, got[0])
	if got[1].ID == "" || got[1].Status != store.NotificationPending || got[1].CreatedAt.IsZero() ||
		!got[1].UpdatedAt.Equal(got[1].CreatedAt) || got[1].DedupKey != "k2" || got[1].Channel != store.ChannelSMS {
		t.Errorf("notification 1 defaults not filled: %+v", got[1])
	}
	if n2.ID != "" || n2.Status != "" {
		t.Errorf("CommitEvent changed the notification given: %+v", n2)
	}
	for _, n := range got {
		read, err := s.GetNotification(ctx, n.ID)
		if err != nil {
			t.Fatalf("GetNotification %s: %v", n.ID, err)
		}
		assertEqual(t, "stored notification", n, read)
	}
	read, err := s.GetOrder(ctx, "ord_1")
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	assertEqual(t, "stored order", o, read)
	allocs, err := w.Allocations(ctx, "shop", "r1")
	if err != nil {
		t.Fatalf("Allocations: %v", err)
	}
	assertEqual(t, "allocations", c.Allocations, allocs)
	p, err := w.Pending(ctx, "ord_1", "eta_update")
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	assertEqual(t, "pending", &c.UpsertPending[0], p)
	checkEvent(t, s, "e1", store.EventHandled, "handled e1", &c.At)
}

// testCommitCAS updates an order at the version read, then at a stale one.
func testCommitCAS(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "ord_1", "e1", "e2", "e3")
	if _, err := w.CommitEvent(ctx, newCommit("e1", []*store.Order{newOrder("ord_1", "acme", t0)})); err != nil {
		t.Fatalf("CommitEvent insert: %v", err)
	}
	read, err := s.GetOrder(ctx, "ord_1")
	if err != nil || read.Version != 1 {
		t.Fatalf("GetOrder = %+v, %v; want version 1", read, err)
	}
	stale := *read
	read.State, read.ClosedAt, read.UpdatedAt = store.OrderClosed, ptr(at(time.Hour)), at(time.Hour)
	read.Lines = []store.OrderLine{backordered("l9", "CUP", 1, 1)}
	read.CreatedAt = at(9 * time.Hour) // ignored: the insert's is kept
	if _, err := w.CommitEvent(ctx, newCommit("e2", []*store.Order{read})); err != nil {
		t.Fatalf("CommitEvent at the version read: %v", err)
	}
	if read.Version != 2 {
		t.Errorf("Version after the update = %d, want 2", read.Version)
	}
	want := *read
	want.CreatedAt = stale.CreatedAt
	got, err := s.GetOrder(ctx, "ord_1")
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	assertEqual(t, "updated order", &want, got)

	c := newCommit("e3", []*store.Order{&stale}, newNotification("n3", "ord_1", "shipped", "k3", t0))
	if _, err := w.CommitEvent(ctx, c); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CommitEvent at a stale version = %v, want ErrConflict", err)
	}
	if stale.Version != 1 {
		t.Errorf("Version after the conflict = %d, want 1 (unchanged)", stale.Version)
	}
	checkNotWritten(t, s, c, true)
	if got, err = s.GetOrder(ctx, "ord_1"); err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	assertEqual(t, "order after the conflict", &want, got)
}

// testCommitChecked: orders given as Checked move to the next version and keep what
// is stored — even when the copy given differs — and a stale one fails the whole
// commit.
func testCommitChecked(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "", "e1", "e2", "e3")
	a, b := newOrder("ord_a", "acme", t0), newOrder("ord_b", "acme", t0)
	if _, err := w.CommitEvent(ctx, newCommit("e1", []*store.Order{a, b})); err != nil {
		t.Fatalf("CommitEvent insert: %v", err)
	}
	readA, _ := s.GetOrder(ctx, "ord_a")
	readB, _ := s.GetOrder(ctx, "ord_b")
	wantA, wantB := *readA, *readB
	copyA := *readA
	copyA.State, copyA.Lines = store.OrderClosed, nil // not written: Checked moves only the version
	c := newCommit("e2", nil, newNotification("n2", "ord_a", "restock_notice", "k2", t0))
	c.Checked = []*store.Order{&copyA, readB}
	if _, err := w.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent with checked orders: %v", err)
	}
	if copyA.Version != 2 || readB.Version != 2 {
		t.Errorf("Versions after the commit = %d, %d; want 2, 2", copyA.Version, readB.Version)
	}
	wantA.Version, wantB.Version = 2, 2
	for _, want := range []*store.Order{&wantA, &wantB} {
		got, err := s.GetOrder(ctx, want.ID)
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		assertEqual(t, "checked order "+want.ID, want, got)
	}
	if _, err := s.GetNotification(ctx, "n2"); err != nil {
		t.Errorf("notification of the commit: %v", err)
	}

	stale := wantB
	stale.Version = 1
	c = newCommit("e3", nil, newNotification("n3", "ord_b", "restock_notice", "k3", t0))
	c.Checked = []*store.Order{&wantA, &stale}
	if _, err := w.CommitEvent(ctx, c); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CommitEvent with a stale checked order = %v, want ErrConflict", err)
	}
	if wantA.Version != 2 || stale.Version != 1 {
		t.Errorf("Versions after the conflict = %d, %d; want 2, 1 (unchanged)", wantA.Version, stale.Version)
	}
	checkNotWritten(t, s, c, true)
	if got, err := s.GetOrder(ctx, "ord_a"); err != nil || got.Version != 2 {
		t.Errorf("ord_a after the failed commit = %+v, %v; want version 2", got, err)
	}
}

// testReservedTold: a line's ReservedTold is stored as given while units are reserved
// for it, and false when none are; a commit's ToldReserved sets it on lines of checked
// orders that have units reserved, when their DedupKey holds the notification the
// commit created, or one pending (the commit's sends take it) — not one decided
// earlier that is suppressed (capped) or sent (about units reserved before), even if
// the commit decided it anew as pending.
func testReservedTold(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "", "e1", "e2")
	told, none := backordered("l1", "KET", 2, 2), backordered("l2", "KET", 1, 0)
	told.State, told.ReservedTold, none.ReservedTold = store.LineAllocated, true, true
	a := newOrder("ord_a", "acme", t0, told, none)
	var lines []store.OrderLine
	for i := range 8 {
		lines = append(lines, backordered(fmt.Sprint("l", i+1), "KET", 1, 1))
	}
	lines[1].AllocatedQty = 0
	b := newOrder("ord_b", "acme", t0, lines...)
	capped := newNotification("n_cap", "ord_b", "restock_notice", "cap|ord_b|restock_notice|email", t0)
	capped.Status, capped.Reason = store.NotificationSuppressed, "capped: 2 updates in the last 24 h (max_updates_per_day 2)"
	before := newNotification("n_before", "ord_b", "restock_notice", "old|ord_b|restock_notice|email", t0)
	before.Status = store.NotificationSent
	waiting := newNotification("n_waiting", "ord_b", "restock_notice", "wait|ord_b|restock_notice|email", t0) // pending
	if _, err := w.CommitEvent(ctx, newCommit("e1", []*store.Order{a, b}, capped, before, waiting)); err != nil {
		t.Fatalf("CommitEvent: %v", err)
	}
	toldOf := func(id string) []bool {
		t.Helper()
		o, err := s.GetOrder(ctx, id)
		if err != nil {
			t.Fatalf("GetOrder %s: %v", id, err)
		}
		var out []bool
		for _, l := range o.Lines {
			out = append(out, l.ReservedTold)
		}
		return out
	}
	assertEqual(t, "ord_a's lines told (nothing reserved for l2)", []bool{true, false}, toldOf("ord_a"))
	assertEqual(t, "ord_b's lines told", make([]bool, 8), toldOf("ord_b"))
	readB, _ := s.GetOrder(ctx, "ord_b")
	sent := newNotification("n_sent", "ord_b", "restock_notice", "r|ord_b|restock_notice|email", t0)
	again := newNotification("n_again", "ord_b", "restock_notice", "cap|ord_b|restock_notice|email", t0) // the key holds the capped one
	dup := newNotification("n_dup", "ord_b", "restock_notice", "dup|ord_b|restock_notice|email", t0)
	dup.Status, dup.Reason = store.NotificationSuppressed, "deduplicated: same news as notification n_sent"
	anew := newNotification("n_anew", "ord_b", "restock_notice", "old|ord_b|restock_notice|email", t0)      // the key holds one sent before
	retold := newNotification("n_retold", "ord_b", "restock_notice", "wait|ord_b|restock_notice|email", t0) // the key holds one pending
	c := newCommit("e2", nil, sent, again, dup, anew, retold)
	c.Checked = []*store.Order{readB}
	told1 := func(line string, n *store.Notification) store.ToldLine {
		return store.ToldLine{OrderID: "ord_b", LineID: line, NotificationID: n.ID, DedupKey: n.DedupKey}
	}
	c.ToldReserved = []store.ToldLine{
		told1("l1", sent),
		told1("l2", sent),  // nothing reserved
		told1("l3", again), // capped as stored
		told1("l4", dup),   // the same news
		{OrderID: "ord_b", LineID: "l5", NotificationID: "n_none", DedupKey: "none|ord_b|restock_notice|email"},
		told1("l6", anew),   // sent before
		told1("l7", retold), // pending as stored: goes out now
		told1("l8", before), // an earlier commit's notification, under its key: not this commit's
	}
	if _, err := w.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent with told lines: %v", err)
	}
	assertEqual(t, "ord_b's lines told after the commit", []bool{true, false, false, true, false, false, true, false}, toldOf("ord_b"))
}

// testWithdrawn: a commit's Withdrawn records each notification still pending as
// suppressed with its reason, at the commit's time; one sent meanwhile, or absent,
// is left as it is, and the commit succeeds.
func testWithdrawn(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "ord_1", "e1", "e2")
	pending := newNotification("n_pending", "ord_1", "restock_notice", "r|ord_1|restock_notice|email", t0)
	sent := newNotification("n_sent", "ord_1", "restock_notice", "r|ord_1|restock_notice|sms", t0)
	sent.Status = store.NotificationSent
	if _, err := w.CommitEvent(ctx, newCommit("e1", []*store.Order{newOrder("ord_1", "acme", t0)}, pending, sent)); err != nil {
		t.Fatalf("CommitEvent: %v", err)
	}
	c := newCommit("e2", nil)
	c.At = at(3 * time.Hour)
	c.Withdrawn = []store.Withdrawal{
		{NotificationID: "n_pending", Reason: "superseded: l1 backordered again"},
		{NotificationID: "n_sent", Reason: "superseded: l1 backordered again"},
		{NotificationID: "n_none", Reason: "superseded"},
	}
	if _, err := w.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent withdrawing: %v", err)
	}
	got, err := s.GetNotification(ctx, "n_pending")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.NotificationSuppressed || got.Reason != "superseded: l1 backordered again" || !got.UpdatedAt.Equal(c.At.Truncate(time.Microsecond)) {
		t.Errorf("the pending one withdrawn: %s (%q) at %s; want suppressed (superseded: l1 backordered again) at %s",
			got.Status, got.Reason, got.UpdatedAt, c.At)
	}
	if got, err = s.GetNotification(ctx, "n_sent"); err != nil || got.Status != store.NotificationSent || got.Reason != "" {
		t.Errorf("the sent one: %s (%q), %v; want sent, as it was", got.Status, got.Reason, err)
	}
}

// testCommitRace has goroutines that all read version v commit at once: exactly one
// succeeds, and nothing of the others' commits is written.
func testCommitRace(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "ord_1", "e0")
	if _, err := w.CommitEvent(ctx, newCommit("e0", []*store.Order{newOrder("ord_1", "acme", t0)})); err != nil {
		t.Fatalf("CommitEvent insert: %v", err)
	}
	commits := make([]*store.EventCommit, goroutines)
	for i := range commits {
		id := fmt.Sprint("e", i+1)
		recordEvents(t, s, "ord_1", id)
		o, err := s.GetOrder(ctx, "ord_1")
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		o.Number = id
		commits[i] = newCommit(id, []*store.Order{o},
			newNotification("n"+id, "ord_1", "eta_update", "k"+id, t0),
			newNotification("m"+id, "ord_1", "eta_update", "l"+id, t0))
		commits[i].Allocations = []store.Allocation{{RestockSource: "shop", RestockID: "r" + id,
			OrderID: "ord_1", LineID: "l1", Quantity: i + 1}}
		commits[i].UpsertPending = []store.PendingMessage{newPending("ord_1", "kind"+id, i)}
		commits[i].Offers = []*store.Offer{newOffer("offer-"+id, "ord_1", "", t0)}
		commits[i].Deliveries = []*store.WebhookDelivery{newDelivery("delivery-"+id, "ord_1", t0)}
	}
	errs := race(func(i int) error {
		_, err := w.CommitEvent(ctx, commits[i])
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("commits %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("commit %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no commit succeeded")
	}
	for i, c := range commits {
		if i == winner {
			if c.Orders[0].Version != 2 {
				t.Errorf("winner's Version = %d, want 2", c.Orders[0].Version)
			}
			checkEvent(t, s, c.ID, store.EventHandled, c.Outcome, &c.At)
			continue
		}
		if c.Orders[0].Version != 1 {
			t.Errorf("loser %d's Version = %d, want 1", i, c.Orders[0].Version)
		}
		checkNotWritten(t, s, c, true)
	}
	got, err := s.GetOrder(ctx, "ord_1")
	if err != nil || got.Version != 2 || got.Number != commits[winner].ID {
		t.Errorf("stored order = %+v, %v; want the winner's at version 2", got, err)
	}
}

// testCommitDedup commits notifications whose dedup key exists, before or in the
// same commit.
func testCommitDedup(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "ord_1", "e1", "e2")
	existing := newNotification("n1", "ord_1", "backorder_notice", "k1", t0)
	create(t, s, existing)
	n2 := newNotification("n2", "ord_1", "eta_update", "k2", at(time.Minute))
	c := newCommit("e1", nil,
		newNotification("n1-again", "ord_1", "eta_update", "k1", at(time.Minute)),
		n2,
		newNotification("n2-again", "ord_1", "eta_update", "k2", at(2*time.Minute)),
		newNotification("n3", "ord_1", "eta_update", "", at(time.Minute)),
		newNotification("n4", "ord_1", "eta_update", "", at(time.Minute)))
	got, err := w.CommitEvent(ctx, c)
	if err != nil {
		t.Fatalf("CommitEvent: %v", err)
	}
	want := []*store.Notification{existing, n2, n2, c.Notifications[3], c.Notifications[4]}
	assertEqual(t, "returned notifications", want, got)
	// A retried event decides the same messages again: nothing new is created.
	again := newCommit("e2", nil, newNotification("n5", "ord_1", "eta_update", "k2", at(time.Hour)))
	if got, err = w.CommitEvent(ctx, again); err != nil {
		t.Fatalf("CommitEvent again: %v", err)
	}
	assertEqual(t, "returned on retry", []*store.Notification{n2}, got)
	all, err := s.ListNotifications(ctx, store.NotificationFilter{OrderID: "ord_1"})
	if err != nil || len(all) != 4 {
		t.Errorf("ListNotifications = %d notifications, %v; want 4", len(all), err)
	}
}

// testCommitAllocations commits an allocation twice.
func testCommitAllocations(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "", "e1", "e2")
	alloc := func(ord, line string, qty int) store.Allocation {
		return store.Allocation{RestockSource: "shop", RestockID: "r1", OrderID: ord, LineID: line, Quantity: qty}
	}
	c := newCommit("e1", nil)
	c.Allocations = []store.Allocation{alloc("ord_2", "l1", 2), alloc("ord_1", "l2", 1)}
	if _, err := w.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent: %v", err)
	}
	c = newCommit("e2", nil)
	c.Allocations = []store.Allocation{alloc("ord_2", "l1", 5), alloc("ord_1", "l1", 3),
		{RestockSource: "shop", RestockID: "r2", OrderID: "ord_1", LineID: "l1", Quantity: 4}}
	if _, err := w.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent again: %v", err)
	}
	got, err := w.Allocations(ctx, "shop", "r1")
	if err != nil {
		t.Fatalf("Allocations: %v", err)
	}
	// By order, then line; the first allocation of a line is kept.
	assertEqual(t, "allocations of r1", []store.Allocation{
		alloc("ord_1", "l1", 3), alloc("ord_1", "l2", 1), alloc("ord_2", "l1", 2)}, got)
	if got, err = w.Allocations(ctx, "shop", "none"); err != nil || len(got) != 0 {
		t.Errorf("Allocations of an unknown restock = %v, %v; want none", got, err)
	}
}

// testCommitPending upserts, replaces and deletes pending messages.
func testCommitPending(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "ord_1", "e1", "e2")
	eta, partial := newPending("ord_1", "eta_update", 0), newPending("ord_1", "partial_shipment", 0)
	partial.Facts = nil
	c := newCommit("e1", nil)
	c.UpsertPending = []store.PendingMessage{eta, partial}
	if _, err := w.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent: %v", err)
	}
	for _, want := range []store.PendingMessage{eta, partial} {
		got, err := w.Pending(ctx, want.OrderID, want.Kind)
		if err != nil {
			t.Fatalf("Pending %s: %v", want.Kind, err)
		}
		assertEqual(t, "pending "+want.Kind, &want, got)
	}
	eta2 := newPending("ord_1", "eta_update", 1)
	eta2.FirstAt, eta2.DueAt = at(time.Minute), at(20*time.Minute)
	c = newCommit("e2", nil)
	c.UpsertPending = []store.PendingMessage{eta2}
	c.DeletePending = []store.PendingKey{partial.PendingKey, {OrderID: "ord_9", Kind: "eta_update"}}
	if _, err := w.CommitEvent(ctx, c); err != nil {
		t.Fatalf("CommitEvent again: %v", err)
	}
	got, err := w.Pending(ctx, "ord_1", "eta_update")
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	assertEqual(t, "replaced pending", &eta2, got)
	if _, err := w.Pending(ctx, "ord_1", "partial_shipment"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Pending of the deleted message = %v, want ErrNotFound", err)
	}
}

// testCommitLeaveStatus commits with LeaveStatus for a handled event, a received one
// and one never recorded: the commit is written, the events are as they were.
func testCommitLeaveStatus(t *testing.T, s store.Store) {
	t.Parallel()
	w, ctx := workStore(t, s), t.Context()
	recordEvents(t, s, "", "handled", "received")
	if err := s.SetEventStatus(ctx, "shop", "handled", store.EventHandled, "first", at(time.Hour)); err != nil {
		t.Fatalf("SetEventStatus: %v", err)
	}
	for i, id := range []string{"handled", "received", "never recorded"} {
		o := newOrder(fmt.Sprint("ord_", i), "acme", t0, backordered("l1", "KET", 1, 0))
		n := newNotification(fmt.Sprint("n", i), o.ID, "restock_notice", fmt.Sprint("k", i), t0)
		c := newCommit(id, []*store.Order{o}, n)
		c.LeaveStatus, c.Outcome = true, "second"
		if _, err := w.CommitEvent(ctx, c); err != nil {
			t.Fatalf("CommitEvent of %s with LeaveStatus: %v", id, err)
		}
		if got, err := s.GetOrder(ctx, o.ID); err != nil || got.Version != 1 {
			t.Errorf("order of %s = %+v, %v; want saved at version 1", id, got, err)
		}
		if _, err := s.GetNotification(ctx, n.ID); err != nil {
			t.Errorf("notification of %s: %v", id, err)
		}
	}
	checkEvent(t, s, "handled", store.EventHandled, "first", ptr(at(time.Hour)))
	checkEvent(t, s, "received", store.EventReceived, "", nil)
	if _, err := s.GetEvent(ctx, "shop", "never recorded"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetEvent of the event never recorded = %v, want ErrNotFound", err)
	}
}
