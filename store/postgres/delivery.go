package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/store"
)

// NotificationByProvider returns the notification known to its provider as providerID
// on channel: the one with an attempt that got that id (CommitSend records it with
// the "sent" attempt); store.ErrNotFound if none. An empty providerID finds nothing:
// it is what every notification not yet sent has. Should a provider reuse an id, the
// oldest notification wins. The lookup goes through the attempts, not the
// notification's own provider_id, so that column is not indexed and sending a message
// changes no indexed column of its row (migration 00007).
func (s *Store) NotificationByProvider(ctx context.Context, channel, providerID string) (*store.Notification, error) {
	if providerID == "" {
		return nil, fmt.Errorf("postgres: notification by provider id %s/%q: %w", channel, providerID, store.ErrNotFound)
	}
	n, err := scanNotification(s.pool.QueryRow(ctx, `SELECT `+notificationCols+`
		FROM notifications WHERE channel = $1 AND id IN (SELECT notification_id
			FROM notification_attempts WHERE provider_id = $2 AND provider_id <> '')
		ORDER BY created_at, seq LIMIT 1`, channel, providerID))
	if err != nil {
		return nil, fmt.Errorf("postgres: notification by provider id %s/%s: %w", channel, providerID, mapErr(err))
	}
	return n, nil
}

// AdvanceDelivery moves a sent notification to a final delivery status in one
// conditional UPDATE. Under READ COMMITTED a racing UPDATE of the same row waits for
// the first to commit and then re-checks status = 'sent' against the new row, so
// exactly one wins; a notification in any other status (a final one included, or none
// at all) is left alone.
func (s *Store) AdvanceDelivery(ctx context.Context, id, status, errorCode string, at time.Time) (bool, error) {
	if !isDeliveryStatus(status) {
		return false, fmt.Errorf("postgres: advance delivery %s: invalid status %q", id, status)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE notifications
		SET status = $1, error_code = $2, updated_at = $3
		WHERE id = $4 AND status = $5`,
		status, errorCode, ts(at), id, store.NotificationSent)
	if err != nil {
		return false, fmt.Errorf("postgres: advance delivery %s: %w", id, mapErr(err))
	}
	return tag.RowsAffected() == 1, nil
}

// isDeliveryStatus reports whether status is one AdvanceDelivery may move to.
func isDeliveryStatus(status string) bool {
	switch status {
	case store.NotificationDelivered, store.NotificationUndelivered, store.NotificationFailed:
		return true
	}
	return false
}

const attemptCols = `notification_id, at, outcome, code, error, provider_id`

// AddAttempt records one send attempt; At defaults to now. store.ErrNotFound if the
// notification is absent.
func (s *Store) AddAttempt(ctx context.Context, a *store.Attempt) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO notification_attempts (`+attemptCols+`)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		a.NotificationID, ts(orNow(a.At)), a.Outcome, a.Code, a.Error, a.ProviderID)
	if err != nil {
		return fmt.Errorf("postgres: add attempt of %s: %w", a.NotificationID, mapErr(err))
	}
	return nil
}

// ListAttempts returns the attempts of a notification, oldest first, ties in the
// order they were added.
func (s *Store) ListAttempts(ctx context.Context, notificationID string) ([]store.Attempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+attemptCols+` FROM notification_attempts
		WHERE notification_id = $1 ORDER BY at, seq`, notificationID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list attempts of %s: %w", notificationID, err)
	}
	out, err := collect(rows, func(row scanner) (*store.Attempt, error) {
		var a store.Attempt
		err := row.Scan(&a.NotificationID, &a.At, &a.Outcome, &a.Code, &a.Error, &a.ProviderID)
		return &a, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list attempts of %s: %w", notificationID, err)
	}
	return out, nil
}
