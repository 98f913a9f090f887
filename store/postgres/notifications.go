package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/notifyd/notifyd/store"
)

const notificationCols = `id, order_id, brand, kind, channel, recipient, event_source,
	event_id, dedup_key, status, reason, subject, body, html, provider_id, error,
	error_code, template_version, content_hash, fallback_for, fingerprint, not_before,
	created_at, sent_at, updated_at`

// notificationArgs fills n's defaults (ID a new UUID, Status pending, CreatedAt now,
// UpdatedAt CreatedAt) and returns the values of notificationCols.
func notificationArgs(n *store.Notification) []any {
	id := n.ID
	if id == "" {
		id = uuid.NewString()
	}
	status := n.Status
	if status == "" {
		status = store.NotificationPending
	}
	created := orNow(n.CreatedAt)
	updated := n.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	return []any{id, n.OrderID, n.Brand, n.Kind, n.Channel, n.Recipient, n.EventSource,
		n.EventID, nullString(n.DedupKey), status, n.Reason, n.Subject, n.Body, n.HTML,
		n.ProviderID, n.Error, n.ErrorCode, n.TemplateVersion, n.ContentHash, n.FallbackFor,
		n.Fingerprint, tsPtr(n.NotBefore), ts(created), tsPtr(n.SentAt), ts(updated)}
}

// updateNotification stores the fields UpdateNotification documents; the arguments
// are updateArgs.
const updateNotification = `UPDATE notifications SET status = $1, reason = $2,
		provider_id = $3, error = $4, error_code = $5, sent_at = $6, subject = $7, body = $8,
		html = $9, template_version = $10, content_hash = $11, updated_at = $12
	WHERE id = $13`

func updateArgs(n *store.Notification) []any {
	return []any{n.Status, n.Reason, n.ProviderID, n.Error, n.ErrorCode, tsPtr(n.SentAt),
		n.Subject, n.Body, n.HTML, n.TemplateVersion, n.ContentHash, ts(orNow(n.UpdatedAt)),
		n.ID}
}

// CreateNotification inserts n unless a notification with n.DedupKey exists, and
// returns the stored record. ID defaults to a new UUID, Status to
// store.NotificationPending, CreatedAt and UpdatedAt to now. An empty DedupKey
// deduplicates nothing.
func (s *Store) CreateNotification(ctx context.Context, n *store.Notification) (*store.Notification, bool, error) {
	args := notificationArgs(n)
	id := args[0].(string)
	var (
		got   *store.Notification
		isNew bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO notifications (`+notificationCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
				$17, $18, $19, $20, $21, $22, $23, $24, $25)
			ON CONFLICT (dedup_key) DO NOTHING`, args...)
		if err != nil {
			return err
		}
		isNew = tag.RowsAffected() == 1
		q, arg := `SELECT `+notificationCols+` FROM notifications WHERE id = $1`, id
		if !isNew {
			q, arg = `SELECT `+notificationCols+` FROM notifications WHERE dedup_key = $1`, n.DedupKey
		}
		got, err = scanNotification(tx.QueryRow(ctx, q, arg))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: create notification %s: %w", n.DedupKey, mapErr(err))
	}
	return got, isNew, nil
}

// GetNotification returns one notification; store.ErrNotFound if absent.
func (s *Store) GetNotification(ctx context.Context, id string) (*store.Notification, error) {
	n, err := scanNotification(s.pool.QueryRow(ctx,
		`SELECT `+notificationCols+` FROM notifications WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("postgres: get notification %s: %w", id, mapErr(err))
	}
	return n, nil
}

// UpdateNotification stores the mutable fields of n; UpdatedAt defaults to now.
func (s *Store) UpdateNotification(ctx context.Context, n *store.Notification) error {
	err := s.exec1(ctx, updateNotification, updateArgs(n)...)
	if err != nil {
		return fmt.Errorf("postgres: update notification %s: %w", n.ID, err)
	}
	return nil
}

// ListNotifications returns the notifications matching f, oldest CreatedAt first
// (ties in creation order).
func (s *Store) ListNotifications(ctx context.Context, f store.NotificationFilter) ([]store.Notification, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{
		{"order_id", f.OrderID}, {"status", f.Status}, {"kind", f.Kind},
		{"event_source", f.EventSource}, {"event_id", f.EventID},
	} {
		if c.val != "" {
			args = append(args, c.val)
			where = append(where, fmt.Sprintf("%s = $%d", c.col, len(args)))
		}
	}
	q := `SELECT ` + notificationCols + ` FROM notifications`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at, seq`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list notifications: %w", err)
	}
	out, err := collect(rows, scanNotification)
	if err != nil {
		return nil, fmt.Errorf("postgres: list notifications: %w", err)
	}
	return out, nil
}

func scanNotification(row scanner) (*store.Notification, error) {
	var n store.Notification
	var dedup *string
	err := row.Scan(&n.ID, &n.OrderID, &n.Brand, &n.Kind, &n.Channel, &n.Recipient,
		&n.EventSource, &n.EventID, &dedup, &n.Status, &n.Reason, &n.Subject, &n.Body, &n.HTML,
		&n.ProviderID, &n.Error, &n.ErrorCode, &n.TemplateVersion, &n.ContentHash,
		&n.FallbackFor, &n.Fingerprint, &n.NotBefore, &n.CreatedAt, &n.SentAt, &n.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if dedup != nil {
		n.DedupKey = *dedup
	}
	return &n, nil
}
