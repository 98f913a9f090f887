package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/notifyd/notifyd/store"
)

const deliveryCols = `id, type, order_id, payload, status, attempts, last_status,
	last_error, created_at, next_attempt_at, delivered_at, updated_at`

// insertDelivery creates a webhook delivery unless its ID exists; the arguments are
// deliveryArgs.
const insertDelivery = `INSERT INTO webhook_deliveries (` + deliveryCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`

// deliveryArgs fills d's defaults (Status pending, CreatedAt now, UpdatedAt
// CreatedAt) and returns the values of deliveryCols.
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
	return []any{d.ID, d.Type, d.OrderID, jsonArg(d.Payload), status, d.Attempts,
		d.LastStatus, d.LastError, fmtTime(created), fmtTimePtr(d.NextAttemptAt),
		fmtTimePtr(d.DeliveredAt), fmtTime(updated)}, nil
}

func scanDelivery(row scanner) (*store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var payload []byte
	err := row.Scan(&d.ID, &d.Type, &d.OrderID, &payload, &d.Status, &d.Attempts,
		&d.LastStatus, &d.LastError, timeCol{&d.CreatedAt}, nullTimeCol{&d.NextAttemptAt},
		nullTimeCol{&d.DeliveredAt}, timeCol{&d.UpdatedAt})
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
	d, err := scanDelivery(s.r.QueryRowContext(ctx,
		`SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: get webhook delivery %s: %w", id, mapErr(err))
	}
	return d, nil
}

// UpdateDelivery stores the fields of d that change as it is attempted; UpdatedAt
// defaults to now. store.ErrNotFound if absent.
func (s *Store) UpdateDelivery(ctx context.Context, d *store.WebhookDelivery) error {
	err := s.exec1(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?,
			last_status = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?,
			updated_at = ?
		WHERE id = ?`,
		d.Status, d.Attempts, d.LastStatus, d.LastError, fmtTimePtr(d.NextAttemptAt),
		fmtTimePtr(d.DeliveredAt), fmtTime(orNow(d.UpdatedAt)), d.ID)
	if err != nil {
		return fmt.Errorf("sqlite: update webhook delivery %s: %w", d.ID, err)
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
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	q := `SELECT ` + deliveryCols + ` FROM webhook_deliveries`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, rowid DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list webhook deliveries: %w", err)
		}
		out = append(out, *d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list webhook deliveries: %w", err)
	}
	return out, nil
}
