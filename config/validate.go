package config

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/hibiken/asynq"
)

// ValidationError lists every problem found in a configuration, each naming the key and
// the bad value.
type ValidationError struct {
	Problems []string
}

// Error returns the problems, one a line.
func (e *ValidationError) Error() string { return strings.Join(e.Problems, "\n") }

type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// Validate checks the whole configuration and returns a *ValidationError naming every
// invalid key, or nil. In demo mode no signing key is needed.
func (c *Config) Validate(demo bool) error {
	var v problems
	c.validateStores(&v)
	c.validateSMTP(&v)
	c.validateTwilio(&v)
	c.validateHTTP(&v, demo)
	c.validateLimits(&v)
	c.validateBrands(&v)
	c.validatePolicies(&v)
	return v.err()
}

var (
	twilioAccountSIDRE = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	messagingSIDRE     = regexp.MustCompile(`^MG[0-9a-f]{32}$`)
	phoneRE            = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	alphaSenderRE      = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
)

func (c *Config) validateStores(v *problems) {
	if msg := checkRedisURL(c.RedisURL); msg != "" {
		v.addf("NOTIFYD_REDIS_URL: not a valid Redis URL (%q): %s", redactURL(c.RedisURL), msg)
	}
	db := c.DatabaseURL
	switch {
	case strings.HasPrefix(db, "sqlite:"):
		if strings.TrimPrefix(db, "sqlite:") == "" {
			v.addf("NOTIFYD_DATABASE_URL: sqlite: needs a file path (sqlite:PATH), got %q", db)
		}
	case strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://"):
		if _, err := url.Parse(db); err != nil {
			v.addf("NOTIFYD_DATABASE_URL: not a valid URL (%q): %s", redactURL(db), urlErrText(err))
		}
	default:
		v.addf("NOTIFYD_DATABASE_URL: must be postgres://… or sqlite:PATH, got %q", redactURL(db))
	}
}

func checkRedisURL(s string) string {
	if _, err := asynq.ParseRedisURI(s); err != nil {
		return urlErrText(err)
	}
	u, _ := url.Parse(s) // parsed above
	switch {
	case u.Scheme != "redis-socket" && u.Host == "":
		return "no host"
	case u.Scheme == "redis-sentinel" && u.Query().Get("master") == "":
		return "redis-sentinel:// needs ?master=NAME"
	}
	return ""
}

// urlErrText is err's message without the URL a *url.Error quotes, which may hold a
// password.
func urlErrText(err error) string {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

func (c *Config) validateSMTP(v *problems) {
	if c.SMTPURL != "" {
		if msg := checkSMTPURL(c.SMTPURL); msg != "" {
			v.addf("NOTIFYD_SMTP_URL: %s, got %q", msg, redactURL(c.SMTPURL))
		}
	}
	if c.SMTPPool < 1 || c.SMTPPool > 64 {
		v.addf("NOTIFYD_SMTP_POOL: must be between 1 and 64, got %q", strconv.Itoa(c.SMTPPool))
	}
	d := []struct{ name, value string }{
		{"NOTIFYD_DKIM_DOMAIN", c.DKIM.Domain},
		{"NOTIFYD_DKIM_SELECTOR", c.DKIM.Selector},
		{"NOTIFYD_DKIM_KEY_FILE", c.DKIM.KeyFile},
	}
	var set, missing []string
	for _, k := range d {
		if k.value == "" {
			missing = append(missing, k.name)
		} else {
			set = append(set, k.name)
		}
	}
	if len(set) > 0 && len(missing) > 0 {
		v.addf("%s: required with %s (set all three NOTIFYD_DKIM_* variables or none)",
			strings.Join(missing, ", "), strings.Join(set, ", "))
	}
	if msg := checkKeyFile(c.DKIM.KeyFile); msg != "" {
		v.addf("NOTIFYD_DKIM_KEY_FILE: %s, got %q", msg, c.DKIM.KeyFile)
	}
}

func checkSMTPURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "not a valid URL: " + urlErrText(err)
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return "must be smtp://user:pass@host:port?tls=starttls|implicit|none or smtps://…"
	}
	if u.Hostname() == "" || u.Port() == "" {
		return "needs a host and a port"
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		return "port must be between 1 and 65535"
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return fmt.Sprintf("unknown query parameter %q (only tls)", k)
		}
	}
	if q.Has("tls") {
		switch t := q.Get("tls"); {
		case t != "starttls" && t != "implicit" && t != "none":
			return fmt.Sprintf("tls must be starttls, implicit or none, got tls=%s", t)
		case u.Scheme == "smtps" && t != "implicit":
			return fmt.Sprintf("smtps:// is implicit TLS, got tls=%s", t)
		}
	}
	return ""
}

// checkKeyFile returns what is wrong with a DKIM private key file, or "".
func checkKeyFile(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return "cannot read the file: " + pe.Err.Error()
	}
	if err != nil {
		return "cannot read the file: " + err.Error()
	}
	if block, _ := pem.Decode(b); block == nil {
		return "no PEM-encoded key in the file"
	}
	return ""
}

func (c *Config) validateTwilio(v *problems) {
	if c.TwilioAccountSID != "" && !twilioAccountSIDRE.MatchString(c.TwilioAccountSID) {
		v.addf("NOTIFYD_TWILIO_ACCOUNT_SID: must be AC followed by 32 lowercase hex digits, got %q", c.TwilioAccountSID)
	}
	if c.TwilioMessagingServiceSID != "" && !messagingSIDRE.MatchString(c.TwilioMessagingServiceSID) {
		v.addf("NOTIFYD_TWILIO_MESSAGING_SERVICE_SID: must be MG followed by 32 lowercase hex digits, got %q", c.TwilioMessagingServiceSID)
	}
	if c.TwilioFrom != "" && !validSMSFrom(c.TwilioFrom) {
		v.addf("NOTIFYD_TWILIO_FROM: must be an E.164 number (+14155550100) or an alphanumeric sender id (1–11 letters, digits, spaces), got %q", c.TwilioFrom)
	}
	if c.TwilioAPIURL != "" && !absHTTP(c.TwilioAPIURL) {
		v.addf("NOTIFYD_TWILIO_API_URL: must be an absolute http(s) URL, got %q", redactURL(c.TwilioAPIURL))
	}
	if !c.TwilioEnabled() {
		return
	}
	if c.TwilioAuthToken == "" {
		v.addf("NOTIFYD_TWILIO_AUTH_TOKEN: required when NOTIFYD_TWILIO_ACCOUNT_SID is set")
	}
	switch {
	case c.TwilioMessagingServiceSID != "" && c.TwilioFrom != "":
		v.addf("NOTIFYD_TWILIO_MESSAGING_SERVICE_SID, NOTIFYD_TWILIO_FROM: set one, not both, got %q and %q", c.TwilioMessagingServiceSID, c.TwilioFrom)
	case c.TwilioMessagingServiceSID == "" && c.TwilioFrom == "":
		var without []string
		for _, b := range c.Brands {
			if b.SMS.From == "" && b.SMS.MessagingServiceSID == "" {
				without = append(without, b.ID)
			}
		}
		if len(c.Brands) == 0 || len(without) > 0 {
			v.addf("NOTIFYD_TWILIO_MESSAGING_SERVICE_SID, NOTIFYD_TWILIO_FROM: one is required when NOTIFYD_TWILIO_ACCOUNT_SID is set, for brands without their own sms sender (%s)", listOrNone(without))
		}
	}
}

func validSMSFrom(s string) bool {
	return phoneRE.MatchString(s) ||
		alphaSenderRE.MatchString(s) && strings.ContainsFunc(s, unicode.IsLetter)
}

func (c *Config) validateHTTP(v *problems, demo bool) {
	if host, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || strings.ContainsAny(host, "/ ") || !validPort(port) {
		v.addf("NOTIFYD_HTTP_ADDR: must be host:port (e.g. 127.0.0.1:8080 or :8080), got %q", c.HTTPAddr)
	}
	if u, err := url.Parse(c.PublicURL); err != nil || !absHTTP(c.PublicURL) || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		v.addf("NOTIFYD_PUBLIC_URL: must be an absolute http(s) URL without query, fragment or password, got %q", redactURL(c.PublicURL))
	}
	for _, k := range []struct {
		name, value string
		required    bool
	}{
		{"NOTIFYD_SIGNING_KEY", c.SigningKey, !demo},
		{"NOTIFYD_SIGNING_KEY_PREVIOUS", c.SigningKeyPrevious, false},
	} {
		switch {
		case k.value == "" && k.required:
			v.addf("%s: required outside demo (at least 32 bytes, e.g. from openssl rand -base64 32)", k.name)
		case k.value != "" && len(k.value) < 32:
			v.addf("%s: must be at least 32 bytes, got %d bytes", k.name, len(k.value))
		}
	}
	if c.CommerceWebhookURL != "" {
		if !absHTTP(c.CommerceWebhookURL) {
			v.addf("NOTIFYD_COMMERCE_WEBHOOK_URL: must be an absolute http(s) URL, got %q", redactURL(c.CommerceWebhookURL))
		}
		if c.CommerceWebhookSecret == "" {
			v.addf("NOTIFYD_COMMERCE_WEBHOOK_SECRET: required when NOTIFYD_COMMERCE_WEBHOOK_URL is set (whsec_<base64>)")
		}
	}
	if s := c.CommerceWebhookSecret; s != "" {
		b64, ok := strings.CutPrefix(s, "whsec_")
		if !ok {
			v.addf("NOTIFYD_COMMERCE_WEBHOOK_SECRET: must start with whsec_ (Standard Webhooks), got %s (%d bytes)", redacted, len(s))
		} else if key, err := decodeBase64(b64); err != nil || len(key) == 0 {
			v.addf("NOTIFYD_COMMERCE_WEBHOOK_SECRET: the part after whsec_ must be base64, got %s (%d bytes)", redacted, len(s))
		}
	}
}

func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func validPort(s string) bool {
	p, err := strconv.Atoi(s)
	return err == nil && p >= 0 && p <= 65535
}

// absHTTP reports whether s is an absolute http:// or https:// URL with a host.
func absHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (c *Config) validateLimits(v *problems) {
	if c.Concurrency < 1 || c.Concurrency > 1000 {
		v.addf("NOTIFYD_CONCURRENCY: must be between 1 and 1000, got %q", strconv.Itoa(c.Concurrency))
	}
	for _, r := range []struct {
		name string
		rate float64
	}{{"NOTIFYD_EMAIL_RATE", c.EmailRate}, {"NOTIFYD_SMS_RATE", c.SMSRate}} {
		if !(r.rate > 0) || math.IsInf(r.rate, 0) {
			v.addf("%s: must be a number of messages per second above 0, got %q", r.name, formatFloat(r.rate))
		}
	}
	if c.Retention < day {
		v.addf("NOTIFYD_RETENTION: must be at least 1d, got %q", FormatDuration(c.Retention))
	}
	if !slices.Contains(logLevels, c.LogLevel) {
		v.addf("NOTIFYD_LOG_LEVEL: must be one of debug, info, warn, error, got %q", levelName(c.LogLevel))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		v.addf("NOTIFYD_LOG_FORMAT: must be json or text, got %q", c.LogFormat)
	}
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
