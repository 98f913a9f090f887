package event

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestSchemas(t *testing.T) {
	t.Parallel()
	all := Schemas()
	if len(all) != len(Types) {
		t.Errorf("Schemas() has %d entries, want %d", len(all), len(Types))
	}
	for _, typ := range Types {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			raw, err := Schema(typ)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, all[typ]) {
				t.Error("Schema and Schemas differ")
			}
			var s struct {
				Version    string `json:"$schema"`
				ID         string `json:"$id"`
				Properties map[string]struct {
					Const any `json:"const"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			if s.Version != "https://json-schema.org/draft/2020-12/schema" || s.ID != SchemaBaseURL+typ+".json" {
				t.Errorf("$schema %q, $id %q", s.Version, s.ID)
			}
			if s.Properties["type"].Const != typ || s.Properties["specversion"].Const != "1.0" {
				t.Errorf("type const %v, specversion const %v", s.Properties["type"].Const, s.Properties["specversion"].Const)
			}
			if strings.Contains(string(bytes.Join(bytes.Fields(raw), nil)), `"additionalProperties":false`) {
				t.Error("schema forbids unknown fields")
			}
		})
	}
}

func TestSchemaUnknownType(t *testing.T) {
	t.Parallel()
	if _, err := Schema("order.refunded"); err == nil {
		t.Error("Schema(order.refunded): no error")
	}
}

func TestSchemaReturnsCopies(t *testing.T) {
	t.Parallel()
	raw, _ := Schema(TypeShipped)
	raw[0] = 'x'
	Schemas()[TypeShipped][0] = 'x'
	if again, _ := Schema(TypeShipped); again[0] != '{' {
		t.Error("the cached schema was modified through a returned value")
	}
}

func TestSchemaAcceptsValidSamples(t *testing.T) {
	t.Parallel()
	samples := validSamples(t)
	for _, typ := range Types {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			if paths := schemaErrorPaths(t, typ, samples[typ]); paths != nil {
				t.Errorf("schema rejects the valid sample at %v", paths)
			}
			other := Types[0]
			if typ == other {
				other = Types[1]
			}
			if paths := schemaErrorPaths(t, other, samples[typ]); !paths["type"] {
				t.Errorf("the %s schema accepts a %s event", other, typ)
			}
		})
	}
}

// TestSchemaRequiredMatchesParse deletes, from every valid sample, each member the
// schema requires, and checks that Parse reports it missing too: the schema comes
// from the Go types, so this keeps the hand-written checks from drifting from them.
func TestSchemaRequiredMatchesParse(t *testing.T) {
	t.Parallel()
	samples := validSamples(t)
	for _, typ := range Types {
		raw, _ := Schema(typ)
		root := generic(t, raw).(map[string]any)
		var paths []string
		requiredPaths(root, root, generic(t, samples[typ]), "", &paths)
		if len(paths) < 9 {
			t.Fatalf("%s: only %d required paths found: %v", typ, len(paths), paths)
		}
		for _, path := range paths {
			t.Run(typ+"/"+path, func(t *testing.T) {
				t.Parallel()
				broken := edit(t, samples[typ], path, nil, true)
				_, probs := Parse(broken, testOpts)
				want := path + ": is required"
				if !slices.Contains(problemStrings(probs), want) {
					t.Errorf("Parse does not report %q; got %q", want, problemStrings(probs))
				}
				if !schemaErrorPaths(t, typ, broken)[path] {
					t.Errorf("schema does not fail at %s", path)
				}
			})
		}
	}
}

// requiredPaths lists the dotted paths of the members of doc that schema requires.
func requiredPaths(root, schema map[string]any, doc any, path string, out *[]string) {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		schema = root["$defs"].(map[string]any)[name].(map[string]any)
	}
	switch d := doc.(type) {
	case map[string]any:
		req, _ := schema["required"].([]any)
		for _, k := range req {
			if _, ok := d[k.(string)]; ok {
				*out = append(*out, join(path, k.(string)))
			}
		}
		props, _ := schema["properties"].(map[string]any)
		for k, v := range d {
			if p, ok := props[k].(map[string]any); ok {
				requiredPaths(root, p, v, join(path, k), out)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, v := range d {
				requiredPaths(root, items, v, index(path, i), out)
			}
		}
	}
}
