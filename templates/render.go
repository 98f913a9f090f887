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
	slow bool // skip binding colours and folding constants (tests compare the output)
	mu   sync.RWMutex
	sets map[setKey]*set
	tags sync.Map // raw locale → canonTag, so a render parses no BCP 47 tag

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

func withoutFolding() Option { return func(r *Renderer) { r.slow = true } }

// New returns a Renderer over the embedded defaults and the given layers, and loads
// every kind in every default locale for brands without their own overrides; a
// template that does not parse is an error naming path:line.
func New(opts ...Option) (*Renderer, error) {
	r := newRenderer(opts...)
	for _, k := range Kinds {
		for _, l := range Locales {
			if _, err := r.set(Brand{}, k, l, "", BackorderStandard); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

func newRenderer(opts ...Option) *Renderer {
	sub, _ := fs.Sub(embedded, "default") // "default" is embedded: cannot fail
	r := &Renderer{src: chain{FSSource{FS: sub, Prefix: "default"}}, sets: map[setKey]*set{}, inlined: map[string]string{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Render renders kind for v in the customer's locale (after fallback) and time zone.
func (r *Renderer) Render(kind string, v *View) (*Rendered, error) {
	s, p, err := r.prepare(kind, v)
	if err != nil {
		return nil, err
	}
	out, err := s.render(p)
	if err != nil {
		return nil, fmt.Errorf("render %s/%s: %w", kind, s.lang, err)
	}
	return out, nil
}

// prepare checks a render's arguments and returns its set and page.
func (r *Renderer) prepare(kind string, v *View) (*set, *page, error) {
	if !knownKind(kind) {
		return nil, nil, fmt.Errorf("render %s: unknown kind", kind)
	}
	if v == nil {
		return nil, nil, fmt.Errorf("render %s: nil view", kind)
	}
	if Required(kind) && v.Offer == nil {
		return nil, nil, fmt.Errorf("render %s: %w", kind, ErrNoOffer)
	}
	s, err := r.set(v.Brand, kind, v.Customer.Locale, v.Brand.DefaultLocale, linesType(v.Lines))
	if err != nil {
		return nil, nil, fmt.Errorf("render %s/%s: %w", kind, v.Customer.Locale, err)
	}
	return s, newPage(kind, s.lang, v), nil
}

// set returns the loaded set for brand × kind × locale × backorder type, loading it
// on first use.
func (r *Renderer) set(brand Brand, kind, customer, brandDefault, typ string) (*set, error) {
	brand.Location = nil
	key := setKey{brand: brand, kind: kind, customer: r.canon(customer), brandDefault: r.canon(brandDefault), typ: typ}
	r.mu.RLock()
	s, ok := r.sets[key]
	r.mu.RUnlock()
	if ok {
		return s, nil
	}
	s, err := r.load(brand, kind, customer, brandDefault, typ)
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

// canon is canonTag, remembered per raw tag.
func (r *Renderer) canon(tag string) string {
	if c, ok := r.tags.Load(tag); ok {
		return c.(string)
	}
	c := canonTag(tag)
	r.tags.Store(tag, c)
	return c
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

// bufs are the buffers templates execute into; a rendered email's HTML is 5–10 kB,
// so a fresh buffer would grow (and be collected) several times per render.
var bufs = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 16<<10)) }}

func (s *set) render(p *page) (*Rendered, error) {
	b := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(b)
	out := &Rendered{Locale: s.lang, Version: s.version}
	if err := s.renderEmail(b, p, out); err != nil {
		return nil, err
	}
	if err := s.renderSMS(b, p, out); err != nil {
		return nil, err
	}
	return out, nil
}

// renderEmail fills out's subject, HTML and text.
func (s *set) renderEmail(b *bytes.Buffer, p *page, out *Rendered) error {
	b.Reset()
	if err := s.subject.Execute(b, p); err != nil {
		return err
	}
	out.Subject = cleanSubject(b.String())
	b.Reset()
	if err := s.html.Execute(b, p); err != nil {
		return err
	}
	out.HTML = b.String()
	b.Reset()
	if err := s.text.Execute(b, p); err != nil {
		return err
	}
	out.Text = tidyText(b.Bytes())
	return nil
}

// renderSMS fills out's SMS and its segments.
func (s *set) renderSMS(b *bytes.Buffer, p *page, out *Rendered) error {
	b.Reset()
	if err := s.sms.Execute(b, p); err != nil {
		return err
	}
	out.SMS = tidySMS(b.String())
	out.SMSSegments, out.SMSEncoding = gsm.Segments(out.SMS)
	return nil
}

// cleanSubject makes a header-safe subject: one line, control and bidi-override
// characters removed, whitespace collapsed.
func cleanSubject(s string) string {
	return strings.Join(strings.Fields(stripControls(s, true)), " ")
}

// tidyText drops CRs, trims trailing spaces and keeps at most one blank line in a
// row; the text is trimmed and ends with one newline.
func tidyText(s []byte) string {
	out := make([]byte, 0, len(s)+1)
	blank, first := true, true
	for rest, more := s, true; more; {
		var l []byte
		l, rest, more = bytes.Cut(rest, []byte{'\n'})
		if bytes.IndexByte(l, '\r') >= 0 {
			l = bytes.ReplaceAll(l, []byte{'\r'}, nil)
		}
		l = bytes.TrimRight(l, " \t")
		if len(l) == 0 {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		if !first {
			out = append(out, '\n')
		}
		out, first = append(out, l...), false
	}
	return string(append(bytes.TrimSpace(out), '\n'))
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
