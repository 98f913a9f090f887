// Package storetest is the one conformance suite every store.Store implementation
// must pass. store/sqlite and store/postgres run it from their tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
//
// open must return a new, empty and unmigrated database for every call, close it in
// t.Cleanup, and be safe to call from parallel tests.
package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// Run runs the conformance suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	migrated := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	}
	groups := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"Schema", func(t *testing.T, _ func(*testing.T) store.Store) { testSchema(t, open) }},
		{"Events", testEvents},
		{"Orders", testOrders},
		{"Notifications", testNotifications},
		{"Delivery", testDelivery},
		{"Suppressions", testSuppressions},
		{"Tokens", testTokens},
		{"Concurrency", testConcurrency},
		{"CommitEvent", testCommitEvent},
		{"History", testHistory},
		{"HistoryBatch", testHistoryBatch},
		{"Claims", testClaims},
		{"AllocateRestock", testAllocateRestock},
		{"Offers", testOffers},
		{"WebhookDeliveries", testWebhookDeliveries},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, migrated)
		})
	}
}

// t0 has nanoseconds and a non-UTC zone on purpose: stores must return it truncated
// to the microsecond, in UTC.
var t0 = time.Date(2026, 11, 2, 9, 15, 0, 123456789, time.FixedZone("CET", 3600))

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// ptr returns a pointer to t.
func ptr(t time.Time) *time.Time { return &t }

// assertEqual reports every field where got differs from want. Times are compared with
// Equal after truncation to the microsecond and must come back in UTC; JSON is
// compared by value (jsonb does not keep key order or spacing).
func assertEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	for _, d := range diff(reflect.ValueOf(want), reflect.ValueOf(got), what) {
		t.Error(d)
	}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	jsonType = reflect.TypeFor[json.RawMessage]()
)

func diff(w, g reflect.Value, path string) []string {
	switch w.Type() {
	case timeType:
		return diffTime(w.Interface().(time.Time), g.Interface().(time.Time), path)
	case jsonType:
		return diffJSON(w.Interface().(json.RawMessage), g.Interface().(json.RawMessage), path)
	}
	switch w.Kind() {
	case reflect.Pointer:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				return []string{fmt.Sprintf("%s: got %v, want %v", path, fmtPtr(g), fmtPtr(w))}
			}
			return nil
		}
		return diff(w.Elem(), g.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range w.NumField() {
			out = append(out, diff(w.Field(i), g.Field(i), path+"."+w.Type().Field(i).Name)...)
		}
		return out
	case reflect.Slice:
		if w.Len() != g.Len() {
			return []string{fmt.Sprintf("%s: got %d elements, want %d", path, g.Len(), w.Len())}
		}
		var out []string
		for i := range w.Len() {
			out = append(out, diff(w.Index(i), g.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	if !reflect.DeepEqual(w.Interface(), g.Interface()) {
		return []string{fmt.Sprintf("%s: got %#v, want %#v", path, g.Interface(), w.Interface())}
	}
	return nil
}

func fmtPtr(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return fmt.Sprint(v.Elem().Interface())
}

func diffTime(w, g time.Time, path string) []string {
	var out []string
	if !w.Truncate(time.Microsecond).Equal(g.Truncate(time.Microsecond)) || g.Nanosecond()%1000 != 0 {
		out = append(out, fmt.Sprintf("%s: got %s, want %s (to the microsecond)",
			path, g.Format(time.RFC3339Nano), w.Truncate(time.Microsecond).Format(time.RFC3339Nano)))
	}
	if g.Location() != time.UTC {
		out = append(out, fmt.Sprintf("%s: got location %s, want UTC", path, g.Location()))
	}
	return out
}

func diffJSON(w, g json.RawMessage, path string) []string {
	if len(w) == 0 || len(g) == 0 {
		if len(w) != len(g) {
			return []string{fmt.Sprintf("%s: got %q, want %q", path, g, w)}
		}
		return nil
	}
	var wv, gv any
	if err := json.Unmarshal(w, &wv); err != nil {
		return []string{fmt.Sprintf("%s: want is not JSON: %v", path, err)}
	}
	if err := json.Unmarshal(g, &gv); err != nil {
		return []string{fmt.Sprintf("%s: got is not JSON (%q): %v", path, g, err)}
	}
	if !reflect.DeepEqual(wv, gv) {
		return []string{fmt.Sprintf("%s: got %s, want %s", path, g, w)}
	}
	return nil
}

// sameBytes reports whether raw JSON came back byte for byte.
func sameBytes(a, b json.RawMessage) bool { return bytes.Equal(a, b) }
