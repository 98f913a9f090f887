package email

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	mail "github.com/wneessen/go-mail"
)

// longAgo is a deadline in the past: setting it makes every blocked read and write on
// the connection return at once.
var longAgo = time.Unix(1, 0)

// newClient configures the go-mail Client that every pooled session is dialled with.
// The Client itself never holds a connection: the pool does.
func newClient(t target, cfg Config, d *dialer) (*mail.Client, error) {
	opts := []mail.Option{
		mail.WithPort(t.port),
		mail.WithTimeout(cfg.SendTimeout),
		mail.WithTLSConfig(d.tls),
		mail.WithDialContextFunc(d.dialContext),
	}
	if t.tls == TLSStartTLS {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	} else {
		// none, or implicit: then the dialer speaks TLS from the first byte.
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if t.auth {
		// PLAIN and LOGIN only go over TLS (or to localhost): go-mail's smtp package
		// refuses them on a clear connection to another host.
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthPlain, mail.SMTPAuthLogin,
				mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthCramMD5),
			mail.WithUsername(t.user), mail.WithPassword(t.pass))
	}
	c, err := mail.NewClient(t.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client for %s: %w", t.addr(), err)
	}
	return c, nil
}

// dialer opens the TCP (or implicit TLS) connections beneath go-mail's sessions and
// hands the raw connection back to the pool through the dial context, so the pool can
// bound every exchange with the caller's context and close sessions hard.
type dialer struct {
	implicitTLS bool
	tls         *tls.Config
	net         net.Dialer
}

func newDialer(t target, cfg Config) *dialer {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = t.host
	}
	return &dialer{implicitTLS: t.tls == TLSImplicit, tls: tc}
}

// dialSlot carries the raw connection out of go-mail's DialToSMTPClientWithContext.
type dialSlot struct {
	parent context.Context // the caller's context, which outlives go-mail's dial context
	raw    net.Conn
	stop   func() bool // stops the watcher that aborts the handshake on parent's end
}

type dialSlotKey struct{}

func (d *dialer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := d.net.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	slot, _ := ctx.Value(dialSlotKey{}).(*dialSlot)
	if slot != nil {
		slot.raw = raw
		slot.stop = context.AfterFunc(slot.parent, func() { _ = raw.SetDeadline(longAgo) })
	}
	if !d.implicitTLS {
		return raw, nil
	}
	tc := tls.Client(raw, d.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return tc, nil
}

// dial opens one SMTP session: connect, EHLO, STARTTLS and AUTH as configured, all
// bounded by ctx and by SendTimeout.
func (s *Sender) dial(ctx context.Context) (*conn, error) {
	slot := &dialSlot{parent: ctx}
	client, err := s.client.DialToSMTPClientWithContext(context.WithValue(ctx, dialSlotKey{}, slot))
	if slot.stop != nil && !slot.stop() && err == nil { // ctx ended during the handshake
		_ = client.Close()
		err = ctx.Err()
	}
	if err != nil {
		if slot.raw != nil { // go-mail leaves the connection open when EHLO or AUTH fail
			_ = slot.raw.Close()
		}
		return nil, fmt.Errorf("smtp dial %s: %w", s.addr, err)
	}
	s.log.Debug("smtp connection opened", "channel", "email", "server", s.addr)
	return &conn{smtp: client, raw: slot.raw}, nil
}
