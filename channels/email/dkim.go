package email

import (
	"crypto"
	"errors"
	"fmt"
	"strings"

	mail "github.com/wneessen/go-mail"

	"github.com/notifyd/notifyd/channels"
)

// dkimSignedHeaders are signed on every message; Reply-To and the List-Unsubscribe pair
// are added when the message has them (RFC 8058 §4 requires the pair to be signed).
var dkimSignedHeaders = []string{
	"From", "To", "Subject", "Date", "Message-ID", "Content-Type", "MIME-Version",
}

// dkimKey is a parsed DKIMKey.
type dkimKey struct {
	domain, selector string
	key              crypto.Signer
}

// dkimKeys resolves a brand to its signing key.
type dkimKeys struct {
	byBrand map[string]*dkimKey
	def     *dkimKey
}

func parseDKIM(byBrand map[string]DKIMKey, def *DKIMKey) (dkimKeys, error) {
	keys := dkimKeys{byBrand: make(map[string]*dkimKey, len(byBrand))}
	for brand, k := range byBrand {
		parsed, err := parseDKIMKey(k)
		if err != nil {
			return keys, fmt.Errorf("dkim for brand %q: %w", brand, err)
		}
		keys.byBrand[brand] = parsed
	}
	if def != nil {
		parsed, err := parseDKIMKey(*def)
		if err != nil {
			return keys, fmt.Errorf("default dkim: %w", err)
		}
		keys.def = parsed
	}
	return keys, nil
}

func parseDKIMKey(k DKIMKey) (*dkimKey, error) {
	if k.Domain == "" || k.Selector == "" {
		return nil, errors.New("domain and selector are required")
	}
	signer, err := mail.PrivKeyFromPEM(k.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("key for %s._domainkey.%s: %w", k.Selector, k.Domain, err)
	}
	parsed := &dkimKey{domain: k.Domain, selector: k.Selector, key: signer}
	// Validate now, so a key go-mail cannot use fails at start-up, not per message.
	if err := parsed.signer(nil).ValidateConfig(); err != nil {
		return nil, fmt.Errorf("key for %s._domainkey.%s: %w", k.Selector, k.Domain, err)
	}
	return parsed, nil
}

func (k dkimKeys) forBrand(brand string) *dkimKey {
	if key, ok := k.byBrand[brand]; ok {
		return key
	}
	return k.def
}

// signer returns go-mail's built-in DKIM signer for one message, c=simple/relaxed.
//
// Headers use simple canonicalization because go-mail v0.8.1's relaxed mode is broken
// for an h= list longer than one line, which ours always is: it hashes the unfolded
// DKIM-Signature value but emits it hard-wrapped in the middle of h= ("List-U
// nsubscribe"), and relaxed canonicalization keeps that inserted space, so no verifier
// agrees. In simple mode go-mail emits the header on one line (under 998 octets for
// keys up to RSA-4096) and signs exactly that. Body canonicalization stays relaxed.
//
// A fresh signer per message: go-mail's Signer records its algorithm on first use, so
// sharing one between goroutines would race.
func (k *dkimKey) signer(m *channels.Message) *mail.DKIMSigner {
	s := mail.NewDKIMSigner(k.domain, k.selector, k.key)
	s.HeaderCanonicalization(mail.CanonicalizationSimple)
	s.BodyCanonicalization(mail.CanonicalizationRelaxed)
	s.SignHeaders(signedHeaders(m)...)
	return s
}

// signedHeaders lists the headers m will carry that the signature must cover.
func signedHeaders(m *channels.Message) []string {
	h := append([]string(nil), dkimSignedHeaders...)
	if m == nil {
		return h
	}
	if m.ReplyTo != "" {
		h = append(h, "Reply-To")
	}
	for _, name := range []string{HeaderListUnsubscribe, HeaderListUnsubscribePost} {
		if hasHeader(m.Headers, name) {
			h = append(h, name)
		}
	}
	return h
}

func hasHeader(headers map[string]string, name string) bool {
	for k := range headers {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}
