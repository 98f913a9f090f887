package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCatalogsComplete: every page string exists in every language, with the same
// placeholders.
func TestCatalogsComplete(t *testing.T) {
	for lang, c := range catalogs {
		for key, en := range catalogs["en"] {
			s, ok := c[key]
			if !ok {
				t.Errorf("%s lacks %q", lang, key)
				continue
			}
			for _, ph := range []string{"{0}", "{1}"} {
				if strings.Contains(en, ph) != strings.Contains(s, ph) {
					t.Errorf("%s %q: placeholder %s differs from English", lang, key, ph)
				}
			}
		}
		for key := range c {
			if _, ok := catalogs["en"][key]; !ok {
				t.Errorf("%s has %q, which English lacks", lang, key)
			}
		}
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := newLimiter(60, 2) // one a second, bursts of two
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		key  string
		at   time.Duration
		want bool
	}{
		{"burst 1", "a", 0, true},
		{"burst 2", "a", 0, true},
		{"empty", "a", 0, false},
		{"another client", "b", 0, true},
		{"half a second later", "a", 500 * time.Millisecond, false},
		{"a token refilled", "a", 1100 * time.Millisecond, true},
		{"a clock going back takes nothing back", "a", 0, false},
	}
	for _, s := range steps {
		if got := l.allow(s.key, t0.Add(s.at)); got != s.want {
			t.Errorf("%s: %v, want %v", s.name, got, s.want)
		}
	}
	l.allow("c", t0.Add(2*time.Minute)) // sweeps: a and b are full again
	if len(l.buckets) != 1 {
		t.Errorf("after the sweep %d buckets, want 1", len(l.buckets))
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"192.0.2.7:4411":             "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"not an address":             "not an address",
	}
	for remote, want := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := clientAddr(r); got != want {
			t.Errorf("%s: %q, want %q", remote, got, want)
		}
	}
}
