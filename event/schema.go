package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	"github.com/invopop/jsonschema"
)

// SchemaBaseURL is the prefix of each schema's $id; the type and ".json" follow.
const SchemaBaseURL = "https://github.com/notifyd/notifyd/event/"

// dataTypes gives the Go type of each event type's data.
var dataTypes = map[string]any{
	TypeBackordered:      &BackorderedData{},
	TypeEtaChanged:       &EtaChangedData{},
	TypeRestocked:        &RestockedData{},
	TypePartiallyShipped: &PartiallyShippedData{},
	TypeShipped:          &ShippedData{},
	TypeCanceled:         &CanceledData{},
	TypeWindowExpired:    &WindowExpiredData{},
}

// Schema returns the JSON Schema (draft 2020-12) of events of eventType.
func Schema(eventType string) (json.RawMessage, error) {
	s, ok := schemas()[eventType]
	if !ok {
		return nil, fmt.Errorf("no schema for unknown event type %q", eventType)
	}
	return bytes.Clone(s), nil
}

// Schemas returns the JSON Schema of every event type, keyed by type.
func Schemas() map[string]json.RawMessage {
	out := maps.Clone(schemas())
	for t, s := range out {
		out[t] = bytes.Clone(s)
	}
	return out
}

// schemas generates every schema once, from the Go types, so that the schemas and the
// types cannot drift apart.
var schemas = sync.OnceValue(func() map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(Types))
	for _, t := range Types {
		b, err := json.MarshalIndent(buildSchema(t), "", "  ")
		if err != nil {
			panic(fmt.Sprintf("event: marshal schema of %s: %v", t, err))
		}
		out[t] = b
	}
	return out
})

// buildSchema reflects the envelope and the data type of t into one schema: the
// envelope's data property becomes the data type, whose definitions move to the root.
// Fields without omitempty are required, as the contract has them; unknown fields
// are allowed (no additionalProperties: false), for forward compatibility.
func buildSchema(t string) *jsonschema.Schema {
	r := &jsonschema.Reflector{AllowAdditionalProperties: true, ExpandedStruct: true, Anonymous: true}
	s := r.Reflect(&Envelope{})
	s.ID = jsonschema.ID(SchemaBaseURL + t + ".json")
	s.Title = t
	s.Description = "A notifyd " + t + " event: a CloudEvents 1.0 envelope in structured JSON mode."
	s.Properties.Set("type", &jsonschema.Schema{Type: "string", Const: t})

	data := r.Reflect(dataTypes[t])
	s.Definitions, data.Definitions = data.Definitions, nil
	data.Version = ""
	s.Properties.Set("data", data)

	if IsOrderEvent(t) {
		s.Required = append(s.Required, "subject")
		subject := &jsonschema.Schema{Type: "string", MinLength: ptr[uint64](1),
			Description: "The order id; must equal data.order.id."}
		s.Properties.Set("subject", subject)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// The methods below add to the reflected schemas what struct tags cannot express.

// JSONSchemaExtend fixes specversion to "1.0" and keeps spaces and control
// characters out of source, as validSource does.
func (Envelope) JSONSchemaExtend(s *jsonschema.Schema) {
	if p, ok := s.Properties.Get("specversion"); ok {
		p.Const = "1.0"
	}
	if p, ok := s.Properties.Get("source"); ok {
		p.Pattern = `^[^\x00-\x20\x7f]*$`
	}
}

// JSONSchemaExtend accepts an RFC 3339 time or a plain YYYY-MM-DD date.
func (When) JSONSchemaExtend(s *jsonschema.Schema) {
	s.Pattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}(T.+)?$`
	s.AnyOf = []*jsonschema.Schema{{Format: "date-time"}, {Format: "date"}}
}

// JSONSchemaExtend gives the pattern Money.Valid uses.
func (Money) JSONSchemaExtend(s *jsonschema.Schema) { s.Pattern = moneyRE.String() }

// JSONSchemaExtend requires an email or a phone, and gives the phone's E.164 form.
func (Customer) JSONSchemaExtend(s *jsonschema.Schema) {
	s.AnyOf = []*jsonschema.Schema{{Required: []string{"email"}}, {Required: []string{"phone"}}}
	if p, ok := s.Properties.Get("phone"); ok {
		p.Pattern = `^\+[1-9][0-9]{1,14}$`
	}
}

// JSONSchemaExtend lists the backorder types and makes eta nullable.
func (BackorderedLine) JSONSchemaExtend(s *jsonschema.Schema) {
	if p, ok := s.Properties.Get("backorder_type"); ok {
		for _, bt := range BackorderTypes {
			p.Enum = append(p.Enum, bt)
		}
	}
	nullable(s, "eta")
}

// JSONSchemaExtend makes both ETAs nullable.
func (EtaChange) JSONSchemaExtend(s *jsonschema.Schema) { nullable(s, "previous_eta", "eta") }

// JSONSchemaExtend makes eta nullable.
func (PendingLine) JSONSchemaExtend(s *jsonschema.Schema) { nullable(s, "eta") }

// nullable turns the string properties keys of s into ["string", "null"]: the
// contract's `eta|null`, a key that must be present but may be null.
func nullable(s *jsonschema.Schema, keys ...string) {
	for _, k := range keys {
		if p, ok := s.Properties.Get(k); ok {
			p.Type = ""
			if p.Extras == nil {
				p.Extras = map[string]any{}
			}
			p.Extras["type"] = []string{"string", "null"}
		}
	}
}
