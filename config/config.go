// Package config loads notifyd's configuration (CONTRACT.md §2) from the environment and
// the optional YAML file named by NOTIFYD_CONFIG, once, and validates it once. Every
// invalid key is reported with its name and bad value, all at once.
//
// The package imports no other package of notifyd.
package config

import (
	"log/slog"
	"time"
)

// Config is the effective configuration.
type Config struct {
	ConfigFile  string // NOTIFYD_CONFIG
	RedisURL    string // NOTIFYD_REDIS_URL
	DatabaseURL string // NOTIFYD_DATABASE_URL

	SMTPURL  string // NOTIFYD_SMTP_URL; "" disables email
	SMTPPool int    // NOTIFYD_SMTP_POOL

	DKIM DKIM // NOTIFYD_DKIM_DOMAIN, _SELECTOR, _KEY_FILE

	TwilioAccountSID          string // NOTIFYD_TWILIO_ACCOUNT_SID
	TwilioAuthToken           string // NOTIFYD_TWILIO_AUTH_TOKEN (secret)
	TwilioMessagingServiceSID string // NOTIFYD_TWILIO_MESSAGING_SERVICE_SID
	TwilioFrom                string // NOTIFYD_TWILIO_FROM
	TwilioAPIURL              string // NOTIFYD_TWILIO_API_URL

	HTTPAddr  string // NOTIFYD_HTTP_ADDR
	PublicURL string // NOTIFYD_PUBLIC_URL

	SigningKey         string // NOTIFYD_SIGNING_KEY (secret, ≥ 32 bytes; required outside demo)
	SigningKeyPrevious string // NOTIFYD_SIGNING_KEY_PREVIOUS (secret)

	TemplatesDir string // NOTIFYD_TEMPLATES_DIR
	OutboxDir    string // NOTIFYD_OUTBOX_DIR

	CommerceWebhookURL    string // NOTIFYD_COMMERCE_WEBHOOK_URL
	CommerceWebhookSecret string // NOTIFYD_COMMERCE_WEBHOOK_SECRET (secret, whsec_<base64>)

	Concurrency int           // NOTIFYD_CONCURRENCY
	EmailRate   float64       // NOTIFYD_EMAIL_RATE, messages per second
	SMSRate     float64       // NOTIFYD_SMS_RATE
	Retention   time.Duration // NOTIFYD_RETENTION (accepts d for days)

	LogLevel  slog.Level // NOTIFYD_LOG_LEVEL
	LogFormat string     // NOTIFYD_LOG_FORMAT: json | text

	// From the YAML file.
	Brands   []Brand
	Policies Policies
}

// DKIM is a DKIM signing setup.
type DKIM struct {
	Domain   string
	Selector string
	KeyFile  string
}

// Brand is one brand from the YAML file (key names fixed by CONTRACT.md §2).
type Brand struct {
	ID            string      `yaml:"id"`
	Name          string      `yaml:"name"`
	LogoURL       string      `yaml:"logo_url"`
	Colors        BrandColors `yaml:"colors"`
	Email         BrandEmail  `yaml:"email"`
	SMS           BrandSMS    `yaml:"sms"`
	Support       Support     `yaml:"support"`
	PostalAddress string      `yaml:"postal_address"`
	DefaultLocale string      `yaml:"default_locale"`
	TimeZone      string      `yaml:"time_zone"`
	DKIM          *BrandDKIM  `yaml:"dkim"`
}

// BrandColors are the brand's theme colours (#rrggbb).
type BrandColors struct {
	Primary    string `yaml:"primary"`
	Text       string `yaml:"text"`
	Background string `yaml:"background"`
}

// BrandEmail is the brand's sender identity.
type BrandEmail struct {
	From     string `yaml:"from"`
	FromName string `yaml:"from_name"`
	ReplyTo  string `yaml:"reply_to"`
}

// BrandSMS is the brand's SMS sender.
type BrandSMS struct {
	SenderName          string `yaml:"sender_name"`
	From                string `yaml:"from"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
}

// Support is how customers reach the brand.
type Support struct {
	URL   string `yaml:"url"`
	Email string `yaml:"email"`
	Phone string `yaml:"phone"`
}

// BrandDKIM overrides the global DKIM key for one brand (domain: the From domain).
type BrandDKIM struct {
	Selector string `yaml:"selector"`
	KeyFile  string `yaml:"key_file"`
}

// Policy is the shipping-promise policy (CONTRACT.md §8) with every key resolved.
type Policy struct {
	Window                time.Duration
	SilentConsentMaxDelay time.Duration
	MinResponseTime       time.Duration
	ReminderBefore        time.Duration
	CoalesceWindow        time.Duration
	QuietHours            QuietHours // zero value: disabled
	DedupTTL              time.Duration
	MaxUpdatesPerDay      int
	MaterialETAChange     time.Duration
}

// QuietHours is a daily span in the customer's local time, e.g. 21:00-08:00. Start and
// End are minutes after midnight; Start == End means disabled.
type QuietHours struct {
	Start, End int
}

// Enabled reports whether quiet hours are configured.
func (q QuietHours) Enabled() bool { return q.Start != q.End }

// Policies holds the default policy and each brand's fully resolved policy.
type Policies struct {
	Default Policy
	ByBrand map[string]Policy
}

// For returns the policy of brand: its own entry resolved over the default, or the
// default.
func (p Policies) For(brand string) Policy {
	if bp, ok := p.ByBrand[brand]; ok {
		return bp
	}
	return p.Default
}

// Brand returns the brand with that id.
func (c *Config) Brand(id string) (*Brand, bool) {
	for i := range c.Brands {
		if c.Brands[i].ID == id {
			return &c.Brands[i], true
		}
	}
	return nil, false
}

// BrandIDs returns the set of configured brand ids.
func (c *Config) BrandIDs() map[string]bool {
	ids := make(map[string]bool, len(c.Brands))
	for _, b := range c.Brands {
		ids[b.ID] = true
	}
	return ids
}

// SMTPEnabled reports whether email goes out over SMTP (NOTIFYD_SMTP_URL is set).
func (c *Config) SMTPEnabled() bool { return c.SMTPURL != "" }

// TwilioEnabled reports whether SMS goes out through Twilio (NOTIFYD_TWILIO_ACCOUNT_SID is
// set; Validate then requires the rest).
func (c *Config) TwilioEnabled() bool { return c.TwilioAccountSID != "" }
