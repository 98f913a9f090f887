package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/notifyd/notifyd/store"
)

const deliveryCols = `id, type, order_id, payload, status, attempts, last_status,
	last_error, created_at, next_attempt_at, delivered_at, updated_at`

// insertDeliveries creates webhook deliveries given column by column (transpose of
// deliveryArgs) unless their ID exists. Payloads are json, kept byte for byte.
const insertDeliveries = `INSERT INTO webhook_deliveries (` + deliveryCols + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::json[], $5::text[],
		$6::integer[], $7::integer[], $8::text[], $9::timestamptz[], $10::timestamptz[],
		$11::timestamptz[], $12::timestamptz[])
	ON CONFLICT (id) DO NOTHING`

// deliveryArgs fills d's defaults (Status pending, CreatedAt now, UpdatedAt
// CreatedAt) and returns the values of deliveryCols, typed for transpose.
func deliveryArgs(d *store.WebhookDelivery) ([]any, error) {
	if d.ID == "" {
		return nil, errors.New("webhook delivery without an ID")
	}
	status := d.Status
	if status == "" {
		status = store.DeliveryPending
	}
	created := orNow(d.CreatedAt)
	updated := d.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	return []any{d.ID, d.Type, d.OrderID, jsonPtr(d.Payload), status, d.Attempts,
		d.LastStatus, d.LastError, ts(created), tsPtr(d.NextAttemptAt), tsPtr(d.DeliveredAt),
		ts(updated)}, nil
}

func scanDelivery(row scanner) (*store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var payload []byte
	err := row.Scan(&d.ID, &d.Type, &d.OrderID, &payload, &d.Status, &d.Attempts,
		&d.LastStatus, &d.LastError, &d.CreatedAt, &d.NextAttemptAt, &d.DeliveredAt,
		&d.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		d.Payload = payload
	}
	return &d, nil
}

// GetDelivery returns one webhook delivery; store.ErrNotFound if absent.
func (s *Store) GetDelivery(ctx context.Context, id string) (*store.WebhookDelivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx,
		`SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("postgres: get webhook delivery %s: %w", id, mapErr(err))
	}
	return d, nil
}

// UpdateDelivery stores the fields of d that change as it is attempted; UpdatedAt
// defaults to now. store.ErrNotFound if absent.
func (s *Store) UpdateDelivery(ctx context.Context, d *store.WebhookDelivery) error {
	err := s.exec1(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = $2,
			last_status = $3, last_error = $4, next_attempt_at = $5, delivered_at = $6,
			updated_at = $7
		WHERE id = $8`,
		d.Status, d.Attempts, d.LastStatus, d.LastError, tsPtr(d.NextAttemptAt),
		tsPtr(d.DeliveredAt), ts(orNow(d.UpdatedAt)), d.ID)
	if err != nil {
		return fmt.Errorf("postgres: update webhook delivery %s: %w", d.ID, err)
	}
	return nil
}

// ListDeliveries returns the webhook deliveries matching f, newest CreatedAt first
// (ties: the one created last first).
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.WebhookDelivery, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{{"order_id", f.OrderID}, {"status", f.Status}} {
		if c.val != "" {
			args = append(args, c.val)
			where = append(where, fmt.Sprintf("%s = $%d", c.col, len(args)))
		}
	}
	q := `SELECT ` + deliveryCols + ` FROM webhook_deliveries`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, seq DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list webhook deliveries: %w", err)
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("postgres: list webhook deliveries: %w", err)
	}
	return out, nil
}
