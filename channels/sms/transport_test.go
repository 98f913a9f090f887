package sms

import (
	"net/http"
	"net/url"
	"testing"
)

type recordRoundTripper struct{ got *http.Request }

func (r *recordRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

func TestRewriteTransport(t *testing.T) {
	t.Parallel()
	const orig = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&a=b%20c"
	tests := []struct {
		name, target, want string
	}{
		{"scheme and host", "http://127.0.0.1:8099", "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&a=b%20c"},
		{"trailing slash", "http://127.0.0.1:8099/", "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&a=b%20c"},
		{"path prefix", "https://proxy.example/twilio/", "https://proxy.example/twilio/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&a=b%20c"},
		{"edge host", "http://localhost", "http://localhost/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&a=b%20c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target, _ := url.Parse(tt.target)
			rec := &recordRoundTripper{}
			req, _ := http.NewRequest(http.MethodPost, orig, http.NoBody)
			if _, err := (&rewriteTransport{target: target, next: rec}).RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			if got := rec.got.URL.String(); got != tt.want {
				t.Errorf("URL %s, want %s", got, tt.want)
			}
			if rec.got.Host != target.Host {
				t.Errorf("Host header %q, want %q", rec.got.Host, target.Host)
			}
			if req.URL.String() != orig || req.Host != "api.twilio.com" {
				t.Errorf("original request modified: %s (Host %s)", req.URL, req.Host)
			}
		})
	}
}
