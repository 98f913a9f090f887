package event

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseValidSamples(t *testing.T) {
	t.Parallel()
	for typ, raw := range validSamples(t) {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			ev, probs := Parse(raw, testOpts)
			if len(probs) > 0 {
				t.Fatalf("Parse: unexpected problems:\n%q", problemStrings(probs))
			}
			if ev.Type != typ || !bytes.Equal(ev.Raw, raw) {
				t.Errorf("Parse: Type %q, Raw %d bytes; want %q, %d bytes", ev.Type, len(ev.Raw), typ, len(raw))
			}
			if ev.Brand() != "acme" {
				t.Errorf("Brand() = %q, want acme", ev.Brand())
			}
			if IsOrderEvent(typ) && (ev.OrderData() == nil || ev.OrderID() != ev.Subject) {
				t.Errorf("order data not filled: OrderID %q, subject %q", ev.OrderID(), ev.Subject)
			}
			if !IsOrderEvent(typ) && ev.Restocked == nil {
				t.Error("Restocked not filled")
			}
		})
	}
}

func TestParseDecodesData(t *testing.T) {
	t.Parallel()
	ev, probs := Parse(readSample(t, "valid/order.backordered.json"), testOpts)
	if len(probs) > 0 {
		t.Fatal(problemStrings(probs))
	}
	b := ev.Backordered
	if b == nil || len(b.BackorderedLines) != 2 {
		t.Fatalf("Backordered = %+v", b)
	}
	if eta := b.BackorderedLines[0].ETA; eta == nil || *eta != "2026-11-20" {
		t.Errorf("line 0 eta = %v, want 2026-11-20", eta)
	}
	if b.BackorderedLines[1].ETA != nil {
		t.Errorf("line 1 eta = %v, want nil", *b.BackorderedLines[1].ETA)
	}
	if want := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC); !ev.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", ev.Time, want)
	}
	if c := b.Order.Customer; c.Phone != "+14155550100" || !c.SMSConsent {
		t.Errorf("Customer = %+v", c)
	}
	if l, ok := b.Order.Line("l2"); !ok || l.UnitPrice != "24.50" {
		t.Errorf("Line(l2) = %+v, %v", l, ok)
	}
}

// invalidCases are the files under testdata/invalid with the problems Parse must
// report, in order, and the paths at which the JSON Schema must fail too (nil: the
// breakage is one the schema cannot express, and the schema accepts the event).
var invalidCases = []struct {
	file   string
	id     string
	want   []string
	schema []string
}{
	{
		file: "envelope.json",
		want: []string{
			`specversion: must be "1.0", got "0.3"`,
			`id: is required`,
			`source: must not be empty`,
			`time: must be an RFC 3339 time such as "2026-11-02T09:15:00Z", got "yesterday"`,
		},
		schema: []string{"specversion", "id", "source", "time"},
	},
	{
		// A space would make the event's key (source + " " + id) ambiguous.
		file: "source-space.json", id: "evt_source_1",
		want:   []string{`source: must be a URI reference, without spaces or control characters, got "https://shop.example/orders feed"`},
		schema: []string{"source"},
	},
	{
		file: "unknown-type.json", id: "evt_unknown_1",
		want: []string{`type: unknown event type "order.refunded"; known types are order.backordered, ` +
			`order.eta_changed, inventory.restocked, order.partially_shipped, order.shipped, ` +
			`order.canceled, backorder.window_expired`},
	},
	{
		file: "wrong-types.json", id: "evt_types_1",
		want: []string{
			`data.order.number: must be a string, got number`,
			`data.order.placed_at: must be a string, got number`,
			`data.order.customer.sms_consent: must be a boolean, got string`,
			`data.order.lines[0].quantity: must be an integer, got string`,
			`data.order.lines[1]: must be an object, got string`,
			`data.order.lines[2].quantity: must be an integer, got 1.5`,
			`data.order.lines[2].unit_price: must be a string, got number`,
			`data.backordered_lines: must be an array, got object`,
		},
		schema: []string{
			"data.order.number", "data.order.placed_at", "data.order.customer.sms_consent",
			"data.order.lines[0].quantity", "data.order.lines[1]", "data.order.lines[2].quantity",
			"data.order.lines[2].unit_price", "data.backordered_lines",
		},
	},
	{
		file: "many-problems.json", id: "evt_many_1",
		want: []string{
			`subject: must equal data.order.id ("ord_1001"), got "ord_9999"`,
			`data.brand: unknown brand "acme-outlet"; known brands are acme, lumen`,
			`data.order.promised_ship_by: must be an RFC 3339 time or a YYYY-MM-DD date, got "next week"`,
			`data.order.currency: must be an ISO 4217 currency code such as "USD", got "usd"`,
			`data.order.customer.email: must be an email address such as ada@example.com, got "Ada Lovelace <ada@example.com>"`,
			`data.order.customer.phone: must be an E.164 phone number such as +14155550100, got "555-1234"`,
			`data.order.customer.locale: must be a BCP 47 language tag such as "en-US", got "english"`,
			`data.order.customer.time_zone: must be an IANA time zone such as "America/New_York", got "Mars/Olympus_Mons"`,
			`data.order.lines[0].unit_price: must be a decimal string such as "39.00", got "39,00"`,
			`data.order.lines[0].image_url: must be an absolute http(s) URL, got "ftp://cdn.example.com/ket-blue.jpg"`,
			`data.order.lines[1].id: duplicate line id "l1"`,
			`data.order.lines[1].quantity: must be ≥ 1`,
			`data.backordered_lines[0].quantity: must be ≤ 2, the quantity of line "l1"`,
			`data.backordered_lines[0].eta: must be an RFC 3339 time or a YYYY-MM-DD date, got "soon"`,
			`data.backordered_lines[0].backorder_type: must be one of standard, preorder, custom, manufacturer, dropship, seasonal, indefinite, got "later"`,
			`data.backordered_lines[1].line_id: line id "l9" is not in data.order.lines`,
			`data.backordered_lines[1].eta: is required`,
		},
		schema: []string{
			"data.order.promised_ship_by", "data.order.currency", "data.order.customer.email",
			"data.order.customer.phone", "data.order.lines[0].unit_price", "data.order.lines[0].image_url",
			"data.order.lines[1].quantity", "data.backordered_lines[0].eta",
			"data.backordered_lines[0].backorder_type", "data.backordered_lines[1].eta",
		},
	},
	{
		file: "missing-fields.json", id: "evt_missing_1",
		want: []string{
			`data.brand: must not be empty`,
			`data.order.number: is required`,
			`data.order.customer: is required`,
			`data.order.lines: must not be empty`,
			`data.shipment.carrier: is required`,
			`data.shipment.lines: must not be empty`,
			`data.pending_lines[0].eta: is required`,
		},
		schema: []string{
			"data.brand", "data.order.number", "data.order.customer", "data.order.lines",
			"data.shipment.carrier", "data.shipment.lines", "data.pending_lines[0].eta",
		},
	},
	{
		file: "unreachable-customer.json", id: "evt_unreach_1",
		want:   []string{`data.order.customer: must have an email or a phone`},
		schema: []string{"data.order.customer"},
	},
	{
		file: "restocked.json", id: "evt_restock_bad",
		want: []string{
			`subject: must be a string, got number`,
			`data.brand: is required`,
			`data.quantity: must be ≥ 1`,
			`data.available_at: must be an RFC 3339 time such as "2026-11-02T09:15:00Z", got "tomorrow"`,
		},
		schema: []string{"subject", "data.brand", "data.quantity", "data.available_at"},
	},
	{
		file: "eta-changes.json", id: "evt_eta_bad",
		want: []string{
			`data.substitutes[0].line_id: line id "l7" is not in data.order.lines`,
			`data.substitutes[0].url: must be an absolute http(s) URL, got "acme.example/p/ket-green"`,
			`data.changes[0].previous_eta: is required`,
			`data.changes[1].eta: must be a string or null, got number`,
			`data.changes[2].line_id: line id "l9" is not in data.order.lines`,
		},
		schema: []string{"data.substitutes[0].url", "data.changes[0].previous_eta", "data.changes[1].eta"},
	},
	{
		file: "window-expired.json", id: "evt_window_bad",
		want: []string{
			`subject: is required`,
			`data.line_ids[1]: must be a string, got number`,
			`data.line_ids[2]: line id "l5" is not in data.order.lines`,
		},
		schema: []string{"subject", "data.line_ids[1]"},
	},
	{
		file: "shipped.json", id: "evt_ship_bad",
		want: []string{
			`data.shipment.tracking_url: must be an absolute http(s) URL, got "tracking page"`,
			`data.shipment.lines[0].quantity: must be ≤ 2, the quantity of line "l1"`,
			`data.shipment.lines[1].quantity: is required`,
		},
		schema: []string{"data.shipment.tracking_url", "data.shipment.lines[1].quantity"},
	},
	{
		file: "case-variant.json", id: "evt_case_1",
		want: []string{
			`Time: unknown field; field names are case-sensitive, did you mean "time"?`,
			`data.order.customer.Email: unknown field; field names are case-sensitive, did you mean "email"?`,
		},
	},
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range invalidCases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			raw := readSample(t, "invalid/"+tc.file)
			ev, probs := Parse(raw, testOpts)
			if ev != nil {
				t.Fatal("Parse returned an event for an invalid one")
			}
			if got := problemStrings(probs); !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
			for _, p := range probs {
				if p.ID != tc.id || p.Index != 0 {
					t.Errorf("problem %q: ID %q, Index %d; want ID %q, Index 0", p, p.ID, p.Index, tc.id)
				}
			}
		})
	}
}

func TestParseInvalidAgainstSchema(t *testing.T) {
	t.Parallel()
	for _, tc := range invalidCases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			raw := readSample(t, "invalid/"+tc.file)
			typ, _ := generic(t, raw).(map[string]any)["type"].(string)
			if !slices.Contains(Types, typ) {
				// An unknown type has no schema to judge it by: that itself is checked.
				if _, err := Schema(typ); err == nil {
					t.Errorf("Schema(%q) exists for an unknown type", typ)
				}
				return
			}
			got := schemaErrorPaths(t, typ, raw)
			if tc.schema == nil && got != nil {
				t.Errorf("schema rejects an event it cannot judge; error paths %v", got)
			}
			for _, p := range tc.schema {
				if !got[p] {
					t.Errorf("schema does not fail at %s; error paths %v", p, got)
				}
			}
		})
	}
}

// TestParseReportsEveryProblem checks that one event with many different problems
// gets all of them, not just the first.
func TestParseReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, probs := Parse(readSample(t, "invalid/many-problems.json"), testOpts)
	paths := map[string]bool{}
	for _, p := range probs {
		paths[p.Path] = true
	}
	if len(paths) < 5 {
		t.Fatalf("got problems at %d paths, want at least 5: %q", len(paths), problemStrings(probs))
	}
}

func TestParseEdits(t *testing.T) {
	t.Parallel()
	backordered := readSample(t, "valid/order.backordered.json")
	restocked := readSample(t, "valid/inventory.restocked.json")
	tests := []struct {
		name string
		raw  []byte
		opts Options
		want []string // nil: valid
	}{
		{"not JSON", []byte(`{"id": `), testOpts, []string{"not valid JSON: unexpected EOF"}},
		{"syntax error", []byte("{\n  \"id\": x\n}"), testOpts,
			[]string{"not valid JSON: line 2, column 9: invalid character 'x' looking for beginning of value"}},
		{"trailing data", []byte(`{} {}`), testOpts, []string{"not valid JSON: unexpected data after the event"}},
		{"array", []byte(`[{}]`), testOpts, []string{"must be a JSON object, got array"}},
		{"empty object", []byte(`{}`), testOpts, []string{
			"specversion: is required", "id: is required", "source: is required",
			"type: is required", "time: is required", "data: is required",
		}},
		{"nil brands skip the brand check", edit(t, backordered, "data.brand", "other", false), Options{}, nil},
		{"no brands configured", edit(t, backordered, "data.brand", "acme", false), Options{Brands: map[string]bool{}},
			[]string{`data.brand: unknown brand "acme"; no brands are configured`}},
		{"data not an object", edit(t, backordered, "data", "x", false), testOpts, []string{"data: must be an object, got string"}},
		{"eta null is fine", edit(t, backordered, "data.backordered_lines[0].eta", nil, false), testOpts, nil},
		{"eta RFC 3339", edit(t, backordered, "data.backordered_lines[0].eta", "2026-11-20T12:00:00+01:00", false), testOpts, nil},
		{"promised_ship_by null", edit(t, backordered, "data.order.promised_ship_by", nil, false), testOpts,
			[]string{"data.order.promised_ship_by: must be a string, got null"}},
		{"phone with spaces", edit(t, backordered, "data.order.customer.phone", "+1 415 555 0100", false), testOpts,
			[]string{`data.order.customer.phone: must be an E.164 phone number such as +14155550100, got "+1 415 555 0100"`}},
		{"phone invalid number", edit(t, backordered, "data.order.customer.phone", "+1999", false), testOpts,
			[]string{`data.order.customer.phone: must be an E.164 phone number such as +14155550100, got "+1999"`}},
		{"only a phone", edit(t, backordered, "data.order.customer.email", nil, true), testOpts, nil},
		{"empty email", edit(t, backordered, "data.order.customer.email", "", false), testOpts,
			[]string{`data.order.customer.email: must be an email address such as ada@example.com, got ""`}},
		{"locale with underscore", edit(t, backordered, "data.order.customer.locale", "en_US", false), testOpts,
			[]string{`data.order.customer.locale: must be a BCP 47 language tag such as "en-US", got "en_US"`}},
		{"time zone Local", edit(t, backordered, "data.order.customer.time_zone", "Local", false), testOpts,
			[]string{`data.order.customer.time_zone: must be an IANA time zone such as "America/New_York", got "Local"`}},
		{"unknown currency", edit(t, backordered, "data.order.currency", "XYZ", false), testOpts,
			[]string{`data.order.currency: must be an ISO 4217 currency code such as "USD", got "XYZ"`}},
		{"huge quantity", edit(t, backordered, "data.order.lines[0].quantity", 1e30, false), testOpts,
			[]string{"data.order.lines[0].quantity: must be an integer, got 1e+30"}},
		{"negative quantity", edit(t, backordered, "data.backordered_lines[0].quantity", -1, false), testOpts,
			[]string{"data.backordered_lines[0].quantity: must be ≥ 1"}},
		{"subject is ignored on restock", edit(t, restocked, "subject", "anything", false), testOpts, nil},
		{"restock sku empty", edit(t, restocked, "data.sku", "", false), testOpts, []string{"data.sku: must not be empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, probs := Parse(tc.raw, tc.opts)
			if got := problemStrings(probs); !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
			if (ev == nil) == (tc.want == nil) {
				t.Errorf("event %v with %d problems", ev != nil, len(probs))
			}
		})
	}
}

// FuzzParse checks that Parse never panics, and that an event it accepts decodes to
// the type its Type names.
func FuzzParse(f *testing.F) {
	samples := validSamples(f)
	for _, typ := range Types {
		f.Add(samples[typ])
	}
	for _, tc := range invalidCases {
		f.Add(readSample(f, "invalid/"+tc.file))
	}
	f.Add([]byte(`{"type":"order.shipped","data":{"order":{"lines":[{"id":"l1","quantity":1e400}]}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, probs := Parse(raw, testOpts)
		if (ev == nil) == (len(probs) == 0) {
			t.Fatalf("event %v with %d problems", ev != nil, len(probs))
		}
		if ev != nil && IsOrderEvent(ev.Type) && ev.OrderData() == nil {
			t.Fatalf("accepted %s without order data", ev.Type)
		}
	})
}

// TestSourceCharacters: the validator and the JSON Schema agree on which sources are
// refused (an ASCII space or control character), and an event read back from the
// worker's queue (Options.Queued), accepted before spaces were refused, is still
// valid.
func TestSourceCharacters(t *testing.T) {
	t.Parallel()
	base := string(readSample(t, "invalid/source-space.json"))
	for _, tc := range []struct {
		source     string
		ok, queued bool // valid on arrival; valid read back from the queue
	}{
		{"https://shop.example/orders", true, true},
		{"urn:shop:acme", true, true},
		{"/orders", true, true},
		{"https://shop.example/orders\u00a0feed", true, true}, // not ASCII: no ambiguity for the key
		{"https://shop.example/orders feed", false, true},
		{"shop\tfeed", false, false}, // url.Parse refuses controls: never accepted
		{"shop\nfeed", false, false},
		{"shop\x7ffeed", false, false},
	} {
		quoted, _ := json.Marshal(tc.source)
		raw := []byte(strings.Replace(base, `"https://shop.example/orders feed"`, string(quoted), 1))
		_, probs := Parse(raw, testOpts)
		if got := len(probs) == 0; got != tc.ok {
			t.Errorf("Parse, source %q: valid=%v, want %v (%q)", tc.source, got, tc.ok, problemStrings(probs))
		}
		if got := schemaErrorPaths(t, TypeCanceled, raw)["source"]; got == tc.ok {
			t.Errorf("schema, source %q: fails at source=%v, want %v", tc.source, got, !tc.ok)
		}
		queued := testOpts
		queued.Queued = true
		if _, probs := Parse(raw, queued); (len(probs) == 0) != tc.queued {
			t.Errorf("Parse from the queue, source %q: %q, want valid=%v", tc.source, problemStrings(probs), tc.queued)
		}
	}
}
