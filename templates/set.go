package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// set is everything one brand × kind × locale renders with.
type set struct {
	lang, version string
	html          *htmltemplate.Template
	text          *texttemplate.Template // the text part; subject and sms are its blocks
	subject, sms  *texttemplate.Template // looked up once rather than per render
}

// setKey identifies a set: brand × kind × locale chain. The whole brand is part of
// it (but its time zone, which only moves times) because its fields are bound to
// the templates at load: its colours in the HTML layout's CSS (bindColors), its
// name, logo and contacts wherever the templates print them (fold.go). So is the
// backorder type the lines share (one of seven), which the kinds' copy switches on.
type setKey struct {
	brand                        Brand // Location nil
	kind, customer, brandDefault string
	typ                          string // the lines' backorder type (page.Type), which the copy switches on
}

// emailBlocks are what a kind's email file must define.
var emailBlocks = []string{"subject", "preheader", "heading", "intro", "outro"}

func (r *Renderer) load(b Brand, kind, customer, brandDefault, typ string) (*set, error) {
	brand := b.ID
	chainL := localeChain(customer, brandDefault)
	email, lang, err := r.firstLocale(brand, kind, ChannelEmail, chainL)
	if err != nil {
		return nil, err
	}
	sms, _, err := r.firstLocale(brand, kind, ChannelSMS, chainL[indexOf(chainL, lang):])
	if err != nil {
		return nil, err
	}
	lh, err := r.need(brand, layoutHTML)
	if err != nil {
		return nil, err
	}
	lt, err := r.need(brand, layoutText)
	if err != nil {
		return nil, err
	}
	cats, catFiles, err := r.catalogs(brand, lang)
	if err != nil {
		return nil, err
	}
	loc := newLocale(formatTag(lang, customer, brandDefault))
	s := &set{lang: lang, version: version(append([]File{lh, lt, email, sms}, catFiles...))}
	htmlFuncs, textFuncs := funcMap(cats, loc, true), funcMap(cats, loc, false)
	if s.html, err = r.parseHTML(lh, email, htmlFuncs, b.Colors); err != nil {
		return nil, err
	}
	if s.text, err = parseText(textFuncs, lt, email, sms); err != nil {
		return nil, err
	}
	for _, b := range emailBlocks {
		if s.text.Lookup(b) == nil {
			return nil, &Problem{Path: email.Path, Line: 1, Msg: fmt.Sprintf("block %q is not defined", b)}
		}
	}
	if s.sms = s.text.Lookup("sms"); s.sms == nil {
		return nil, &Problem{Path: sms.Path, Line: 1, Msg: `block "sms" is not defined`}
	}
	s.subject = s.text.Lookup("subject")
	// Escape the HTML now rather than at the first render, and evaluate once what
	// every render of the set would compute the same (see fold.go).
	if !r.slow {
		consts := newPage(kind, lang, &View{Brand: b})
		consts.Type = typ
		foldHTML(s.html, htmlFuncs, consts)
		foldText(s.text, textFuncs, consts, s.text.Name(), "subject", "sms")
	}
	return s, nil
}

// firstLocale finds kind's file for channel in the first locale of chainL that has one.
func (r *Renderer) firstLocale(brand, kind, channel string, chainL []string) (File, string, error) {
	for _, l := range chainL {
		f, ok, err := r.src.Lookup(brand, TemplatePath(kind, channel, l))
		if err != nil {
			return File{}, "", err
		}
		if ok {
			return f, l, nil
		}
	}
	return File{}, "", fmt.Errorf("%s: %w in locales %s", TemplatePath(kind, channel, "*"), errNoTemplate, strings.Join(chainL, ", "))
}

func (r *Renderer) need(brand, name string) (File, error) {
	f, ok, err := r.src.Lookup(brand, name)
	if err == nil && !ok {
		err = fmt.Errorf("%s: %w", name, errNoTemplate)
	}
	return f, err
}

// catalogs returns the catalog chain for lang: every layer's lang catalog, then its
// language's, then en's, most specific first.
func (r *Renderer) catalogs(brand, lang string) (catalogs, []File, error) {
	var cs catalogs
	var files []File
	for _, l := range uniq(lang, baseLang(lang), "en") {
		fs, err := r.src.lookupAll(brand, l+"/"+catalogFile)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range fs {
			c, err := parseCatalog(f)
			if err != nil {
				return nil, nil, err
			}
			cs, files = append(cs, c), append(files, f)
		}
	}
	return cs, files, nil
}

// parseHTML parses the layout as written (for exact parse errors), then its
// CSS-inlined form bound to the brand's colours, then the kind's email file.
func (r *Renderer) parseHTML(layout, kind File, funcs map[string]any, colors Colors) (*htmltemplate.Template, error) {
	src := string(layout.Data)
	if _, err := htmltemplate.New(layout.Path).Funcs(funcs).Parse(src); err != nil {
		return nil, problemOf(err, layout.Path)
	}
	if !r.raw {
		var err error
		if src, err = r.inline(src); err != nil {
			return nil, &Problem{Path: layout.Path, Msg: err.Error()}
		}
		if !r.slow {
			src = bindColors(src, colors)
		}
	}
	t, err := htmltemplate.New(layout.Path).Option("missingkey=error").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, problemOf(err, layout.Path)
	}
	if _, err := t.New(kind.Path).Parse(string(kind.Data)); err != nil {
		return nil, problemOf(err, kind.Path)
	}
	return t, nil
}

// bindColors replaces the colour actions of an inlined HTML layout — {{$.Colors.X}},
// which premailer copied into dozens of style attributes, and which html/template
// would run through two escapers each at every render — with the colours
// themselves. It is exact: $ is the page or a Button, whose Colors are both the
// brand's validated colours (#rgb or #rrggbb, which neither the CSS filter nor the
// attribute escaper changes), and the set is keyed by them.
func bindColors(src string, c Colors) string {
	c = safeColors(c)
	return strings.NewReplacer(
		"{{$.Colors.Primary}}", c.Primary,
		"{{$.Colors.Text}}", c.Text,
		"{{$.Colors.Background}}", c.Background,
	).Replace(src)
}

// parseText parses the text layout (the root) and the kind's files.
func parseText(funcs map[string]any, files ...File) (*texttemplate.Template, error) {
	t := texttemplate.New(files[0].Path).Option("missingkey=error").Funcs(funcs)
	if _, err := t.Parse(string(files[0].Data)); err != nil {
		return nil, problemOf(err, files[0].Path)
	}
	for _, f := range files[1:] {
		if _, err := t.New(f.Path).Parse(string(f.Data)); err != nil {
			return nil, problemOf(err, f.Path)
		}
	}
	return t, nil
}

// version identifies the sources a set was built from, for the notification log.
func version(files []File) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Path, len(f.Data))
		h.Write(f.Data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func uniq(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if indexOf(out, s) < 0 {
			out = append(out, s)
		}
	}
	return out
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}
