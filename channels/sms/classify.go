package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"

	"github.com/twilio/twilio-go/client"

	"github.com/notifyd/notifyd/channels"
)

// Twilio error codes with a meaning for the retry decision.
// https://www.twilio.com/docs/api/errors
const (
	CodeAuthenticate      = 20003 // bad AccountSid / AuthToken
	CodeTooManyRequests   = 20429 // rate limited
	CodeInvalidTo         = 21211 // 'To' is not a valid phone number
	CodeRegionNotEnabled  = 21408 // geo permissions do not allow the 'To' country
	CodeUnsubscribed      = 21610 // the recipient replied STOP
	CodeFromNotSMSCapable = 21606 // 'From' cannot send SMS
	CodeQueueFull         = 21611 // the 'From' number's queue is full
	CodeUnreachable       = 21612 // 'To' not reachable from this 'From'
	CodeNotMobile         = 21614 // 'To' is not a mobile number
)

type class int

const (
	classTemporary class = iota
	classPermanent       // this recipient, this message
	classSuppress        // permanent, and suppress the recipient
	classConfig          // permanent, notifyd's own setup is wrong
)

var codeClass = map[int]class{
	CodeInvalidTo:         classPermanent,
	CodeUnreachable:       classPermanent,
	CodeNotMobile:         classPermanent,
	CodeUnsubscribed:      classSuppress,
	CodeAuthenticate:      classConfig,
	CodeRegionNotEnabled:  classConfig,
	CodeFromNotSMSCapable: classConfig,
	CodeTooManyRequests:   classTemporary,
	CodeQueueFull:         classTemporary,
}

// classOf decides for a Twilio error: known codes by the table; then 429 and 5xx are
// temporary; any other 4xx is permanent (the same request gets the same answer).
func classOf(e *client.TwilioRestError) class {
	if c, ok := codeClass[e.Code]; ok {
		return c
	}
	switch {
	case e.Status == http.StatusTooManyRequests || e.Status >= 500:
		return classTemporary
	case e.Status >= 400:
		return classPermanent
	}
	return classTemporary
}

// classify turns a CreateMessage failure into a *channels.Error. Anything that is not
// a Twilio error body — network failures, timeouts, cancellation, a non-JSON body
// such as a proxy's HTML 502 — is temporary, with the HTTP status as Code if one came.
func (s *Sender) classify(ctx context.Context, m *channels.Message, status int, err error) error {
	var te *client.TwilioRestError
	if !errors.As(err, &te) {
		code := ""
		if status != 0 {
			code = strconv.Itoa(status)
		}
		return channels.Temporary(code, fmt.Errorf("sms: send %s: %w", m.ID, err))
	}
	code := strconv.Itoa(te.Code)
	if te.Code == 0 {
		code = strconv.Itoa(te.Status)
	}
	wrapped := fmt.Errorf("sms: send %s: %w", m.ID, &restError{te})
	switch classOf(te) {
	case classPermanent:
		return channels.Permanent(code, wrapped)
	case classSuppress:
		return channels.Suppression(code, wrapped)
	case classConfig:
		s.logConfigError(ctx, m, te)
		return channels.ConfigError(code, wrapped)
	}
	return channels.Temporary(code, wrapped)
}

// logConfigError reports loudly a failure only an operator can fix. Twilio's message
// often quotes phone numbers, so only the code, status and documentation link go out.
func (s *Sender) logConfigError(ctx context.Context, m *channels.Message, te *client.TwilioRestError) {
	from := s.senderFor(m.Brand)
	attrs := append(logAttrs(m),
		slog.Int("twilio_code", te.Code),
		slog.Int("http_status", te.Status),
		slog.String("more_info", te.MoreInfo),
		slog.String("account_sid", s.accountSID),
		slog.String("messaging_service_sid", from.MessagingServiceSID),
		slog.Bool("brand_sender", s.brands[m.Brand] != (BrandSender{})),
	)
	s.log.ErrorContext(ctx, "sms: Twilio rejected notifyd's configuration; SMS cannot be sent until it is fixed", attrs...)
}

// phoneRE matches what could be a phone number inside Twilio's error message.
var phoneRE = regexp.MustCompile(`\+?[0-9][0-9 ().-]{5,}[0-9]`)

// restError is a Twilio error whose text has phone numbers redacted, so that the
// error can be logged and stored; errors.As still reaches the *client.TwilioRestError.
type restError struct{ err *client.TwilioRestError }

func (e *restError) Error() string {
	msg := phoneRE.ReplaceAllString(e.err.Message, "[number]")
	return fmt.Sprintf("twilio: HTTP %d, error %d: %s (%s)", e.err.Status, e.err.Code, msg, e.err.MoreInfo)
}

func (e *restError) Unwrap() error { return e.err }
