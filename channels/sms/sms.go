// Package sms sends text messages through Twilio's Programmable Messaging API with
// github.com/twilio/twilio-go (api/v2010 CreateMessage).
//
// A Sender picks the brand's sender (messaging service or From number) or the global
// one, asks Twilio to post delivery updates to StatusCallback, and classifies every
// failure for the retry decision (see classify.go and docs/sms.md). NOTIFYD_TWILIO_API_URL
// is honoured with an http.RoundTripper that rewrites scheme and host, because twilio-go
// hard-codes api.twilio.com.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/gsm"
)

// DefaultTimeout bounds one CreateMessage call when Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// BrandSender is one brand's own SMS sender. When either field is set it replaces the
// global sender for that brand's messages.
type BrandSender struct {
	From                string // E.164 number, short code or alphanumeric sender id
	MessagingServiceSID string // MG…
}

func (b BrandSender) empty() bool { return b.From == "" && b.MessagingServiceSID == "" }

// Config configures a Sender. AccountSID, AuthToken and a sender (global or per brand)
// are required.
type Config struct {
	AccountSID, AuthToken string
	// MessagingServiceSID or From is the global sender (set one).
	MessagingServiceSID, From string
	// Brands holds per-brand senders by brand id (Message.Brand); they override the
	// global sender.
	Brands map[string]BrandSender
	// APIURL replaces Twilio's base URL (NOTIFYD_TWILIO_API_URL), e.g. a proxy or a
	// fake. Its scheme and host replace api.twilio.com's; a path is prefixed.
	APIURL string
	// StatusCallback is where Twilio posts delivery status:
	// NOTIFYD_PUBLIC_URL + "/webhooks/twilio/status". Empty sends none.
	StatusCallback string
	// Timeout bounds one send, connection to last byte; DefaultTimeout when zero.
	Timeout time.Duration
	// Logger receives configuration errors at ERROR level; none when nil.
	Logger *slog.Logger
}

// Sender sends SMS through Twilio. It is safe for concurrent use.
type Sender struct {
	creds          *client.Credentials
	accountSID     string
	global         BrandSender
	brands         map[string]BrandSender
	statusCallback string
	timeout        time.Duration
	transport      http.RoundTripper // shared: one connection pool for all sends
	log            *slog.Logger
}

var _ channels.Sender = (*Sender)(nil)

// New checks cfg and returns a Sender.
func New(cfg Config) (*Sender, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("sms: new sender: %w", err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64 // the default 2 makes concurrent workers redial
	var rt http.RoundTripper = base
	if cfg.APIURL != "" {
		u, _ := url.Parse(cfg.APIURL) // checked by validate
		rt = &rewriteTransport{target: u, next: base}
	}
	s := &Sender{
		creds:          client.NewCredentials(cfg.AccountSID, cfg.AuthToken),
		accountSID:     cfg.AccountSID,
		global:         BrandSender{From: cfg.From, MessagingServiceSID: cfg.MessagingServiceSID},
		brands:         make(map[string]BrandSender, len(cfg.Brands)),
		statusCallback: cfg.StatusCallback,
		timeout:        cfg.Timeout,
		transport:      rt,
		log:            cfg.Logger,
	}
	for id, b := range cfg.Brands {
		if !b.empty() {
			s.brands[id] = b
		}
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

func (c Config) validate() error {
	var errs []error
	if c.AccountSID == "" {
		errs = append(errs, errors.New("NOTIFYD_TWILIO_ACCOUNT_SID: required"))
	}
	if c.AuthToken == "" {
		errs = append(errs, errors.New("NOTIFYD_TWILIO_AUTH_TOKEN: required"))
	}
	if c.From == "" && c.MessagingServiceSID == "" && !anyBrandSender(c.Brands) {
		errs = append(errs, errors.New("NOTIFYD_TWILIO_MESSAGING_SERVICE_SID or NOTIFYD_TWILIO_FROM: required when no brand has its own SMS sender"))
	}
	if c.APIURL != "" && !absoluteHTTP(c.APIURL) {
		// The value is not echoed: a proxy URL may carry a password.
		errs = append(errs, errors.New("NOTIFYD_TWILIO_API_URL: must be an absolute http(s) URL"))
	}
	if c.StatusCallback != "" && !absoluteHTTP(c.StatusCallback) {
		errs = append(errs, fmt.Errorf("status callback: must be an absolute http(s) URL, got %q", c.StatusCallback))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must not be negative, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

func anyBrandSender(brands map[string]BrandSender) bool {
	for _, b := range brands {
		if !b.empty() {
			return true
		}
	}
	return false
}

func absoluteHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// senderFor returns the brand's sender, else the global one.
func (s *Sender) senderFor(brand string) BrandSender {
	if b, ok := s.brands[brand]; ok {
		return b
	}
	return s.global
}

// Send asks Twilio to send m.Text to m.To. The Receipt carries the Message SID and
// the segment count. Failures are *channels.Error values; see classify.
func (s *Sender) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	from := s.senderFor(m.Brand)
	if from.empty() {
		err := fmt.Errorf("sms: send %s: no SMS sender for brand %q", m.ID, m.Brand)
		s.log.ErrorContext(ctx, "sms: no sender configured", logAttrs(m)...)
		return channels.Receipt{}, channels.ConfigError("", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel() // also closes error responses twilio-go leaves unclosed
	rt := &callTransport{ctx: ctx, next: s.transport}
	msg, err := s.api(rt).CreateMessage(s.params(m, from))
	if err != nil {
		return channels.Receipt{}, s.classify(ctx, m, rt.status, err)
	}
	return receipt(msg, m.Text), nil
}

// api returns a CreateMessage client whose requests run under rt (this call's
// context). It is cheap: the connection pool lives in s.transport.
func (s *Sender) api(rt *callTransport) *twapi.ApiService {
	c := &client.Client{
		Credentials: s.creds,
		HTTPClient: &http.Client{
			Transport: rt,
			// As twilio-go's default client: return a redirect, never follow it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(s.accountSID)
	return twapi.NewApiServiceWithClient(c)
}

func (s *Sender) params(m *channels.Message, from BrandSender) *twapi.CreateMessageParams {
	p := (&twapi.CreateMessageParams{}).SetTo(m.To).SetBody(m.Text)
	if from.MessagingServiceSID != "" {
		p.SetMessagingServiceSid(from.MessagingServiceSID)
	}
	if from.From != "" {
		p.SetFrom(from.From)
	}
	if s.statusCallback != "" {
		p.SetStatusCallback(s.statusCallback)
	}
	return p
}

// receipt turns Twilio's answer into a Receipt. A message sent through a messaging
// service reports num_segments "0" until a sender is assigned; the count of the body
// (gsm.Segments, as Twilio counts) stands in for it then.
func receipt(msg *twapi.ApiV2010Message, body string) channels.Receipt {
	r := channels.Receipt{AcceptedAt: time.Now().UTC()}
	if msg.Sid != nil {
		r.ProviderID = *msg.Sid
	}
	if msg.DateCreated != nil {
		if t, err := time.Parse(time.RFC1123Z, *msg.DateCreated); err == nil {
			r.AcceptedAt = t.UTC()
		}
	}
	if msg.NumSegments != nil {
		r.Segments, _ = strconv.Atoi(*msg.NumSegments)
	}
	if r.Segments <= 0 {
		r.Segments, _ = gsm.Segments(body)
	}
	return r
}

// logAttrs identifies m in logs without its recipient or body.
func logAttrs(m *channels.Message) []any {
	return []any{
		slog.String("channel", channels.SMS),
		slog.String("notification_id", m.ID),
		slog.String("kind", m.Kind),
		slog.String("order_id", m.OrderID),
		slog.String("brand", m.Brand),
	}
}
