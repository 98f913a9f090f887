package postgres

import (
	"context"
	"fmt"

	"github.com/notifyd/notifyd/store"
)

const suppressionCols = `channel, address, kind, reason, created_at`

// AddSuppression records s unless (Channel, Address, Kind) exists, in which case the
// first record is kept. CreatedAt defaults to now.
func (s *Store) AddSuppression(ctx context.Context, sup *store.Suppression) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO suppressions (`+suppressionCols+`)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (channel, address, kind) DO NOTHING`,
		sup.Channel, sup.Address, sup.Kind, sup.Reason, ts(orNow(sup.CreatedAt)))
	if err != nil {
		return fmt.Errorf("postgres: add suppression %s/%s: %w", sup.Channel, sup.Kind, mapErr(err))
	}
	return nil
}

// Suppressions returns every suppression of address on channel, oldest first.
func (s *Store) Suppressions(ctx context.Context, channel, address string) ([]store.Suppression, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+suppressionCols+` FROM suppressions
		WHERE channel = $1 AND address = $2 ORDER BY created_at, kind`, channel, address)
	if err != nil {
		return nil, fmt.Errorf("postgres: suppressions on %s: %w", channel, err)
	}
	out, err := collect(rows, scanSuppression)
	if err != nil {
		return nil, fmt.Errorf("postgres: suppressions on %s: %w", channel, err)
	}
	return out, nil
}

// ListSuppressions returns all suppressions, newest first (ties by channel, address,
// kind), at most limit of them when limit > 0.
func (s *Store) ListSuppressions(ctx context.Context, limit int) ([]store.Suppression, error) {
	q := `SELECT ` + suppressionCols + ` FROM suppressions
		ORDER BY created_at DESC, channel, address, kind`
	var args []any
	if limit > 0 {
		q += ` LIMIT $1`
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list suppressions: %w", err)
	}
	out, err := collect(rows, scanSuppression)
	if err != nil {
		return nil, fmt.Errorf("postgres: list suppressions: %w", err)
	}
	return out, nil
}

// DeleteSuppressions removes every suppression of address on channel and returns how
// many there were.
func (s *Store) DeleteSuppressions(ctx context.Context, channel, address string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM suppressions WHERE channel = $1 AND address = $2`,
		channel, address)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete suppressions on %s: %w", channel, err)
	}
	return int(tag.RowsAffected()), nil
}

func scanSuppression(row scanner) (*store.Suppression, error) {
	var sup store.Suppression
	err := row.Scan(&sup.Channel, &sup.Address, &sup.Kind, &sup.Reason, &sup.CreatedAt)
	return &sup, err
}
