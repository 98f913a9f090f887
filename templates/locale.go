package templates

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/locales"
	lcurrency "github.com/go-playground/locales/currency"
	"github.com/go-playground/locales/de"
	"github.com/go-playground/locales/de_AT"
	"github.com/go-playground/locales/de_CH"
	"github.com/go-playground/locales/de_DE"
	"github.com/go-playground/locales/en"
	"github.com/go-playground/locales/en_AU"
	"github.com/go-playground/locales/en_CA"
	"github.com/go-playground/locales/en_GB"
	"github.com/go-playground/locales/en_IE"
	"github.com/go-playground/locales/en_US"
	"github.com/go-playground/locales/es"
	"github.com/go-playground/locales/es_ES"
	"github.com/go-playground/locales/es_MX"
	"github.com/go-playground/locales/es_US"
	"github.com/go-playground/locales/fr"
	"github.com/go-playground/locales/fr_BE"
	"github.com/go-playground/locales/fr_CA"
	"github.com/go-playground/locales/fr_CH"
	"github.com/go-playground/locales/fr_FR"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// translators are the CLDR locales dates are formatted with; a tag not listed uses
// its language's.
var translators = map[string]func() locales.Translator{
	"en": en.New, "en-US": en_US.New, "en-GB": en_GB.New, "en-CA": en_CA.New, "en-AU": en_AU.New,
	"en-IE": en_IE.New, "fr": fr.New, "fr-FR": fr_FR.New, "fr-CA": fr_CA.New, "fr-BE": fr_BE.New,
	"fr-CH": fr_CH.New, "de": de.New, "de-DE": de_DE.New, "de-AT": de_AT.New, "de-CH": de_CH.New,
	"es": es.New, "es-ES": es_ES.New, "es-MX": es_MX.New, "es-US": es_US.New,
}

// currencies maps ISO 4217 codes to go-playground's currency enum (which has no
// names at run time).
var currencies = map[string]lcurrency.Type{
	"USD": lcurrency.USD, "EUR": lcurrency.EUR, "GBP": lcurrency.GBP, "CAD": lcurrency.CAD,
	"CHF": lcurrency.CHF, "AUD": lcurrency.AUD, "NZD": lcurrency.NZD, "MXN": lcurrency.MXN,
	"SEK": lcurrency.SEK, "NOK": lcurrency.NOK, "DKK": lcurrency.DKK, "PLN": lcurrency.PLN,
	"CZK": lcurrency.CZK, "JPY": lcurrency.JPY,
}

// canonTag normalises a BCP 47 tag to "ll" or "ll-RR" ("fr_ca" → "fr-CA"); "" when
// it is not one.
func canonTag(s string) string {
	t, err := language.Parse(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	if err != nil || t == language.Und {
		return ""
	}
	base, _ := t.Base()
	if reg, conf := t.Region(); conf == language.Exact {
		return base.String() + "-" + reg.String()
	}
	return base.String()
}

func baseLang(tag string) string {
	if i := strings.IndexByte(tag, '-'); i > 0 {
		return tag[:i]
	}
	return tag
}

// localeChain is the order locales are tried in: the customer's tag, its language, the
// brand's default tag and language, then en.
func localeChain(customer, brandDefault string) []string {
	var out []string
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		if s != "" {
			out = append(out, s)
		}
	}
	c, b := canonTag(customer), canonTag(brandDefault)
	add(c)
	add(baseLang(c))
	add(b)
	add(baseLang(b))
	add("en")
	return out
}

// formatTag is the tag to format dates and money with when the copy is in lang: the
// customer's own tag when its language is lang, else the brand's, else lang.
func formatTag(lang, customer, brandDefault string) string {
	for _, t := range []string{canonTag(customer), canonTag(brandDefault)} {
		if t != "" && baseLang(t) == baseLang(lang) {
			return t
		}
	}
	return baseLang(lang)
}

// locale formats dates, numbers and money per CLDR for one tag.
type locale struct {
	tag     string
	date    locales.Translator // the regional locale, for dates
	num     locales.Translator // the language's, for numbers, money and plurals
	xtag    language.Tag
	symbols sync.Map // currency code → symbol
}

func newLocale(tag string) *locale {
	l := &locale{tag: tag, xtag: language.Make(tag)}
	base := baseLang(tag)
	l.num = translatorFor(base)
	l.date = l.num
	if mk, ok := translators[tag]; ok {
		l.date = mk()
	}
	return l
}

func translatorFor(lang string) locales.Translator {
	if mk, ok := translators[lang]; ok {
		return mk()
	}
	return en.New()
}

func (l *locale) dateLong(t time.Time) string { return l.date.FmtDateLong(t) }

func (l *locale) dateTime(t time.Time) string {
	return l.date.FmtDateLong(t) + ", " + l.date.FmtTimeShort(t) + " " + t.Format("MST")
}

func (l *locale) number(n int) string { return l.num.FmtNumber(float64(n), 0) }

// plural is the CLDR cardinal plural category of n ("one", "other", …).
func (l *locale) plural(n int) string {
	switch l.num.CardinalPluralRule(float64(n), 0) {
	case locales.PluralRuleZero:
		return "zero"
	case locales.PluralRuleOne:
		return "one"
	case locales.PluralRuleTwo:
		return "two"
	case locales.PluralRuleFew:
		return "few"
	case locales.PluralRuleMany:
		return "many"
	}
	return "other"
}

// money formats a decimal string in currency code: the language's CLDR pattern (from
// go-playground/locales) with the tag's CLDR symbol (from x/text, whose symbol tables
// are complete where go-playground's regional ones are not).
func (l *locale) money(amount, code string) (string, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(amount), 64)
	if err != nil {
		return "", fmt.Errorf("money: %q is not a decimal amount", amount)
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		return "", fmt.Errorf("money: %q is not an ISO 4217 currency", code)
	}
	scale, _ := currency.Standard.Rounding(unit)
	ct, ok := currencies[unit.String()]
	if !ok {
		return l.num.FmtNumber(f, uint64(scale)) + "\u00a0" + unit.String(), nil
	}
	s := l.num.FmtCurrency(f, uint64(scale), ct)
	if libSym := currencySymbolOf(l.num.FmtCurrency(0, 0, ct)); libSym != "" {
		s = strings.Replace(s, libSym, l.symbol(unit), 1)
	}
	return s, nil
}

func (l *locale) symbol(u currency.Unit) string {
	if s, ok := l.symbols.Load(u); ok {
		return s.(string)
	}
	s := message.NewPrinter(l.xtag).Sprint(currency.Symbol(u))
	l.symbols.Store(u, s)
	return s
}

// currencySymbolOf extracts the symbol from a formatted zero amount ("0,00 €" → "€").
func currencySymbolOf(zero string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if strings.ContainsRune("0123456789.,'’-\u00a0\u202f ", r) {
			return -1
		}
		return r
	}, zero))
}
