package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/notifyd/notifyd/channels"
)

var _ channels.Sender = (*Sender)(nil)

// Sender delivers email over SMTP. go-mail's Client holds one connection and
// serialises Send behind a mutex, so Sender keeps its own pool of sessions dialled with
// DialToSMTPClientWithContext and used with SendWithSMTPClient, one goroutine per
// session at a time. It is safe for concurrent use.
type Sender struct {
	client  *mail.Client // configuration and dialling only; holds no connection
	pool    *pool
	addr    string // host:port, for errors and logs
	timeout time.Duration
	dkim    dkimKeys
	log     *slog.Logger
}

// New validates cfg and returns a Sender. It does not connect: sessions are dialled on
// the first sends, up to cfg.PoolSize.
func New(cfg Config) (*Sender, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("email sender: %w", err)
	}
	t, err := parseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("email sender: smtp url: %w", err)
	}
	keys, err := parseDKIM(cfg.DKIM, cfg.DefaultDKIM)
	if err != nil {
		return nil, fmt.Errorf("email sender: %w", err)
	}
	client, err := newClient(t, cfg, newDialer(t, cfg))
	if err != nil {
		return nil, fmt.Errorf("email sender: %w", err)
	}
	s := &Sender{
		client:  client,
		addr:    t.addr(),
		timeout: cfg.SendTimeout,
		dkim:    keys,
		log:     cfg.Logger,
	}
	s.pool = newPool(cfg.PoolSize, s.dial)
	return s, nil
}

// Send builds m, signs it with its brand's DKIM key and delivers it within SendTimeout.
// The receipt's ProviderID is the Message-ID. Errors are *channels.Error: permanent for
// 5xx replies and bad addresses (with Suppress for a 5.1.x rejection at RCPT), temporary
// for 4xx replies and connection failures.
func (s *Sender) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	msg, err := s.message(m)
	if err != nil {
		return channels.Receipt{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.deliver(ctx, msg); err != nil {
		return channels.Receipt{}, classify(ctx, fmt.Sprintf("email %s", m.ID), err)
	}
	return channels.Receipt{ProviderID: MessageID(m.ID, m.From), AcceptedAt: time.Now()}, nil
}

// Close ends the idle sessions with QUIT; sessions still sending are closed when their
// send returns. Send fails with a temporary error afterwards.
func (s *Sender) Close() error {
	s.pool.close()
	return nil
}

// message is Build plus the brand's DKIM signer.
func (s *Sender) message(m *channels.Message) (*mail.Msg, error) {
	msg, err := Build(m)
	if err != nil {
		return nil, err
	}
	if key := s.dkim.forBrand(m.Brand); key != nil {
		msg.SetDKIM(key.signer(m))
	}
	return msg, nil
}

// deliver sends msg on a pooled session. When a session taken from the idle list turns
// out to have been dropped by the server before anything was accepted, it is redialled
// once and the send repeated; every other failure is returned.
func (s *Sender) deliver(ctx context.Context, msg *mail.Msg) error {
	c, err := s.pool.get(ctx)
	if err != nil {
		return err
	}
	for retried := false; ; retried = true {
		err = s.sendOn(ctx, c, msg)
		switch {
		case err == nil && !c.tainted:
			s.pool.put(c)
			return nil
		case err == nil || msg.IsDelivered(): // accepted; only the RSET after it failed
			s.pool.discard(c)
			return nil
		case retried || !c.reused || !droppedBeforeData(err) || ctx.Err() != nil:
			s.pool.discard(c)
			return err
		}
		s.log.Debug("smtp connection dropped by the server; redialling",
			"channel", "email", "server", s.addr)
		s.pool.dropIdle()
		if c, err = s.pool.replace(ctx, c); err != nil {
			return err
		}
	}
}

// sendOn sends msg on c. go-mail's SendWithSMTPClient takes no context, so the end of
// ctx moves the connection's deadline into the past, failing any blocked read or write.
func (s *Sender) sendOn(ctx context.Context, c *conn, msg *mail.Msg) error {
	_ = c.raw.SetDeadline(time.Now().Add(s.timeout)) // an idle session's deadline has passed
	stop := context.AfterFunc(ctx, func() { _ = c.raw.SetDeadline(longAgo) })
	err := s.client.SendWithSMTPClient(c.smtp, msg)
	if !stop() {
		c.tainted = true // the deadline was (or is being) poisoned: never reuse
	}
	return err
}

// droppedBeforeData reports whether err says the session was gone (no SMTP reply, code
// 0) before the server could have accepted the message, so sending again is safe.
func droppedBeforeData(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) || se.ErrorCode() != 0 {
		return false
	}
	return slices.Contains([]mail.SendErrReason{
		mail.ErrConnCheck, mail.ErrSMTPMailFrom, mail.ErrSMTPRcptTo, mail.ErrSMTPData,
	}, se.Reason)
}
