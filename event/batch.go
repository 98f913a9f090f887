package event

import "bytes"

// ParseAll parses every item. It returns the valid events and the problems of the
// invalid ones, each with Index set to the item's 0-based position in items.
func ParseAll(items []Item, opts Options) ([]*Event, []Problem) {
	var events []*Event
	var problems []Problem
	for i, it := range items {
		if it.Err != nil {
			problems = append(problems, Problem{Index: i, Message: "invalid JSON: " + it.Err.Error()})
			continue
		}
		e, ps := Parse(it.Raw, opts)
		for _, p := range ps {
			p.Index = i
			problems = append(problems, p)
		}
		if len(ps) == 0 {
			events = append(events, e)
		}
	}
	return events, problems
}

// IsArray reports whether data's first non-space byte opens a JSON array.
func IsArray(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '['
}
