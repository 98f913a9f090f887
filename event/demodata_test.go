package event

import (
	"os"
	"testing"
	"time"
)

// TestDemoData checks the built-in sample events of `notifyd demo`: every line parses
// cleanly and satisfies its schema, every type appears, ids are unique and times
// increase.
func TestDemoData(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../cmd/notifyd/demodata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	items, err := Split(data)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	keys := map[string]bool{}
	var last time.Time
	for _, it := range items {
		if it.Err != nil {
			t.Errorf("line %d: %v", it.N, it.Err)
			continue
		}
		ev, probs := Parse(it.Raw, testOpts)
		for _, p := range probs {
			t.Errorf("line %d: id=%s: %s", it.N, p.ID, p)
		}
		if ev == nil {
			continue
		}
		if paths := schemaErrorPaths(t, ev.Type, it.Raw); paths != nil {
			t.Errorf("line %d: the %s schema rejects it at %v", it.N, ev.Type, paths)
		}
		seen[ev.Type]++
		if keys[ev.Key()] {
			t.Errorf("line %d: duplicate source+id %q", it.N, ev.Key())
		}
		keys[ev.Key()] = true
		if !ev.Time.After(last) {
			t.Errorf("line %d: time %v is not after the previous event's %v", it.N, ev.Time, last)
		}
		last = ev.Time
	}
	for _, typ := range Types {
		if seen[typ] == 0 {
			t.Errorf("no %s event", typ)
		}
	}
}
