// Package webhooks signs, verifies and delivers notifyd's outbound webhooks: the
// CloudEvents that tell the commerce system what a customer decided (CONTRACT.md §7).
//
// Signing follows the Standard Webhooks specification
// (https://github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md):
// the signed content is "{webhook-id}.{webhook-timestamp}.{body}", the MAC is
// HMAC-SHA256 keyed with the base64-decoded part of a "whsec_<base64>" secret, and the
// webhook-signature header carries "v1,<base64 MAC>" (several space-separated
// signatures are allowed, for secret rotation). The package is checked against the
// specification's published test vectors.
//
// Delivery is one signed POST per call ([Deliverer.Deliver]); what to do after a
// failure is decided by [IsPermanent] and [NextAttempt], which spreads retries over
// three days from the delivery's creation, as the contract requires. Keeping the
// delivery's state between attempts is the caller's job.
//
// The package depends only on the standard library.
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names (Standard Webhooks). HTTP header names are case-insensitive; Go sends
// them in canonical form (Webhook-Id, …).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"

	// ContentType is the media type of a CloudEvent in structured JSON mode.
	ContentType = "application/cloudevents+json"

	// SecretPrefix starts every symmetric Standard Webhooks secret.
	SecretPrefix = "whsec_"

	// Tolerance is how far webhook-timestamp may be from the receiver's clock, either
	// way, for Verify to accept it (the reference libraries' 5 minutes).
	Tolerance = 5 * time.Minute
)

// The specification's bounds on a symmetric secret: at least 24 bytes, at most 512 bits.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
)

// Verification errors. Verify wraps them with detail; test with errors.Is.
var (
	// ErrBadSignature: a header is missing or malformed, or no v1 signature matches.
	ErrBadSignature = errors.New("webhooks: bad signature")
	// ErrTimestamp: webhook-timestamp is missing, not an integer, or more than
	// Tolerance away from the receiver's clock.
	ErrTimestamp = errors.New("webhooks: timestamp outside tolerance")
)

// Secret is the HMAC key: the decoded bytes of a "whsec_<base64>" secret. It formats
// as "whsec_[redacted]" so that it cannot leak through logs or %v.
type Secret []byte

// String hides the key.
func (Secret) String() string { return SecretPrefix + "[redacted]" }

// GoString hides the key from %#v too.
func (s Secret) GoString() string { return s.String() }

// ParseSecret decodes a secret in the Standard Webhooks form "whsec_<base64>"
// (standard base64, padded or not). The decoded key must be 24 to 64 bytes long, as
// the specification requires. Errors never contain the secret.
func ParseSecret(s string) (Secret, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhooks: secret must have the form whsec_<base64> (Standard Webhooks), got %d characters without the whsec_ prefix", len(s))
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if key, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
			return nil, errors.New("webhooks: secret: the part after whsec_ is not valid standard base64")
		}
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("webhooks: secret: the decoded key is %d bytes; Standard Webhooks requires %d to %d", len(key), minSecretBytes, maxSecretBytes)
	}
	return Secret(key), nil
}

// Sign returns the v1 signature of one attempt: "v1," followed by the base64 of
// HMAC-SHA256(secret, id + "." + unix seconds of ts + "." + body). The body must be
// the exact bytes sent.
func Sign(secret Secret, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, ts.Unix(), body))
}

func mac(secret Secret, id string, unix int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, unix, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Headers returns the headers of one attempt: webhook-id, webhook-timestamp (unix
// seconds of ts), webhook-signature and Content-Type application/cloudevents+json.
// id is the delivery's stable id (the same on every retry); ts is the attempt's time.
func Headers(secret Secret, id string, ts time.Time, body []byte) http.Header {
	h := make(http.Header, 4)
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, id, ts, body))
	h.Set("Content-Type", ContentType)
	return h
}

// Verify checks a received webhook as a receiver should: the three headers are
// present, one of the space-separated v1 signatures matches body (compared in
// constant time; other versions are ignored), and webhook-timestamp is within
// Tolerance of now. body must be the raw request body, not re-encoded JSON. A valid
// signature with a stale or future timestamp gives ErrTimestamp (a replay, or a
// skewed clock); anything else ErrBadSignature. Receivers should also use webhook-id
// to drop duplicates: a retry after a lost answer repeats it.
func Verify(secret Secret, h http.Header, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: empty secret", ErrBadSignature)
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	switch {
	case id == "":
		return fmt.Errorf("%w: missing %s header", ErrBadSignature, HeaderID)
	case sigs == "":
		return fmt.Errorf("%w: missing %s header", ErrBadSignature, HeaderSignature)
	case tsText == "":
		return fmt.Errorf("%w: missing %s header", ErrTimestamp, HeaderTimestamp)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not an integer", ErrTimestamp, HeaderTimestamp)
	}
	want := mac(secret, id, ts, body)
	matched := false
	for _, sig := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		// No early exit: every candidate is compared, each in constant time.
		if hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: no v1 signature matches", ErrBadSignature)
	}
	tol := int64(Tolerance / time.Second)
	switch n := now.Unix(); {
	case n-ts > tol:
		return fmt.Errorf("%w: %s is %ds old (tolerance %s)", ErrTimestamp, HeaderTimestamp, n-ts, Tolerance)
	case ts-n > tol:
		return fmt.Errorf("%w: %s is %ds in the future (tolerance %s)", ErrTimestamp, HeaderTimestamp, ts-n, Tolerance)
	}
	return nil
}
