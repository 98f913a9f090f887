package config

import (
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"
)

var (
	brandIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	colorRE   = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// validateBrands names every invalid brand field as brands[i].key.
func (c *Config) validateBrands(v *problems) {
	first := map[string]int{}
	for i, b := range c.Brands {
		p := fmt.Sprintf("brands[%d]", i)
		switch j, dup := first[b.ID]; {
		case b.ID == "":
			v.addf("%s.id: required", p)
		case !brandIDRE.MatchString(b.ID):
			v.addf("%s.id: must be lowercase letters, digits, - and _ (starting with a letter or digit), got %q", p, b.ID)
		case b.ID == "default":
			v.addf("%s.id: %q is reserved (policies.default applies to every brand)", p, b.ID)
		case dup:
			v.addf("%s.id: brands[%d] has the same id, got %q", p, j, b.ID)
		default:
			first[b.ID] = i
		}
		b.validate(v, p)
	}
}

func (b *Brand) validate(v *problems, p string) {
	if strings.TrimSpace(b.Name) == "" {
		v.addf("%s.name: required", p)
	}
	checkURL(v, p+".logo_url", b.LogoURL)
	for _, c := range []struct{ key, value string }{
		{"primary", b.Colors.Primary}, {"text", b.Colors.Text}, {"background", b.Colors.Background},
	} {
		if c.value != "" && !colorRE.MatchString(c.value) {
			v.addf("%s.colors.%s: must be a #rrggbb colour, got %q", p, c.key, c.value)
		}
	}
	if b.Email.From == "" {
		v.addf("%s.email.from: required", p)
	}
	checkEmail(v, p+".email.from", b.Email.From)
	checkEmail(v, p+".email.reply_to", b.Email.ReplyTo)
	b.SMS.validate(v, p+".sms")
	checkURL(v, p+".support.url", b.Support.URL)
	checkEmail(v, p+".support.email", b.Support.Email)
	if b.Support.Phone != "" && !phoneRE.MatchString(b.Support.Phone) {
		v.addf("%s.support.phone: must be an international number like +14155550199, got %q", p, b.Support.Phone)
	}
	if _, err := language.Parse(b.DefaultLocale); err != nil || strings.Contains(b.DefaultLocale, "_") {
		v.addf("%s.default_locale: must be a BCP 47 language tag like en-US (required), got %q", p, b.DefaultLocale)
	}
	if _, err := time.LoadLocation(b.TimeZone); err != nil || b.TimeZone == "" || b.TimeZone == "Local" {
		v.addf("%s.time_zone: must be an IANA time zone like America/New_York (required), got %q", p, b.TimeZone)
	}
	if b.DKIM != nil {
		if b.DKIM.Selector == "" {
			v.addf("%s.dkim.selector: required with dkim", p)
		}
		if b.DKIM.KeyFile == "" {
			v.addf("%s.dkim.key_file: required with dkim", p)
		}
		if msg := checkKeyFile(b.DKIM.KeyFile); msg != "" {
			v.addf("%s.dkim.key_file: %s, got %q", p, msg, b.DKIM.KeyFile)
		}
	}
}

func (s BrandSMS) validate(v *problems, p string) {
	if s.From != "" && !validSMSFrom(s.From) {
		v.addf("%s.from: must be an E.164 number (+14155550100) or an alphanumeric sender id (1–11 letters, digits, spaces), got %q", p, s.From)
	}
	if s.MessagingServiceSID != "" && !messagingSIDRE.MatchString(s.MessagingServiceSID) {
		v.addf("%s.messaging_service_sid: must be MG followed by 32 lowercase hex digits, got %q", p, s.MessagingServiceSID)
	}
	if s.From != "" && s.MessagingServiceSID != "" {
		v.addf("%s: set from or messaging_service_sid, not both, got %q and %q", p, s.From, s.MessagingServiceSID)
	}
}

func checkURL(v *problems, key, s string) {
	if s != "" && !absHTTP(s) {
		v.addf("%s: must be an absolute http(s) URL, got %q", key, s)
	}
}

// checkEmail names s when it is set and not a bare address (no display name).
func checkEmail(v *problems, key, s string) {
	if s == "" {
		return
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		v.addf("%s: not an email address, got %q", key, s)
	}
}

func (c *Config) brandIDList() []string {
	ids := make([]string, len(c.Brands))
	for i, b := range c.Brands {
		ids[i] = b.ID
	}
	return ids
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
