package templates

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func mustNew(t testing.TB, opts ...Option) *Renderer {
	t.Helper()
	r, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGolden renders every kind × locale for both fixture brands and compares the
// subject, HTML, text and SMS with testdata/golden (go test ./templates -update).
func TestGolden(t *testing.T) {
	t.Parallel()
	r := mustNew(t)
	for _, b := range FixtureBrands() {
		for _, lang := range Locales {
			for _, k := range Kinds {
				out, err := r.Render(k, Fixture(k, b, fixtureTags[lang]))
				if err != nil {
					t.Fatalf("%s/%s/%s: %v", b.ID, lang, k, err)
				}
				if out.Locale != lang {
					t.Errorf("%s/%s/%s: rendered in %s", b.ID, lang, k, out.Locale)
				}
				dir := filepath.Join("testdata", "golden", b.ID, lang)
				golden(t, filepath.Join(dir, k+".subject.txt"), out.Subject+"\n")
				golden(t, filepath.Join(dir, k+".html"), out.HTML)
				golden(t, filepath.Join(dir, k+".txt"), out.Text)
				golden(t, filepath.Join(dir, k+".sms.txt"), out.SMS+"\n")
			}
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the rendered output (run go test ./templates -update and review the diff)", path)
	}
}

func TestCheckDefaultsClean(t *testing.T) {
	t.Parallel()
	for _, p := range Check("") {
		t.Error(p.Error())
	}
}

func TestLocaleFallback(t *testing.T) {
	t.Parallel()
	r := mustNew(t)
	acme, lumen := FixtureBrands()[0], FixtureBrands()[1]
	cases := []struct {
		name, locale, wantLang, wantDate string
		brand                            Brand
	}{
		{"region falls back to language", "fr-CA", "fr", "14 décembre 2026", acme},
		{"unknown language falls back to brand default", "it-IT", "de", "14. Dezember 2026", lumen},
		{"unknown language, en brand", "it-IT", "en", "December 14, 2026", acme},
		{"empty locale uses brand default", "", "de", "14. Dezember 2026", lumen},
		{"underscore and case", "ES_es", "es", "14 de diciembre de 2026", acme},
		{"en-GB dates", "en-GB", "en", "14 December 2026", acme},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := r.Render(KindBackorderNotice, Fixture(KindBackorderNotice, c.brand, c.locale))
			if err != nil {
				t.Fatal(err)
			}
			if out.Locale != c.wantLang {
				t.Errorf("locale = %s, want %s", out.Locale, c.wantLang)
			}
			if !strings.Contains(out.Text, c.wantDate) {
				t.Errorf("text lacks %q:\n%s", c.wantDate, out.Text)
			}
		})
	}
}

func TestTimeZoneAndMoney(t *testing.T) {
	t.Parallel()
	r := mustNew(t)
	v := Fixture(KindBackorderNotice, FixtureBrands()[0], "de-DE")
	// 23:59 in New York is the next day in Berlin.
	v.Customer.Location, _ = time.LoadLocation("Europe/Berlin")
	out, err := r.Render(KindBackorderNotice, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"15. Dezember 2026", "1.249,50\u00a0$"} {
		if !strings.Contains(out.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, out.Text)
		}
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const blocks = `{{define "preheader"}}p{{end}}{{define "heading"}}h{{end}}{{define "intro"}}i{{end}}{{define "outro"}}o{{end}}`

func TestOverridePrecedence(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"en/shipped.email.tmpl":             `{{define "subject"}}shared{{end}}` + blocks,
		"brands/acme/en/shipped.email.tmpl": `{{define "subject"}}brand {{.Brand.Name}}{{end}}` + blocks,
		"brands/acme/en/messages.txt":       "button.status = Where is my order?\n",
	})
	r := mustNew(t, WithDir(dir))
	acme, lumen := FixtureBrands()[0], FixtureBrands()[1]
	cases := []struct {
		name  string
		r     *Renderer
		brand Brand
		want  string
	}{
		{"brand override wins", r, acme, "brand Acme Home"},
		{"shared override for other brands", r, lumen, "shared"},
		{"embedded without a directory", mustNew(t), acme, "Acme Home: your order 1001 is on its way"},
	}
	for _, c := range cases {
		out, err := c.r.Render(KindShipped, Fixture(KindShipped, c.brand, "en-US"))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if out.Subject != c.want {
			t.Errorf("%s: subject = %q, want %q", c.name, out.Subject, c.want)
		}
	}
	out, _ := r.Render(KindShipped, Fixture(KindShipped, acme, "en-US"))
	if !strings.Contains(out.Text, "Where is my order?") || !strings.Contains(out.Text, "Track your parcel") {
		t.Errorf("brand catalog should override one key and keep the others:\n%s", out.Text)
	}
	def, _ := mustNew(t).Render(KindShipped, Fixture(KindShipped, acme, "en-US"))
	if out.Version == def.Version {
		t.Error("an override must change the template version")
	}
}

func TestBrokenOverrideNamesLine(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"fr/shipped.email.tmpl": "{{define \"subject\"}}x{{end}}\n\n{{define \"heading\"}}{{if}}{{end}}\n",
	})
	_, err := New(WithDir(dir))
	if err == nil || !regexp.MustCompile(`fr/shipped\.email\.tmpl:3: `).MatchString(err.Error()) {
		t.Fatalf("err = %v, want path:3", err)
	}
	probs := Check(dir)
	if len(probs) == 0 || probs[0].Line != 3 || !strings.HasSuffix(probs[0].Path, "fr/shipped.email.tmpl") {
		t.Fatalf("Check = %v", probs)
	}
}

func TestMissingKeyIsAnError(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"unknown field":       `{{define "subject"}}{{.Order.Nope}}{{end}}` + blocks,
		"missing translation": `{{define "subject"}}{{t "no.such.key"}}{{end}}` + blocks,
	}
	for name, body := range cases {
		r := mustNew(t, WithDir(writeTree(t, map[string]string{"brands/acme/en/shipped.email.tmpl": body})))
		out, err := r.Render(KindShipped, Fixture(KindShipped, FixtureBrands()[0], "en-US"))
		if err == nil {
			t.Errorf("%s: no error, subject %q", name, out.Subject)
		} else if !strings.Contains(err.Error(), "shipped.email.tmpl:1:") {
			t.Errorf("%s: error %v does not name the line", name, err)
		}
	}
}

func TestReplyKeywords(t *testing.T) {
	t.Parallel()
	got := ReplyKeywords("fr-CA", false)
	if len(got) != 2 || got[0].Word != "ATTENDRE" || got[1].Word != "REMBOURSER" || got[1].Digit != "2" {
		t.Errorf("fr without substitute = %+v", got)
	}
	for _, l := range Locales {
		for _, k := range ReplyKeywords(l, true) {
			switch k.Word {
			case "STOP", "CANCEL", "END", "QUIT", "UNSUBSCRIBE", "STOPALL", "ARRET", "HELP", "INFO", "START", "YES", "UNSTOP":
				t.Errorf("%s: %s is a carrier keyword", l, k.Word)
			}
		}
	}
}

// TestCancellationNotice checks the optional parts of cancellation_notice in every
// language: the reason only when the shop gave one, and a support contact for
// questions (the email, else the support URL).
func TestCancellationNotice(t *testing.T) {
	t.Parallel()
	r := mustNew(t)
	reasonLabel := map[string]string{"en": "Reason for the cancellation", "fr": "Motif de l'annulation", "de": "Grund der Stornierung", "es": "Motivo de la cancelación"}
	for _, lang := range Locales {
		t.Run(lang, func(t *testing.T) {
			v := Fixture(KindCancellationNotice, FixtureBrands()[0], fixtureTags[lang])
			v.Reason, v.Brand.SupportEmail = "", ""
			out, err := r.Render(KindCancellationNotice, v)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.Text, reasonLabel[lang]) || strings.Contains(out.HTML, reasonLabel[lang]) {
				t.Errorf("no reason given, yet the message has %q:\n%s", reasonLabel[lang], out.Text)
			}
			intro, _, _ := strings.Cut(out.Text, "\n--\n")
			if !strings.Contains(intro, v.Brand.SupportURL) {
				t.Errorf("without a support email the body should give the support URL:\n%s", out.Text)
			}
			if !strings.Contains(out.SMS, v.Order.Number) || !strings.Contains(out.SMS, v.SMSLink()) || !strings.HasPrefix(out.SMS, v.Brand.SMSLabel()) {
				t.Errorf("SMS lacks the brand, order number or status link: %q", out.SMS)
			}
		})
	}
}

// TestParcels: a consolidated message lists every parcel it covers, each with its
// carrier, tracking number and link, in the HTML and the text; one parcel alone
// renders as it always did.
func TestParcels(t *testing.T) {
	t.Parallel()
	r := mustNew(t)
	for _, kind := range []string{KindPartialShipment, KindShipped} {
		t.Run(kind, func(t *testing.T) {
			v := Fixture(kind, FixtureBrands()[0], "en-US")
			single, err := r.Render(kind, v)
			if err != nil {
				t.Fatal(err)
			}
			first := Shipment{Carrier: "FedEx", TrackingNumber: "FX111", TrackingURL: "https://fedex.example/FX111"}
			v.Parcels = []Shipment{first, *v.Shipment}
			both, err := r.Render(kind, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range v.Parcels {
				for _, want := range []string{"Carrier: " + s.Carrier, "Tracking number: " + s.TrackingNumber, s.TrackingURL} {
					if !strings.Contains(both.Text, want) || !strings.Contains(both.HTML, want) {
						t.Errorf("%q missing from the text or the HTML:\n%s", want, both.Text)
					}
				}
			}
			if strings.Contains(single.Text, "FX111") || !strings.Contains(single.Text, v.Shipment.TrackingNumber) {
				t.Errorf("one parcel:\n%s", single.Text)
			}
			if !strings.Contains(single.Text, "In this parcel") || !strings.Contains(both.Text, "In these parcels") ||
				!strings.Contains(both.HTML, "In these parcels") {
				t.Errorf("the items' heading names one parcel or several:\n%s\n---\n%s", single.Text, both.Text)
			}
			if kind == KindShipped && (!strings.Contains(both.Text, "tracking links above") || !strings.Contains(single.Text, "tracking link above")) {
				t.Errorf("the outro names one tracking link or several:\n%s", both.Text)
			}
		})
	}
}

// TestParcelsHeadingLocales: every default locale names several parcels in the plural.
func TestParcelsHeadingLocales(t *testing.T) {
	t.Parallel()
	r := mustNew(t)
	plural := map[string]string{"en": "In these parcels", "fr": "Dans ces colis", "de": "In diesen Paketen", "es": "En estos paquetes"}
	for _, lang := range Locales {
		v := Fixture(KindShipped, FixtureBrands()[0], fixtureTags[lang])
		v.Parcels = []Shipment{{Carrier: "FedEx", TrackingNumber: "FX111"}, *v.Shipment}
		out, err := r.Render(KindShipped, v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.Text, plural[lang]) {
			t.Errorf("%s: no %q:\n%s", lang, plural[lang], out.Text)
		}
	}
}
