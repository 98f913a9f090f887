package templates

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// hostileView fills every customer-controlled string with an attack.
func hostileView(kind string) *View {
	v := Fixture(kind, FixtureBrands()[0], "en-US")
	long := strings.Repeat("Ä", 500)
	v.Customer.Name = "Eve <script>alert(1)</script>\r\nBcc: victim@example.com \u202Eevil"
	v.Order.Number = "1001\r\nX-Injected: yes"
	v.Reason = `"><img src=x onerror=alert(1)> 🎉`
	v.StatusURL = "javascript:alert(1)"
	v.UnsubscribeURL = "javascript:alert(2)"
	for i := range v.Lines {
		v.Lines[i].Name = long + `"><img src=x onerror=alert(1)>`
		v.Lines[i].ImageURL = "javascript:alert(3)"
	}
	if v.Shipment != nil {
		v.Shipment.Carrier = "<script>x</script>"
		v.Shipment.TrackingURL = "javascript:alert(4)"
	}
	if v.Offer != nil {
		v.Offer.WaitURL = "javascript:alert(5)"
		v.Offer.RefundURL = " JaVaScRiPt:alert(6)"
		v.Offer.NoDateReason = "<b>bold</b>\u202E"
		if v.Offer.Substitute != nil {
			v.Offer.Substitute.Name = "<svg onload=alert(7)>"
		}
	}
	v.Brand.Colors.Primary = "red;background:url(javascript:alert(8))"
	return v
}

func TestHostileData(t *testing.T) {
	t.Parallel()
	r := mustNew(t)
	unsafe := []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script`),
		regexp.MustCompile(`(?i)<img[^>]*onerror`),
		regexp.MustCompile(`(?i)<svg`),
		regexp.MustCompile(`(?i)<[^<>]*\sonerror=`),
		regexp.MustCompile(`(?i)<[^<>]*\sonload=`),
		regexp.MustCompile(`(?i)(href|src)="\s*javascript:`),
		regexp.MustCompile(`(?i)url\(javascript`),
	}
	for _, k := range Kinds {
		t.Run(k, func(t *testing.T) {
			out, err := r.Render(k, hostileView(k))
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range unsafe {
				if re.MatchString(out.HTML) {
					t.Errorf("HTML matches %s", re)
				}
			}
			if strings.ContainsAny(out.Subject, "\r\n\u202E") {
				t.Errorf("subject not a clean single line: %q", out.Subject)
			}
			for name, s := range map[string]string{"html": out.HTML, "text": out.Text, "sms": out.SMS} {
				if strings.ContainsRune(s, '\u202E') || strings.Contains(s, "\r") {
					t.Errorf("%s keeps a bidi override or CR", name)
				}
				if strings.Contains(s, "javascript:") && name != "html" {
					t.Errorf("%s keeps a javascript: URL", name)
				}
				if strings.Contains(s, strings.Repeat("Ä", maxItem)) {
					t.Errorf("%s keeps a 500-character name uncut", name)
				}
			}
		})
	}
}

func TestInlineOncePerVersion(t *testing.T) {
	t.Parallel()
	r := mustNew(t)
	if n := r.inlines.Load(); n != 1 {
		t.Fatalf("premailer ran %d times loading the defaults, want 1 (one layout)", n)
	}
	for _, b := range FixtureBrands() {
		for _, k := range Kinds {
			if _, err := r.Render(k, Fixture(k, b, "fr-CA")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := r.inlines.Load(); n != 1 {
		t.Errorf("premailer ran %d times after renders, want 1", n)
	}
}

var tagRe = regexp.MustCompile(`<(/?[a-zA-Z0-9]+)`)

// TestInlinedStructure checks premailer moved no template action: the inlined layout
// renders the same sequence of elements as the layout as written.
func TestInlinedStructure(t *testing.T) {
	t.Parallel()
	raw, inlined := newRenderer(withoutInlining()), mustNew(t)
	for _, k := range Kinds {
		v := Fixture(k, FixtureBrands()[1], "de-DE")
		a, err := raw.Render(k, v)
		if err != nil {
			t.Fatal(err)
		}
		b, err := inlined.Render(k, v)
		if err != nil {
			t.Fatal(err)
		}
		ta, tb := tags(a.HTML), tags(b.HTML)
		if ta != tb {
			t.Errorf("%s: element sequence differs after inlining:\nraw:     %s\ninlined: %s", k, ta, tb)
		}
		if !strings.Contains(b.HTML, `style="`) || strings.Contains(b.HTML, "tpl") {
			t.Errorf("%s: not inlined or a placeholder left", k)
		}
	}
}

// tags lists the elements of the body, ignoring those net/html adds or drops on
// re-serialising (tbody, head-only elements).
func tags(html string) string {
	if i := strings.Index(html, "<body"); i >= 0 {
		html = html[i:]
	}
	var out []string
	for _, m := range tagRe.FindAllStringSubmatch(html, -1) {
		out = append(out, strings.ToLower(m[1]))
	}
	return strings.Join(out, " ")
}

// BenchmarkRenderEmail renders one email — subject, HTML and text, with the
// view's cleaning — per kind (acme, en-US); BenchmarkRenderSMS the SMS alone and
// BenchmarkRender a whole Render (email and SMS).
func BenchmarkRenderEmail(b *testing.B) { benchRender(b, "email") }

func BenchmarkRenderSMS(b *testing.B) { benchRender(b, "sms") }

func BenchmarkRender(b *testing.B) { benchRender(b, "all") }

func benchRender(b *testing.B, part string) {
	r := mustNew(b)
	for _, k := range Kinds {
		v := Fixture(k, FixtureBrands()[0], "en-US")
		if _, err := r.Render(k, v); err != nil { // load the set outside the loop
			b.Fatal(err)
		}
		b.Run(k, func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			for b.Loop() {
				if part == "all" {
					if _, err := r.Render(k, v); err != nil {
						b.Fatal(err)
					}
					continue
				}
				s, p, err := r.prepare(k, v)
				if err != nil {
					b.Fatal(err)
				}
				out := &Rendered{}
				if part == "email" {
					err = s.renderEmail(&buf, p, out)
				} else {
					err = s.renderSMS(&buf, p, out)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFoldingIsExact renders every kind × brand × locale × backorder type, with and
// without brand fields, and the hostile views, with and without the load-time
// binding of colours and folding of constants (fold.go), and wants the same bytes.
func TestFoldingIsExact(t *testing.T) {
	t.Parallel()
	fast, slow := mustNew(t), mustNew(t, withoutFolding())
	types := []string{"", BackorderStandard, BackorderPreorder, BackorderCustom, BackorderManufacturer,
		BackorderDropship, BackorderSeasonal, BackorderIndefinite}
	for _, k := range Kinds {
		views := []*View{hostileView(k)}
		for _, b := range FixtureBrands() {
			for _, tag := range []string{"en-US", "fr-CA", "de-DE", "es-MX", "it-IT"} {
				for i, typ := range types {
					v := Fixture(k, b, tag)
					for j := range v.Lines {
						v.Lines[j].BackorderType = typ
					}
					if i%2 == 1 {
						v.Customer.Name, v.Brand.LogoURL, v.Brand.SupportURL, v.Reason = "", "", "", ""
					}
					views = append(views, v)
				}
			}
		}
		for _, v := range views {
			a, errA := fast.Render(k, v)
			b, errB := slow.Render(k, v)
			if errA != nil || errB != nil {
				t.Fatalf("%s: %v / %v", k, errA, errB)
			}
			if *a != *b {
				t.Fatalf("%s %s/%s: folded output differs:\nfolded:   %q\nunfolded: %q", k, v.Brand.ID, v.Customer.Locale, a.HTML+a.Text+a.SMS, b.HTML+b.Text+b.SMS)
			}
		}
	}
}
