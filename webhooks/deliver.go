package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one attempt when Deliverer.Client is nil (the specification
// recommends 15–30 s).
const DefaultTimeout = 30 * time.Second

// UserAgent is sent with every attempt.
const UserAgent = "notifyd-webhooks/1"

// ErrInvalidID: a webhook id must be 1–256 visible ASCII characters without ".",
// because the id is part of the signed content "{id}.{timestamp}.{body}".
var ErrInvalidID = errors.New("webhooks: invalid webhook id")

// Deliverer POSTs signed CloudEvents to one receiver.
type Deliverer struct {
	URL    string
	Secret Secret
	// Client sends the requests; nil means a client with DefaultTimeout. Redirects are
	// never followed, whatever the client's CheckRedirect: a 3xx is a failed attempt
	// (the URL should be corrected), as the specification advises.
	Client *http.Client
	// Now is the clock for webhook-timestamp; nil means time.Now.
	Now func() time.Time
}

// DeliveryError is a failed attempt. Deliver returns only this type (or nil).
type DeliveryError struct {
	// Status is the receiver's HTTP status, 0 when no answer arrived.
	Status int
	// Permanent is true when retrying cannot help: see IsPermanent.
	Permanent bool
	// RetryAfter is the receiver's Retry-After (429, 503, …), 0 when absent. A caller
	// may postpone the next attempt to at least now + RetryAfter, but never past the
	// three-day deadline.
	RetryAfter time.Duration
	// Body is the start of the receiver's answer, for the delivery log.
	Body string
	// Err is the transport or local error, nil when the receiver answered.
	Err error
}

func (e *DeliveryError) Error() string {
	var b strings.Builder
	b.WriteString("webhooks: ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "receiver answered %d %s", e.Status, http.StatusText(e.Status))
		if e.Body != "" {
			fmt.Fprintf(&b, ": %q", e.Body)
		}
	} else {
		fmt.Fprintf(&b, "POST failed: %v", e.Err)
	}
	if e.Permanent {
		b.WriteString(" (permanent)")
	}
	return b.String()
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a failed attempt that must not be retried.
//
// Following the Standard Webhooks guidance ("a webhook delivery is considered
// successful if it was responded to with a 2xx status code, and it is considered a
// failure in any other scenario"; retry on a schedule spanning days), every failure
// is temporary — network errors, timeouts, 3xx, 4xx and 5xx alike — except:
//
//   - 410 Gone: the receiver says it no longer wants these webhooks (the
//     specification's one status that means "stop");
//   - a delivery that cannot be signed or sent at all: an invalid id, no URL, no
//     secret.
//
// notifyd has a single receiver, the shop's own system, and what it sends are refund
// and cancellation decisions. A 400/401/403/404/422 from it is far more often a
// deployment or configuration slip (a rotated secret, a moved route, a bug fixed the
// next day) than a verdict on the event, and giving up at once would lose a refund;
// retrying such an event for three days costs about ten requests.
func IsPermanent(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Permanent
}

// Deliver POSTs body once to d.URL with fresh signature headers (webhook-timestamp =
// d.Now()). id is the delivery's stable id, the same on every retry (notifyd uses the
// CloudEvent id). It returns the receiver's HTTP status (0 if none) and nil on 2xx,
// else a *DeliveryError classified as IsPermanent describes. Cancelling ctx aborts
// the attempt; that is a temporary failure.
func (d *Deliverer) Deliver(ctx context.Context, id string, body []byte) (status int, err error) {
	switch {
	case !validID(id):
		return 0, &DeliveryError{Permanent: true, Err: fmt.Errorf("%w %q", ErrInvalidID, id)}
	case d.URL == "":
		return 0, &DeliveryError{Permanent: true, Err: errors.New("no receiver URL configured")}
	case len(d.Secret) == 0:
		return 0, &DeliveryError{Permanent: true, Err: errors.New("no signing secret configured")}
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, &DeliveryError{Permanent: true, Err: fmt.Errorf("bad receiver URL: %w", stripURL(err))}
	}
	req.Header = Headers(d.Secret, id, now(), body)
	req.Header.Set("User-Agent", UserAgent)

	resp, err := d.client().Do(req)
	if err != nil {
		return 0, &DeliveryError{Err: stripURL(err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused

	status = resp.StatusCode
	if status >= 200 && status <= 299 {
		return status, nil
	}
	return status, &DeliveryError{
		Status:     status,
		Permanent:  status == http.StatusGone,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now()),
		Body:       strings.TrimSpace(strings.ToValidUTF8(string(snippet), "\uFFFD")),
	}
}

// client returns a copy of the configured client that never follows redirects.
func (d *Deliverer) client() *http.Client {
	c := http.Client{Timeout: DefaultTimeout}
	if d.Client != nil {
		c = *d.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// validID accepts 1–256 visible ASCII characters other than ".".
func validID(id string) bool {
	if id == "" || len(id) > 256 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' || c == '.' {
			return false
		}
	}
	return true
}

// stripURL drops the request URL from an error (it may carry a token the delivery log
// must not show), keeping the cause.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryAfter parses a Retry-After value (seconds or an HTTP date); 0 when absent or
// invalid.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(MaxAge/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxAge)
	}
	return 0
}
