package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/notifyd/notifyd/store"
)

const tokenCols = `id, hash, name, role, created_at, revoked_at, last_used_at`

// CreateToken stores t, filling t.ID (a new UUID) and t.CreatedAt (now) when empty.
// store.ErrConflict if the ID or the hash exists.
func (s *Store) CreateToken(ctx context.Context, t *store.Token) error {
	if t.ID == "" {
		t.ID = uuid.NewString()
	}
	t.CreatedAt = ts(orNow(t.CreatedAt))
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (`+tokenCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Hash, t.Name, t.Role, t.CreatedAt, tsPtr(t.RevokedAt), tsPtr(t.LastUsedAt))
	if err != nil {
		return fmt.Errorf("postgres: create token %s: %w", t.ID, mapErr(err))
	}
	return nil
}

// TokenByHash returns the token with that hash, revoked or not.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx,
		`SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, fmt.Errorf("postgres: token by hash: %w", mapErr(err))
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", err)
	}
	out, err := collect(rows, scanToken)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken sets RevokedAt; revoking again keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	err := s.exec1(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`,
		ts(at), id)
	if err != nil {
		return fmt.Errorf("postgres: revoke token %s: %w", id, err)
	}
	return nil
}

// TouchToken sets LastUsedAt; store.ErrNotFound if absent.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	err := s.exec1(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2`, ts(at), id)
	if err != nil {
		return fmt.Errorf("postgres: touch token %s: %w", id, err)
	}
	return nil
}

func scanToken(row scanner) (*store.Token, error) {
	var t store.Token
	err := row.Scan(&t.ID, &t.Hash, &t.Name, &t.Role, &t.CreatedAt, &t.RevokedAt, &t.LastUsedAt)
	if err != nil {
		return nil, err
	}
	return &t, nil
}
