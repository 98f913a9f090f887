package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// envVar is one NOTIFYD_* variable of CONTRACT.md §2: how to read it into a Config and
// print it back.
type envVar struct {
	name   string
	get    func(*Config) string
	set    func(*Config, string) error
	secret bool // printed as [redacted] when set
	url    bool // printed with any password in it redacted
}

// envVars lists every variable in the order CONTRACT.md §2 gives them.
var envVars = []envVar{
	stringVar("NOTIFYD_CONFIG", func(c *Config) *string { return &c.ConfigFile }),
	urlVar("NOTIFYD_REDIS_URL", func(c *Config) *string { return &c.RedisURL }),
	urlVar("NOTIFYD_DATABASE_URL", func(c *Config) *string { return &c.DatabaseURL }),
	urlVar("NOTIFYD_SMTP_URL", func(c *Config) *string { return &c.SMTPURL }),
	intVar("NOTIFYD_SMTP_POOL", func(c *Config) *int { return &c.SMTPPool }),
	stringVar("NOTIFYD_DKIM_DOMAIN", func(c *Config) *string { return &c.DKIM.Domain }),
	stringVar("NOTIFYD_DKIM_SELECTOR", func(c *Config) *string { return &c.DKIM.Selector }),
	stringVar("NOTIFYD_DKIM_KEY_FILE", func(c *Config) *string { return &c.DKIM.KeyFile }),
	stringVar("NOTIFYD_TWILIO_ACCOUNT_SID", func(c *Config) *string { return &c.TwilioAccountSID }),
	secretVar("NOTIFYD_TWILIO_AUTH_TOKEN", func(c *Config) *string { return &c.TwilioAuthToken }),
	stringVar("NOTIFYD_TWILIO_MESSAGING_SERVICE_SID", func(c *Config) *string { return &c.TwilioMessagingServiceSID }),
	stringVar("NOTIFYD_TWILIO_FROM", func(c *Config) *string { return &c.TwilioFrom }),
	urlVar("NOTIFYD_TWILIO_API_URL", func(c *Config) *string { return &c.TwilioAPIURL }),
	stringVar("NOTIFYD_HTTP_ADDR", func(c *Config) *string { return &c.HTTPAddr }),
	urlVar("NOTIFYD_PUBLIC_URL", func(c *Config) *string { return &c.PublicURL }),
	secretVar("NOTIFYD_SIGNING_KEY", func(c *Config) *string { return &c.SigningKey }),
	secretVar("NOTIFYD_SIGNING_KEY_PREVIOUS", func(c *Config) *string { return &c.SigningKeyPrevious }),
	stringVar("NOTIFYD_TEMPLATES_DIR", func(c *Config) *string { return &c.TemplatesDir }),
	stringVar("NOTIFYD_OUTBOX_DIR", func(c *Config) *string { return &c.OutboxDir }),
	urlVar("NOTIFYD_COMMERCE_WEBHOOK_URL", func(c *Config) *string { return &c.CommerceWebhookURL }),
	secretVar("NOTIFYD_COMMERCE_WEBHOOK_SECRET", func(c *Config) *string { return &c.CommerceWebhookSecret }),
	intVar("NOTIFYD_CONCURRENCY", func(c *Config) *int { return &c.Concurrency }),
	floatVar("NOTIFYD_EMAIL_RATE", func(c *Config) *float64 { return &c.EmailRate }),
	floatVar("NOTIFYD_SMS_RATE", func(c *Config) *float64 { return &c.SMSRate }),
	{
		name: "NOTIFYD_RETENTION",
		get:  func(c *Config) string { return FormatDuration(c.Retention) },
		set: func(c *Config, s string) error {
			d, err := ParseDuration(s)
			if err == nil {
				c.Retention = d
			}
			return err
		},
	},
	{
		name: "NOTIFYD_LOG_LEVEL",
		get:  func(c *Config) string { return levelName(c.LogLevel) },
		set: func(c *Config, s string) error {
			for _, l := range logLevels {
				if strings.EqualFold(s, levelName(l)) {
					c.LogLevel = l
					return nil
				}
			}
			return fmt.Errorf("must be one of debug, info, warn, error, got %q", s)
		},
	},
	stringVar("NOTIFYD_LOG_FORMAT", func(c *Config) *string { return &c.LogFormat }),
}

var logLevels = []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

func levelName(l slog.Level) string { return strings.ToLower(l.String()) }

// readEnv sets every variable lookupEnv knows; an empty value counts as unset.
func (c *Config) readEnv(lookupEnv func(string) (string, bool), v *problems) {
	for _, e := range envVars {
		s, ok := lookupEnv(e.name)
		if !ok || s == "" {
			continue
		}
		if err := e.set(c, s); err != nil {
			v.addf("%s: %v", e.name, err)
		}
	}
}

func stringVar(name string, field func(*Config) *string) envVar {
	return envVar{
		name: name,
		get:  func(c *Config) string { return *field(c) },
		set:  func(c *Config, s string) error { *field(c) = s; return nil },
	}
}

func secretVar(name string, field func(*Config) *string) envVar {
	e := stringVar(name, field)
	e.secret = true
	return e
}

func urlVar(name string, field func(*Config) *string) envVar {
	e := stringVar(name, field)
	e.url = true
	return e
}

func intVar(name string, field func(*Config) *int) envVar {
	return envVar{
		name: name,
		get:  func(c *Config) string { return strconv.Itoa(*field(c)) },
		set: func(c *Config, s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("must be a whole number, got %q", s)
			}
			*field(c) = n
			return nil
		},
	}
}

func floatVar(name string, field func(*Config) *float64) envVar {
	return envVar{
		name: name,
		get:  func(c *Config) string { return formatFloat(*field(c)) },
		set: func(c *Config, s string) error {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("must be a number, got %q", s)
			}
			*field(c) = f
			return nil
		},
	}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

const redacted = "[redacted]"

// redactURL returns raw with any password (in the user info, or a password query
// parameter as Postgres accepts) replaced by [redacted]. Of what does not parse as a
// hierarchical URL, everything before an @ is redacted, and a string with password=
// (a key=value DSN) is redacted whole.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		if strings.Contains(raw, "password=") {
			return redacted + " (not a URL)"
		}
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			return redacted + raw[i:]
		}
		return raw
	}
	const mark = "REDACTEDPASSWORD"
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), mark)
	}
	if q := u.Query(); q.Has("password") || q.Has("sslpassword") {
		for _, k := range []string{"password", "sslpassword"} {
			if q.Has(k) {
				q.Set(k, mark)
			}
		}
		u.RawQuery = q.Encode()
	}
	return strings.ReplaceAll(u.String(), mark, redacted)
}
