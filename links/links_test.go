package links_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/links"
)

var (
	key  = []byte(strings.Repeat("k", 32))
	old  = []byte(strings.Repeat("o", 32))
	now  = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tok  = links.Token{Purpose: links.Choice, OrderID: "ord_1001", OfferID: "off_7", Expires: now.Add(24 * time.Hour)}
	ctxs = []links.Purpose{links.Choice, links.Order, links.Unsubscribe}
)

func signer(t *testing.T, k, prev []byte) *links.Signer {
	t.Helper()
	s, err := links.NewSigner(k, prev)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTripAndCompact(t *testing.T) {
	t.Parallel()
	s := signer(t, key, nil)
	for _, p := range ctxs {
		in := tok
		in.Purpose = p
		got, err := s.Verify(p, s.Sign(in), now)
		if err != nil || got.OrderID != in.OrderID || got.OfferID != in.OfferID || !got.Expires.Equal(in.Expires) || got.Purpose != p {
			t.Errorf("%v: %+v %v", p, got, err)
		}
	}
	if n := len(s.Sign(tok)); n > 56 { // ids + 16-byte MAC; a URL stays one SMS line
		t.Errorf("token is %d characters; SMS links need it short", n)
	}
	if strings.Contains(s.Sign(tok), "ord_1001") {
		t.Error("token shows the order id in clear")
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	s := signer(t, key, nil)
	good := s.Sign(tok)
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	flipped := append([]byte(nil), raw...)
	flipped[5] ^= 1
	cases := []struct {
		name    string
		purpose links.Purpose
		token   string
		at      time.Time
		want    error
	}{
		{"tampered payload", links.Choice, base64.RawURLEncoding.EncodeToString(flipped), now, links.ErrTampered},
		{"truncated", links.Choice, good[:10], now, links.ErrTampered},
		{"not base64", links.Choice, "!!!", now, links.ErrTampered},
		{"empty", links.Choice, "", now, links.ErrTampered},
		{"wrong purpose", links.Order, good, now, links.ErrTampered},
		{"other key", links.Choice, signer(t, old, nil).Sign(tok), now, links.ErrTampered},
		{"expired", links.Choice, good, tok.Expires, links.ErrExpired},
	}
	for _, c := range cases {
		if _, err := s.Verify(c.purpose, c.token, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestRotationAcceptsThePreviousKey(t *testing.T) {
	t.Parallel()
	before := signer(t, old, nil).Sign(tok)
	rotated := signer(t, key, old)
	if _, err := rotated.Verify(links.Choice, before, now); err != nil {
		t.Errorf("a link signed before the rotation: %v", err)
	}
	if _, err := signer(t, key, nil).Verify(links.Choice, before, now); !errors.Is(err, links.ErrTampered) {
		t.Errorf("once the previous key is dropped: %v", err)
	}
}

func TestKeyLength(t *testing.T) {
	t.Parallel()
	if _, err := links.NewSigner([]byte("short"), nil); err == nil {
		t.Error("short key accepted")
	}
	if _, err := links.NewSigner(key, []byte("short")); err == nil {
		t.Error("short previous key accepted")
	}
}

func FuzzVerify(f *testing.F) {
	s, _ := links.NewSigner(key, nil)
	f.Add(s.Sign(tok))
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		_, _ = s.Verify(links.Choice, token, now) // must never panic
	})
}
