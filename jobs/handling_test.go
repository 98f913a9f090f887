package jobs_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// step ingests one event and waits until it has played out (sends done, coalescing
// windows closed).
func (h *harness) step(raw string) {
	h.t.Helper()
	h.ingest(raw)
	h.waitHandled("test", eventID(h.t, raw))
}

// sent returns "kind channel" for the notifications of order that went out, and
// "kind channel status (reason)" for the rest, in decision order.
func (h *harness) summary(order string) []string { return h.notifications(order) }

func etaChange(id, at, order, eta string) string {
	return orderEvent(id, "order.eta_changed", at, order, custNoConsent,
		fmt.Sprintf(`,"changes":[{"line_id":"l1","previous_eta":null,"eta":%s}]`, eta))
}

func backorderL1(id, at, order, eta string) string {
	return orderEvent(id, "order.backordered", at, order, custNoConsent,
		fmt.Sprintf(`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":%s}]`, eta))
}

// TestETANews: the same slip twice is one message; a move under material_eta_change
// is not news; unknown↔known is; A → B → A → B is four pieces of news.
func TestETANews(t *testing.T) {
	h := newHarness(t)
	h.start()
	const o = "ord_eta"
	steps := []struct {
		name, event string
		want        []string // the whole log of the order's email after the step
	}{
		{"backordered, ETA A", backorderL1("a1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`),
			[]string{"backorder_notice email sent"}},
		{"slips to B", etaChange("a2", "2026-11-03T10:00:00Z", o, `"2026-12-05"`),
			[]string{"backorder_notice email sent", "eta_update email sent"}},
		{"the same slip reported again", etaChange("a3", "2026-11-03T11:00:00Z", o, `"2026-12-05"`),
			[]string{"backorder_notice email sent", "eta_update email sent"}},
		{"12 hours later: not material", etaChange("a4", "2026-11-03T12:00:00Z", o, `"2026-12-05T12:00:00-05:00"`),
			[]string{"backorder_notice email sent", "eta_update email sent"}},
		{"back to A", etaChange("a5", "2026-11-04T10:00:00Z", o, `"2026-12-01"`),
			[]string{"backorder_notice email sent", "eta_update email sent", "eta_update email sent"}},
		{"B again", etaChange("a6", "2026-11-05T10:00:00Z", o, `"2026-12-05"`),
			[]string{"backorder_notice email sent", "eta_update email sent", "eta_update email sent", "eta_update email sent"}},
		{"unknown", etaChange("a7", "2026-11-06T10:00:00Z", o, `null`),
			[]string{"backorder_notice email sent", "eta_update email sent", "eta_update email sent", "eta_update email sent", "eta_update email sent"}},
	}
	for _, s := range steps {
		h.step(s.event)
		if got := emailLog(h.summary(o)); !slices.Equal(got, s.want) {
			t.Fatalf("%s:\n got %q\nwant %q", s.name, got, s.want)
		}
	}
}

// emailLog keeps the email entries (the customers here have no SMS consent).
func emailLog(all []string) []string {
	var out []string
	for _, s := range all {
		if strings.Contains(s, " email ") {
			out = append(out, s)
		}
	}
	return out
}

// TestCoalescing: three ETA changes inside the window are one eta_update with the
// latest date; a partial shipment followed within the window by the shipment that
// completes the order is one `shipped` covering both parcels.
func TestCoalescing(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 1s, quiet_hours: "", max_updates_per_day: 10}`)
	h.start()
	const o = "ord_co"
	h.step(backorderL1("c1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	for i, eta := range []string{`"2026-12-03"`, `"2026-12-07"`, `"2026-12-09"`} {
		h.ingest(etaChange(fmt.Sprintf("c%d", i+2), fmt.Sprintf("2026-11-03T1%d:00:00Z", i), o, eta))
	}
	h.waitHandled("test", "c4")
	if got, want := emailLog(h.summary(o)), []string{"backorder_notice email sent", "eta_update email sent"}; !slices.Equal(got, want) {
		t.Fatalf("ETA changes:\n got %q\nwant %q", got, want)
	}
	latest, _ := time.Parse("2006-01-02", day(13))
	if n := findKind(t, h, o, "eta_update", "email"); !strings.Contains(n.Body, latest.Format("January 2, 2006")) {
		t.Errorf("the eta_update must carry the latest date (%s):\n%s", latest.Format("January 2, 2006"), n.Body)
	}

	const o2 = "ord_ship"
	h.step(orderEvent("s1", "order.backordered", "2026-11-02T10:00:00Z", o2, custNoConsent, boBoth))
	h.ingest(orderEvent("s2", "order.partially_shipped", "2026-11-04T10:00:00Z", o2, custNoConsent,
		ship1+`,"pending_lines":[{"line_id":"l2","quantity":1,"eta":null}]`))
	// The shipment arrives once the partial one is decided (its message waiting out
	// the window). Ingested together, asynq may apply the newer order.shipped first:
	// the customer then gets a `shipped` per parcel (TestShipmentsCrossed), not the one
	// merged message this test is about.
	waitFor(t, "s2 decided", func() bool {
		rec, err := h.st.GetEvent(context.Background(), "test", "s2")
		return err == nil && rec.Status == store.EventHandled
	})
	h.ingest(orderEvent("s3", "order.shipped", "2026-11-04T11:00:00Z", o2, custNoConsent, ship2))
	h.waitHandled("test", "s3")
	h.waitHandled("test", "s2")
	if got, want := emailLog(h.summary(o2)), []string{"backorder_notice email sent", "shipped email sent"}; !slices.Equal(got, want) {
		t.Fatalf("shipments:\n got %q\nwant %q", got, want)
	}
	if n := findKind(t, h, o2, "shipped", "email"); !strings.Contains(n.Body, "Blue Kettle") || !strings.Contains(n.Body, "Mug") {
		t.Errorf("shipped must list both parcels' items:\n%s", n.Body)
	}
}

// TestDailyCap: updates beyond max_updates_per_day are recorded as capped, never
// silently dropped; backorder_notice and shipped always go out.
func TestDailyCap(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 2}`)
	h.start()
	const o = "ord_cap"
	h.step(backorderL1("k1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	h.step(etaChange("k2", "2026-11-03T10:00:00Z", o, `"2026-12-05"`))
	h.step(etaChange("k3", "2026-11-04T10:00:00Z", o, `"2026-12-10"`))
	h.step(orderEvent("k4", "order.shipped", "2026-11-05T10:00:00Z", o, custNoConsent,
		`,"shipment":{"id":"s","carrier":"UPS","tracking_number":"1Z","tracking_url":"https://ups.example/1Z","lines":[{"line_id":"l1","quantity":2},{"line_id":"l2","quantity":1}]}`))
	got := emailLog(h.summary(o))
	want := []string{
		"backorder_notice email sent",
		"eta_update email sent",
		"eta_update email suppressed (capped: 2 updates in the last 24 h (max_updates_per_day 2))",
		"shipped email sent",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
}

// TestQuietHours: an SMS decided during quiet hours waits for their end (scheduled,
// never dropped); the email goes at once.
func TestQuietHours(t *testing.T) {
	now := time.Now().In(mustLoc(t, "America/New_York"))
	start := now.Add(-time.Hour).Format("15:04")
	end := now.Add(2 * time.Hour).Format("15:04")
	h := newHarness(t, fmt.Sprintf(`{coalesce_window: 100ms, quiet_hours: "%s-%s", max_updates_per_day: 10}`, start, end))
	h.start()
	h.ingest(orderEvent("q1", "order.backordered", "2026-11-02T10:00:00Z", "ord_q", custBoth, boL1))
	deadline := time.Now().Add(20 * time.Second)
	for {
		ns, _ := h.st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: "ord_q"})
		if len(ns) == 2 && ns[0].Status == store.NotificationSent {
			sms := ns[1]
			if sms.Channel != "sms" || sms.Status != store.NotificationPending || sms.NotBefore == nil ||
				!strings.HasPrefix(sms.Reason, "held for quiet hours until") {
				t.Fatalf("sms %+v", sms)
			}
			if d := sms.NotBefore.Sub(now); d < 110*time.Minute || d > 121*time.Minute {
				t.Errorf("SMS held until %s, want the end of quiet hours (%s)", sms.NotBefore, end)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications: %+v", ns)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, sms := h.outbox(); len(sms) != 0 {
		t.Errorf("an SMS went out during quiet hours: %+v", sms)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func findKind(t *testing.T, h *harness, order, kind, channel string) store.Notification {
	t.Helper()
	ns, err := h.st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: order, Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Channel == channel {
			return n
		}
	}
	t.Fatalf("no %s %s for %s", kind, channel, order)
	return store.Notification{}
}

// TestShipmentsCrossed: the order.shipped that closes the order is applied before an
// older partial shipment of it (the events crossed on the way, or were taken by two
// workers at once). The customer still hears of both parcels, each with its tracking:
// `shipped` for the last one, then `shipped` for the earlier one. A late parcel whose
// lines already went out, and news other than a shipment, say nothing.
func TestShipmentsCrossed(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 1s, quiet_hours: "", max_updates_per_day: 10}`)
	h.start()
	const o = "ord_cross"
	h.step(orderEvent("x1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boBoth))
	h.step(orderEvent("x3", "order.shipped", "2026-11-04T11:00:00Z", o, custNoConsent, ship2))
	h.step(orderEvent("x2", "order.partially_shipped", "2026-11-04T10:00:00Z", o, custNoConsent,
		ship1+`,"pending_lines":[{"line_id":"l2","quantity":1,"eta":null}]`))
	h.step(orderEvent("x4", "order.partially_shipped", "2026-11-04T09:00:00Z", o, custNoConsent, ship2))
	h.step(etaChange("x5", "2026-11-04T08:00:00Z", o, `"2026-12-20"`))
	want := []string{"backorder_notice email sent", "shipped email sent", "shipped email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	if got, want := parcelsTold(t, h, o, "shipped", "1Z1", "1Z2"), []string{"1Z1: Blue Kettle ×2", "1Z2: Mug ×1"}; !slices.Equal(got, want) {
		t.Errorf("parcels told %q, want %q", got, want)
	}
	order, _ := h.st.GetOrder(context.Background(), o)
	if order.State != store.OrderClosed || order.Lines[0].State != store.LineShipped || order.Lines[1].State != store.LineShipped {
		t.Errorf("order %s, lines %s and %s; want closed, both shipped", order.State, order.Lines[0].State, order.Lines[1].State)
	}

	// Canceled, not shipped: l1's newer ETA (12:30) made the cancellation (12:00) stale
	// for it, so l1 is still open in the closed order. A parcel after the cancellation
	// is not one that crossed it, and one before it is stale for l1: no `shipped`.
	const c = "ord_cross_cancel"
	h.step(orderEvent("y1", "order.backordered", "2026-11-02T10:00:00Z", c, custNoConsent, boBoth))
	h.step(etaChange("y2", "2026-11-04T12:30:00Z", c, `"2026-12-20"`))
	h.step(orderEvent("y3", "order.canceled", "2026-11-04T12:00:00Z", c, custNoConsent, ``))
	h.step(orderEvent("y4", "order.partially_shipped", "2026-11-04T13:00:00Z", c, custNoConsent, ship1))
	h.step(orderEvent("y5", "order.partially_shipped", "2026-11-04T11:00:00Z", c, custNoConsent, ship1))
	if got, want := emailLog(h.summary(c)), []string{"backorder_notice email sent", "eta_update email sent"}; !slices.Equal(got, want) {
		t.Errorf("canceled order:\n got %q\nwant %q", got, want)
	}

	// A parcel dated after the shipment that closed the order did not cross it.
	const n = "ord_cross_newer"
	h.step(orderEvent("z1", "order.backordered", "2026-11-02T10:00:00Z", n, custNoConsent, boBoth))
	h.step(orderEvent("z2", "order.shipped", "2026-11-04T11:00:00Z", n, custNoConsent, ship2))
	h.step(orderEvent("z3", "order.partially_shipped", "2026-11-09T10:00:00Z", n, custNoConsent, ship1))
	if got, want := emailLog(h.summary(n)), []string{"backorder_notice email sent", "shipped email sent"}; !slices.Equal(got, want) {
		t.Errorf("parcel after the close:\n got %q\nwant %q", got, want)
	}
}

// TestShipmentsCrossedOpenLine: the order.shipped that closed the order left a line
// open, and an older parcel with that line is applied after it. order.shipped is the
// last shipment, so the parcel carried units the customer has not been told of: they
// get `shipped` with that parcel and its units, however new the line's state — the
// closing shipment carried part of it, or an ETA change came at or after the closing
// time. A parcel never ships more than is left of a line, and once the line is
// complete another says nothing. (The cases share a customer, whose cap counts the
// updates of all their orders.)
func TestShipmentsCrossedOpenLine(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 100}`)
	h.start()
	const l1, l2, both = `{"line_id":"l1","quantity":1}`, `{"line_id":"l2","quantity":1}`, `{"line_id":"l1","quantity":2}`
	closing := func(o, lines string) string {
		return orderEvent(o+"-shipped", "order.shipped", "2026-11-04T11:00:00Z", o, custNoConsent, shipmentJSON("sB", "1ZB", lines))
	}
	late := func(o, id, at, tracking, lines string) string {
		return orderEvent(o+"-"+id, "order.partially_shipped", at, o, custNoConsent, shipmentJSON(id, tracking, lines))
	}
	news := func(o, at string) string { return etaChange(o+"-eta", at, o, `"2026-12-20"`) }
	for _, c := range []struct {
		name, order string
		events      []string // after order.backordered of l1 ×2 and l2 ×1
		emails      []string // after backorder_notice
		parcels     []string
	}{
		{"each parcel one unit of l1", "ord_split", []string{
			closing("ord_split", l1+","+l2),
			late("ord_split", "sA", "2026-11-04T10:00:00Z", "1ZA", l1),
			late("ord_split", "s0", "2026-11-04T09:00:00Z", "1Z0", l1), // l1 is complete by now
		}, []string{"shipped email sent", "shipped email sent"},
			[]string{"1ZA: Blue Kettle ×1", "1ZB: Blue Kettle ×1, Mug ×1"}},
		{"a parcel says more than is left", "ord_more", []string{
			closing("ord_more", l1+","+l2),
			late("ord_more", "sA", "2026-11-04T10:00:00Z", "1ZA", both),
		}, []string{"shipped email sent", "shipped email sent"},
			[]string{"1ZA: Blue Kettle ×1", "1ZB: Blue Kettle ×1, Mug ×1"}},
		{"an ETA change at the closing time", "ord_news", []string{
			news("ord_news", "2026-11-04T11:00:00Z"),
			closing("ord_news", l2),
			late("ord_news", "sA", "2026-11-04T10:00:00Z", "1ZA", both),
		}, []string{"eta_update email sent", "shipped email sent", "shipped email sent"},
			[]string{"1ZA: Blue Kettle ×2", "1ZB: Mug ×1"}},
		{"the closing shipment older than its only line's state", "ord_stale_close", []string{
			news("ord_stale_close", "2026-11-04T11:00:01Z"),
			closing("ord_stale_close", l1),
			late("ord_stale_close", "sA", "2026-11-04T10:00:00Z", "1ZA", l1+","+l2),
		}, []string{"eta_update email sent", "shipped email sent", "shipped email sent"},
			[]string{"1ZA: Blue Kettle ×1, Mug ×1", "1ZB: Blue Kettle ×1"}},
		{"an ETA change after the closing time, applied before it", "ord_later", []string{
			news("ord_later", "2026-11-04T11:00:01Z"),
			closing("ord_later", l2),
			late("ord_later", "sA", "2026-11-04T10:00:00Z", "1ZA", both),
		}, []string{"eta_update email sent", "shipped email sent", "shipped email sent"},
			[]string{"1ZA: Blue Kettle ×2", "1ZB: Mug ×1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.step(orderEvent(c.order+"-bo", "order.backordered", "2026-11-02T10:00:00Z", c.order, custNoConsent, boBoth))
			for _, e := range c.events {
				h.step(e)
			}
			want := append([]string{"backorder_notice email sent"}, c.emails...)
			if got := emailLog(h.summary(c.order)); !slices.Equal(got, want) {
				t.Fatalf("\n got %q\nwant %q", got, want)
			}
			if got := parcelsTold(t, h, c.order, "shipped", "1ZA", "1ZB", "1Z0"); !slices.Equal(got, c.parcels) {
				t.Errorf("parcels told %q, want %q", got, c.parcels)
			}
			order, err := h.st.GetOrder(context.Background(), c.order)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range order.Lines {
				if l.State != store.LineShipped || l.ShippedQty != l.Quantity {
					t.Errorf("line %s: %s, %d of %d shipped; want all shipped", l.LineID, l.State, l.ShippedQty, l.Quantity)
				}
			}
			if order.State != store.OrderClosed {
				t.Errorf("order %s, want closed", order.State)
			}
		})
	}
}

// TestParcelsCrossedOpenOrder: in an open order, a parcel older than what is known of
// its line still ships its units (shipments add up; nothing newer is undone) and the
// customer hears of it with its own tracking. One that finds its line complete says
// nothing, and the line's newer ETA is not overwritten.
func TestParcelsCrossedOpenOrder(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 100}`)
	h.start()
	const o = "ord_parcels_crossed"
	parcel := func(id, at, tracking, lines string) string {
		return orderEvent(id, "order.partially_shipped", at, o, custNoConsent, shipmentJSON(id, tracking, lines))
	}
	h.step(orderEvent("p0", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boBoth))
	h.step(parcel("p2", "2026-11-03T11:00:00Z", "FX2", `{"line_id":"l1","quantity":1}`))
	h.step(etaChange("p3", "2026-11-03T12:00:00Z", o, `"2026-12-20"`)) // l1's last unit, newer
	h.step(parcel("p1", "2026-11-03T10:00:00Z", "1Z1", `{"line_id":"l1","quantity":1}`))
	h.step(parcel("p00", "2026-11-03T09:00:00Z", "1Z0", `{"line_id":"l1","quantity":1}`)) // l1 is complete
	want := []string{"backorder_notice email sent", "partial_shipment email sent", "eta_update email sent", "partial_shipment email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	if got, want := parcelsTold(t, h, o, "partial_shipment", "FX2", "1Z1", "1Z0"), []string{"1Z1: Blue Kettle ×1", "FX2: Blue Kettle ×1"}; !slices.Equal(got, want) {
		t.Errorf("parcels told %q, want %q", got, want)
	}
	order, err := h.st.GetOrder(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	l1, etaAt := order.Lines[0], time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	if l1.State != store.LineShipped || l1.ShippedQty != 2 || !l1.StateAt.Equal(etaAt) {
		t.Errorf("l1: %s, %d shipped, state at %s; want shipped, 2, at the ETA change", l1.State, l1.ShippedQty, l1.StateAt)
	}
	if order.State != store.OrderOpen || order.Lines[1].State != store.LineBackordered {
		t.Errorf("order %s, l2 %s; want open, l2 still backordered", order.State, order.Lines[1].State)
	}
}

// TestShipmentCountedOnce: a shipment reported again under a new event id (a resend,
// or a correction of its tracking), newer or older, adds no units and says nothing;
// the order's next parcel still counts.
func TestShipmentCountedOnce(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 100}`)
	h.start()
	const o = "ord_shipment_once"
	parcel := func(id, at, shipment, tracking string) string {
		return orderEvent(id, "order.partially_shipped", at, o, custNoConsent,
			shipmentJSON(shipment, tracking, `{"line_id":"l1","quantity":1}`))
	}
	h.step(orderEvent("so0", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boBoth))
	h.step(parcel("so1", "2026-11-03T10:00:00Z", "s1", "1Z1"))
	h.step(parcel("so1-fix", "2026-11-03T10:30:00Z", "s1", "1Z1B")) // corrected tracking
	h.step(parcel("so1-old", "2026-11-03T09:00:00Z", "s1", "1Z1"))  // resent, older
	order, err := h.st.GetOrder(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if l1 := order.Lines[0]; l1.ShippedQty != 1 || l1.State == store.LineShipped {
		t.Fatalf("l1 after one shipment reported three times: %d shipped, %s; want 1, not shipped", l1.ShippedQty, l1.State)
	}
	for _, id := range []string{"so1-fix", "so1-old"} {
		rec, err := h.st.GetEvent(context.Background(), "test", id)
		if err != nil || !strings.Contains(rec.Outcome, "shipment s1 already recorded") {
			t.Errorf("%s: outcome %q, %v; want the shipment named as recorded", id, rec.Outcome, err)
		}
	}
	h.step(parcel("so2", "2026-11-03T11:00:00Z", "s2", "1Z2"))
	want := []string{"backorder_notice email sent", "partial_shipment email sent", "partial_shipment email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	if got, want := parcelsTold(t, h, o, "partial_shipment", "1Z1B", "1Z1", "1Z2"), []string{"1Z1: Blue Kettle ×1", "1Z2: Blue Kettle ×1"}; !slices.Equal(got, want) {
		t.Errorf("parcels told %q, want %q", got, want)
	}
	if order, err = h.st.GetOrder(context.Background(), o); err != nil || order.Lines[0].State != store.LineShipped {
		t.Errorf("l1 after the second shipment: %+v, %v; want shipped", order.Lines, err)
	}
}

// TestPendingLinesLatestETA: what a parcel says of the lines still to come is news
// with the latest facts. An ETA change inside the coalescing window is in the
// partial_shipment when it goes out (no message states the older date), and a
// shipment reported again with a new date for the rest is an eta_update.
func TestPendingLinesLatestETA(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 1s, quiet_hours: "", max_updates_per_day: 100}`)
	h.start()
	const bothDated = `,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":"2026-12-01"},{"line_id":"l2","quantity":1,"eta":"2026-12-01"}]`
	withPending := func(eta string) string {
		return shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":2}`) +
			`,"pending_lines":[{"line_id":"l2","quantity":1,"eta":"` + eta + `"}]`
	}
	date := func(days int) string {
		d, _ := time.Parse("2006-01-02", day(days))
		return d.Format("January 2, 2006")
	}
	dec1, dec10 := date(5), date(14) // the test dates 2026-12-01 and 2026-12-10

	const a = "ord_pending_window"
	h.step(orderEvent("pw1", "order.backordered", "2026-11-02T10:00:00Z", a, custNoConsent, bothDated))
	h.ingest(orderEvent("pw2", "order.partially_shipped", "2026-11-04T10:00:00Z", a, custNoConsent, withPending("2026-12-01")))
	waitFor(t, "pw2 decided", func() bool {
		rec, err := h.st.GetEvent(context.Background(), "test", "pw2")
		return err == nil && rec.Status == store.EventHandled
	})
	h.step(orderEvent("pw3", "order.eta_changed", "2026-11-04T10:30:00Z", a, custNoConsent,
		`,"changes":[{"line_id":"l2","previous_eta":null,"eta":"2026-12-10"}]`))
	if body := findKind(t, h, a, "partial_shipment", "email").Body; !strings.Contains(body, dec10) || strings.Contains(body, dec1) {
		t.Errorf("the partial_shipment must give the Mug's latest date, %s, not %s:\n%s", dec10, dec1, body)
	}
	// Whether the eta_update's window or the parcel's closes first, the customer hears
	// Dec 10 once, and never Dec 1 again.
	ns, err := h.st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: a, Kind: "eta_update"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Channel == "email" && n.Status == store.NotificationSent && !strings.Contains(n.Body, dec10) {
			t.Errorf("an eta_update without the latest date:\n%s", n.Body)
		}
	}

	const b = "ord_pending_resent"
	h.step(orderEvent("pr1", "order.backordered", "2026-11-02T10:00:00Z", b, custNoConsent, bothDated))
	h.step(orderEvent("pr2", "order.partially_shipped", "2026-11-04T10:00:00Z", b, custNoConsent, withPending("2026-12-01")))
	h.step(orderEvent("pr3", "order.partially_shipped", "2026-11-04T12:00:00Z", b, custNoConsent, withPending("2026-12-10")))
	want := []string{"backorder_notice email sent", "partial_shipment email sent", "eta_update email sent"}
	if got := emailLog(h.summary(b)); !slices.Equal(got, want) {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	if body := findKind(t, h, b, "eta_update", "email").Body; !strings.Contains(body, "Mug") || !strings.Contains(body, dec10) {
		t.Errorf("the eta_update must give the Mug's new date, %s:\n%s", dec10, body)
	}
}

// TestParcelsConsolidated: two parcels inside one coalescing window are one
// partial_shipment, which gives both tracking numbers (not the latest one for the
// items of both); the order.shipped that follows inside the window gives all three.
func TestParcelsConsolidated(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 2s, quiet_hours: "", max_updates_per_day: 100}`)
	h.start()
	decided := func(id string) {
		t.Helper()
		waitFor(t, id+" decided", func() bool {
			rec, err := h.st.GetEvent(context.Background(), "test", id)
			return err == nil && rec.Status == store.EventHandled
		})
	}
	one := `{"line_id":"l1","quantity":1}`
	const a = "ord_two_parcels"
	h.step(orderEvent("tp0", "order.backordered", "2026-11-02T10:00:00Z", a, custNoConsent, boBoth))
	h.ingest(orderEvent("tp1", "order.partially_shipped", "2026-11-03T10:00:00Z", a, custNoConsent, shipmentJSON("s1", "1Z1", one)))
	decided("tp1")
	h.step(orderEvent("tp2", "order.partially_shipped", "2026-11-03T11:00:00Z", a, custNoConsent, shipmentJSON("s2", "FX2", one)))
	if got, want := emailLog(h.summary(a)), []string{"backorder_notice email sent", "partial_shipment email sent"}; !slices.Equal(got, want) {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	if got, want := parcelsTold(t, h, a, "partial_shipment", "1Z1", "FX2"), []string{"1Z1 FX2: Blue Kettle ×1, Blue Kettle ×1"}; !slices.Equal(got, want) {
		t.Errorf("parcels told %q, want %q", got, want)
	}

	const b = "ord_three_parcels"
	h.step(orderEvent("tq0", "order.backordered", "2026-11-02T10:00:00Z", b, custNoConsent, boBoth))
	h.ingest(orderEvent("tq1", "order.partially_shipped", "2026-11-03T10:00:00Z", b, custNoConsent, shipmentJSON("s1", "1Z1", one)))
	decided("tq1")
	h.ingest(orderEvent("tq2", "order.partially_shipped", "2026-11-03T11:00:00Z", b, custNoConsent, shipmentJSON("s2", "FX2", one)))
	decided("tq2")
	h.step(orderEvent("tq3", "order.shipped", "2026-11-03T12:00:00Z", b, custNoConsent, shipmentJSON("s3", "1Z3", `{"line_id":"l2","quantity":1}`)))
	if got, want := emailLog(h.summary(b)), []string{"backorder_notice email sent", "shipped email sent"}; !slices.Equal(got, want) {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	if got, want := parcelsTold(t, h, b, "shipped", "1Z1", "FX2", "1Z3"), []string{"1Z1 FX2 1Z3: Blue Kettle ×1, Blue Kettle ×1, Mug ×1"}; !slices.Equal(got, want) {
		t.Errorf("parcels told %q, want %q", got, want)
	}
}

// shipmentJSON is the data.shipment of a parcel by UPS with tracking number tracking,
// carrying lines (JSON objects), for orderEvent.
func shipmentJSON(id, tracking, lines string) string {
	return fmt.Sprintf(`,"shipment":{"id":%q,"carrier":"UPS","tracking_number":%q,"tracking_url":"https://ups.example/%s","lines":[%s]}`,
		id, tracking, tracking, lines)
}

// itemLine is an item of a text body: "- Name (Qty N" (layout.text.tmpl).
var itemLine = regexp.MustCompile(`(?m)^- (.+?) \(Qty (\d+)`)

// trackingLine is a parcel's tracking number in a text body (layout.text.tmpl). The
// tests match this line, not the tracking number anywhere in the body: the signed
// link of "View your order" is random-looking base64 that now and then holds "1ZA".
var trackingLine = regexp.MustCompile(`(?m)^Tracking number: (\S+)$`)

// withoutLinks returns body without its URLs: a signed link token is random-looking
// base64, so a test that a short word is absent must not read them.
func withoutLinks(body string) string { return link.ReplaceAllString(body, "<link>") }

var link = regexp.MustCompile(`https?://\S+`)

// parcelsTold describes each email of kind (shipped, partial_shipment) of order,
// sorted: the tracking numbers it gives (those of trackings in that order, then any
// other), then each item it lists with its quantity ("1Z1: Blue Kettle ×2").
func parcelsTold(t *testing.T, h *harness, order, kind string, trackings ...string) []string {
	t.Helper()
	ns, err := h.st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: order, Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, n := range ns {
		if n.Channel != "email" {
			continue
		}
		var given, tracked, items []string
		for _, m := range trackingLine.FindAllStringSubmatch(n.Body, -1) {
			given = append(given, m[1])
		}
		for _, tr := range trackings {
			if slices.Contains(given, tr) {
				tracked = append(tracked, tr)
			}
		}
		for _, tr := range given {
			if !slices.Contains(trackings, tr) {
				tracked = append(tracked, tr)
			}
		}
		for _, m := range itemLine.FindAllStringSubmatch(n.Body, -1) {
			items = append(items, m[1]+" ×"+m[2])
		}
		told = append(told, strings.Join(tracked, " ")+": "+strings.Join(items, ", "))
	}
	slices.Sort(told)
	return told
}

// TestShippedUnitsAreNotOwed: l1 (2 kettles, both backordered) ships one unit in a
// partial shipment. What the customer is still owed is one kettle: the ETA update
// says Qty 1, a restock allocates one (the other unit goes to the next order in line,
// which gets its own notice), and a refund chosen later refunds one kettle, not two.
func TestShippedUnitsAreNotOwed(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 100}`)
	h.start()
	const oneKettle = `,"shipment":{"id":"s1","carrier":"UPS","tracking_number":"1Z1","tracking_url":"https://ups.example/1Z1","lines":[{"line_id":"l1","quantity":1}]},"pending_lines":[{"line_id":"l1","quantity":1,"eta":"2026-12-01"}]`
	items := func(order, kind string) []string {
		t.Helper()
		var out []string
		for _, m := range itemLine.FindAllStringSubmatch(findKind(t, h, order, kind, "email").Body, -1) {
			out = append(out, m[1]+" ×"+m[2])
		}
		return out
	}

	const a, b = "ord_owed_a", "ord_owed_b"
	h.step(backorderL1("oa1", "2026-11-02T10:00:00Z", a, `"2026-12-01"`))
	h.step(ev("ob1", "order.backordered", "2026-11-02T11:00:00Z", b,
		`{"brand":"acme","order":`+orderJSON(b, "2026-11-01T12:00:00Z", custNoConsent)+`,"backordered_lines":[{"line_id":"l1","quantity":1,"eta":"2026-12-01"}]}`))
	h.step(orderEvent("oa2", "order.partially_shipped", "2026-11-03T10:00:00Z", a, custNoConsent, oneKettle))
	h.step(etaChange("oa3", "2026-11-04T10:00:00Z", a, `"2026-12-05"`))
	if got := items(a, "eta_update"); !slices.Equal(got, []string{"Blue Kettle ×1"}) {
		t.Errorf("eta_update after one of two kettles shipped lists %q, want one kettle", got)
	}
	h.step(ev("or1", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":2}`))
	for _, o := range []string{a, b} {
		if got := items(o, "restock_notice"); !slices.Equal(got, []string{"Blue Kettle ×1"}) {
			t.Errorf("%s: restock_notice lists %q, want one kettle", o, got)
		}
		order, err := h.st.GetOrder(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if l := order.Lines[0]; l.State != store.LineAllocated || l.AllocatedQty != 1 {
			t.Errorf("%s: l1 %s with %d allocated, want allocated with 1", o, l.State, l.AllocatedQty)
		}
	}

	// The same start, then the promise passes and the customer asks for a refund.
	const c = "ord_owed_refund"
	h.step(backorderL1("oc1", "2026-11-02T10:00:00Z", c, `"2026-12-01"`))
	h.step(orderEvent("oc2", "order.partially_shipped", "2026-11-03T10:00:00Z", c, custNoConsent, oneKettle))
	h.step(orderEvent("oc3", "backorder.window_expired", "2026-11-04T10:00:00Z", c, custNoConsent, ``))
	if got := items(c, "delay_option_offer"); !slices.Equal(got, []string{"Blue Kettle ×1"}) {
		t.Errorf("the offer lists %q, want one kettle", got)
	}
	if _, _, err := h.worker.Choose(context.Background(), offerOf(t, h, c).ID, "refund", "web"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "idle", h.idle)
	if body := findKind(t, h, c, "choice_confirmation", "email").Body; !strings.Contains(body, "$39.00") || strings.Contains(body, "$78.00") {
		t.Errorf("the refund of one kettle ($39.00) reads:\n%s", body)
	}
}

// TestRepeatsAcrossKinds: "no repeats" compares a message with the last one the
// recipient got about the order, whatever its kind. News told by another kind in
// between makes the earlier facts news again (A → B → A is three messages); the same
// message twice in a row is still one.
func TestRepeatsAcrossKinds(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 100}`)
	h.start()
	l2Change := func(id, at, order, eta string) string {
		return orderEvent(id, "order.eta_changed", at, order, custNoConsent,
			fmt.Sprintf(`,"changes":[{"line_id":"l2","previous_eta":null,"eta":%s}]`, eta))
	}
	restock := func(id, at string) string {
		return ev(id, "inventory.restocked", at, "", `{"brand":"acme","sku":"KET","quantity":2}`)
	}
	const dup = "backorder_notice email suppressed (deduplicated: same news as notification …)"
	anyID := regexp.MustCompile(`notification n\d+\)`)
	for _, c := range []struct {
		name, order string
		events      func(o string) []string
		want        []string
	}{
		// First: a restock goes to the oldest orders of the SKU, and the later cases'
		// orders wait for it too.
		{"backordered again after a restock, then restocked again", "ord_rep_restock", func(o string) []string {
			return []string{
				backorderL1(o+"1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`),
				restock(o+"2", "2026-11-03T10:00:00Z"),
				backorderL1(o+"3", "2026-11-04T10:00:00Z", o, `"2026-12-01"`),
				restock(o+"4", "2026-11-05T10:00:00Z"),
			}
		}, []string{"backorder_notice email sent", "restock_notice email sent", "backorder_notice email sent", "restock_notice email sent"}},
		{"an ETA told by a partial shipment in between", "ord_rep_eta", func(o string) []string {
			return []string{
				orderEvent(o+"1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boBoth),
				l2Change(o+"2", "2026-11-03T10:00:00Z", o, `"2026-12-05"`),
				orderEvent(o+"3", "order.partially_shipped", "2026-11-04T10:00:00Z", o, custNoConsent,
					ship1+`,"pending_lines":[{"line_id":"l2","quantity":1,"eta":"2026-12-01"}]`),
				l2Change(o+"4", "2026-11-05T10:00:00Z", o, `"2026-12-05"`),
			}
		}, []string{"backorder_notice email sent", "eta_update email sent", "partial_shipment email sent", "eta_update email sent"}},
		{"backordered again at the first date after an ETA update", "ord_rep_bo", func(o string) []string {
			return []string{
				backorderL1(o+"1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`),
				etaChange(o+"2", "2026-11-03T10:00:00Z", o, `"2026-12-05"`),
				backorderL1(o+"3", "2026-11-04T10:00:00Z", o, `"2026-12-01"`),
			}
		}, []string{"backorder_notice email sent", "eta_update email sent", "backorder_notice email sent"}},
		{"the same backorder twice in a row", "ord_rep_same", func(o string) []string {
			return []string{
				backorderL1(o+"1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`),
				backorderL1(o+"2", "2026-11-03T10:00:00Z", o, `"2026-12-01"`),
			}
		}, []string{"backorder_notice email sent", dup}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, e := range c.events(c.order) {
				h.step(e)
			}
			got := emailLog(h.summary(c.order))
			for i := range got {
				got[i] = anyID.ReplaceAllString(got[i], "notification …)")
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
		})
	}
}
