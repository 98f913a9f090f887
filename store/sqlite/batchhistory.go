package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/notifyd/notifyd/store"
)

// History's queries. Lists go as one JSON array parameter read with json_each, and
// (channel, address) pairs as a JSON array of two-element arrays, so the number of
// bound parameters does not grow with the batch.
const (
	// historySuppressions uses the primary key (channel, address, kind).
	historySuppressions = `SELECT ` + suppressionCols + ` FROM suppressions
		WHERE (channel, address) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))
		ORDER BY channel, address, created_at, kind`
	// historyCounts is CountSince for every recipient at once; it reads
	// notifications_recipient_created (channel, recipient, created_at).
	historyCounts = `SELECT channel, recipient, count(*) FROM notifications
		WHERE (channel, recipient) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))
			AND created_at >= ? AND status IN ` + outgoing + `
			AND kind IN (SELECT value FROM json_each(?))
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
	// reads notifications_last (order_id, kind, channel, recipient, created_at).
	historyLast = `SELECT ` + notificationCols + ` FROM (
			SELECT ` + lastCols + `, ROW_NUMBER() OVER (
					PARTITION BY order_id, channel, recipient
					ORDER BY created_at DESC, rowid DESC) AS rn
			FROM notifications
			WHERE order_id IN (SELECT value FROM json_each(?)) AND (?2 = '' OR kind = ?2)
				AND status IN ` + outgoing + `)
		WHERE rn = 1`
)

// History answers q with one query on the reader pool per part of q that selects
// something; empty lists select nothing and run no query.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) (*store.History, error) {
	h := &store.History{Counts: make(map[store.ChannelAddress]int)}
	if err := s.history(ctx, q, h); err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", mapErr(err))
	}
	return h, nil
}

func (s *Store) history(ctx context.Context, q store.HistoryQuery, h *store.History) error {
	var err error
	if len(q.Addresses) > 0 {
		h.Suppressions, err = s.querySuppressions(ctx, historySuppressions, jsonPairs(q.Addresses))
		if err != nil {
			return err
		}
	}
	if len(q.OrderIDs) > 0 {
		if h.Last, err = s.lastNotifications(ctx, q.OrderIDs, q.Kind); err != nil {
			return err
		}
	}
	if len(q.Recipients) > 0 && len(q.CountKinds) > 0 {
		return s.countSince(ctx, q, h.Counts)
	}
	return nil
}

// lastNotifications runs historyLast.
func (s *Store) lastNotifications(ctx context.Context, orderIDs []string, kind string) ([]store.Notification, error) {
	rows, err := s.readQuery(ctx, historyLast, jsonList(orderIDs), kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *n)
	}
	return out, rows.Err()
}

// countSince runs historyCounts and adds its rows to counts.
func (s *Store) countSince(ctx context.Context, q store.HistoryQuery, counts map[store.ChannelAddress]int) error {
	rows, err := s.readQuery(ctx, historyCounts, jsonPairs(q.Recipients),
		fmtTime(q.Since), jsonList(q.CountKinds))
	if err != nil {
		return err
	}
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

// jsonList is ss as a JSON array, TEXT for json_each (which would read a BLOB as
// JSONB).
func jsonList(ss []string) string {
	b, _ := json.Marshal(ss) // cannot fail: strings only
	return string(b)
}

// jsonPairs is as a JSON array of [channel, address] arrays, TEXT for json_each.
func jsonPairs(as []store.ChannelAddress) string {
	pairs := make([][2]string, len(as))
	for i, a := range as {
		pairs[i] = [2]string{a.Channel, a.Address}
	}
	b, _ := json.Marshal(pairs) // cannot fail: strings only
	return string(b)
}
