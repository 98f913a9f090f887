package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/notifyd/notifyd/channels"
)

// classify turns a delivery failure into a *channels.Error (see docs/email.md):
//
//	5.1.x at RCPT                         permanent, suppress the address
//	other 5xx reply                       permanent
//	4xx reply                             temporary
//	no reply: dropped connection, write   temporary (go-mail reports code 0, not temporary)
//	failure, timeout, refused dial
//	bad sender or recipient address       permanent
//	5xx at connect/EHLO/AUTH, bad TLS     permanent, configuration error
//	certificate, no STARTTLS or AUTH
//
// Code is the SMTP reply code, followed by the enhanced status code when the server
// sent one ("550 5.1.1").
func classify(ctx context.Context, op string, err error) error {
	var ce *channels.Error
	if errors.As(err, &ce) {
		return err
	}
	var se *mail.SendError
	if errors.As(err, &se) {
		return classifySendError(ctx, op, se)
	}
	return classifySessionError(ctx, op, err)
}

func classifySendError(ctx context.Context, op string, se *mail.SendError) error {
	code, esc := se.ErrorCode(), se.EnhancedStatusCode()
	c := replyCode(code, esc)
	err := fmt.Errorf("%s: smtp %s: %s", op, se.Reason, serverText(se))
	switch {
	case code >= 500 && se.Reason == mail.ErrSMTPRcptTo && strings.HasPrefix(esc, "5.1."):
		return channels.Suppression(c, err)
	case code >= 500:
		return channels.Permanent(c, err)
	case code >= 400:
		return channels.Temporary(c, err)
	case se.Reason == mail.ErrGetSender || se.Reason == mail.ErrGetRcpts ||
		se.Reason == mail.ErrNoUnencoded:
		return channels.Permanent("", err)
	case ctx.Err() != nil:
		return channels.Temporary("", fmt.Errorf("%w (%w)", err, ctx.Err()))
	default: // the session broke without a reply
		return channels.Temporary("", err)
	}
}

// classifySessionError handles failures to open a session: dial, TLS, EHLO, AUTH.
func classifySessionError(ctx context.Context, op string, err error) error {
	err = fmt.Errorf("%s: %w", op, err)
	var te *textproto.Error
	if errors.As(err, &te) {
		c := strconv.Itoa(te.Code)
		if te.Code >= 500 {
			return channels.ConfigError(c, err)
		}
		return channels.Temporary(c, err)
	}
	if isConfigError(err) {
		return channels.ConfigError("", err)
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return channels.Temporary("", err)
}

// isConfigError reports failures that only a change of notifyd's configuration or the
// server's can fix. go-mail has no sentinel for a missing STARTTLS or AUTH extension,
// hence the two texts.
func isConfigError(err error) bool {
	var (
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr):
		return true
	case errors.Is(err, smtp.ErrUnencrypted), errors.Is(err, mail.ErrNoSupportedAuthDiscovered),
		errors.Is(err, mail.ErrPlainAuthNotSupported), errors.Is(err, mail.ErrLoginAuthNotSupported):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "does not support STARTTLS") ||
		strings.Contains(msg, "does not support SMTP AUTH")
}

func replyCode(code int, esc string) string {
	switch {
	case code == 0:
		return ""
	case esc == "":
		return strconv.Itoa(code)
	default:
		return strconv.Itoa(code) + " " + esc
	}
}

// serverText is go-mail's description of the failure without the recipient list, which
// would put an address into logs.
func serverText(se *mail.SendError) string {
	text := se.Error()
	if i := strings.Index(text, ", affected recipient(s): "); i >= 0 {
		rest := text[i:]
		text = text[:i]
		if j := strings.Index(rest, ", affected message ID: "); j >= 0 {
			text += rest[j:]
		}
	}
	return strings.TrimPrefix(text, se.Reason.String()+": ")
}
