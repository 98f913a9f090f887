// Package channels defines how a decided message leaves notifyd: a Message, a Sender
// that delivers it and returns a Receipt, and errors that say whether a retry can help.
// The senders live in sub-packages: email (SMTP via go-mail), sms (Twilio) and outbox
// (files, for the demo and development).
//
// The package imports no other package of notifyd.
package channels

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Channel names.
const (
	Email = "email"
	SMS   = "sms"
)

// Message is one rendered message for one recipient on one channel.
type Message struct {
	// ID is the notification id; email derives its Message-ID from it so a retry
	// carries the same id.
	ID      string
	Kind    string
	OrderID string
	Brand   string
	Channel string
	// To is an email address or an E.164 phone number.
	To string
	// From and FromName are the sender; ReplyTo is optional (email only).
	From     string
	FromName string
	ReplyTo  string
	Subject  string
	Text     string // text part of an email, or the SMS body
	HTML     string // HTML part of an email, may be empty
	// Headers are extra email headers (List-Unsubscribe…), already safe values.
	Headers map[string]string
	// Date is the message date; zero means now.
	Date time.Time
}

// Receipt is what a provider said when it accepted a message.
type Receipt struct {
	ProviderID string // Message-ID, Twilio SID, or outbox path
	AcceptedAt time.Time
	Segments   int // SMS only
}

// Sender delivers messages of one channel.
type Sender interface {
	Send(ctx context.Context, m *Message) (Receipt, error)
}

// Error is a send failure classified for the retry decision.
type Error struct {
	Permanent bool
	Code      string // provider code (SMTP reply code, Twilio error code), if any
	// Suppress asks for the recipient to be put on the suppression list: a hard bounce
	// (SMTP 5.1.x at RCPT) or an SMS recipient who replied STOP (Twilio 21610).
	Suppress bool
	// Config marks a failure of notifyd's own setup (bad credentials, sender not
	// allowed): permanent for this message and logged loudly.
	Config bool
	Err    error
}

func (e *Error) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	if e.Code != "" {
		return fmt.Sprintf("%s failure (code %s): %v", kind, e.Code, e.Err)
	}
	return fmt.Sprintf("%s failure: %v", kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as a failure a retry cannot fix.
func Permanent(code string, err error) error { return &Error{Permanent: true, Code: code, Err: err} }

// Temporary marks err as a failure a later retry may fix.
func Temporary(code string, err error) error { return &Error{Code: code, Err: err} }

// Suppression marks err as permanent and asks for the recipient to be suppressed.
func Suppression(code string, err error) error {
	return &Error{Permanent: true, Suppress: true, Code: code, Err: err}
}

// ConfigError marks err as a permanent failure of notifyd's own configuration.
func ConfigError(code string, err error) error {
	return &Error{Permanent: true, Config: true, Code: code, Err: err}
}

// IsPermanent reports whether err is classified permanent. Unclassified errors are
// temporary: retrying an unknown failure is safer than dropping the message.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}
