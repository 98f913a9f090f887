package config

import (
	"cmp"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fileReader reads the YAML file (CONTRACT.md §2) into a Config, naming every problem as
// FILE:LINE: KEY: message.
type fileReader struct {
	name     string
	problems []fileProblem
}

type fileProblem struct {
	line int
	msg  string
}

func (r *fileReader) addf(n *yaml.Node, key, format string, args ...any) {
	msg := fmt.Sprintf("%s:%d: %s: %s", r.name, n.Line, key, fmt.Sprintf(format, args...))
	r.problems = append(r.problems, fileProblem{n.Line, msg})
}

// readFile sets the brands and policies data holds, and returns its problems in line
// order.
func (c *Config) readFile(name string, data []byte) []string {
	r := &fileReader{name: name}
	r.read(data, c)
	slices.SortStableFunc(r.problems, func(a, b fileProblem) int { return cmp.Compare(a.line, b.line) })
	msgs := make([]string, len(r.problems))
	for i, p := range r.problems {
		msgs[i] = p.msg
	}
	return msgs
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (r *fileReader) read(data []byte, c *Config) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			r.problems = append(r.problems, fileProblem{line, fmt.Sprintf("%s:%d: %s", r.name, line, m[2])})
		} else {
			r.problems = append(r.problems, fileProblem{0, r.name + ": " + strings.TrimPrefix(err.Error(), "yaml: ")})
		}
		return
	}
	if len(root.Content) == 0 {
		return // an empty file
	}
	doc := root.Content[0]
	var brands, policies *yaml.Node
	r.mapping(doc, "", func(k, val *yaml.Node, key string) {
		switch k.Value {
		case "brands":
			brands = val
		case "policies":
			policies = val
		default:
			r.addf(k, key, "unknown key (the file holds brands: and policies:)")
		}
	})
	if brands != nil {
		c.Brands = r.brands(brands)
	}
	if policies != nil {
		r.policies(policies, c)
	}
}

// mapping calls each for every key of the mapping n, reporting duplicate keys and a
// node that is not a mapping. A null node is an empty mapping.
func (r *fileReader) mapping(n *yaml.Node, path string, each func(k, v *yaml.Node, key string)) {
	n = deref(n)
	if n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		r.addf(n, orTop(path), "must be a mapping of keys to values")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := strings.TrimPrefix(path+"."+k.Value, ".")
		if line, dup := seen[k.Value]; dup {
			r.addf(k, key, "duplicate key (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		each(k, deref(val), key)
	}
}

func (r *fileReader) brands(n *yaml.Node) []Brand {
	n = deref(n)
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.addf(n, "brands", "must be a list of brands")
		return nil
	}
	brands := make([]Brand, len(n.Content))
	for i, item := range n.Content {
		r.decodeStruct(item, reflect.ValueOf(&brands[i]).Elem(), fmt.Sprintf("brands[%d]", i))
	}
	return brands
}

// decodeStruct sets the fields of v (strings, structs and pointers to structs, named by
// their yaml tags) from the mapping n.
func (r *fileReader) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	r.mapping(n, path, func(k, val *yaml.Node, key string) {
		f, ok := fieldByTag(v.Type(), k.Value)
		if !ok {
			r.addf(k, key, "unknown key")
			return
		}
		fv := v.Field(f)
		switch fv.Kind() {
		case reflect.String:
			if s, ok := r.scalar(k, val, key); ok {
				fv.SetString(s)
			}
		case reflect.Struct:
			r.decodeStruct(val, fv, key)
		case reflect.Pointer:
			if val.Tag != "!!null" {
				fv.Set(reflect.New(fv.Type().Elem()))
				r.decodeStruct(val, fv.Elem(), key)
			}
		default:
			panic(fmt.Sprintf("config: field %s of kind %s cannot be read from YAML", key, fv.Kind()))
		}
	})
}

func fieldByTag(t reflect.Type, key string) (int, bool) {
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name == key {
			return i, true
		}
	}
	return 0, false
}

// colorCommentRE matches what YAML took for a comment in `primary: #0b6e4f`.
var colorCommentRE = regexp.MustCompile(`^#[0-9a-fA-F]{3,8}\b`)

// scalar returns val's text as written; null is "".
func (r *fileReader) scalar(k, val *yaml.Node, key string) (string, bool) {
	if val.Kind != yaml.ScalarNode {
		r.addf(val, key, "must be a single value, not a list or mapping")
		return "", false
	}
	if val.Tag != "!!null" {
		return val.Value, true
	}
	if c := strings.TrimSpace(k.LineComment + " " + val.LineComment); colorCommentRE.MatchString(c) {
		word := strings.Fields(c)[0]
		r.addf(k, key, "no value: YAML reads %s as a comment; quote it (%q)", word, word)
		return "", false
	}
	return "", true
}

// policyEntry is one entry under policies:, applied once brands and the default are
// known.
type policyEntry struct {
	id   *yaml.Node
	sets []func(*Policy)
}

// policies reads policies.default over the built-in default, then resolves each brand's
// entry over that.
func (r *fileReader) policies(n *yaml.Node, c *Config) {
	var def policyEntry
	var entries []policyEntry
	r.mapping(n, "policies", func(k, val *yaml.Node, key string) {
		e := policyEntry{id: k}
		r.mapping(val, key, func(pk, pv *yaml.Node, pkey string) {
			pol, ok := lookupPolicyKey(pk.Value)
			if !ok {
				r.addf(pk, pkey, "unknown key")
				return
			}
			s, ok := r.scalar(pk, pv, pkey)
			if !ok {
				return
			}
			if err := pol.set(&Policy{}, s); err != nil {
				r.addf(pv, pkey, "%v", err)
				return
			}
			e.sets = append(e.sets, func(p *Policy) { _ = pol.set(p, s) }) // checked just above
		})
		if k.Value == "default" {
			def = e
		} else {
			entries = append(entries, e)
		}
	})
	def.apply(&c.Policies.Default)
	ids := c.BrandIDs()
	for _, e := range entries {
		if !ids[e.id.Value] {
			r.addf(e.id, "policies."+e.id.Value, "no brand with that id (brands: %s)", listOrNone(c.brandIDList()))
			continue
		}
		p := c.Policies.Default
		e.apply(&p)
		if c.Policies.ByBrand == nil {
			c.Policies.ByBrand = map[string]Policy{}
		}
		c.Policies.ByBrand[e.id.Value] = p
	}
}

func (e policyEntry) apply(p *Policy) {
	for _, set := range e.sets {
		set(p)
	}
}

// deref follows a YAML alias (*name) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func orTop(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}
