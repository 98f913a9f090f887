package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Problem is one thing wrong with one event.
type Problem struct {
	// Index is the event's 0-based position in its batch; Parse leaves it 0 and the
	// caller that splits a batch sets it.
	Index int `json:"index"`
	// ID is the event's id when it could be read.
	ID string `json:"id,omitempty"`
	// Path is the dotted JSON path with 0-based indexes, e.g.
	// "data.order.lines[1].quantity"; "" means the event as a whole.
	Path string `json:"path"`
	// Message says what is wrong, e.g. "must be ≥ 1".
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Options are what validation needs to know about the deployment.
type Options struct {
	// Brands holds the known brand ids; an event for any other brand is a problem.
	// A nil map skips the brand check (for producers that do not know the
	// configuration); a non-nil empty map knows no brand.
	Brands map[string]bool
	// Queued is set by the worker for an event read back from its own queue, which
	// was validated when it was accepted: rules added since then are not applied to
	// it again (today: a source without spaces), so an event accepted before an
	// upgrade is still handled, not dropped as invalid.
	Queued bool
}

// Parse decodes and validates one event. On success it returns the Event with Raw
// set and the data field for its Type filled. Otherwise it returns every problem
// found, in the order of the contract's fields, with Index left 0 and ID set to the
// event's id if it could be read.
//
// Parse is the one validation path of notifyd: the HTTP API, the enqueue command and
// the Go client all use it.
func Parse(raw []byte, opts Options) (*Event, []Problem) {
	doc, err := decodeGeneric(raw)
	if err != nil {
		return nil, []Problem{{Message: "not valid JSON: " + located(raw, err).Error()}}
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, []Problem{{Message: "must be a JSON object, got " + kindOf(doc)}}
	}
	c := &checker{opts: opts}
	root := obj{c: c, m: m}
	c.event(root)
	if len(c.probs) > 0 {
		id, _ := root.m["id"].(string)
		for i := range c.probs {
			c.probs[i].ID = id
		}
		return nil, c.probs
	}
	ev, err := decode(raw)
	if err != nil { // a gap between the checks and the Go types; should not happen
		id, _ := root.m["id"].(string)
		return nil, []Problem{{ID: id, Message: "cannot be decoded: " + err.Error()}}
	}
	return ev, nil
}

// decodeGeneric decodes exactly one JSON value, keeping numbers as json.Number.
func decodeGeneric(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the event")
	}
	return v, nil
}

// decode unmarshals a checked event into the Go types.
func decode(raw []byte) (*Event, error) {
	ev := &Event{Raw: append(json.RawMessage(nil), raw...)}
	if err := json.Unmarshal(raw, &ev.Envelope); err != nil {
		return nil, err
	}
	var data any
	switch ev.Type {
	case TypeBackordered:
		ev.Backordered = new(BackorderedData)
		data = ev.Backordered
	case TypeEtaChanged:
		ev.EtaChanged = new(EtaChangedData)
		data = ev.EtaChanged
	case TypeRestocked:
		ev.Restocked = new(RestockedData)
		data = ev.Restocked
	case TypePartiallyShipped:
		ev.PartiallyShipped = new(PartiallyShippedData)
		data = ev.PartiallyShipped
	case TypeShipped:
		ev.Shipped = new(ShippedData)
		data = ev.Shipped
	case TypeCanceled:
		ev.Canceled = new(CanceledData)
		data = ev.Canceled
	case TypeWindowExpired:
		ev.WindowExpired = new(WindowExpiredData)
		data = ev.WindowExpired
	default:
		return nil, fmt.Errorf("unknown event type %q", ev.Type)
	}
	if err := json.Unmarshal(ev.Data, data); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return ev, nil
}

// event checks the envelope, then the data of the event's type.
func (c *checker) event(e obj) {
	if v, ok := e.str("specversion", true); ok && v != "1.0" {
		c.add("specversion", "must be \"1.0\", got %q", v)
	}
	e.str("id", true)
	if c.opts.Queued {
		e.format("source", true, validURIReference, "a URI reference")
	} else {
		e.format("source", true, validSource, "a URI reference, without spaces or control characters")
	}
	typ, known := c.eventType(e)
	e.time("time", true)
	c.subject(e, typ, known)
	e.str("datacontenttype", false)
	data, ok := e.child("data", true)
	if !ok || !known {
		return
	}
	if typ == TypeRestocked {
		c.restocked(data)
		return
	}
	c.orderEvent(typ, data)
}

// eventType checks type; known is false when it is absent or not one of Types.
func (c *checker) eventType(e obj) (string, bool) {
	typ, ok := e.str("type", true)
	if !ok {
		return "", false
	}
	if !slices.Contains(Types, typ) {
		c.add("type", "unknown event type %q; known types are %s", typ, strings.Join(Types, ", "))
		return typ, false
	}
	return typ, true
}

// subject must be present on order events and equal data.order.id. On
// inventory.restocked it is ignored, but must still be a string if present.
func (c *checker) subject(e obj, typ string, known bool) {
	s, ok := e.str("subject", known && IsOrderEvent(typ))
	if !ok || !known || !IsOrderEvent(typ) {
		return
	}
	data, _ := e.m["data"].(map[string]any)
	order, _ := data["order"].(map[string]any)
	if id, isStr := order["id"].(string); isStr && id != "" && s != id {
		c.add("subject", "must equal data.order.id (%q), got %q", id, s)
	}
}
