package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// prefetched is what deciding one kind of message for some orders reads — the
// recipients' suppressions, the last message (of any kind) per order and recipient,
// the recipients' updates of the last 24 hours — fetched with one store.History call
// instead of up to six queries per order.
type prefetched struct {
	suppressions map[store.ChannelAddress][]store.Suppression
	last         map[lastKey]*store.Notification
	counts       map[store.ChannelAddress]int
	kind         string
}

type lastKey struct{ order, channel, recipient string }

// prefetch reads the history that deciding kind for orders needs: one store call for
// a whole restock batch, and for a single order's decision one instead of up to six.
// The updates of the last 24 hours are counted only for a kind the cap holds back.
func (w *Worker) prefetch(ctx context.Context, orders []*orderState, kind string) (*prefetched, error) {
	q := store.HistoryQuery{} // Kind "": the last message of any kind (holdBack)
	if capped(kind) {
		q.CountKinds, q.Since = updateKinds(), w.Now().Add(-24*time.Hour)
	}
	for _, o := range orders {
		q.OrderIDs = append(q.OrderIDs, o.rec.ID)
		c := o.snap.Customer
		if c.Email != "" {
			q.Addresses = append(q.Addresses, store.ChannelAddress{Channel: store.ChannelEmail, Address: normalAddress(store.ChannelEmail, c.Email)})
			q.Recipients = append(q.Recipients, store.ChannelAddress{Channel: store.ChannelEmail, Address: c.Email})
		}
		if c.Phone != "" {
			q.Addresses = append(q.Addresses, store.ChannelAddress{Channel: store.ChannelSMS, Address: normalAddress(store.ChannelSMS, c.Phone)})
			q.Recipients = append(q.Recipients, store.ChannelAddress{Channel: store.ChannelSMS, Address: c.Phone})
		}
	}
	h, err := w.Store.History(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prefetch history: %w", err)
	}
	pre := &prefetched{
		suppressions: map[store.ChannelAddress][]store.Suppression{},
		last:         make(map[lastKey]*store.Notification, len(h.Last)),
		counts:       h.Counts,
		kind:         kind,
	}
	if pre.counts == nil {
		pre.counts = map[store.ChannelAddress]int{}
	}
	for _, s := range h.Suppressions {
		k := store.ChannelAddress{Channel: s.Channel, Address: s.Address}
		pre.suppressions[k] = append(pre.suppressions[k], s)
	}
	for i := range h.Last {
		n := &h.Last[i]
		pre.last[lastKey{n.OrderID, n.Channel, n.Recipient}] = n
	}
	return pre, nil
}

// lastNotification is what store.LastNotification says of n's order, channel and
// recipient, of any kind; nil when there is none.
func (pre *prefetched) lastNotification(n *store.Notification) *store.Notification {
	return pre.last[lastKey{n.OrderID, n.Channel, n.Recipient}]
}

// count is what store.CountSince says of n's channel and recipient for the update
// kinds over the 24 hours before the prefetch.
func (pre *prefetched) count(n *store.Notification) int {
	return pre.counts[store.ChannelAddress{Channel: n.Channel, Address: n.Recipient}]
}

// decided adds n, decided to go out in the batch, to what later decisions of the same
// batch see: two orders of one customer in one batch count twice toward the cap.
func (pre *prefetched) decided(n *store.Notification) {
	if !templates.Required(n.Kind) { // every update counts toward the cap
		pre.counts[store.ChannelAddress{Channel: n.Channel, Address: n.Recipient}]++
	}
	pre.last[lastKey{n.OrderID, n.Channel, n.Recipient}] = n
}
