package main

import (
	"bytes"
	"encoding/json"
	"time"
)

// demoEpoch is the day the built-in sample events were written for. The demo moves
// every date in them by whole days so that they fall as far from today as they did
// from this day: a promise that was a week ahead stays a week ahead, and the demo
// shows the same story whenever it runs.
var demoEpoch = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// shiftDates returns the JSON lines in raw with every RFC 3339 time and YYYY-MM-DD
// date moved by days days. Other values are left exactly as they are.
func shiftDates(raw []byte, days int) ([]byte, error) {
	if days == 0 {
		return raw, nil
	}
	var out bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		b, err := json.Marshal(shiftValue(v, days))
		if err != nil {
			return nil, err
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

func shiftValue(v any, days int) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = shiftValue(e, days)
		}
	case []any:
		for i, e := range x {
			x[i] = shiftValue(e, days)
		}
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.AddDate(0, 0, days).Format(time.RFC3339Nano)
		}
		if t, err := time.Parse(time.DateOnly, x); err == nil {
			return t.AddDate(0, 0, days).Format(time.DateOnly)
		}
	}
	return v
}

// daysSinceEpoch is how many whole days today (UTC) is after demoEpoch.
func daysSinceEpoch(now time.Time) int {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return int(today.Sub(demoEpoch).Hours() / 24)
}
