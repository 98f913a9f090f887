package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// ParseDuration parses a Go duration string ("36h", "10m") that may also use d for days
// of 24 hours ("30d", "1d12h", "1.5d", "-3d").
func ParseDuration(s string) (time.Duration, error) {
	d, err := parseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (write e.g. 30d, 36h, 1d12h or 10m)", s)
	}
	return d, nil
}

func parseDuration(s string) (time.Duration, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return 0, errors.New("empty")
	}
	var days time.Duration
	var rest strings.Builder // everything but the days, for time.ParseDuration
	for s != "" {
		n := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if n < 0 {
			n = len(s)
		}
		if n == 0 {
			return 0, errors.New("number expected")
		}
		u := strings.IndexFunc(s[n:], func(r rune) bool { return (r >= '0' && r <= '9') || r == '.' })
		if u < 0 {
			u = len(s) - n
		}
		num, unit := s[:n], s[n:n+u]
		s = s[n+u:]
		if unit != "d" {
			rest.WriteString(num + unit)
			continue
		}
		d, err := parseDays(num)
		if err != nil {
			return 0, err
		}
		if days += d; days < 0 {
			return 0, errors.New("overflow")
		}
	}
	var d time.Duration
	if rest.Len() > 0 {
		var err error
		if d, err = time.ParseDuration(rest.String()); err != nil {
			return 0, err
		}
	}
	total := days + d
	if total < days {
		return 0, errors.New("overflow")
	}
	if neg {
		total = -total
	}
	return total, nil
}

// parseDays turns "30" or "1.5" into that many days, exactly (no floating point).
func parseDays(num string) (time.Duration, error) {
	whole, frac, _ := strings.Cut(num, ".")
	if whole == "" && frac == "" {
		return 0, errors.New("number expected")
	}
	var d time.Duration
	if whole != "" {
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || n > int64(1<<63-1)/int64(day) {
			return 0, errors.New("out of range")
		}
		d = time.Duration(n) * day
	}
	if len(frac) > 9 {
		frac = frac[:9]
	}
	if frac != "" {
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return 0, err
		}
		scale := int64(1)
		for range frac {
			scale *= 10
		}
		d += time.Duration(f) * (day / time.Duration(scale)) // exact: scale ≤ 10⁹ divides a day
	}
	return d, nil
}

// FormatDuration prints d the way the configuration writes it: whole days as d, the rest
// in h, m and s ("30d", "1d12h", "10m", "1m30s", "0s"). ParseDuration reads it back.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	days, rest := d/day, d%day
	var s string
	if days > 0 {
		s = strconv.FormatInt(int64(days), 10) + "d"
		if rest == 0 {
			return s
		}
	}
	r := rest.String() // "12h0m0s", "10m0s", "1m30s", "1.5s"
	if strings.HasSuffix(r, "m0s") {
		r = r[:len(r)-2]
	}
	if strings.HasSuffix(r, "h0m") {
		r = r[:len(r)-2]
	}
	return s + r
}

// ParseQuietHours parses "HH:MM-HH:MM" (e.g. "21:00-08:00"); "" means disabled.
func ParseQuietHours(s string) (QuietHours, error) {
	if s == "" {
		return QuietHours{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	start, err1 := parseClock(from)
	end, err2 := parseClock(to)
	if !ok || err1 != nil || err2 != nil {
		return QuietHours{}, fmt.Errorf("invalid quiet hours %q (write HH:MM-HH:MM, e.g. 21:00-08:00, or \"\" to disable)", s)
	}
	if start == end {
		return QuietHours{}, fmt.Errorf("invalid quiet hours %q: start equals end (write \"\" to disable)", s)
	}
	return QuietHours{Start: start, End: end}, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, errors.New("HH:MM expected")
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Contains reports whether the local minute of the day (0–1439) falls in the quiet
// hours; the span may run past midnight. Disabled quiet hours contain nothing.
func (q QuietHours) Contains(localMinuteOfDay int) bool {
	m := localMinuteOfDay
	switch {
	case !q.Enabled():
		return false
	case q.Start < q.End:
		return q.Start <= m && m < q.End
	default:
		return m >= q.Start || m < q.End
	}
}

// String returns "HH:MM-HH:MM", or "" when disabled (the form ParseQuietHours reads).
func (q QuietHours) String() string {
	if !q.Enabled() {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", q.Start/60, q.Start%60, q.End/60, q.End%60)
}

// valid reports whether Start and End are minutes of a day.
func (q QuietHours) valid() bool {
	return q.Start >= 0 && q.Start < 24*60 && q.End >= 0 && q.End < 24*60
}
