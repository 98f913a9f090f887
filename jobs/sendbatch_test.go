package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/notifyd/notifyd/channels"
)

// refuseOnce answers the first restock_notice SMS with a temporary error (a Twilio
// timeout, say) and passes everything else on.
type refuseOnce struct {
	next    channels.Sender
	refused atomic.Int32
}

func (r *refuseOnce) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	if m.Kind == "restock_notice" && m.Channel == channels.SMS && r.refused.CompareAndSwap(0, 1) {
		return channels.Receipt{}, channels.Temporary("20429", errors.New("provider busy"))
	}
	return r.next.Send(ctx, m)
}

// TestRestockSendsInBatches: a restock covering seven orders decides fourteen
// messages in one restock batch — more than a commit sends inline — so they go out
// through notification.send_batch tasks. The one SMS the provider refuses once is
// retried on its own task and sent once; every other message exactly once.
func TestRestockSendsInBatches(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 300ms, quiet_hours: "", max_updates_per_day: 100}`) // one customer, 14 updates
	flaky := &refuseOnce{}
	h.wrap = func(s channels.Sender) channels.Sender { flaky.next = s; return flaky }
	h.start()
	var orders []string
	for i := range 7 {
		id := fmt.Sprintf("ord_sb%d", i)
		orders = append(orders, id)
		e := ev(fmt.Sprint("sb", i), "order.backordered", "2026-11-02T10:00:00Z", id,
			`{"brand":"acme","order":`+orderJSON(id, "2026-11-01T10:00:00Z", custBoth)+boL1+`}`)
		h.step(e)
	}
	h.step(ev("sb_restock", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":14}`))
	want := []string{"backorder_notice email sent", "backorder_notice sms sent", "restock_notice email sent", "restock_notice sms sent"}
	for _, o := range orders {
		if got := h.notifications(o); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", o, got, want)
		}
	}
	if flaky.refused.Load() != 1 {
		t.Errorf("the provider refused %d messages, want 1: the test did not exercise the retry", flaky.refused.Load())
	}
	emails, sms := h.outbox()
	if len(emails) != 14 || len(sms) != 14 { // 7 orders × (backorder_notice, restock_notice)
		t.Errorf("outbox holds %d emails and %d SMS, want 14 and 14", len(emails), len(sms))
	}
}
