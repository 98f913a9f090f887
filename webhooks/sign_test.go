package webhooks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// specVectors are the Standard Webhooks specification's published test vectors, copied
// verbatim from the reference implementations' test suites in
// github.com/standard-webhooks/standard-webhooks:
//
//   - libraries/go/webhook_test.go, TestWebhookSign (commit 449485caf9c0), the same
//     vector as libraries/javascript/src/webhook.test.ts "sign function works" and
//     libraries/python/tests/test_webhooks.py test_sign_function;
//   - libraries/rust/src/lib.rs, test_sign (commit 1e88c9ce08bb).
var specVectors = []struct {
	source, secret, msgID string
	timestamp             int64
	payload, want         string
}{
	{
		source:    "libraries/go/webhook_test.go TestWebhookSign",
		secret:    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		msgID:     "msg_p5jXN8AQM9LWM0D4loKWxJek",
		timestamp: 1614265330,
		payload:   `{"test": 2432232314}`,
		want:      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	},
	{
		source:    "libraries/rust/src/lib.rs test_sign",
		secret:    "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
		msgID:     "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
		timestamp: 1649367553,
		payload:   `{"email":"test@example.com","username":"test_user"}`,
		want:      "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
	},
}

func TestSpecVectors(t *testing.T) {
	for _, v := range specVectors {
		t.Run(v.source, func(t *testing.T) {
			secret, err := ParseSecret(v.secret)
			if err != nil {
				t.Fatal(err)
			}
			ts := time.Unix(v.timestamp, 0)
			if got := Sign(secret, v.msgID, ts, []byte(v.payload)); got != v.want {
				t.Fatalf("Sign = %s, want %s", got, v.want)
			}
			h := Headers(secret, v.msgID, ts, []byte(v.payload))
			if got := h.Get(HeaderSignature); got != v.want {
				t.Fatalf("webhook-signature = %s, want %s", got, v.want)
			}
			if err := Verify(secret, h, []byte(v.payload), ts.Add(time.Minute)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// The reference suites' rejected signatures (libraries/python/tests/test_webhooks.py
// test_invalid_signature_raises_error: the vector with its last base64 digit changed;
// libraries/go/webhook_test.go "invalid signature is invalid").
func TestSpecRejectedSignatures(t *testing.T) {
	v := specVectors[0]
	secret, _ := ParseSecret(v.secret)
	ts := time.Unix(v.timestamp, 0)
	for _, sig := range []string{
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
		"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
		"v1,dawfeoifkpqwoekfpqoekf",
		"v1,",
		"v1,g0hM",
		strings.Replace(v.want, "v1,", "v2,", 1), // right MAC, unknown version
		strings.TrimPrefix(v.want, "v1,"),        // no version
	} {
		h := Headers(secret, v.msgID, ts, []byte(v.payload))
		h.Set(HeaderSignature, sig)
		if err := Verify(secret, h, []byte(v.payload), ts); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%q: err = %v, want ErrBadSignature", sig, err)
		}
	}
}

func TestParseSecret(t *testing.T) {
	key24 := "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // 24 bytes
	for _, ok := range []string{
		"whsec_" + key24,
		" whsec_" + key24 + "\n",
		"whsec_" + strings.Repeat("A", 86) + "==", // 64 bytes, padded
		"whsec_" + strings.Repeat("A", 86),        // 64 bytes, unpadded
	} {
		if s, err := ParseSecret(ok); err != nil || len(s) < 24 {
			t.Errorf("ParseSecret(%q) = %d bytes, %v", ok, len(s), err)
		}
	}
	for _, bad := range []string{
		"", key24, "whsk_" + key24, "WHSEC_" + key24, "whsec_", "whsec_not*base64!",
		"whsec_" + strings.Repeat("A", 30), // 22 bytes: too short
		"whsec_" + strings.Repeat("A", 90), // 67 bytes: too long
	} {
		_, err := ParseSecret(bad)
		if err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
			continue
		}
		if len(bad) > 10 && strings.Contains(err.Error(), bad[6:]) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func TestSecretIsRedacted(t *testing.T) {
	s, _ := ParseSecret(specVectors[0].secret)
	for _, f := range []string{"%v", "%s", "%#v", "%+v", "%q"} {
		if got := fmt.Sprintf(f, s); strings.Contains(got, "MfKQ") || !strings.Contains(got, "redacted") {
			t.Errorf("%s formats as %s", f, got)
		}
	}
	if got := fmt.Sprintf("%v", struct{ S Secret }{s}); !strings.Contains(got, "redacted") {
		t.Errorf("inside a struct: %s", got)
	}
}

func TestHeaders(t *testing.T) {
	s, _ := ParseSecret(specVectors[0].secret)
	ts := time.Date(2026, 11, 2, 9, 15, 0, 999e6, time.UTC)
	h := Headers(s, "evt_1", ts, []byte(`{}`))
	want := map[string]string{
		"webhook-id":        "evt_1",
		"webhook-timestamp": strconv.FormatInt(ts.Unix(), 10),
		"webhook-signature": Sign(s, "evt_1", ts, []byte(`{}`)),
		"content-type":      "application/cloudevents+json",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(h) != len(want) {
		t.Errorf("headers = %v", h)
	}
}

func TestVerify(t *testing.T) {
	secret, _ := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	other, _ := ParseSecret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
	body := []byte(`{"specversion":"1.0","id":"evt_1","type":"customer.choice_made"}`)
	now := time.Unix(1_800_000_000, 0)
	tol := int64(Tolerance / time.Second)

	cases := []struct {
		name   string
		sentAt time.Time
		edit   func(h map[string][]string, body *[]byte)
		verify Secret
		want   error
	}{
		{name: "valid", want: nil},
		{name: "tampered body", edit: func(_ map[string][]string, b *[]byte) { *b = append([]byte(nil), (*b)[1:]...) }, want: ErrBadSignature},
		{name: "tampered id", edit: func(h map[string][]string, _ *[]byte) { h["Webhook-Id"] = []string{"evt_2"} }, want: ErrBadSignature},
		{name: "tampered timestamp", edit: func(h map[string][]string, _ *[]byte) {
			h["Webhook-Timestamp"] = []string{strconv.FormatInt(now.Unix()-1, 10)}
		}, want: ErrBadSignature},
		{name: "wrong secret", verify: other, want: ErrBadSignature},
		{name: "missing id", edit: del("Webhook-Id"), want: ErrBadSignature},
		{name: "missing signature", edit: del("Webhook-Signature"), want: ErrBadSignature},
		{name: "missing timestamp", edit: del("Webhook-Timestamp"), want: ErrTimestamp},
		{name: "timestamp not a number", edit: func(h map[string][]string, _ *[]byte) { h["Webhook-Timestamp"] = []string{"hello"} }, want: ErrTimestamp},
		{name: "old, at the tolerance", sentAt: now.Add(-Tolerance), want: nil},
		{name: "old, past the tolerance", sentAt: time.Unix(now.Unix()-tol-1, 0), want: ErrTimestamp},
		{name: "a day old", sentAt: now.Add(-24 * time.Hour), want: ErrTimestamp},
		{name: "future, at the tolerance", sentAt: now.Add(Tolerance), want: nil},
		{name: "future, past the tolerance", sentAt: time.Unix(now.Unix()+tol+1, 0), want: ErrTimestamp},
		{name: "old with a wrong secret is a bad signature", sentAt: now.Add(-time.Hour), verify: other, want: ErrBadSignature},
		{name: "multiple signatures, valid third", edit: func(h map[string][]string, _ *[]byte) {
			// The reference suites' multi-signature case (libraries/go/webhook_test.go).
			h["Webhook-Signature"] = []string{strings.Join([]string{
				"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
				"v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
				h["Webhook-Signature"][0],
				"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
			}, " ")}
		}, want: nil},
		{name: "multiple signatures, none valid", edit: func(h map[string][]string, _ *[]byte) {
			h["Webhook-Signature"] = []string{"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="}
		}, want: ErrBadSignature},
		{name: "rotation: old and new secret, receiver has the new one", edit: func(h map[string][]string, b *[]byte) {
			h["Webhook-Signature"] = []string{Sign(other, "evt_1", now, *b) + " " + h["Webhook-Signature"][0]}
		}, want: nil},
		{name: "rotation: receiver still has the old one", verify: other, edit: func(h map[string][]string, b *[]byte) {
			h["Webhook-Signature"] = []string{h["Webhook-Signature"][0] + "  " + Sign(other, "evt_1", now, *b)}
		}, want: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sentAt := c.sentAt
			if sentAt.IsZero() {
				sentAt = now
			}
			b := append([]byte(nil), body...)
			h := Headers(secret, "evt_1", sentAt, b)
			if c.edit != nil {
				c.edit(h, &b)
			}
			v := secret
			if c.verify != nil {
				v = c.verify
			}
			err := Verify(v, h, b, now)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
	if err := Verify(nil, Headers(secret, "evt_1", now, body), body, now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("empty secret: %v", err)
	}
}

func del(name string) func(map[string][]string, *[]byte) {
	return func(h map[string][]string, _ *[]byte) { delete(h, name) }
}
