package sms

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// rewriteTransport sends every request to target instead of the host twilio-go
// built the URL for: scheme and host are replaced, target's path (if any) is
// prefixed, and the request's path and query are kept. The Host header follows.
type rewriteTransport struct {
	target *url.URL
	next   http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context()) // a RoundTripper must not modify the request
	r.URL.Scheme = t.target.Scheme
	r.URL.Host = t.target.Host
	r.Host = t.target.Host
	if prefix := strings.TrimSuffix(t.target.Path, "/"); prefix != "" {
		r.URL.Path = prefix + r.URL.Path
		if r.URL.RawPath != "" {
			r.URL.RawPath = strings.TrimSuffix(t.target.EscapedPath(), "/") + r.URL.RawPath
		}
	}
	return t.next.RoundTrip(r)
}

// callTransport carries one Send: twilio-go builds its requests with
// context.Background(), so the send's context (cancellation and timeout) is put on
// each request here. It also remembers the last HTTP status, which twilio-go drops
// when an error body is not JSON. One callTransport serves one call, never shared.
type callTransport struct {
	ctx    context.Context
	next   http.RoundTripper
	status int
}

func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req.WithContext(t.ctx))
	if res != nil {
		t.status = res.StatusCode
	}
	return res, err
}
