package templates

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/notifyd/notifyd/gsm"
)

// Check renders every kind × channel × brand × locale against the fixtures, with the
// override directory dir ("" = none) layered over the defaults, and returns every
// problem: parse and execution errors (missing keys, unknown functions) with their
// path:line, SMS longer than MaxSegments, missing templates and missing translations.
// The fixture brands are acme and lumen, plus one per DIR/brands/<id>/ directory.
func Check(dir string) []Problem {
	c := &checker{seen: map[string]bool{}}
	raw := newRenderer(WithDir(dir), withoutInlining())
	inlined := newRenderer(WithDir(dir))
	for _, b := range checkBrands(dir) {
		for _, lang := range checkLocales(dir) {
			tag := fixtureTags[lang]
			if tag == "" {
				tag = lang
			}
			for _, k := range Kinds {
				c.render(raw, inlined, k, b, lang, tag)
			}
			c.catalog(raw, b.ID, lang)
		}
	}
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Path < c.problems[j].Path })
	return c.problems
}

type checker struct {
	problems []Problem
	seen     map[string]bool
}

func (c *checker) add(p *Problem) {
	if !c.seen[p.Error()] {
		c.seen[p.Error()] = true
		c.problems = append(c.problems, *p)
	}
}

func (c *checker) render(raw, inlined *Renderer, kind string, b Brand, lang, tag string) {
	v := Fixture(kind, b, tag)
	out, err := raw.Render(kind, v)
	if err != nil {
		c.add(problemOf(unwrapAll(err), TemplatePath(kind, ChannelEmail, lang)))
		return
	}
	if _, err := inlined.Render(kind, v); err != nil {
		c.add(problemOf(unwrapAll(err), layoutHTML))
	}
	if baseLang(out.Locale) != baseLang(lang) {
		c.add(&Problem{Path: TemplatePath(kind, ChannelEmail, lang), Msg: fmt.Sprintf("missing: brand %s falls back to %s", b.ID, out.Locale)})
	}
	maxSeg, gsm7 := MaxSegments(kind, lang)
	path := smsPath(raw, b.ID, kind, out.Locale)
	switch {
	case out.SMSSegments > maxSeg:
		c.add(&Problem{Path: path, Line: 1, Msg: fmt.Sprintf("SMS too long for brand %s: %d segments (%s), at most %d: %q", b.ID, out.SMSSegments, out.SMSEncoding, maxSeg, out.SMS)})
	case gsm7 && out.SMSEncoding != gsm.GSM7:
		c.add(&Problem{Path: path, Line: 1, Msg: fmt.Sprintf("SMS for brand %s must be GSM-7, is %s: %q", b.ID, out.SMSEncoding, out.SMS)})
	}
}

// catalog reports every key en's catalogs have that lang's own catalogs lack.
func (c *checker) catalog(r *Renderer, brand, lang string) {
	if baseLang(lang) == "en" {
		return
	}
	own, _, err := r.catalogs(brand, lang)
	if err != nil {
		c.add(problemOf(err, lang+"/"+catalogFile))
		return
	}
	en, _, err := r.catalogs(brand, "en")
	if err != nil {
		c.add(problemOf(err, "en/"+catalogFile))
		return
	}
	var mine catalogs
	for _, cat := range own {
		if !strings.Contains(filepath.ToSlash(cat.path), "/en/") && !strings.HasPrefix(filepath.ToSlash(cat.path), "en/") {
			mine = append(mine, cat)
		}
	}
	where := lang + "/" + catalogFile
	if len(mine) > 0 {
		where = mine[len(mine)-1].path
	}
	for _, e := range en {
		for key, line := range e.lines {
			if _, ok := mine.lookup(key); !ok {
				c.add(&Problem{Path: where, Line: 1, Msg: fmt.Sprintf("missing translation %q (%s:%d)", key, e.path, line)})
			}
		}
	}
}

func smsPath(r *Renderer, brand, kind, lang string) string {
	if f, ok, err := r.src.Lookup(brand, TemplatePath(kind, ChannelSMS, lang)); err == nil && ok {
		return f.Path
	}
	return TemplatePath(kind, ChannelSMS, lang)
}

// unwrapAll drops the "render kind/locale: " wrappers to reach the template error
// that names path:line (or the innermost error).
func unwrapAll(err error) error {
	for {
		if _, ok := err.(*Problem); ok || tmplErr.MatchString(err.Error()) {
			return err
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// checkBrands are the fixture brands plus one per DIR/brands/<id>/ (acme's theme).
func checkBrands(dir string) []Brand {
	bs := FixtureBrands()
	if dir == "" {
		return bs
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "brands"))
	for _, e := range entries {
		if e.IsDir() && e.Name() != "acme" && e.Name() != "lumen" {
			b := bs[0]
			b.ID = e.Name()
			bs = append(bs, b)
		}
	}
	return bs
}

// checkLocales are the default locales plus every locale directory in dir.
func checkLocales(dir string) []string {
	ls := append([]string(nil), Locales...)
	if dir == "" {
		return ls
	}
	for _, d := range []string{dir, filepath.Join(dir, "brands", "*")} {
		matches, _ := filepath.Glob(filepath.Join(d, "*", catalogFile))
		more, _ := filepath.Glob(filepath.Join(d, "*", "*.tmpl"))
		for _, m := range append(matches, more...) {
			if l := canonTag(filepath.Base(filepath.Dir(m))); l != "" && indexOf(ls, l) < 0 && l == filepath.Base(filepath.Dir(m)) {
				ls = append(ls, l)
			}
		}
	}
	return ls
}
