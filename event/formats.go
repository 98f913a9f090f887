package event

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	_ "time/tzdata" // time zones validate the same on every host, with or without zoneinfo

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"

	"github.com/notifyd/notifyd/internal/tz"
)

// What each format check expects, as it appears in problem messages ("must be …").
const (
	wantEmail    = "an email address such as ada@example.com"
	wantPhone    = "an E.164 phone number such as +14155550100"
	wantLocale   = "a BCP 47 language tag such as \"en-US\""
	wantTimeZone = "an IANA time zone such as \"America/New_York\""
	wantCurrency = "an ISO 4217 currency code such as \"USD\""
	wantURL      = "an absolute http(s) URL"
)

// validEmail accepts a bare address ("ada@example.com"), not "Ada <ada@example.com>".
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// validPhone accepts a valid number written in E.164 form: "+" and digits only.
func validPhone(s string) bool {
	if !strings.HasPrefix(s, "+") {
		return false
	}
	n, err := phonenumbers.Parse(s, "")
	return err == nil && phonenumbers.IsValidNumber(n) &&
		phonenumbers.Format(n, phonenumbers.E164) == s
}

// validLocale accepts a well-formed BCP 47 tag with known subtags, hyphen-separated.
func validLocale(s string) bool {
	if strings.Contains(s, "_") {
		return false
	}
	_, err := language.Parse(s)
	return err == nil
}

// validTimeZone accepts an IANA zone name. "Local" is the host's zone, not a name.
func validTimeZone(s string) bool {
	if s == "" || s == "Local" {
		return false
	}
	_, err := tz.Load(s)
	return err == nil
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// validCurrency accepts an ISO 4217 code in upper case.
func validCurrency(s string) bool {
	if !currencyRE.MatchString(s) {
		return false
	}
	_, err := currency.ParseISO(s)
	return err == nil
}

// validURL accepts an absolute http or https URL with a host.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// validSource accepts a URI reference, as CloudEvents requires of source, without an
// ASCII space or control character (sourceForbidden; the JSON Schema's pattern is the
// same set). RFC 3986 allows none of them, though url.Parse lets them through, and
// refusing them keeps an event's key, source + " " + id (its asynq TaskID, and what
// the store remembers), unambiguous: with a space allowed in source, "a b"/"c" and
// "a"/"b c" would share a TaskID, and asynq would drop the second as a duplicate of
// the first.
func validSource(s string) bool {
	return !strings.ContainsFunc(s, sourceForbidden) && validURIReference(s)
}

// sourceForbidden reports the characters a source may not hold: space, C0 controls
// (tab, newline…) and DEL.
func sourceForbidden(r rune) bool { return r <= ' ' || r == 0x7f }

// validURIReference is what url.Parse accepts: the source rule of events accepted
// before spaces were refused (Options.Queued).
func validURIReference(s string) bool {
	_, err := url.Parse(s)
	return err == nil
}
