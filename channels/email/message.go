// Package email sends notifyd's email. Build turns a channels.Message into a go-mail
// message, the one place headers are set, so the outbox and SMTP write the same bytes.
package email

import (
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/notifyd/notifyd/channels"
)

// Headers every notifyd email carries (CONTRACT.md §1).
const (
	HeaderNotificationID = "X-Notifyd-Notification-Id"
	HeaderKind           = "X-Notifyd-Kind"
	HeaderOrderID        = "X-Notifyd-Order-Id"
)

// MessageID derives the RFC 5322 Message-ID from the notification id and the sender's
// domain, so a retry of the same notification carries the same Message-ID.
func MessageID(notificationID, from string) string {
	domain := "notifyd.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	return notificationID + "@" + domain
}

// Build returns the complete email for m: multipart/alternative (text, then HTML) when
// m.HTML is set, plain text otherwise.
func Build(m *channels.Message) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(m.FromName, m.From); err != nil {
		return nil, channels.Permanent("", fmt.Errorf("email %s: from %q: %w", m.ID, m.From, err))
	}
	if err := msg.To(m.To); err != nil {
		return nil, channels.Permanent("", fmt.Errorf("email %s: to: %w", m.ID, err))
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, channels.Permanent("", fmt.Errorf("email %s: reply-to %q: %w", m.ID, m.ReplyTo, err))
		}
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageIDWithValue(MessageID(m.ID, m.From))
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	msg.SetGenHeader(HeaderNotificationID, m.ID)
	msg.SetGenHeader(HeaderKind, m.Kind)
	msg.SetGenHeader(HeaderOrderID, oneLine(m.OrderID))
	for k, v := range m.Headers {
		msg.SetGenHeader(mail.Header(k), oneLine(v))
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// oneLine removes CR and LF so that no data can start a new header.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}
