package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/notifyd/notifyd/store"
)

// outgoing is the SQL list of statuses of a notification that went out or will.
const outgoing = `('` + store.NotificationPending + `', '` + store.NotificationSent + `', '` +
	store.NotificationDelivered + `')`

// LastNotification returns the newest notification of (order, kind, channel,
// recipient) that is pending, sent or delivered (ties: the last created); an empty
// kind is any kind. store.ErrNotFound if none.
func (s *Store) LastNotification(ctx context.Context, orderID, kind, channel, recipient string) (*store.Notification, error) {
	n, err := scanNotification(s.r.QueryRowContext(ctx, `SELECT `+notificationCols+`
		FROM notifications
		WHERE order_id = ? AND (?2 = '' OR kind = ?2) AND channel = ? AND recipient = ? AND status IN `+outgoing+`
		ORDER BY created_at DESC, rowid DESC LIMIT 1`, orderID, kind, channel, recipient))
	if err != nil {
		return nil, fmt.Errorf("sqlite: last notification %s/%s/%s: %w", orderID, kind, channel, mapErr(err))
	}
	return n, nil
}

// CountSince counts the pending, sent or delivered notifications of kinds to
// recipient on channel created at or after since. No kinds count nothing.
func (s *Store) CountSince(ctx context.Context, channel, recipient string, kinds []string, since time.Time) (int, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	args := []any{channel, recipient, fmtTime(since)}
	for _, k := range kinds {
		args = append(args, k)
	}
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications
		WHERE channel = ? AND recipient = ? AND created_at >= ? AND status IN `+outgoing+`
			AND kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`)`, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count %s notifications since %s: %w", channel, fmtTime(since), err)
	}
	return n, nil
}
