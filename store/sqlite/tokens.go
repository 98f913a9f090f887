package sqlite

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
	t.CreatedAt = orNow(t.CreatedAt).UTC().Truncate(time.Microsecond)
	_, err := s.w.ExecContext(ctx, `INSERT INTO tokens (`+tokenCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Hash, t.Name, t.Role, fmtTime(t.CreatedAt), fmtTimePtr(t.RevokedAt),
		fmtTimePtr(t.LastUsedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create token %s: %w", t.ID, mapErr(err))
	}
	return nil
}

// TokenByHash returns the token with that hash, revoked or not.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx,
		`SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash))
	if err != nil {
		return nil, fmt.Errorf("sqlite: token by hash: %w", mapErr(err))
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list tokens: %w", err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken sets RevokedAt; revoking again keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	err := s.exec1(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`,
		fmtTime(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: revoke token %s: %w", id, err)
	}
	return nil
}

// TouchToken sets LastUsedAt; store.ErrNotFound if absent.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	err := s.exec1(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, fmtTime(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: touch token %s: %w", id, err)
	}
	return nil
}

func scanToken(row scanner) (*store.Token, error) {
	var t store.Token
	err := row.Scan(&t.ID, &t.Hash, &t.Name, &t.Role, timeCol{&t.CreatedAt},
		nullTimeCol{&t.RevokedAt}, nullTimeCol{&t.LastUsedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}
