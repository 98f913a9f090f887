package config

import (
	"slices"
	"strings"
	"testing"
)

func TestWriteEffectiveRedactsSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		vars   map[string]string
		secret string // must not be printed
		want   string // must be printed
	}{
		{"auth token", map[string]string{"NOTIFYD_TWILIO_AUTH_TOKEN": "tok-s3cret"}, "tok-s3cret", "NOTIFYD_TWILIO_AUTH_TOKEN: '[redacted]'"},
		{"signing key", map[string]string{"NOTIFYD_SIGNING_KEY": "sign-s3cret-0123456789abcdef0123456789"}, "sign-s3cret", "NOTIFYD_SIGNING_KEY: '[redacted]'"},
		{"previous signing key", map[string]string{"NOTIFYD_SIGNING_KEY_PREVIOUS": "prev-s3cret-0123456789abcdef012345678"}, "prev-s3cret", "NOTIFYD_SIGNING_KEY_PREVIOUS: '[redacted]'"},
		{"webhook secret", map[string]string{"NOTIFYD_COMMERCE_WEBHOOK_SECRET": "whsec_czNjcmV0czNjcmV0"}, "czNjcmV0czNjcmV0", "NOTIFYD_COMMERCE_WEBHOOK_SECRET: '[redacted]'"},
		{"redis password", map[string]string{"NOTIFYD_REDIS_URL": "rediss://default:r3dis-pw@cache.example:6380/2"}, "r3dis-pw", "NOTIFYD_REDIS_URL: rediss://default:[redacted]@cache.example:6380/2"},
		{"redis password only", map[string]string{"NOTIFYD_REDIS_URL": "redis://:r3dis-pw@cache.example:6379/0"}, "r3dis-pw", "NOTIFYD_REDIS_URL: redis://:[redacted]@cache.example:6379/0"},
		{"sentinel password", map[string]string{"NOTIFYD_REDIS_URL": "redis-sentinel://:s3ntinel@a:26379,b:26379?master=mymaster"}, "s3ntinel", "redis-sentinel://:[redacted]@a:26379,b:26379?master=mymaster"},
		{"database password", map[string]string{"NOTIFYD_DATABASE_URL": "postgres://notifyd:pg-s3cret@db.example:5432/notifyd?sslmode=require"}, "pg-s3cret", "postgres://notifyd:[redacted]@db.example:5432/notifyd?sslmode=require"},
		{"database password parameter", map[string]string{"NOTIFYD_DATABASE_URL": "postgres://db.example/notifyd?user=n&password=pg-s3cret"}, "pg-s3cret", "password=[redacted]"},
		{"database DSN", map[string]string{"NOTIFYD_DATABASE_URL": "host=db password=pg-s3cret"}, "pg-s3cret", "NOTIFYD_DATABASE_URL: '[redacted] (not a URL)'"},
		{"smtp password", map[string]string{"NOTIFYD_SMTP_URL": "smtp://apikey:sm-s3cret@smtp.example:587?tls=starttls"}, "sm-s3cret", "NOTIFYD_SMTP_URL: smtp://apikey:[redacted]@smtp.example:587?tls=starttls"},
		{"smtp password unparsable", map[string]string{"NOTIFYD_SMTP_URL": "smtp://apikey:sm-s3cret%zz@smtp.example:587"}, "sm-s3cret", "NOTIFYD_SMTP_URL: '[redacted]@smtp.example:587'"},
		{"smtp without scheme", map[string]string{"NOTIFYD_SMTP_URL": "apikey:sm-s3cret@smtp.example:587"}, "sm-s3cret", "[redacted]@smtp.example:587"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tt.vars), LoadOptions{Demo: true})
			var out strings.Builder
			if err := c.WriteEffective(&out); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), tt.secret) {
				t.Errorf("the secret %q is printed:\n%s", tt.secret, out.String())
			}
			if err != nil && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("the secret %q is in the problems:\n%v", tt.secret, err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out.String())
			}
		})
	}
}

func TestWriteEffectivePrintsResolvedPolicies(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil), LoadOptions{Demo: true, File: []byte(testBrandYAML + `policies:
  default: {window: 36h}
  acme: {reminder_before: 1d12h, quiet_hours: ""}
`)})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := c.WriteEffective(&out); err != nil {
		t.Fatal(err)
	}
	want := `policies:
  default:
    window: 1d12h
    silent_consent_max_delay: 30d
    min_response_time: 7d
    reminder_before: 3d
    coalesce_window: 10m
    quiet_hours: 21:00-08:00
    dedup_ttl: 90d
    max_updates_per_day: 3
    material_eta_change: 1d
  acme:
    window: 1d12h
    silent_consent_max_delay: 30d
    min_response_time: 7d
    reminder_before: 1d12h
    coalesce_window: 10m
    quiet_hours: ""
    dedup_ttl: 90d
    max_updates_per_day: 3
    material_eta_change: 1d
`
	for _, part := range []string{want, "NOTIFYD_SMTP_POOL: 4\n", "NOTIFYD_RETENTION: 400d\n", "brands:\n  - id: acme\n    name: Acme Home\n", "      primary: '#0b6e4f'\n"} {
		if !strings.Contains(out.String(), part) {
			t.Errorf("output lacks\n%s\ngot:\n%s", part, out.String())
		}
	}
	if strings.Contains(out.String(), "dkim") {
		t.Errorf("output prints the unset brand dkim:\n%s", out.String())
	}
}

func TestWarnings(t *testing.T) {
	t.Parallel()
	configured := func() *Config {
		c := validConfig()
		c.SMTPURL = "smtp://mail.example:587"
		c.TwilioAccountSID = "AC" + strings.Repeat("0", 32)
		c.PublicURL = "https://notifyd.example"
		c.CommerceWebhookURL = "https://shop.example/hook"
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"fully configured", func(*Config) {}, nil},
		{"no smtp", func(c *Config) { c.SMTPURL = "" }, []string{"NOTIFYD_SMTP_URL not set: email disabled"}},
		{"no twilio", func(c *Config) { c.TwilioAccountSID = "" }, []string{"NOTIFYD_TWILIO_ACCOUNT_SID not set: SMS disabled"}},
		{"outbox instead of providers", func(c *Config) { c.SMTPURL, c.TwilioAccountSID, c.OutboxDir = "", "", "/tmp/out" }, []string{"NOTIFYD_OUTBOX_DIR is set: messages are written to /tmp/out, not sent"}},
		{"plain http", func(c *Config) { c.PublicURL = "http://notifyd.example" }, []string{"NOTIFYD_PUBLIC_URL is not https: List-Unsubscribe-Post (RFC 8058 one-click) is left out"}},
		{"no webhook", func(c *Config) { c.CommerceWebhookURL = "" }, []string{"NOTIFYD_COMMERCE_WEBHOOK_URL not set: customer choices and auto-cancellations are not sent to the shop"}},
		{"no brands", func(c *Config) { c.Brands = nil }, []string{"no brands configured: every event will be rejected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := configured()
			tt.change(c)
			if got := c.Warnings(); !slices.Equal(got, tt.want) {
				t.Errorf("Warnings() = %q, want %q", got, tt.want)
			}
		})
	}
}
