package event

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// testOpts knows the brands of the samples and the demo.
var testOpts = Options{Brands: map[string]bool{"acme": true, "lumen": true}}

// readSample returns a file under testdata.
func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validSamples returns testdata/valid/<type>.json for every type.
func validSamples(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, typ := range Types {
		out[typ] = readSample(t, filepath.Join("valid", typ+".json"))
	}
	return out
}

func generic(t testing.TB, raw []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var pathElemRE = regexp.MustCompile(`[^.\[\]]+|\[\d+\]`)

// edit returns raw with the value at a dotted path replaced by v, or deleted when
// del is set. The path's parents must exist.
func edit(t testing.TB, raw []byte, path string, v any, del bool) []byte {
	t.Helper()
	doc := generic(t, raw)
	elems := pathElemRE.FindAllString(path, -1)
	parent := doc
	for _, e := range elems[:len(elems)-1] {
		parent = step(t, parent, e)
	}
	last := elems[len(elems)-1]
	switch p := parent.(type) {
	case map[string]any:
		if del {
			delete(p, last)
		} else {
			p[last] = v
		}
	case []any:
		p[elemIndex(t, last)] = v
	default:
		t.Fatalf("edit %s: parent is %T", path, parent)
	}
	return marshal(t, doc)
}

func step(t testing.TB, v any, e string) any {
	t.Helper()
	if strings.HasPrefix(e, "[") {
		return v.([]any)[elemIndex(t, e)]
	}
	return v.(map[string]any)[e]
}

func elemIndex(t testing.TB, e string) int {
	t.Helper()
	i, err := strconv.Atoi(strings.Trim(e, "[]"))
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// problemStrings formats problems as "path: message".
func problemStrings(probs []Problem) []string {
	out := make([]string, len(probs))
	for i, p := range probs {
		out[i] = p.String()
	}
	return out
}

// compiledSchema compiles Schema(typ) with format assertions on.
func compiledSchema(t testing.TB, typ string) *jsonschema.Schema {
	t.Helper()
	raw, err := Schema(typ)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := SchemaBaseURL + typ + ".json"
	if err := c.AddResource(url, generic(t, raw)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile schema of %s: %v", typ, err)
	}
	return s
}

// schemaErrorPaths validates raw against the schema of typ and returns the dotted
// paths of every error location (a missing required key as its own path); nil when
// the event is valid.
func schemaErrorPaths(t testing.TB, typ string, raw []byte) map[string]bool {
	t.Helper()
	err := compiledSchema(t, typ).Validate(generic(t, raw))
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		t.Fatalf("validate: %v", err)
	}
	paths := map[string]bool{}
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		p := dotted(e.InstanceLocation)
		paths[p] = true
		if r, ok := e.ErrorKind.(*kind.Required); ok {
			for _, m := range r.Missing {
				paths[join(p, m)] = true
			}
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return paths
}

// dotted turns a JSON pointer's tokens into the dotted path Problems use.
func dotted(tokens []string) string {
	p := ""
	for _, tok := range tokens {
		if i, err := strconv.Atoi(tok); err == nil {
			p = index(p, i)
		} else {
			p = join(p, tok)
		}
	}
	return p
}
