package config

import (
	"log/slog"
	"strings"
	"testing"
)

func TestValidConfigHasNoProblems(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.DKIM = DKIM{Domain: "acme.example", Selector: "s1", KeyFile: writeFile(t, "dkim.pem", testPEM)}
	c.SMTPURL = "smtp://user:pass@mail.example:587?tls=starttls"
	c.TwilioAccountSID = "AC" + strings.Repeat("0123456789abcdef", 2)
	c.TwilioAuthToken = "token"
	c.TwilioFrom = "+14155550100"
	c.CommerceWebhookURL = "https://shop.example/hooks/notifyd"
	c.CommerceWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	c.Brands[0].DKIM = &BrandDKIM{Selector: "s2", KeyFile: c.DKIM.KeyFile}
	if err := c.Validate(false); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	notPEM := writeFile(t, "key.txt", "not a key")
	sid := "AC" + strings.Repeat("0123456789abcdef", 2)
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   []string // all in one problem: the key and the bad value
	}{
		{"redis scheme", func(c *Config) { c.RedisURL = "foo://x" }, []string{`NOTIFYD_REDIS_URL: not a valid Redis URL ("foo://x"): `}},
		{"redis no host", func(c *Config) { c.RedisURL = "redis:///0" }, []string{"NOTIFYD_REDIS_URL", `"redis:///0"`, "no host"}},
		{"redis sentinel without master", func(c *Config) { c.RedisURL = "redis-sentinel://a:26379,b:26379" }, []string{"NOTIFYD_REDIS_URL", "master"}},
		{"database scheme", func(c *Config) { c.DatabaseURL = "mysql://db/x" }, []string{"NOTIFYD_DATABASE_URL", `"mysql://db/x"`}},
		{"postgres URL", func(c *Config) { c.DatabaseURL = "postgres://u:pw%zz@db/x" }, []string{"NOTIFYD_DATABASE_URL", `"[redacted]@db/x"`}},
		{"sqlite without path", func(c *Config) { c.DatabaseURL = "sqlite:" }, []string{"NOTIFYD_DATABASE_URL", `"sqlite:"`}},
		{"smtp scheme", func(c *Config) { c.SMTPURL = "http://mail:25" }, []string{"NOTIFYD_SMTP_URL", `"http://mail:25"`}},
		{"smtp without port", func(c *Config) { c.SMTPURL = "smtp://mail" }, []string{"NOTIFYD_SMTP_URL", "port", `"smtp://mail"`}},
		{"smtp tls", func(c *Config) { c.SMTPURL = "smtp://mail:25?tls=ssl" }, []string{"NOTIFYD_SMTP_URL", "tls=ssl"}},
		{"smtps with starttls", func(c *Config) { c.SMTPURL = "smtps://mail:465?tls=starttls" }, []string{"NOTIFYD_SMTP_URL", "tls=starttls"}},
		{"smtp unknown parameter", func(c *Config) { c.SMTPURL = "smtp://mail:25?tsl=none" }, []string{"NOTIFYD_SMTP_URL", `"tsl"`}},
		{"smtp pool zero", func(c *Config) { c.SMTPPool = 0 }, []string{`NOTIFYD_SMTP_POOL: must be between 1 and 64, got "0"`}},
		{"smtp pool too big", func(c *Config) { c.SMTPPool = 65 }, []string{"NOTIFYD_SMTP_POOL", `"65"`}},
		{"dkim partial", func(c *Config) { c.DKIM.Domain = "acme.example" }, []string{"NOTIFYD_DKIM_SELECTOR, NOTIFYD_DKIM_KEY_FILE: required with NOTIFYD_DKIM_DOMAIN"}},
		{"dkim key missing", func(c *Config) {
			c.DKIM = DKIM{Domain: "acme.example", Selector: "s1", KeyFile: "/nonexistent/dkim.pem"}
		}, []string{"NOTIFYD_DKIM_KEY_FILE: cannot read", `"/nonexistent/dkim.pem"`}},
		{"dkim key not PEM", func(c *Config) { c.DKIM = DKIM{Domain: "acme.example", Selector: "s1", KeyFile: notPEM} }, []string{"NOTIFYD_DKIM_KEY_FILE", "PEM", notPEM}},
		{"twilio account sid", func(c *Config) { c.TwilioAccountSID = "AC123"; c.TwilioAuthToken = "t"; c.TwilioFrom = "Acme" }, []string{"NOTIFYD_TWILIO_ACCOUNT_SID", `"AC123"`}},
		{"twilio token missing", func(c *Config) { c.TwilioAccountSID = sid; c.TwilioFrom = "Acme" }, []string{"NOTIFYD_TWILIO_AUTH_TOKEN: required"}},
		{"twilio no sender", func(c *Config) { c.TwilioAccountSID = sid; c.TwilioAuthToken = "t" }, []string{"NOTIFYD_TWILIO_MESSAGING_SERVICE_SID, NOTIFYD_TWILIO_FROM", "acme"}},
		{"twilio two senders", func(c *Config) {
			c.TwilioAccountSID, c.TwilioAuthToken, c.TwilioFrom = sid, "t", "Acme"
			c.TwilioMessagingServiceSID = "MG" + strings.Repeat("0", 32)
		}, []string{"not both", `"Acme"`}},
		{"twilio messaging service sid", func(c *Config) { c.TwilioMessagingServiceSID = "MGxyz" }, []string{"NOTIFYD_TWILIO_MESSAGING_SERVICE_SID", `"MGxyz"`}},
		{"twilio from without plus", func(c *Config) { c.TwilioFrom = "14155550100" }, []string{"NOTIFYD_TWILIO_FROM", `"14155550100"`}},
		{"twilio from too long", func(c *Config) { c.TwilioFrom = "AcmeHomeStore" }, []string{"NOTIFYD_TWILIO_FROM", `"AcmeHomeStore"`}},
		{"twilio api url", func(c *Config) { c.TwilioAPIURL = "ftp://proxy" }, []string{"NOTIFYD_TWILIO_API_URL", `"ftp://proxy"`}},
		{"http addr", func(c *Config) { c.HTTPAddr = "8080" }, []string{"NOTIFYD_HTTP_ADDR", `"8080"`}},
		{"http addr port", func(c *Config) { c.HTTPAddr = "localhost:http" }, []string{"NOTIFYD_HTTP_ADDR", `"localhost:http"`}},
		{"public url query", func(c *Config) { c.PublicURL = "https://n.example/?a=b" }, []string{"NOTIFYD_PUBLIC_URL", `"https://n.example/?a=b"`}},
		{"public url relative", func(c *Config) { c.PublicURL = "/notifyd" }, []string{"NOTIFYD_PUBLIC_URL", `"/notifyd"`}},
		{"signing key missing", func(c *Config) { c.SigningKey = "" }, []string{"NOTIFYD_SIGNING_KEY: required"}},
		{"signing key short", func(c *Config) { c.SigningKey = "short" }, []string{"NOTIFYD_SIGNING_KEY: must be at least 32 bytes, got 5 bytes"}},
		{"previous key short", func(c *Config) { c.SigningKeyPrevious = "old" }, []string{"NOTIFYD_SIGNING_KEY_PREVIOUS", "got 3 bytes"}},
		{"webhook url", func(c *Config) { c.CommerceWebhookURL = "shop.example/hook"; c.CommerceWebhookSecret = "whsec_AAAA" }, []string{"NOTIFYD_COMMERCE_WEBHOOK_URL", `"shop.example/hook"`}},
		{"webhook secret missing", func(c *Config) { c.CommerceWebhookURL = "https://shop.example/hook" }, []string{"NOTIFYD_COMMERCE_WEBHOOK_SECRET: required"}},
		{"webhook secret prefix", func(c *Config) { c.CommerceWebhookSecret = "AAAA" }, []string{"NOTIFYD_COMMERCE_WEBHOOK_SECRET", "whsec_", "got [redacted] (4 bytes)"}},
		{"webhook secret base64", func(c *Config) { c.CommerceWebhookSecret = "whsec_!!" }, []string{"NOTIFYD_COMMERCE_WEBHOOK_SECRET", "base64", "(8 bytes)"}},
		{"concurrency zero", func(c *Config) { c.Concurrency = 0 }, []string{"NOTIFYD_CONCURRENCY", `"0"`}},
		{"concurrency too big", func(c *Config) { c.Concurrency = 1001 }, []string{"NOTIFYD_CONCURRENCY", `"1001"`}},
		{"email rate zero", func(c *Config) { c.EmailRate = 0 }, []string{"NOTIFYD_EMAIL_RATE", `"0"`}},
		{"sms rate negative", func(c *Config) { c.SMSRate = -1.5 }, []string{"NOTIFYD_SMS_RATE", `"-1.5"`}},
		{"retention short", func(c *Config) { c.Retention = 12 * 60 * 60 * 1e9 }, []string{"NOTIFYD_RETENTION: must be at least 1d", `"12h"`}},
		{"log level", func(c *Config) { c.LogLevel = slog.Level(2) }, []string{"NOTIFYD_LOG_LEVEL", `"info+2"`}},
		{"log format", func(c *Config) { c.LogFormat = "xml" }, []string{"NOTIFYD_LOG_FORMAT", `"xml"`}},

		{"brand id missing", func(c *Config) { c.Brands[0].ID = "" }, []string{"brands[0].id: required"}},
		{"brand id format", func(c *Config) { c.Brands[0].ID = "Acme Home" }, []string{"brands[0].id", `"Acme Home"`}},
		{"brand id reserved", func(c *Config) { c.Brands[0].ID = "default" }, []string{"brands[0].id", `"default"`, "reserved"}},
		{"brand id duplicate", func(c *Config) { c.Brands = append(c.Brands, testBrand("acme")) }, []string{"brands[1].id", "brands[0]", `"acme"`}},
		{"brand name", func(c *Config) { c.Brands[0].Name = " " }, []string{"brands[0].name: required"}},
		{"brand logo url", func(c *Config) { c.Brands[0].LogoURL = "logo.png" }, []string{"brands[0].logo_url", `"logo.png"`}},
		{"brand colour", func(c *Config) { c.Brands[0].Colors.Text = "green" }, []string{"brands[0].colors.text", `"green"`}},
		{"brand from missing", func(c *Config) { c.Brands[0].Email.From = "" }, []string{"brands[0].email.from: required"}},
		{"brand from", func(c *Config) { c.Brands[0].Email.From = "nope" }, []string{`brands[0].email.from: not an email address, got "nope"`}},
		{"brand reply-to with name", func(c *Config) { c.Brands[0].Email.ReplyTo = "Help <help@acme.example>" }, []string{"brands[0].email.reply_to", `"Help <help@acme.example>"`}},
		{"brand sms from", func(c *Config) { c.Brands[0].SMS.From = "+1 415" }, []string{"brands[0].sms.from", `"+1 415"`}},
		{"brand sms service", func(c *Config) { c.Brands[0].SMS.MessagingServiceSID = "MG1" }, []string{"brands[0].sms.messaging_service_sid", `"MG1"`}},
		{"brand sms both", func(c *Config) {
			c.Brands[0].SMS = BrandSMS{From: "Acme", MessagingServiceSID: "MG" + strings.Repeat("a", 32)}
		}, []string{"brands[0].sms", "not both"}},
		{"brand support url", func(c *Config) { c.Brands[0].Support.URL = "mailto:help@acme.example" }, []string{"brands[0].support.url", `"mailto:help@acme.example"`}},
		{"brand support email", func(c *Config) { c.Brands[0].Support.Email = "help@" }, []string{"brands[0].support.email", `"help@"`}},
		{"brand support phone", func(c *Config) { c.Brands[0].Support.Phone = "555-0199" }, []string{"brands[0].support.phone", `"555-0199"`}},
		{"brand locale missing", func(c *Config) { c.Brands[0].DefaultLocale = "" }, []string{"brands[0].default_locale", "required", `""`}},
		{"brand locale", func(c *Config) { c.Brands[0].DefaultLocale = "english!" }, []string{"brands[0].default_locale", `"english!"`}},
		{"brand locale underscore", func(c *Config) { c.Brands[0].DefaultLocale = "en_US" }, []string{"brands[0].default_locale", `"en_US"`}},
		{"brand time zone missing", func(c *Config) { c.Brands[0].TimeZone = "" }, []string{"brands[0].time_zone", "required", `""`}},
		{"brand time zone", func(c *Config) { c.Brands[0].TimeZone = "Mars/Olympus" }, []string{"brands[0].time_zone", `"Mars/Olympus"`}},
		{"brand dkim selector", func(c *Config) { c.Brands[0].DKIM = &BrandDKIM{KeyFile: notPEM} }, []string{"brands[0].dkim.selector: required"}},
		{"brand dkim not PEM", func(c *Config) { c.Brands[0].DKIM = &BrandDKIM{Selector: "s1", KeyFile: notPEM} }, []string{"brands[0].dkim.key_file", "PEM", notPEM}},
		{"brand dkim key", func(c *Config) { c.Brands[0].DKIM = &BrandDKIM{Selector: "s1", KeyFile: "/nonexistent.pem"} }, []string{"brands[0].dkim.key_file", "cannot read", `"/nonexistent.pem"`}},

		{"default window", func(c *Config) { c.Policies.Default.Window = -3 * day }, []string{`policies.default.window: must be a positive duration, got "-3d"`}},
		{"brand window", func(c *Config) { setBrandPolicy(c, func(p *Policy) { p.Window = -3 * day }) }, []string{`policies.acme.window: must be a positive duration, got "-3d"`}},
		{"coalesce window zero", func(c *Config) { c.Policies.Default.CoalesceWindow = 0 }, []string{"policies.default.coalesce_window", `"0s"`}},
		{"reminder not before deadline", func(c *Config) { setBrandPolicy(c, func(p *Policy) { p.ReminderBefore = 7 * day }) }, []string{"policies.acme.reminder_before", "policies.acme.min_response_time (7d)", `"7d"`}},
		{"max updates negative", func(c *Config) { c.Policies.Default.MaxUpdatesPerDay = -1 }, []string{"policies.default.max_updates_per_day", `"-1"`}},
		{"quiet hours out of range", func(c *Config) { c.Policies.Default.QuietHours = QuietHours{Start: 1500, End: 60} }, []string{"policies.default.quiet_hours", "1500"}},
		{"policy for unknown brand", func(c *Config) { c.Policies.ByBrand = map[string]Policy{"globex": c.Policies.Default} }, []string{"policies.globex", "no brand", "acme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			tt.mutate(c)
			wantProblem(t, problemsOf(t, c.Validate(false)), tt.want...)
		})
	}
}

func setBrandPolicy(c *Config, change func(*Policy)) {
	p := c.Policies.Default
	change(&p)
	c.Policies.ByBrand = map[string]Policy{"acme": p}
}

func TestValidateReportsABadDefaultOnce(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.Policies.Default.Window = -3 * day
	setBrandPolicy(c, func(p *Policy) { p.ReminderBefore = day })
	got := problemsOf(t, c.Validate(false))
	if len(got) != 1 || !strings.HasPrefix(got[0], "policies.default.window:") {
		t.Errorf("problems = %q, want only policies.default.window", got)
	}
}

func TestValidateDemoNeedsNoSigningKey(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.SigningKey = ""
	if err := c.Validate(true); err != nil {
		t.Errorf("Validate(demo) = %v, want nil", err)
	}
	c.SigningKey = "short"
	wantProblem(t, problemsOf(t, c.Validate(true)), "NOTIFYD_SIGNING_KEY", "5 bytes")
}

func TestValidateTwilioBrandSenders(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.TwilioAccountSID = "AC" + strings.Repeat("0123456789abcdef", 2)
	c.TwilioAuthToken = "token"
	c.Brands[0].SMS.MessagingServiceSID = "MG" + strings.Repeat("0123456789abcdef", 2)
	if err := c.Validate(false); err != nil {
		t.Errorf("Validate() = %v, want nil: every brand has its own sender", err)
	}
}

func TestValidateNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.RedisURL = "foo://user:hunter2-redis@x"
	c.DatabaseURL = "mysql://user:hunter2-db@db/x"
	c.SMTPURL = "smtp://user:hunter2-smtp@mail"
	c.SigningKey = "hunter2-key"
	c.CommerceWebhookSecret = "hunter2-webhook"
	err := c.Validate(false)
	problems := problemsOf(t, err)
	if len(problems) != 5 {
		t.Errorf("got %d problems, want 5:\n%v", len(problems), err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a secret is in the problems:\n%v", err)
	}
	wantProblem(t, problems, "NOTIFYD_REDIS_URL", `"foo://user:[redacted]@x"`)
}
