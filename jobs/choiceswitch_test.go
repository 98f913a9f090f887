package jobs_test

import (
	"fmt"
	"slices"
	"testing"
)

// §8.6: until the deadline the
// customer may switch between wait and substitute, and a recorded choice is confirmed.
// The choice_confirmation's fingerprint holds the kind, the lines and the offer, not
// the choice: substitute then wait makes the second confirmation "the same news" as
// the first, and the customer is never told that "wait" was recorded.
func TestSwitchedChoiceConfirmed(t *testing.T) {
	h := newHarness(t, hourToAnswer)
	h.start()
	const o = "ord_rv8f"
	sub := `,"substitutes":[{"line_id":"l1","sku":"KET-RED","name":"Red Kettle","unit_price":"39.00"}]`
	h.start1(promisedBy(orderEvent("rv8f1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%q}]`, day(70))+sub), 60))
	off := offerOf(t, h, o)
	for _, c := range []string{"substitute", "wait"} {
		if _, changed, err := h.worker.Choose(t.Context(), off.ID, c, "web"); err != nil || !changed {
			t.Fatalf("choose %s: changed %v, %v", c, changed, err)
		}
	}
	waitFor(t, "the confirmations decided", func() bool { return settled(h, o, 4) })
	want := []string{
		"backorder_notice email sent",
		"delay_option_offer email sent",
		"choice_confirmation email sent", // substitute
		"choice_confirmation email sent", // wait
	}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}
