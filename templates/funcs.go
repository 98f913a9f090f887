package templates

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
	"time"
)

// funcMap is the func map both engines share, bound to one locale and catalog chain:
//
//	t KEY ARGS…        the catalog string KEY with {0}, {1}… filled by ARGS
//	plural KEY N       KEY.one / KEY.other … by the CLDR plural rule of N, {0} = N
//	date T             long date ("December 14, 2026"); T is time.Time or *time.Time
//	datetime T         long date and short time with the zone
//	money AMOUNT CODE  a decimal string in currency CODE ("$1,239.50", "39,00 €")
//	number N           a localized integer
//	eta LINE           the line's ETA phrase for its backorder type
//	lineStatus KIND LINE  what became of a line in a kind's message (its ETA, "Shipped"…)
//	par                a paragraph break inside a block (</p><p> in HTML, a blank line in text)
//	button PAGE URL LABEL PRIMARY   the data of the "button" partial
//	lineOf KIND LINE   a LineOf, for override layouts that keep a "status" partial
//	replies KEYWORDS   "WAIT (1), SWAP (2) or REFUND (3)" in the catalog's words
//	short N S          S cut to N characters with "..." (GSM-7 safe, for SMS)
func funcMap(cs catalogs, l *locale, html bool) map[string]any {
	m := map[string]any{
		"t": func(key string, args ...any) (string, error) {
			return cs.translate(key, strs(args)...)
		},
		"plural": func(key string, n int) (string, error) {
			k := key + "." + l.plural(n)
			if _, ok := cs.lookup(k); !ok {
				k = key + ".other"
			}
			return cs.translate(k, l.number(n))
		},
		"date":       func(t any) string { return formatTime(t, l.dateLong) },
		"datetime":   func(t any) string { return formatTime(t, l.dateTime) },
		"money":      l.money,
		"number":     l.number,
		"eta":        func(ln Line) (string, error) { return eta(cs, l, &ln) },
		"lineStatus": func(kind string, ln Line) (string, error) { return lineStatus(cs, l, kind, &ln) },
		"par":        func() string { return "\n\n" },
		"button": func(p *page, url, label string, primary bool) Button {
			return Button{Colors: p.Colors, URL: url, Label: label, Primary: primary}
		},
		"lineOf":  func(kind string, ln Line) LineOf { return LineOf{Kind: kind, Line: ln} },
		"replies": func(ks []Keyword) (string, error) { return replies(cs, ks) },
		"short":   short,
	}
	if html {
		m["par"] = func() htmltemplate.HTML { return htmltemplate.HTML(paragraphBreak) }
	}
	return m
}

// paragraphBreak closes a paragraph of the HTML layout's content blocks and opens the
// next, with the same inline style the layout's <p class="p"> gets.
const paragraphBreak = `</p><p class="p" style="margin:0 0 16px 0;font-size:16px;line-height:24px">`

func strs(args []any) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = fmt.Sprint(a)
	}
	return out
}

func formatTime(t any, f func(time.Time) string) string {
	switch v := t.(type) {
	case time.Time:
		return f(v)
	case *time.Time:
		if v != nil {
			return f(*v)
		}
	}
	return ""
}

// eta is the line's ETA phrase for its backorder type.
func eta(cs catalogs, l *locale, ln *Line) (string, error) {
	typ := ln.BackorderType
	if typ == "" {
		typ = BackorderStandard
	}
	if ln.ETA == nil || typ == BackorderIndefinite {
		return cs.translate("eta." + typ + ".none")
	}
	return cs.translate("eta."+typ, l.dateLong(*ln.ETA))
}

// lineStatus is what became of a line in kind's message: re-dated (eta_update: the
// previous date, an arrow and the new ETA), back in stock, shipped, canceled (with a
// refund under way, auto_cancel_notice; plain, cancellation_notice, whose lines may not
// have been paid for), or late with its ETA. It is one func call rather than a partial of chained eq tests,
// which text/template evaluates through reflect, twice per line and part.
func lineStatus(cs catalogs, l *locale, kind string, ln *Line) (string, error) {
	switch kind {
	case KindEtaUpdate:
		e, err := eta(cs, l, ln)
		if err != nil || ln.PreviousETA == nil {
			return e, err
		}
		was, err := cs.translate("eta.was", l.dateLong(*ln.PreviousETA))
		return was + " → " + e, err
	case KindRestockNotice:
		return cs.translate("status.restocked")
	case KindPartialShipment, KindShipped:
		return cs.translate("status.shipped")
	case KindAutoCancelNotice:
		return cs.translate("status.canceled")
	case KindCancellationNotice:
		return cs.translate("status.canceled.order")
	}
	return eta(cs, l, ln)
}

// Button is the data of the layout's "button" partial; it carries the colours so the
// partial's inlined styles can use $.Colors.
type Button struct {
	Colors     Colors
	URL, Label string
	Primary    bool
}

// LineOf is a line in a kind's message, the data of a "status" partial in override
// layouts written before lineStatus (the default layouts call lineStatus).
type LineOf struct {
	Kind string
	Line Line
}

// replies lists reply keywords as "WAIT (1), SWAP (2) or REFUND (3)".
func replies(cs catalogs, ks []Keyword) (string, error) {
	or, err := cs.translate("or")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, k := range ks {
		switch {
		case i == len(ks)-1 && i > 0:
			b.WriteString(" " + or + " ")
		case i > 0:
			b.WriteString(", ")
		}
		b.WriteString(k.Word + " (" + k.Digit + ")")
	}
	return b.String(), nil
}

func short(n int, s string) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-3])) + "..."
}
