package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/notifyd/notifyd/store"
)

const notificationCols = `id, order_id, brand, kind, channel, recipient, event_source,
	event_id, dedup_key, status, reason, subject, body, html, provider_id, error,
	error_code, template_version, content_hash, fallback_for, fingerprint, not_before,
	created_at, sent_at, updated_at`

// insertNotification inserts a notification unless its dedup key exists; the
// arguments are notificationArgs.
const insertNotification = `INSERT INTO notifications (` + notificationCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (dedup_key) DO NOTHING`

// notificationArgs fills n's defaults (ID a new UUID, Status pending, CreatedAt now,
// UpdatedAt CreatedAt) and returns its ID and the values of notificationCols.
func notificationArgs(n *store.Notification) (id string, args []any) {
	id = n.ID
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
	return id, []any{id, n.OrderID, n.Brand, n.Kind, n.Channel, n.Recipient, n.EventSource,
		n.EventID, nullString(n.DedupKey), status, n.Reason, n.Subject, n.Body, n.HTML,
		n.ProviderID, n.Error, n.ErrorCode, n.TemplateVersion, n.ContentHash, n.FallbackFor,
		n.Fingerprint, fmtTimePtr(n.NotBefore), fmtTime(created), fmtTimePtr(n.SentAt),
		fmtTime(updated)}
}

// updateNotification stores the fields UpdateNotification documents; the arguments
// are updateArgs.
const updateNotification = `UPDATE notifications SET status = ?, reason = ?, provider_id = ?,
		error = ?, error_code = ?, sent_at = ?, subject = ?, body = ?, html = ?,
		template_version = ?, content_hash = ?, updated_at = ?
	WHERE id = ?`

func updateArgs(n *store.Notification) []any {
	return []any{n.Status, n.Reason, n.ProviderID, n.Error, n.ErrorCode, fmtTimePtr(n.SentAt),
		n.Subject, n.Body, n.HTML, n.TemplateVersion, n.ContentHash,
		fmtTime(orNow(n.UpdatedAt)), n.ID}
}

// CreateNotification inserts n unless a notification with n.DedupKey exists, and
// returns the stored record. ID defaults to a new UUID, Status to
// store.NotificationPending, CreatedAt and UpdatedAt to now. An empty DedupKey
// deduplicates nothing.
func (s *Store) CreateNotification(ctx context.Context, n *store.Notification) (*store.Notification, bool, error) {
	id, args := notificationArgs(n)
	var (
		got   *store.Notification
		isNew bool
	)
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertNotification, args...)
		if err != nil {
			return err
		}
		rows, err := res.RowsAffected()
		if err != nil {
			return err
		}
		isNew = rows == 1
		q, arg := `SELECT `+notificationCols+` FROM notifications WHERE id = ?`, id
		if !isNew {
			q, arg = `SELECT `+notificationCols+` FROM notifications WHERE dedup_key = ?`, n.DedupKey
		}
		got, err = scanNotification(tx.QueryRowContext(ctx, q, arg))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: create notification %s: %w", n.DedupKey, mapErr(err))
	}
	return got, isNew, nil
}

// GetNotification returns one notification; store.ErrNotFound if absent.
func (s *Store) GetNotification(ctx context.Context, id string) (*store.Notification, error) {
	n, err := scanNotification(s.r.QueryRowContext(ctx,
		`SELECT `+notificationCols+` FROM notifications WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: get notification %s: %w", id, mapErr(err))
	}
	return n, nil
}

// UpdateNotification stores the mutable fields of n; UpdatedAt defaults to now.
func (s *Store) UpdateNotification(ctx context.Context, n *store.Notification) error {
	err := s.exec1(ctx, updateNotification, updateArgs(n)...)
	if err != nil {
		return fmt.Errorf("sqlite: update notification %s: %w", n.ID, err)
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
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	q := `SELECT ` + notificationCols + ` FROM notifications`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at, rowid`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list notifications: %w", err)
	}
	defer rows.Close()
	var out []store.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list notifications: %w", err)
		}
		out = append(out, *n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list notifications: %w", err)
	}
	return out, nil
}

func scanNotification(row scanner) (*store.Notification, error) {
	var n store.Notification
	var dedup sql.NullString
	err := row.Scan(&n.ID, &n.OrderID, &n.Brand, &n.Kind, &n.Channel, &n.Recipient,
		&n.EventSource, &n.EventID, &dedup, &n.Status, &n.Reason, &n.Subject, &n.Body, &n.HTML,
		&n.ProviderID, &n.Error, &n.ErrorCode, &n.TemplateVersion, &n.ContentHash,
		&n.FallbackFor, &n.Fingerprint, nullTimeCol{&n.NotBefore}, timeCol{&n.CreatedAt}, nullTimeCol{&n.SentAt}, timeCol{&n.UpdatedAt})
	if err != nil {
		return nil, err
	}
	n.DedupKey = dedup.String
	return &n, nil
}
