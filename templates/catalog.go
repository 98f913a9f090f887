package templates

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// A catalog holds the shared strings of one locale: button labels, footer lines,
// table headings, the ETA phrase per backorder type, plural forms. Its file,
// <locale>/messages.txt, has one `key = value` per line; `#` starts a comment. A value
// may hold {0}, {1}… for the arguments of t; plural forms are keys ending in .one,
// .other (and .zero, .two, .few, .many where the language's CLDR rules use them).
type catalog struct {
	path    string
	entries map[string]string
	lines   map[string]int // key → line, for problems
}

// parseCatalog reads a catalog file; a line that is not `key = value` is an error
// naming path:line.
func parseCatalog(f File) (*catalog, error) {
	c := &catalog{path: f.Path, entries: map[string]string{}, lines: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(f.Data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, &Problem{Path: f.Path, Line: n, Msg: "want `key = value`, got " + fmt.Sprintf("%q", line)}
		}
		if _, dup := c.entries[k]; dup {
			return nil, &Problem{Path: f.Path, Line: n, Msg: fmt.Sprintf("key %q defined twice", k)}
		}
		c.entries[k], c.lines[k] = strings.TrimSpace(v), n
	}
	return c, sc.Err()
}

// catalogs is a lookup chain: the first catalog holding a key wins.
type catalogs []*catalog

func (cs catalogs) lookup(key string) (string, bool) {
	for _, c := range cs {
		if v, ok := c.entries[key]; ok {
			return v, true
		}
	}
	return "", false
}

// translate looks key up and fills {0}, {1}… with args.
func (cs catalogs) translate(key string, args ...string) (string, error) {
	v, ok := cs.lookup(key)
	if !ok {
		return "", fmt.Errorf("missing translation %q", key)
	}
	if len(args) == 0 || !strings.Contains(v, "{") {
		return v, nil
	}
	for i, a := range args {
		v = strings.ReplaceAll(v, placeholders[min(i, len(placeholders)-1)], a)
	}
	return v, nil
}

var placeholders = []string{"{0}", "{1}", "{2}", "{3}", "{4}", "{5}", "{6}", "{7}", "{8}", "{9}"}
