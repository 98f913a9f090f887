package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/notifyd/notifyd/store"
)

// History's queries. Pairs of (channel, address) go as two parallel text arrays
// through unnest, lists as arrays, so each query has a fixed number of parameters
// whatever the size of the batch.
const (
	// historySuppressions uses the primary key (channel, address, kind).
	historySuppressions = `SELECT ` + suppressionCols + ` FROM suppressions
		WHERE (channel, address) IN (SELECT * FROM unnest($1::text[], $2::text[]))
		ORDER BY channel, address, created_at, kind`
	// historyCounts is CountSince for every recipient at once; it reads
	// notifications_recipient_created (channel, recipient, created_at).
	historyCounts = `SELECT channel, recipient, count(*) FROM notifications
		WHERE (channel, recipient) IN (SELECT * FROM unnest($1::text[], $2::text[]))
			AND created_at >= $3 AND status = ANY($4) AND kind = ANY($5)
		GROUP BY channel, recipient`
)

// lastCols are notificationCols without the content (subject, body and HTML read as
// ""): History.Last serves the "no repeats" rule, which reads fingerprints, and a
// restock batch's last messages with their rendered HTML cost more to read than all
// the rest of its History.
var lastCols = strings.Replace(notificationCols, "subject, body, html", "'' AS subject, '' AS body, '' AS html", 1)

// historyLast (and in Postgres historyLastAny) read lastCols.
var (
	// historyLast is LastNotification for every (order, channel, recipient) of the
	// orders at once: the first row of each group in LastNotification's order. It
	// reads notifications_last (order_id, kind, channel, recipient, created_at, seq).
	historyLast = `SELECT DISTINCT ON (order_id, channel, recipient) ` + lastCols + `
		FROM notifications
		WHERE order_id = ANY($1) AND kind = $2 AND status = ANY($3)
		ORDER BY order_id, channel, recipient, created_at DESC, seq DESC`
	// historyLastAny is historyLast of any kind. Without the kind, a plan on a table
	// not yet analyzed (a restock right after an import) scanned every notification;
	// a subquery per order behind OFFSET 0, as GetOrders' ordersLines, keeps it to an
	// index lookup of the order's notifications (notifications_last).
	historyLastAny = `SELECT n.* FROM (SELECT DISTINCT id FROM unnest($1::text[]) AS u(id)) ids,
		LATERAL (SELECT DISTINCT ON (channel, recipient) ` + lastCols + `
			FROM notifications WHERE order_id = ids.id AND status = ANY($2)
			ORDER BY channel, recipient, created_at DESC, seq DESC OFFSET 0) n`
)

// History answers q in one round trip: a pgx.Batch of up to three queries, one per
// part of q that selects something. Empty lists select nothing and send no query.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) (*store.History, error) {
	h := &store.History{Counts: make(map[store.ChannelAddress]int)}
	var b pgx.Batch
	if len(q.Addresses) > 0 {
		channels, addresses := splitAddresses(q.Addresses)
		b.Queue(historySuppressions, channels, addresses).Query(func(rows pgx.Rows) error {
			var err error
			h.Suppressions, err = collect(rows, scanSuppression)
			return err
		})
	}
	if len(q.OrderIDs) > 0 {
		sql, args := historyLast, []any{q.OrderIDs, q.Kind, outgoing}
		if q.Kind == "" {
			sql, args = historyLastAny, []any{q.OrderIDs, outgoing}
		}
		b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
			var err error
			h.Last, err = collect(rows, scanNotification)
			return err
		})
	}
	if len(q.Recipients) > 0 && len(q.CountKinds) > 0 {
		channels, recipients := splitAddresses(q.Recipients)
		b.Queue(historyCounts, channels, recipients, ts(q.Since), outgoing, q.CountKinds).
			Query(func(rows pgx.Rows) error { return scanCounts(rows, h.Counts) })
	}
	if b.Len() == 0 {
		return h, nil
	}
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, fmt.Errorf("postgres: history: %w", mapErr(err))
	}
	return h, nil
}

// splitAddresses returns the channels and the addresses of as, as parallel arrays.
func splitAddresses(as []store.ChannelAddress) (channels, addresses []string) {
	channels, addresses = make([]string, len(as)), make([]string, len(as))
	for i, a := range as {
		channels[i], addresses[i] = a.Channel, a.Address
	}
	return channels, addresses
}

// scanCounts adds the rows of historyCounts to counts.
func scanCounts(rows pgx.Rows, counts map[store.ChannelAddress]int) error {
	defer rows.Close()
	for rows.Next() {
		var a store.ChannelAddress
		var n int
		if err := rows.Scan(&a.Channel, &a.Address, &n); err != nil {
			return err
		}
		counts[a] = n
	}
	return rows.Err()
}
