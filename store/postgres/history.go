package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/store"
)

// outgoing are the statuses of a notification that went out or will.
var outgoing = []string{store.NotificationPending, store.NotificationSent, store.NotificationDelivered}

// LastNotification returns the newest notification of (order, kind, channel,
// recipient) that is pending, sent or delivered (ties: the last created); an empty
// kind is any kind. store.ErrNotFound if none.
func (s *Store) LastNotification(ctx context.Context, orderID, kind, channel, recipient string) (*store.Notification, error) {
	n, err := scanNotification(s.pool.QueryRow(ctx, `SELECT `+notificationCols+`
		FROM notifications
		WHERE order_id = $1 AND ($2 = '' OR kind = $2) AND channel = $3 AND recipient = $4
			AND status = ANY($5)
		ORDER BY created_at DESC, seq DESC LIMIT 1`, orderID, kind, channel, recipient, outgoing))
	if err != nil {
		return nil, fmt.Errorf("postgres: last notification %s/%s/%s: %w", orderID, kind, channel, mapErr(err))
	}
	return n, nil
}

// CountSince counts the pending, sent or delivered notifications of kinds to
// recipient on channel created at or after since. No kinds count nothing.
func (s *Store) CountSince(ctx context.Context, channel, recipient string, kinds []string, since time.Time) (int, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM notifications
		WHERE channel = $1 AND recipient = $2 AND created_at >= $3 AND status = ANY($4)
			AND kind = ANY($5)`, channel, recipient, ts(since), outgoing, kinds).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count %s notifications since %s: %w", channel, ts(since), err)
	}
	return n, nil
}
