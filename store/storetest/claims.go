package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

func testClaims(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("claim, claim again, commit, refuse release", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w, ctx := workStore(t, s), t.Context()
		n := newNotification("n1", "ord_1", "eta_update", "k1", t0)
		create(t, s, n)
		existing, claimed, err := w.ClaimSend(ctx, "send-n1", "n1", at(time.Minute))
		if err != nil || !claimed || existing != nil {
			t.Fatalf("ClaimSend = %+v, %v, %v; want nil, true, nil", existing, claimed, err)
		}
		want := &store.SendClaim{Key: "send-n1", NotificationID: "n1", State: store.ClaimClaimed,
			ClaimedAt: at(time.Minute)}
		existing, claimed, err = w.ClaimSend(ctx, "send-n1", "other", at(time.Hour))
		if err != nil || claimed {
			t.Fatalf("ClaimSend again = %v, %v; want the existing claim", claimed, err)
		}
		assertEqual(t, "existing claim", want, existing)

		sent := *n
		sent.Status, sent.ProviderID, sent.SentAt, sent.UpdatedAt = store.NotificationSent, "SM1", ptr(at(2*time.Minute)), at(2*time.Minute)
		sent.Reason, sent.ErrorCode = "sent after a retry", "451"
		sent.Kind = "ignored"           // not a field CommitSend stores
		sent.HTML = "<p>not stored</p>" // the content is what was decided
		if err := w.CommitSend(ctx, "send-n1", &sent, at(3*time.Minute)); err != nil {
			t.Fatalf("CommitSend: %v", err)
		}
		got, err := s.GetNotification(ctx, "n1")
		if err != nil {
			t.Fatalf("GetNotification: %v", err)
		}
		wantN := sent
		wantN.Kind, wantN.HTML = n.Kind, n.HTML
		assertEqual(t, "committed notification", &wantN, got)
		attempts, err := s.ListAttempts(ctx, "n1")
		if err != nil {
			t.Fatalf("ListAttempts: %v", err)
		}
		assertEqual(t, "attempts after CommitSend",
			[]store.Attempt{{NotificationID: "n1", At: at(3 * time.Minute), Outcome: "sent", ProviderID: "SM1"}}, attempts)
		byProvider, err := s.NotificationByProvider(ctx, n.Channel, "SM1")
		if err != nil {
			t.Fatalf("NotificationByProvider after CommitSend: %v", err)
		}
		assertEqual(t, "notification found by the provider id CommitSend recorded", &wantN, byProvider)
		want.State, want.CommittedAt = store.ClaimCommitted, ptr(at(3*time.Minute))
		existing, claimed, err = w.ClaimSend(ctx, "send-n1", "n1", at(time.Hour))
		if err != nil || claimed {
			t.Fatalf("ClaimSend after commit = %v, %v; want the existing claim", claimed, err)
		}
		assertEqual(t, "committed claim", want, existing)
		if err := w.ReleaseSend(ctx, "send-n1"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("ReleaseSend of a committed claim = %v, want ErrConflict", err)
		}
		if existing, _, err = w.ClaimSend(ctx, "send-n1", "n1", at(time.Hour)); err != nil || existing == nil ||
			existing.State != store.ClaimCommitted {
			t.Errorf("claim after the refused release = %+v, %v; want it still committed", existing, err)
		}
	})
	t.Run("release, then claim again", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w, ctx := workStore(t, s), t.Context()
		if _, claimed, err := w.ClaimSend(ctx, "send-n1", "n1", t0); err != nil || !claimed {
			t.Fatalf("ClaimSend = %v, %v; want claimed", claimed, err)
		}
		if err := w.ReleaseSend(ctx, "send-n1"); err != nil {
			t.Fatalf("ReleaseSend: %v", err)
		}
		if _, claimed, err := w.ClaimSend(ctx, "send-n1", "n1", at(time.Hour)); err != nil || !claimed {
			t.Errorf("ClaimSend after release = %v, %v; want claimed", claimed, err)
		}
		if err := w.ReleaseSend(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ReleaseSend of no claim = %v, want ErrNotFound", err)
		}
	})
	t.Run("commit without a claim writes nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w, ctx := workStore(t, s), t.Context()
		n := newNotification("n1", "ord_1", "eta_update", "k1", t0)
		create(t, s, n)
		sent := *n
		sent.Status = store.NotificationSent
		if err := w.CommitSend(ctx, "nope", &sent, at(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CommitSend without a claim = %v, want ErrNotFound", err)
		}
		if got, err := s.GetNotification(ctx, "n1"); err != nil || got.Status != store.NotificationPending {
			t.Errorf("notification after the failed commit = %+v, %v; want it pending", got, err)
		}
		if got, err := s.ListAttempts(ctx, "n1"); err != nil || len(got) != 0 {
			t.Errorf("attempts after the failed commit = %+v, %v; want none", got, err)
		}
		// A claim whose notification is absent: the claim stays claimed.
		if _, _, err := w.ClaimSend(ctx, "send-n9", "n9", t0); err != nil {
			t.Fatalf("ClaimSend: %v", err)
		}
		missing := sent
		missing.ID = "n9"
		if err := w.CommitSend(ctx, "send-n9", &missing, at(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CommitSend of an absent notification = %v, want ErrNotFound", err)
		}
		if c, _, err := w.ClaimSend(ctx, "send-n9", "n9", t0); err != nil || c == nil || c.State != store.ClaimClaimed {
			t.Errorf("claim after the failed commit = %+v, %v; want it still claimed", c, err)
		}
	})
	t.Run("racing claims", func(t *testing.T) {
		t.Parallel()
		w, ctx := workStore(t, open(t)), t.Context()
		var claimed [goroutines]bool
		var got [goroutines]*store.SendClaim
		errs := race(func(i int) (err error) {
			got[i], claimed[i], err = w.ClaimSend(ctx, "send-n1", "n1", at(time.Duration(i)*time.Second))
			return err
		})
		// The losers return the winner's claim, which holds no id of its own: compare
		// its claim time below.
		checkOneWinner(t, errs, claimed[:], func(int) string { return "" })
		var first time.Time
		for i := range got {
			if claimed[i] {
				first = at(time.Duration(i) * time.Second)
			}
		}
		for i, c := range got {
			if !claimed[i] && (c == nil || !c.ClaimedAt.Equal(first.Truncate(time.Microsecond))) {
				t.Errorf("goroutine %d got %+v, want the winner's claim of %v", i, c, first)
			}
		}
	})
}
