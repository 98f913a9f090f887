package twiliofake_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/twilio/twilio-go/client"

	"github.com/notifyd/notifyd/internal/twiliofake"
)

// The fake must sign exactly as Twilio does, which twilio-go's validator checks.
func TestSignatureAgreesWithTwilioValidator(t *testing.T) {
	t.Parallel()
	const token = "12345678901234567890123456789012"
	v := client.NewRequestValidator(token)
	tests := []struct {
		name   string
		url    string
		params url.Values
	}{
		{"https no port", "https://notifyd.example/webhooks/twilio/status", url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}}},
		{"http with port", "http://127.0.0.1:8080/webhooks/twilio/status", url.Values{"To": {"+14155550100"}, "ErrorCode": {"30003"}, "AccountSid": {"AC1"}}},
		{"query in url", "https://notifyd.example/webhooks/twilio/status?x=1&b=2", url.Values{"SmsStatus": {"sent"}}},
		{"no params", "https://notifyd.example/s", url.Values{}},
		{"unicode and spaces", "https://notifyd.example/s", url.Values{"Body": {"Hé llo 👋 & = +"}, "a": {""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := twiliofake.Signature(token, tt.url, tt.params)
			params := map[string]string{}
			for k := range tt.params {
				params[k] = tt.params.Get(k)
			}
			if !v.Validate(tt.url, params, sig) {
				t.Error("Validate rejects the fake's signature")
			}
			if !v.ValidateBody(tt.url, []byte(tt.params.Encode()), sig) {
				t.Error("ValidateBody rejects the fake's signature")
			}
			if v.Validate(tt.url, params, twiliofake.Signature("other", tt.url, tt.params)) {
				t.Error("Validate accepts a signature made with another token")
			}
		})
	}
}

type callback struct {
	form  url.Values
	sig   string
	valid bool
}

// receiver is a status webhook that checks signatures with twilio-go.
func receiver(t *testing.T, token string) (*httptest.Server, func() []callback) {
	t.Helper()
	var mu sync.Mutex
	var got []callback
	v := client.NewRequestValidator(token)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		sig := r.Header.Get(twiliofake.SignatureHeader)
		mu.Lock()
		got = append(got, callback{form, sig, v.ValidateBody(srv.URL+r.URL.RequestURI(), body, sig)})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []callback { mu.Lock(); defer mu.Unlock(); return append([]callback(nil), got...) }
}

func TestSendStatus(t *testing.T) {
	t.Parallel()
	f := twiliofake.Start(t)
	srv, got := receiver(t, f.AuthToken)
	form := url.Values{"To": {to}, "MessagingServiceSid": {mg}, "Body": {"x"}, "StatusCallback": {srv.URL + "/webhooks/twilio/status"}}
	if status, body := post(t, f, "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, form); status != 201 {
		t.Fatalf("%d %v", status, body)
	}
	sid := f.Messages()[0].SID
	ctx := context.Background()
	type send func(context.Context, string, string, string) (*http.Response, error)
	tests := []struct {
		name      string
		send      send
		status    string
		errorCode string
		wantValid bool
		wantSig   bool
	}{
		{"signed sent", f.SendStatus, "sent", "", true, true},
		{"signed undelivered", f.SendStatus, "undelivered", "30003", true, true},
		{"unsigned", f.SendStatusUnsigned, "delivered", "", false, false},
		{"forged", f.SendStatusForged, "delivered", "", false, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.send(ctx, sid, tt.status, tt.errorCode)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			cb := got()[i]
			if cb.valid != tt.wantValid || (cb.sig != "") != tt.wantSig {
				t.Errorf("valid=%v sig=%q", cb.valid, cb.sig)
			}
			want := map[string]string{
				"MessageSid": sid, "SmsSid": sid, "MessageStatus": tt.status, "SmsStatus": tt.status,
				"AccountSid": f.AccountSID, "To": to, "ApiVersion": "2010-04-01",
				"MessagingServiceSid": mg, "ErrorCode": tt.errorCode,
			}
			for k, v := range want {
				if cb.form.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, cb.form.Get(k), v)
				}
			}
			if _, has := cb.form["ErrorCode"]; has != (tt.errorCode != "") {
				t.Errorf("ErrorCode present = %v", has)
			}
		})
	}
	if st := f.Messages()[0].Status; st != "delivered" {
		t.Errorf("message status = %q", st)
	}
}

func TestSendStatusUnknownMessage(t *testing.T) {
	t.Parallel()
	f := twiliofake.Start(t)
	if _, err := f.SendStatus(context.Background(), "SM"+strings.Repeat("0", 32), "sent", ""); err == nil {
		t.Fatal("want an error")
	}
}
