package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// ErrNoEvents is returned by Split for an input that holds no event.
var ErrNoEvents = errors.New("no events in input")

// Item is one event's raw JSON with its 1-based position N in its source: the line
// number for JSON lines, the element number for an array, 1 for a single object.
// Err is set when that item is not valid JSON.
type Item struct {
	N   int
	Raw json.RawMessage
	Err error
}

// Split splits an input holding one JSON object, a JSON array of objects, or JSON
// lines (blank lines ignored). A JSON-lines input with malformed lines yields an Item
// with Err for each of them and still returns the others. Split returns an error only
// when the input as a whole is unusable: empty, an empty or malformed array, a
// malformed multi-line object, or not JSON at all.
func Split(data []byte) ([]Item, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, ErrNoEvents
	}
	switch {
	case json.Valid(trimmed) && trimmed[0] == '{':
		return []Item{{N: 1, Raw: json.RawMessage(trimmed)}}, nil
	case trimmed[0] == '[':
		return splitArray(data)
	case trimmed[0] == '{':
		return splitLines(data)
	}
	return nil, errors.New("not JSON: want an object, an array of objects, or JSON lines")
}

func splitArray(data []byte) ([]Item, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		return nil, fmt.Errorf("invalid JSON array: %w", located(data, err))
	}
	if len(elems) == 0 {
		return nil, ErrNoEvents
	}
	items := make([]Item, len(elems))
	for i, e := range elems {
		items[i] = Item{N: i + 1, Raw: e}
	}
	return items, nil
}

// splitLines splits JSON lines. An input in which no line is valid JSON and some line
// does not even start like an object is taken to be one malformed object (often
// pretty-printed), and reported as such.
func splitLines(data []byte) ([]Item, error) {
	var items []Item
	jsonLines := true
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		it := Item{N: n + 1, Raw: json.RawMessage(line)}
		it.Err = checkJSON(line)
		jsonLines = jsonLines && line[0] == '{'
		items = append(items, it)
	}
	if !jsonLines && !slices.ContainsFunc(items, func(it Item) bool { return it.Err == nil }) {
		return nil, fmt.Errorf("invalid JSON: %w", located(data, checkJSON(data)))
	}
	return items, nil
}

// checkJSON returns nil for valid JSON and the decoder's error, with the column of a
// syntax error, otherwise.
func checkJSON(line []byte) error {
	var v any
	err := json.Unmarshal(line, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("column %d: %w", se.Offset, err)
	}
	return err
}

// located adds the line and column of a syntax error in data to err.
func located(data []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	before := data[:min(int(se.Offset), len(data))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n') - 1
	return fmt.Errorf("line %d, column %d: %s", line, col, se.Error())
}
