// Package email sends notifyd's email. Build turns a channels.Message into a go-mail
// message, the one place headers are set, so the outbox and SMTP write the same bytes.
// Sender delivers those messages over SMTP through a pool of go-mail connections,
// DKIM-signs them per brand, and classifies failures as permanent or temporary.
package email

import (
	"fmt"
	"slices"
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

// One-click unsubscribe headers (RFC 2369, RFC 8058). Callers put them in
// channels.Message.Headers; Build writes them verbatim and Sender always DKIM-signs them.
const (
	HeaderListUnsubscribe     = "List-Unsubscribe"
	HeaderListUnsubscribePost = "List-Unsubscribe-Post"
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
	setExtraHeaders(msg, m.Headers)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// setExtraHeaders writes the caller's headers in a stable order. List-Unsubscribe is
// written preformatted, exactly as given (no folding, no encoding): go-mail's
// SetListUnsubscribeOneClick refuses non-https URLs. List-Unsubscribe-Post is a single
// token, which go-mail writes unchanged. Only one header may be preformatted, because
// go-mail writes those in map order and the outbox must stay byte-for-byte stable.
func setExtraHeaders(msg *mail.Msg, headers map[string]string) {
	keys := make([]string, 0, len(headers))
	for k := range headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := oneLine(headers[k])
		switch {
		case strings.EqualFold(k, HeaderListUnsubscribe):
			msg.SetGenHeaderPreformatted(HeaderListUnsubscribe, v)
		case strings.EqualFold(k, HeaderListUnsubscribePost):
			msg.SetGenHeader(HeaderListUnsubscribePost, v)
		default:
			msg.SetGenHeader(mail.Header(oneLine(k)), v)
		}
	}
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
