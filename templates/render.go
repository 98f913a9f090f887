package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/notifyd/notifyd/gsm"
)

//go:embed default
var embedded embed.FS

// Renderer renders every kind for every brand and locale. It loads a template set
// (brand × kind × locale) on first use and keeps it; it is safe for concurrent use.
type Renderer struct {
	src  chain
	raw  bool // skip CSS inlining (Check uses it for exact line numbers)
	mu   sync.Mutex
	sets map[string]*set

	inlineMu sync.Mutex
	inlined  map[string]string // layout source hash → inlined source
	inlines  atomic.Int64      // premailer runs, for tests
}

// Option configures a Renderer.
type Option func(*Renderer)

// WithDir layers an override directory (NOTIFYD_TEMPLATES_DIR) over the defaults:
// DIR/brands/<brand>/PATH for one brand, DIR/PATH for every brand. "" adds nothing.
func WithDir(dir string) Option {
	return func(r *Renderer) {
		if dir != "" {
			r.src = append(chain{DirSource{Dir: dir, PerBrand: true}, DirSource{Dir: dir}}, r.src...)
		}
	}
}

// WithSource puts s in front of every other source (a database of marketing's edits).
func WithSource(s Source) Option {
	return func(r *Renderer) { r.src = append(chain{s}, r.src...) }
}

func withoutInlining() Option { return func(r *Renderer) { r.raw = true } }

// New returns a Renderer over the embedded defaults and the given layers, and loads
// every kind in every default locale for brands without their own overrides; a
// template that does not parse is an error naming path:line.
func New(opts ...Option) (*Renderer, error) {
	r := newRenderer(opts...)
	for _, k := range Kinds {
		for _, l := range Locales {
			if _, err := r.set("", k, l, ""); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

func newRenderer(opts ...Option) *Renderer {
	sub, _ := fs.Sub(embedded, "default") // "default" is embedded: cannot fail
	r := &Renderer{src: chain{FSSource{FS: sub, Prefix: "default"}}, sets: map[string]*set{}, inlined: map[string]string{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Render renders kind for v in the customer's locale (after fallback) and time zone.
func (r *Renderer) Render(kind string, v *View) (*Rendered, error) {
	if !knownKind(kind) {
		return nil, fmt.Errorf("render %s: unknown kind", kind)
	}
	if v == nil {
		return nil, fmt.Errorf("render %s: nil view", kind)
	}
	if Required(kind) && v.Offer == nil {
		return nil, fmt.Errorf("render %s: %w", kind, ErrNoOffer)
	}
	s, err := r.set(v.Brand.ID, kind, v.Customer.Locale, v.Brand.DefaultLocale)
	if err != nil {
		return nil, fmt.Errorf("render %s/%s: %w", kind, v.Customer.Locale, err)
	}
	out, err := s.render(newPage(kind, s.lang, v))
	if err != nil {
		return nil, fmt.Errorf("render %s/%s: %w", kind, s.lang, err)
	}
	return out, nil
}

// set returns the loaded set for brand × kind × locale, loading it on first use.
func (r *Renderer) set(brand, kind, customer, brandDefault string) (*set, error) {
	key := brand + "|" + kind + "|" + canonTag(customer) + "|" + canonTag(brandDefault)
	r.mu.Lock()
	s, ok := r.sets[key]
	r.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := r.load(brand, kind, customer, brandDefault)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if prev, ok := r.sets[key]; ok {
		s = prev
	} else {
		r.sets[key] = s
	}
	r.mu.Unlock()
	return s, nil
}

// inline returns the CSS-inlined form of an HTML layout, running premailer once per
// distinct source.
func (r *Renderer) inline(src string) (string, error) {
	key := hashOf([]byte(src))
	r.inlineMu.Lock()
	defer r.inlineMu.Unlock()
	if out, ok := r.inlined[key]; ok {
		return out, nil
	}
	r.inlines.Add(1)
	out, err := inlineCSS(src)
	if err != nil {
		return "", err
	}
	r.inlined[key] = out
	return out, nil
}

func (s *set) render(p *page) (*Rendered, error) {
	var b bytes.Buffer
	out := &Rendered{Locale: s.lang, Version: s.version}
	if err := s.text.ExecuteTemplate(&b, "subject", p); err != nil {
		return nil, err
	}
	out.Subject = cleanSubject(b.String())
	b.Reset()
	if err := s.html.Execute(&b, p); err != nil {
		return nil, err
	}
	out.HTML = b.String()
	b.Reset()
	if err := s.text.Execute(&b, p); err != nil {
		return nil, err
	}
	out.Text = tidyText(b.String())
	b.Reset()
	if err := s.text.ExecuteTemplate(&b, "sms", p); err != nil {
		return nil, err
	}
	out.SMS = tidySMS(b.String())
	out.SMSSegments, out.SMSEncoding = gsm.Segments(out.SMS)
	return out, nil
}

// cleanSubject makes a header-safe subject: one line, control and bidi-override
// characters removed, whitespace collapsed.
func cleanSubject(s string) string {
	return strings.Join(strings.Fields(stripControls(s, true)), " ")
}

// tidyText trims trailing spaces and keeps at most one blank line in a row.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r", ""), "\n")
	out := make([]string, 0, len(lines))
	blank := true
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

// tidySMS collapses the spaces of each line (no-break spaces from CLDR formats
// included, which would force UCS-2) and drops blank lines.
func tidySMS(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = nbsp.Replace(l)
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

var errNoTemplate = errors.New("no template")

// ErrNoOffer: a legal notice is never rendered without its facts (View.Offer).
var ErrNoOffer = errors.New("a legal notice needs View.Offer")

var nbsp = strings.NewReplacer("\u00a0", " ", "\u202f", " ")
