// Package links signs and verifies the tokens in customer links (CONTRACT.md §5):
// /c/{token} (the choice page), /o/{token} (order status) and /u/{token} (unsubscribe).
//
// A token is compact base64url of a small binary payload — version, purpose, expiry,
// order id, offer id — followed by the first 16 bytes of HMAC-SHA256 over that payload
// with NOTIFYD_SIGNING_KEY, used as given. Nothing personal is inside: order and offer
// ids are notifyd's and the shop's internal ids. Verification compares MACs in constant
// time and also accepts NOTIFYD_SIGNING_KEY_PREVIOUS, so keys can be rotated without
// breaking links already sent. The package is a leaf: it imports no other package of
// notifyd.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Purpose says which route a token opens.
type Purpose byte

// The purposes.
const (
	Choice      Purpose = 'c'
	Order       Purpose = 'o'
	Unsubscribe Purpose = 'u'
)

func (p Purpose) String() string {
	switch p {
	case Choice:
		return "choice"
	case Order:
		return "order"
	case Unsubscribe:
		return "unsubscribe"
	}
	return fmt.Sprintf("purpose(%d)", byte(p))
}

// Errors of Verify. A tampered token (bad MAC, bad encoding, wrong purpose) gets 403;
// an expired one 410.
var (
	ErrTampered = errors.New("link token is invalid")
	ErrExpired  = errors.New("link token has expired")
)

// Token is what a link token carries.
type Token struct {
	Purpose Purpose
	OrderID string
	OfferID string // "" when the link is not about an offer
	Expires time.Time
}

const (
	version = 1
	macLen  = 16
	// MinKeyLen is the shortest signing key accepted (CONTRACT.md §2).
	MinKeyLen = 32
)

// Signer signs with the current key and verifies with it or the previous one.
type Signer struct {
	keys [][]byte
}

// NewSigner returns a Signer; previous may be nil.
func NewSigner(key, previous []byte) (*Signer, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("links: signing key must be at least %d bytes, got %d", MinKeyLen, len(key))
	}
	s := &Signer{keys: [][]byte{key}}
	if len(previous) > 0 {
		if len(previous) < MinKeyLen {
			return nil, fmt.Errorf("links: previous signing key must be at least %d bytes, got %d", MinKeyLen, len(previous))
		}
		s.keys = append(s.keys, previous)
	}
	return s, nil
}

// Sign returns the token for t.
func (s *Signer) Sign(t Token) string {
	payload := encode(t)
	return base64.RawURLEncoding.EncodeToString(append(payload, mac(s.keys[0], payload)...))
}

// Verify checks a token for purpose at time now and returns what it carries.
func (s *Signer) Verify(purpose Purpose, token string, now time.Time) (Token, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) <= macLen {
		return Token{}, ErrTampered
	}
	payload, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	ok := false
	for _, k := range s.keys {
		if hmac.Equal(sum, mac(k, payload)) {
			ok = true
		}
	}
	if !ok {
		return Token{}, ErrTampered
	}
	t, err := decode(payload)
	if err != nil || t.Purpose != purpose {
		return Token{}, ErrTampered
	}
	if !now.Before(t.Expires) {
		return t, ErrExpired
	}
	return t, nil
}

func mac(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(payload)
	return h.Sum(nil)[:macLen]
}

func encode(t Token) []byte {
	b := []byte{version, byte(t.Purpose)}
	b = binary.AppendVarint(b, t.Expires.Unix())
	b = binary.AppendUvarint(b, uint64(len(t.OrderID)))
	b = append(b, t.OrderID...)
	b = binary.AppendUvarint(b, uint64(len(t.OfferID)))
	return append(b, t.OfferID...)
}

func decode(b []byte) (Token, error) {
	bad := errors.New("malformed")
	if len(b) < 2 || b[0] != version {
		return Token{}, bad
	}
	t := Token{Purpose: Purpose(b[1])}
	b = b[2:]
	exp, n := binary.Varint(b)
	if n <= 0 {
		return Token{}, bad
	}
	t.Expires, b = time.Unix(exp, 0).UTC(), b[n:]
	var err error
	if t.OrderID, b, err = str(b); err != nil {
		return Token{}, err
	}
	if t.OfferID, b, err = str(b); err != nil || len(b) != 0 {
		return Token{}, bad
	}
	return t, nil
}

func str(b []byte) (string, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return "", nil, errors.New("malformed")
	}
	return string(b[n : n+int(l)]), b[n+int(l):], nil
}
