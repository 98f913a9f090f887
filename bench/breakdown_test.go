package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/notifyd/notifyd/store"
)

// timedStore adds up the wall time the worker spends in each store method it calls
// on the hot paths (the -breakdown flag), to show where an event's time goes. It
// wraps the store, so its time includes waiting for a pooled connection.
type timedStore struct {
	store.Store
	mu    sync.Mutex
	total map[string]time.Duration
	calls map[string]int
}

func newTimedStore(s store.Store) *timedStore {
	return &timedStore{Store: s, total: map[string]time.Duration{}, calls: map[string]int{}}
}

func (s *timedStore) took(name string, start time.Time) {
	d := time.Since(start)
	s.mu.Lock()
	s.total[name] += d
	s.calls[name]++
	s.mu.Unlock()
}

// table lists each method's calls and mean and total time per unit (an event, an
// order) of n, the slowest first.
func (s *timedStore) table(n int, unit string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.total))
	var all time.Duration
	for k, d := range s.total {
		names = append(names, k)
		all += d
	}
	slices.SortFunc(names, func(a, b string) int { return int(s.total[b] - s.total[a]) })
	var sb strings.Builder
	fmt.Fprintf(&sb, "store time per %s: %.2f ms in all\n", unit, float64(all)/float64(n)/1e6)
	for _, k := range names {
		fmt.Fprintf(&sb, "  %-18s %7.3f calls/%s  mean %8.2f ms  %6.2f ms/%s\n", k, float64(s.calls[k])/float64(n), unit,
			float64(s.total[k])/float64(s.calls[k])/1e6, float64(s.total[k])/float64(n)/1e6, unit)
	}
	return sb.String()
}

func (s *timedStore) RecordEvent(ctx context.Context, e *store.EventRecord) (*store.EventRecord, bool, error) {
	defer s.took("RecordEvent", time.Now())
	return s.Store.RecordEvent(ctx, e)
}

func (s *timedStore) GetOrder(ctx context.Context, id string) (*store.Order, error) {
	defer s.took("GetOrder", time.Now())
	return s.Store.GetOrder(ctx, id)
}

func (s *timedStore) GetOrders(ctx context.Context, ids []string) ([]*store.Order, error) {
	defer s.took("GetOrders", time.Now())
	return s.Store.GetOrders(ctx, ids)
}

func (s *timedStore) CommitEvent(ctx context.Context, c *store.EventCommit) ([]*store.Notification, error) {
	defer s.took("CommitEvent", time.Now())
	return s.Store.CommitEvent(ctx, c)
}

func (s *timedStore) AllocateRestock(ctx context.Context, src, id, brand, sku string, q int, at time.Time) ([]store.Allocation, error) {
	defer s.took("AllocateRestock", time.Now())
	return s.Store.AllocateRestock(ctx, src, id, brand, sku, q, at)
}

func (s *timedStore) LastNotification(ctx context.Context, orderID, kind, channel, recipient string) (*store.Notification, error) {
	defer s.took("LastNotification", time.Now())
	return s.Store.LastNotification(ctx, orderID, kind, channel, recipient)
}

func (s *timedStore) CountSince(ctx context.Context, channel, recipient string, kinds []string, since time.Time) (int, error) {
	defer s.took("CountSince", time.Now())
	return s.Store.CountSince(ctx, channel, recipient, kinds, since)
}

func (s *timedStore) History(ctx context.Context, q store.HistoryQuery) (*store.History, error) {
	defer s.took("History", time.Now())
	return s.Store.History(ctx, q)
}

func (s *timedStore) GetNotification(ctx context.Context, id string) (*store.Notification, error) {
	defer s.took("GetNotification", time.Now())
	return s.Store.GetNotification(ctx, id)
}

func (s *timedStore) UpdateNotification(ctx context.Context, n *store.Notification) error {
	defer s.took("UpdateNotification", time.Now())
	return s.Store.UpdateNotification(ctx, n)
}

func (s *timedStore) AddAttempt(ctx context.Context, a *store.Attempt) error {
	defer s.took("AddAttempt", time.Now())
	return s.Store.AddAttempt(ctx, a)
}

func (s *timedStore) ClaimSend(ctx context.Context, key, id string, at time.Time) (*store.SendClaim, bool, error) {
	defer s.took("ClaimSend", time.Now())
	return s.Store.ClaimSend(ctx, key, id, at)
}

func (s *timedStore) CommitSend(ctx context.Context, key string, n *store.Notification, at time.Time) error {
	defer s.took("CommitSend", time.Now())
	return s.Store.CommitSend(ctx, key, n, at)
}

func (s *timedStore) Suppressions(ctx context.Context, channel, address string) ([]store.Suppression, error) {
	defer s.took("Suppressions", time.Now())
	return s.Store.Suppressions(ctx, channel, address)
}

func (s *timedStore) Pending(ctx context.Context, orderID, kind string) (*store.PendingMessage, error) {
	defer s.took("Pending", time.Now())
	return s.Store.Pending(ctx, orderID, kind)
}
