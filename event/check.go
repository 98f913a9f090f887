package event

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// checker collects the problems found while walking one event's generic JSON
// (decoded with UseNumber). Walking the generic value rather than unmarshalling into
// the Go types lets every wrong type be reported with its own path.
type checker struct {
	opts  Options
	probs []Problem
}

func (c *checker) add(path, format string, args ...any) {
	c.probs = append(c.probs, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// kindOf names the JSON type of a generic value for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// obj is one JSON object being checked, with its path in the event.
type obj struct {
	c    *checker
	path string
	m    map[string]any
}

// object returns v as an object, reporting a problem at path if it is not one.
func (c *checker) object(path string, v any) (obj, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.add(path, "must be an object, got %s", kindOf(v))
		return obj{}, false
	}
	return obj{c: c, path: path, m: m}, true
}

func (o obj) at(key string) string { return join(o.path, key) }

// get returns the member key. Because Go's JSON decoding matches field names without
// regard to case, a member that differs from key only in case would be decoded in its
// place without having been checked, so it is reported.
func (o obj) get(key string) (any, bool) {
	for k := range o.m {
		if k != key && strings.EqualFold(k, key) {
			o.c.add(o.at(k), "unknown field; field names are case-sensitive, did you mean %q?", key)
		}
	}
	v, ok := o.m[key]
	return v, ok
}

// need returns the member key, reporting it as missing if it is absent.
func (o obj) need(key string) (any, bool) {
	v, ok := o.get(key)
	if !ok {
		o.c.add(o.at(key), "is required")
	}
	return v, ok
}

// member returns the member key if present (required or not).
func (o obj) member(key string, required bool) (any, bool) {
	if required {
		return o.need(key)
	}
	return o.get(key)
}

// str checks a string member; a required one must not be empty. ok is false when the
// member is absent or unusable.
func (o obj) str(key string, required bool) (string, bool) {
	v, ok := o.member(key, required)
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	switch {
	case !isStr:
		o.c.add(o.at(key), "must be a string, got %s", kindOf(v))
		return "", false
	case s == "" && required:
		o.c.add(o.at(key), "must not be empty")
		return "", false
	}
	return s, true
}

// integer checks a required integer member that must be at least min.
func (o obj) integer(key string, min int) (int, bool) {
	v, ok := o.need(key)
	if !ok {
		return 0, false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		o.c.add(o.at(key), "must be an integer, got %s", kindOf(v))
		return 0, false
	}
	i, err := strconv.ParseInt(n.String(), 10, strconv.IntSize)
	if err != nil {
		o.c.add(o.at(key), "must be an integer, got %s", n)
		return 0, false
	}
	if int(i) < min {
		o.c.add(o.at(key), "must be ≥ %d", min)
		return int(i), false
	}
	return int(i), true
}

// boolean checks an optional boolean member.
func (o obj) boolean(key string) {
	if v, ok := o.get(key); ok {
		if _, isBool := v.(bool); !isBool {
			o.c.add(o.at(key), "must be a boolean, got %s", kindOf(v))
		}
	}
}

// array checks an array member; a required array must not be empty.
func (o obj) array(key string, required bool) ([]any, bool) {
	v, ok := o.member(key, required)
	if !ok {
		return nil, false
	}
	a, isArr := v.([]any)
	switch {
	case !isArr:
		o.c.add(o.at(key), "must be an array, got %s", kindOf(v))
		return nil, false
	case len(a) == 0 && required:
		o.c.add(o.at(key), "must not be empty")
		return nil, false
	}
	return a, true
}

// objects checks an array member of objects and calls each for every element.
func (o obj) objects(key string, required bool, each func(obj)) {
	a, _ := o.array(key, required)
	for i, v := range a {
		if el, ok := o.c.object(index(o.at(key), i), v); ok {
			each(el)
		}
	}
}

// child checks an object member.
func (o obj) child(key string, required bool) (obj, bool) {
	v, ok := o.member(key, required)
	if !ok {
		return obj{}, false
	}
	return o.c.object(o.at(key), v)
}

// time checks an RFC 3339 time member exactly as time.Time decodes it.
func (o obj) time(key string, required bool) {
	s, ok := o.str(key, required)
	if !ok {
		return
	}
	var t time.Time
	if t.UnmarshalText([]byte(s)) != nil {
		o.c.add(o.at(key), "must be an RFC 3339 time such as \"2026-11-02T09:15:00Z\", got %q", s)
	}
}

// when checks a When member: RFC 3339 or YYYY-MM-DD. A nullable member is one the
// contract writes as `eta|null`: it must be present, and null means unknown.
func (o obj) when(key string, nullable bool) {
	v, ok := o.member(key, nullable)
	if !ok || (nullable && v == nil) {
		return
	}
	s, isStr := v.(string)
	switch {
	case !isStr && nullable:
		o.c.add(o.at(key), "must be a string or null, got %s", kindOf(v))
	case !isStr:
		o.c.add(o.at(key), "must be a string, got %s", kindOf(v))
	case !When(s).Valid():
		o.c.add(o.at(key), "must be an RFC 3339 time or a YYYY-MM-DD date, got %q", s)
	}
}

// money checks a required decimal money string.
func (o obj) money(key string) {
	if s, ok := o.str(key, true); ok && !Money(s).Valid() {
		o.c.add(o.at(key), "must be a decimal string such as \"39.00\", got %q", s)
	}
}

// oneOf checks an optional string member against a list of allowed values.
func (o obj) oneOf(key string, allowed []string) {
	s, ok := o.str(key, false)
	if !ok {
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	o.c.add(o.at(key), "must be one of %s, got %q", strings.Join(allowed, ", "), s)
}

// format checks a string member with valid, reporting "must be <what>, got …".
func (o obj) format(key string, required bool, valid func(string) bool, what string) {
	if s, ok := o.str(key, required); ok && !valid(s) {
		o.c.add(o.at(key), "must be %s, got %q", what, s)
	}
}
