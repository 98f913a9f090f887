package email

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"
)

// Defaults for Config.
const (
	DefaultPoolSize    = 4
	DefaultSendTimeout = 30 * time.Second
	MaxPoolSize        = 64
)

// TLS modes of NOTIFYD_SMTP_URL's tls parameter.
const (
	TLSStartTLS = "starttls" // plain connect, then STARTTLS (required); default for smtp://
	TLSImplicit = "implicit" // TLS from the first byte; default for smtps://
	TLSNone     = "none"     // no TLS (local relays and tests)
)

// DKIMKey signs one brand's mail: d=Domain, s=Selector, with an RSA or Ed25519 private
// key in PEM (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY").
type DKIMKey struct {
	Domain   string
	Selector string
	KeyPEM   []byte
}

// Config configures a Sender.
type Config struct {
	// URL is NOTIFYD_SMTP_URL: smtp://user:pass@host:port?tls=starttls|implicit|none;
	// smtps:// means tls=implicit. The port defaults to 587, 465 or 25 by mode.
	URL string
	// PoolSize is NOTIFYD_SMTP_POOL, the most SMTP connections open at once (default 4).
	PoolSize int
	// SendTimeout bounds every send, including a dial it needs (default 30s).
	SendTimeout time.Duration
	// DKIM holds signing keys by brand id (channels.Message.Brand); a brand without one
	// uses DefaultDKIM; with neither, mail goes out unsigned.
	DKIM        map[string]DKIMKey
	DefaultDKIM *DKIMKey
	// TLSConfig is used for STARTTLS and implicit TLS; optional (tests, private CAs).
	TLSConfig *tls.Config
	// Logger receives debug records about connections; no addresses, no bodies.
	Logger *slog.Logger
}

// target is a parsed NOTIFYD_SMTP_URL.
type target struct {
	host, user, pass string
	port             int
	auth             bool
	tls              string
}

func (t target) addr() string { return net.JoinHostPort(t.host, strconv.Itoa(t.port)) }

// parseURL parses a NOTIFYD_SMTP_URL value. Errors never repeat the password.
func parseURL(raw string) (target, error) {
	var t target
	u, err := url.Parse(raw)
	if err != nil {
		return t, errors.New("not a URL") // url.Error would quote the password
	}
	switch u.Scheme {
	case "smtp":
		t.tls = TLSStartTLS
	case "smtps":
		t.tls = TLSImplicit
	default:
		return t, fmt.Errorf("scheme must be smtp or smtps, got %q", u.Scheme)
	}
	if err := t.setTLS(u); err != nil {
		return t, err
	}
	if t.host = u.Hostname(); t.host == "" {
		return t, errors.New("host is missing")
	}
	if t.port, err = port(u.Port(), t.tls); err != nil {
		return t, err
	}
	if u.User != nil {
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
		t.auth = t.user != ""
	}
	if u.Path != "" && u.Path != "/" {
		return t, fmt.Errorf("unexpected path %q", u.Path)
	}
	return t, nil
}

func (t *target) setTLS(u *url.URL) error {
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return fmt.Errorf("unknown parameter %q (only tls is known)", k)
		}
	}
	mode := q.Get("tls")
	switch {
	case mode == "":
	case u.Scheme == "smtps" && mode != TLSImplicit:
		return fmt.Errorf("smtps:// means tls=implicit, got tls=%s", mode)
	case mode == TLSStartTLS || mode == TLSImplicit || mode == TLSNone:
		t.tls = mode
	default:
		return fmt.Errorf("tls must be starttls, implicit or none, got %q", mode)
	}
	return nil
}

func port(s, mode string) (int, error) {
	if s == "" {
		switch mode {
		case TLSImplicit:
			return 465, nil
		case TLSNone:
			return 25, nil
		}
		return 587, nil
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("port must be 1-65535, got %q", s)
	}
	return p, nil
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.PoolSize == 0 {
		c.PoolSize = DefaultPoolSize
	}
	if c.PoolSize < 1 || c.PoolSize > MaxPoolSize {
		return c, fmt.Errorf("pool size: must be between 1 and %d, got %d", MaxPoolSize, c.PoolSize)
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = DefaultSendTimeout
	}
	if c.SendTimeout < 0 {
		return c, fmt.Errorf("send timeout: must be positive, got %s", c.SendTimeout)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
