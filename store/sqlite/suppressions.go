package sqlite

import (
	"context"
	"fmt"

	"github.com/notifyd/notifyd/store"
)

const suppressionCols = `channel, address, kind, reason, created_at`

// AddSuppression records s unless (Channel, Address, Kind) exists, in which case the
// first record is kept. CreatedAt defaults to now.
func (s *Store) AddSuppression(ctx context.Context, sup *store.Suppression) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO suppressions (`+suppressionCols+`)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (channel, address, kind) DO NOTHING`,
		sup.Channel, sup.Address, sup.Kind, sup.Reason, fmtTime(orNow(sup.CreatedAt)))
	if err != nil {
		return fmt.Errorf("sqlite: add suppression %s/%s: %w", sup.Channel, sup.Kind, mapErr(err))
	}
	return nil
}

// Suppressions returns every suppression of address on channel, oldest first.
func (s *Store) Suppressions(ctx context.Context, channel, address string) ([]store.Suppression, error) {
	out, err := s.querySuppressions(ctx, `SELECT `+suppressionCols+` FROM suppressions
		WHERE channel = ? AND address = ? ORDER BY created_at, kind`, channel, address)
	if err != nil {
		return nil, fmt.Errorf("sqlite: suppressions on %s: %w", channel, err)
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
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	out, err := s.querySuppressions(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list suppressions: %w", err)
	}
	return out, nil
}

// DeleteSuppressions removes every suppression of address on channel and returns how
// many there were.
func (s *Store) DeleteSuppressions(ctx context.Context, channel, address string) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM suppressions WHERE channel = ? AND address = ?`,
		channel, address)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete suppressions on %s: %w", channel, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete suppressions on %s: %w", channel, err)
	}
	return int(n), nil
}

func (s *Store) querySuppressions(ctx context.Context, q string, args ...any) ([]store.Suppression, error) {
	rows, err := s.readQuery(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Suppression
	for rows.Next() {
		var sup store.Suppression
		if err := rows.Scan(&sup.Channel, &sup.Address, &sup.Kind, &sup.Reason,
			timeCol{&sup.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, sup)
	}
	return out, rows.Err()
}
