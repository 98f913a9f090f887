package event

import (
	"slices"
	"strings"
)

// The checks of each event type's data (CONTRACT.md §3), in the order of its fields.

// lineSet maps the ids of data.order.lines to their quantities (0 when the quantity
// is unusable). It is nil when data.order.lines could not be read; references to
// lines are then not checked, since every one would fail.
type lineSet map[string]int

func (c *checker) orderEvent(typ string, d obj) {
	c.brand(d)
	lines := c.order(d)
	d.objects("substitutes", false, func(s obj) { c.substitute(s, lines) })
	switch typ {
	case TypeBackordered:
		d.objects("backordered_lines", true, func(b obj) {
			c.lineQuantity(b, c.lineRef(b, lines), lines)
			b.when("eta", true)
			b.str("reason", false)
			b.oneOf("backorder_type", BackorderTypes)
		})
	case TypeEtaChanged:
		d.objects("changes", true, func(ch obj) {
			c.lineRef(ch, lines)
			ch.when("previous_eta", true)
			ch.when("eta", true)
		})
		d.str("reason", false)
	case TypePartiallyShipped:
		c.shipment(d, lines)
		d.objects("pending_lines", false, func(p obj) {
			c.lineQuantity(p, c.lineRef(p, lines), lines)
			p.when("eta", true)
		})
	case TypeShipped:
		c.shipment(d, lines)
	case TypeCanceled:
		d.str("reason", false)
		d.boolean("notify")
	case TypeWindowExpired:
		c.lineIDs(d, lines)
	}
}

func (c *checker) restocked(d obj) {
	c.brand(d)
	d.str("sku", true)
	d.integer("quantity", 1)
	d.time("available_at", false)
}

func (c *checker) brand(d obj) {
	b, ok := d.str("brand", true)
	if !ok || c.opts.Brands == nil || c.opts.Brands[b] {
		return
	}
	var known []string
	for id, ok := range c.opts.Brands {
		if ok {
			known = append(known, id)
		}
	}
	if len(known) == 0 {
		c.add(d.at("brand"), "unknown brand %q; no brands are configured", b)
		return
	}
	slices.Sort(known)
	c.add(d.at("brand"), "unknown brand %q; known brands are %s", b, strings.Join(known, ", "))
}

// order checks data.order and returns its lines.
func (c *checker) order(d obj) lineSet {
	o, ok := d.child("order", true)
	if !ok {
		return nil
	}
	o.str("id", true)
	o.str("number", true)
	o.time("placed_at", true)
	o.when("promised_ship_by", false)
	o.format("currency", true, validCurrency, wantCurrency)
	if cust, ok := o.child("customer", true); ok {
		c.customer(cust)
	}
	return c.lines(o)
}

func (c *checker) customer(o obj) {
	o.str("id", true)
	o.str("name", true)
	o.format("email", false, validEmail, wantEmail)
	o.format("phone", false, validPhone, wantPhone)
	o.format("locale", false, validLocale, wantLocale)
	o.format("time_zone", false, validTimeZone, wantTimeZone)
	o.boolean("sms_consent")
	_, email := o.m["email"]
	_, phone := o.m["phone"]
	if !email && !phone {
		c.add(o.path, "must have an email or a phone")
	}
}

// lines checks data.order.lines and returns the line ids found.
func (c *checker) lines(o obj) lineSet {
	a, ok := o.array("lines", true)
	if !ok {
		return nil
	}
	set := lineSet{}
	for i, v := range a {
		l, ok := c.object(index(o.at("lines"), i), v)
		if !ok {
			continue
		}
		id, idOK := l.str("id", true)
		if _, dup := set[id]; idOK && dup {
			c.add(l.at("id"), "duplicate line id %q", id)
			idOK = false
		}
		l.str("sku", true)
		l.str("name", true)
		q, qOK := l.integer("quantity", 1)
		l.money("unit_price")
		l.format("image_url", false, validURL, wantURL)
		switch {
		case idOK && qOK:
			set[id] = q
		case idOK:
			set[id] = 0 // known, but with no usable quantity to compare with
		}
	}
	return set
}

func (c *checker) substitute(s obj, lines lineSet) {
	c.lineRef(s, lines)
	s.str("sku", true)
	s.str("name", true)
	s.money("unit_price")
	s.format("url", false, validURL, wantURL)
	s.format("image_url", false, validURL, wantURL)
}

func (c *checker) shipment(d obj, lines lineSet) {
	s, ok := d.child("shipment", true)
	if !ok {
		return
	}
	s.str("id", true)
	s.str("carrier", true)
	s.str("tracking_number", true)
	s.format("tracking_url", false, validURL, wantURL)
	s.objects("lines", true, func(l obj) {
		c.lineQuantity(l, c.lineRef(l, lines), lines)
	})
}

func (c *checker) lineIDs(d obj, lines lineSet) {
	a, _ := d.array("line_ids", false)
	for i, v := range a {
		path := index(d.at("line_ids"), i)
		if id, ok := v.(string); ok {
			c.ref(path, id, lines)
		} else {
			c.add(path, "must be a string, got %s", kindOf(v))
		}
	}
}

// lineRef checks the required line_id of o and returns it if it names a known line.
func (c *checker) lineRef(o obj, lines lineSet) string {
	id, ok := o.str("line_id", true)
	if ok && c.ref(o.at("line_id"), id, lines) {
		return id
	}
	return ""
}

// ref reports a line id that is not in data.order.lines.
func (c *checker) ref(path, id string, lines lineSet) bool {
	if lines == nil {
		return false
	}
	if _, ok := lines[id]; !ok {
		c.add(path, "line id %q is not in data.order.lines", id)
		return false
	}
	return true
}

// lineQuantity checks the quantity of o: at least 1 and at most the quantity of the
// order line it refers to.
func (c *checker) lineQuantity(o obj, id string, lines lineSet) {
	q, ok := o.integer("quantity", 1)
	if max := lines[id]; ok && max > 0 && q > max {
		c.add(o.at("quantity"), "must be ≤ %d, the quantity of line %q", max, id)
	}
}
