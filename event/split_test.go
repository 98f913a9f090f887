package event

import (
	"errors"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	type item struct {
		n   int
		raw string
		err string // a substring of Item.Err; "" for none
	}
	tests := []struct {
		name  string
		input string
		want  []item
		err   string // a substring of Split's error; "" for none
	}{
		{name: "one object", input: `{"id":"a"}`, want: []item{{1, `{"id":"a"}`, ""}}},
		{name: "pretty-printed object", input: "\n{\n  \"id\": \"a\"\n}\n",
			want: []item{{1, "{\n  \"id\": \"a\"\n}", ""}}},
		{name: "object after a byte order mark", input: "\xef\xbb\xbf{\"id\":\"a\"}", want: []item{{1, `{"id":"a"}`, ""}}},
		{name: "array", input: "[\n {\"id\":\"a\"},\n {\"id\":\"b\"}\n]",
			want: []item{{1, `{"id":"a"}`, ""}, {2, `{"id":"b"}`, ""}}},
		{name: "array with a non-object", input: `[{"id":"a"}, 7]`,
			want: []item{{1, `{"id":"a"}`, ""}, {2, `7`, ""}}},
		{name: "JSON lines with blank lines", input: "{\"id\":\"a\"}\n\n  \r\n{\"id\":\"b\"}\r\n",
			want: []item{{1, `{"id":"a"}`, ""}, {4, `{"id":"b"}`, ""}}},
		{name: "JSON lines with a malformed line", input: "{\"id\":\"a\"}\n{\"id\": \"b\",}\n{\"id\":\"c\"}\n",
			want: []item{{1, `{"id":"a"}`, ""}, {2, `{"id": "b",}`, "column 12: invalid character '}'"}, {3, `{"id":"c"}`, ""}}},
		{name: "one malformed line", input: `{"id": }`,
			want: []item{{1, `{"id": }`, "column 8: invalid character '}'"}}},
		{name: "JSON lines all malformed", input: "{\"id\": 1,}\n{\"id\"}\n",
			want: []item{{1, `{"id": 1,}`, "column 10"}, {2, `{"id"}`, "column 6"}}},
		{name: "JSON lines with a line of garbage", input: "{\"id\":\"a\"}\noops\n",
			want: []item{{1, `{"id":"a"}`, ""}, {2, "oops", "column 1: invalid character 'o'"}}},
		{name: "empty", input: " \n\t\n", err: ErrNoEvents.Error()},
		{name: "empty array", input: "[]", err: ErrNoEvents.Error()},
		{name: "malformed array", input: "[\n{\"id\":\"a\"},\n{\"id\" \"b\"}\n]", err: "line 3, column 7"},
		{name: "malformed pretty-printed object", input: "{\n  \"id\": \"a\",\n}\n", err: "line 3, column 1"},
		{name: "not JSON", input: "id=a", err: "not JSON"},
		{name: "a JSON string", input: `"hello"`, err: "not JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			items, err := Split([]byte(tc.input))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Split error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != len(tc.want) {
				t.Fatalf("got %d items, want %d", len(items), len(tc.want))
			}
			for i, w := range tc.want {
				got := items[i]
				if got.N != w.n || string(got.Raw) != w.raw {
					t.Errorf("item %d: N %d, Raw %q; want %d, %q", i, got.N, got.Raw, w.n, w.raw)
				}
				if (got.Err == nil) != (w.err == "") || (got.Err != nil && !strings.Contains(got.Err.Error(), w.err)) {
					t.Errorf("item %d: Err %v, want %q", i, got.Err, w.err)
				}
			}
		})
	}
}

func TestSplitEmptyIsErrNoEvents(t *testing.T) {
	t.Parallel()
	if _, err := Split(nil); !errors.Is(err, ErrNoEvents) {
		t.Errorf("Split(nil) error %v, want ErrNoEvents", err)
	}
}
