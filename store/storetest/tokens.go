package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

func newToken(id, hash string, created time.Time) *store.Token {
	return &store.Token{ID: id, Name: "ci " + id, Role: store.RoleIngest, Hash: hash, CreatedAt: created}
}

func testTokens(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("create and by hash", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		tok := newToken("t1", "h1", t0)
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		got, err := s.TokenByHash(ctx, "h1")
		if err != nil {
			t.Fatalf("TokenByHash: %v", err)
		}
		assertEqual(t, "TokenByHash", newToken("t1", "h1", t0), got)
	})
	t.Run("create fills id and time", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		tok := &store.Token{Name: "x", Role: store.RoleAdmin, Hash: "h1"}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		if tok.ID == "" || tok.CreatedAt.IsZero() {
			t.Fatalf("CreateToken left ID %q, CreatedAt %v", tok.ID, tok.CreatedAt)
		}
		got, err := s.TokenByHash(ctx, "h1")
		if err != nil {
			t.Fatalf("TokenByHash: %v", err)
		}
		assertEqual(t, "TokenByHash", tok, got)
	})
	t.Run("conflicts", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		if err := s.CreateToken(ctx, newToken("t1", "h1", t0)); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		for name, tok := range map[string]*store.Token{
			"same hash": newToken("t2", "h1", t0),
			"same id":   newToken("t1", "h2", t0),
		} {
			if err := s.CreateToken(ctx, tok); !errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateToken %s = %v, want ErrConflict", name, err)
			}
		}
	})
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		if _, err := s.TokenByHash(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TokenByHash missing = %v, want ErrNotFound", err)
		}
		if err := s.RevokeToken(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeToken missing = %v, want ErrNotFound", err)
		}
		if err := s.TouchToken(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TouchToken missing = %v, want ErrNotFound", err)
		}
	})
	t.Run("list revoke touch", testTokenLifecycle(open))
}

func testTokenLifecycle(open func(t *testing.T) store.Store) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		newer, older := newToken("t1", "h1", at(time.Hour)), newToken("t2", "h2", t0)
		for _, tok := range []*store.Token{newer, older} {
			if err := s.CreateToken(ctx, tok); err != nil {
				t.Fatalf("CreateToken %s: %v", tok.ID, err)
			}
		}
		revoked, used := at(2*time.Hour), at(3*time.Hour)
		steps := []struct {
			name string
			do   func() error
		}{
			{"revoke", func() error { return s.RevokeToken(ctx, "t2", revoked) }},
			{"revoke again keeps the first time", func() error { return s.RevokeToken(ctx, "t2", at(9*time.Hour)) }},
			{"touch", func() error { return s.TouchToken(ctx, "t1", at(time.Minute)) }},
			{"touch again moves it", func() error { return s.TouchToken(ctx, "t1", used) }},
		}
		for _, st := range steps {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		got, err := s.ListTokens(ctx)
		if err != nil {
			t.Fatalf("ListTokens: %v", err)
		}
		older.RevokedAt, newer.LastUsedAt = &revoked, &used
		assertEqual(t, "ListTokens", []store.Token{*older, *newer}, got)
	}
}
