package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/notifyd/notifyd/event"
)

// A scenario is a set of orders, the events delivered about them in two phases, and
// the messages a careful human expects from them, written out message by message.
//
// Each order follows one story. The stories whose outcome depends on the order in
// which events of one order are applied are split across the phases: the second
// phase is delivered only once the first is done — every event handled, every
// message sent — so the outcome is the same on every run, however many workers race
// or die. (Waiting for the sends matters too: a message still waiting when its order
// closes is dropped as stale news, jobs/send.go closedBefore, so a backorder_notice
// held up by a killed worker would otherwise race the order.shipped of phase 2.)
//
//	story             phase 1                  phase 2                       messages
//	backorder         order.backordered        —                             backorder_notice
//	backorder+ship    order.backordered        order.shipped                 backorder_notice, shipped
//	backorder+eta     order.backordered        order.eta_changed (+10 days)  backorder_notice, eta_update
//	backorder+partial order.backordered (2)    order.partially_shipped (l1)  backorder_notice, partial_shipment
//	shipped first     order.shipped (11-20)    order.backordered (11-03)     none
//
// "shipped first" is the out-of-order delivery: the commerce system backordered the
// line on Nov 3 and shipped the order on Nov 20, but notifyd hears of the shipment
// first. When it is applied nothing had been backordered, so there is no `shipped`
// message for backordered items (jobs/decide.go, shipped); the backorder arriving
// afterwards is older than the line's state (state_at = Nov 20), so it is stale: it
// neither reopens the line nor sends a backorder notice (jobs/state.go, stale). The
// customer, whose order already left in full, hears nothing from notifyd — which is
// what a careful human would do: a backorder notice for a shipped order would be
// wrong, and the shop confirms shipments itself.
//
// Every message goes by email, and also by SMS when the customer has a phone and SMS
// consent; a customer with a phone but no consent gets the SMS recorded as
// suppressed ("no SMS consent") and nothing in the outbox.
//
// Duplicates: some events are delivered again in the same phase (through the other
// path: jobs.Ingest as the HTTP API and `notifyd enqueue` do, or the Go client
// straight into Redis), and some are delivered again in the second phase, after they
// were handled. A duplicate changes nothing.
type scenario struct {
	phases [2][]delivery
	// keys holds the distinct events (source + " " + id) first delivered in each phase.
	keys       [2][]string
	events     []string // every distinct event key
	deliveries int
	orders     int
	// expect is every message that must be in the outbox once: key → recipient.
	expect map[msgKey]string
	// noConsent is every SMS that must be recorded as suppressed for lack of consent.
	noConsent map[msgKey]string
}

// msgKey identifies one expected message: each story sends each kind at most once
// per channel.
type msgKey struct{ Order, Kind, Channel string }

func (k msgKey) String() string { return k.Order + "/" + k.Kind + "/" + k.Channel }

// delivery is one delivery of an event: through jobs.Ingest or the client package.
type delivery struct {
	ev     *event.Event
	viaAPI bool // jobs.Ingest (record, then enqueue); else client.Enqueue
	dup    bool // a repeated delivery of an event delivered before
}

type story int

const (
	storyBackorder story = iota
	storyShip
	storyETA
	storyPartial
	storyShippedFirst
	numStories
)

var locales = []string{"en-US", "fr-FR", "de-DE", "es-ES", "fr-CA", "en-GB"}

// newScenario builds a scenario of about n deliveries. seed fixes the shuffling.
func newScenario(t *testing.T, n int, seed uint64) *scenario {
	t.Helper()
	sc := &scenario{expect: map[msgKey]string{}, noConsent: map[msgKey]string{}}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	evCount := 0
	for i := 0; sc.deliveries < n; i++ {
		o := newOrder(i)
		var p1, p2 []*event.Event
		switch st := story(i % int(numStories)); st {
		case storyBackorder:
			p1 = append(p1, o.backordered(t, "2026-11-03T10:00:00Z", "l1"))
			o.expectAll(sc, "backorder_notice")
		case storyShip:
			p1 = append(p1, o.backordered(t, "2026-11-03T10:00:00Z", "l1"))
			p2 = append(p2, o.shipped(t, "2026-11-20T15:00:00Z"))
			o.expectAll(sc, "backorder_notice", "shipped")
		case storyETA:
			p1 = append(p1, o.backordered(t, "2026-11-03T10:00:00Z", "l1"))
			p2 = append(p2, o.etaChanged(t, "2026-11-06T12:00:00Z"))
			o.expectAll(sc, "backorder_notice", "eta_update")
		case storyPartial:
			p1 = append(p1, o.backordered(t, "2026-11-03T10:00:00Z", "l1", "l2"))
			p2 = append(p2, o.partiallyShipped(t, "2026-11-12T09:30:00Z"))
			o.expectAll(sc, "backorder_notice", "partial_shipment")
		case storyShippedFirst:
			// Out of order: the later event first.
			p1 = append(p1, o.shipped(t, "2026-11-20T15:00:00Z"))
			p2 = append(p2, o.backordered(t, "2026-11-03T10:00:00Z", "l1"))
		}
		sc.orders++
		for phase, evs := range [][]*event.Event{p1, p2} {
			for _, e := range evs {
				evCount++
				sc.events = append(sc.events, e.Key())
				sc.keys[phase] = append(sc.keys[phase], e.Key())
				viaAPI := evCount%4 != 0 // three in four through ingestion, one through the client
				sc.add(phase, delivery{ev: e, viaAPI: viaAPI})
				switch {
				case evCount%9 == 0: // again at once, through the other path
					sc.add(phase, delivery{ev: e, viaAPI: !viaAPI, dup: true})
				case evCount%11 == 0: // again through the same path
					sc.add(phase, delivery{ev: e, viaAPI: viaAPI, dup: true})
				}
				if phase == 0 && evCount%7 == 0 { // again after it was handled
					sc.add(1, delivery{ev: e, viaAPI: evCount%2 == 0, dup: true})
				}
			}
		}
	}
	for i := range sc.phases {
		rng.Shuffle(len(sc.phases[i]), func(a, b int) {
			sc.phases[i][a], sc.phases[i][b] = sc.phases[i][b], sc.phases[i][a]
		})
	}
	return sc
}

// expected counts the expected messages of the given kinds (all when none given).
func (sc *scenario) expected(kinds ...string) int {
	n := 0
	for k := range sc.expect {
		if len(kinds) == 0 || slices.Contains(kinds, k.Kind) {
			n++
		}
	}
	return n
}

func (sc *scenario) add(phase int, d delivery) {
	sc.phases[phase] = append(sc.phases[phase], d)
	sc.deliveries++
}

func (sc *scenario) duplicates() int {
	n := 0
	for _, ph := range sc.phases {
		for _, d := range ph {
			if d.dup {
				n++
			}
		}
	}
	return n
}

// order is one generated order and its customer.
type order struct {
	i               int
	id, brand, src  string
	email, phone    string
	consent, hasTel bool
	locale          string
}

func newOrder(i int) *order {
	o := &order{i: i, id: fmt.Sprintf("ord_%05d", i), brand: "acme", locale: locales[i%len(locales)]}
	if i%3 == 2 {
		o.brand = "lumen"
	}
	o.src = "https://shop.example/" + o.brand
	o.email = fmt.Sprintf("customer%05d@example.com", i)
	// Half the customers consent to SMS; a quarter have a phone but no consent.
	switch (i / int(numStories)) % 4 {
	case 0, 1:
		o.hasTel, o.consent = true, true
	case 2:
		o.hasTel = true
	}
	if o.hasTel {
		o.phone = fmt.Sprintf("+1212%07d", 2010000+i)
	}
	return o
}

// expectAll records the messages of the given kinds for o's customer.
func (o *order) expectAll(sc *scenario, kinds ...string) {
	for _, k := range kinds {
		sc.expect[msgKey{o.id, k, "email"}] = o.email
		switch {
		case o.consent:
			sc.expect[msgKey{o.id, k, "sms"}] = o.phone
		case o.hasTel:
			sc.noConsent[msgKey{o.id, k, "sms"}] = o.phone
		}
	}
}

func (o *order) snapshot() map[string]any {
	cust := map[string]any{
		"id": fmt.Sprintf("cus_%05d", o.i), "name": fmt.Sprintf("Customer %d", o.i),
		"email": o.email, "locale": o.locale, "time_zone": "America/New_York",
	}
	if o.hasTel {
		cust["phone"], cust["sms_consent"] = o.phone, o.consent
	}
	return map[string]any{
		"id": o.id, "number": fmt.Sprintf("%d", 10000+o.i), "placed_at": "2026-11-02T09:15:00Z",
		"promised_ship_by": "2027-03-31", "currency": "USD", "customer": cust,
		"lines": []map[string]any{
			{"id": "l1", "sku": "KET-BLUE", "name": "Blue Kettle", "quantity": 2, "unit_price": "39.00"},
			{"id": "l2", "sku": "MUG-SET-4", "name": "Stoneware Mug Set (4)", "quantity": 1, "unit_price": "24.50"},
		},
	}
}

// build returns the validated event of type typ at time at with the extra data.
func (o *order) build(t *testing.T, typ, at string, data map[string]any) *event.Event {
	t.Helper()
	data["brand"], data["order"] = o.brand, o.snapshot()
	raw, err := json.Marshal(map[string]any{
		"specversion": "1.0", "id": fmt.Sprintf("evt_%s_%s", o.id, typ), "source": o.src,
		"type": typ, "time": at, "subject": o.id, "datacontenttype": "application/json", "data": data,
	})
	if err != nil {
		t.Fatal(err)
	}
	e, problems := event.Parse(raw, event.Options{Brands: map[string]bool{"acme": true, "lumen": true}})
	if len(problems) > 0 {
		t.Fatalf("generated event %s is invalid: %v", raw, problems)
	}
	return e
}

func (o *order) backordered(t *testing.T, at string, lines ...string) *event.Event {
	var bl []map[string]any
	for _, l := range lines {
		qty := 2
		if l == "l2" {
			qty = 1
		}
		bl = append(bl, map[string]any{"line_id": l, "quantity": qty, "eta": "2026-12-10", "reason": "supplier delay"})
	}
	return o.build(t, "order.backordered", at, map[string]any{"backordered_lines": bl})
}

func (o *order) etaChanged(t *testing.T, at string) *event.Event {
	return o.build(t, "order.eta_changed", at, map[string]any{
		"changes": []map[string]any{{"line_id": "l1", "previous_eta": "2026-12-10", "eta": "2026-12-20"}},
		"reason":  "container held at port",
	})
}

func (o *order) shipment(lines ...string) map[string]any {
	var sl []map[string]any
	for _, l := range lines {
		qty := 2
		if l == "l2" {
			qty = 1
		}
		sl = append(sl, map[string]any{"line_id": l, "quantity": qty})
	}
	return map[string]any{
		"id": "shp_" + o.id + "_" + lines[0], "carrier": "UPS", "tracking_number": fmt.Sprintf("1Z999AA1%010d", o.i),
		"tracking_url": fmt.Sprintf("https://www.ups.com/track?tracknum=1Z999AA1%010d", o.i), "lines": sl,
	}
}

func (o *order) shipped(t *testing.T, at string) *event.Event {
	return o.build(t, "order.shipped", at, map[string]any{"shipment": o.shipment("l1", "l2")})
}

func (o *order) partiallyShipped(t *testing.T, at string) *event.Event {
	return o.build(t, "order.partially_shipped", at, map[string]any{
		"shipment":      o.shipment("l1"),
		"pending_lines": []map[string]any{{"line_id": "l2", "quantity": 1, "eta": "2026-12-10"}},
	})
}
