package email_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/email"
	"github.com/notifyd/notifyd/internal/testmailpit"
)

func TestSendContentAndHeaders(t *testing.T) {
	t.Parallel()
	mp := testmailpit.Start(t)
	s := newSender(t, email.Config{URL: "smtp://notifyd:secret@" + mp.SMTPAddr() + "?tls=none"})
	m := message("ntf_content")

	rc, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rc.ProviderID != "ntf_content@acme.example" || rc.AcceptedAt.IsZero() {
		t.Errorf("receipt = %+v", rc)
	}
	msgs := mp.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("mailpit has %d messages, want 1", len(msgs))
	}
	id := msgs[0].ID
	h := mp.Headers(t, id)
	for name, want := range map[string]string{
		"From":                      `"Acme Home" <orders@acme.example>`,
		"To":                        "<ada@example.com>",
		"Reply-To":                  "<help@acme.example>",
		"Subject":                   m.Subject,
		"Message-Id":                "<ntf_content@acme.example>",
		"X-Notifyd-Notification-Id": "ntf_content",
		"X-Notifyd-Kind":            "eta_update",
		"X-Notifyd-Order-Id":        "ord_1001",
		"List-Unsubscribe":          m.Headers["List-Unsubscribe"],
		"List-Unsubscribe-Post":     "List-Unsubscribe=One-Click",
	} {
		if got := h[name]; len(got) != 1 || got[0] != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	full := mp.Message(t, id)
	if full.From.Name != "Acme Home" || full.From.Address != "orders@acme.example" {
		t.Errorf("From = %+v", full.From)
	}
	if full.ListUnsubscribe.Errors != "" || len(full.ListUnsubscribe.Links) != 2 {
		t.Errorf("Mailpit's List-Unsubscribe check: %+v", full.ListUnsubscribe)
	}
	if !strings.Contains(full.Text, "Blue Kettle now ships") || !strings.Contains(full.HTML, "<b>Blue Kettle</b>") {
		t.Errorf("text = %q, html = %q", full.Text, full.HTML)
	}
	checkAlternative(t, mp.Raw(t, id))
	if score := mp.HTMLCheck(t, id); score.Tests == 0 || score.Supported <= 0 {
		t.Errorf("Mailpit's HTML check of the HTML part: %+v", score)
	}
}

// checkAlternative asserts the raw message is multipart/alternative with a text/plain
// part first and a text/html part second.
func checkAlternative(t *testing.T, raw []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse raw message: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
	}
	if !slices.Equal(types, []string{"text/plain", "text/html"}) {
		t.Errorf("parts = %v, want [text/plain text/html]", types)
	}
}

func TestMessageIDStableAcrossSends(t *testing.T) {
	t.Parallel()
	mp := testmailpit.Start(t)
	s := newSender(t, email.Config{URL: mp.SMTPURL()})
	for range 2 {
		if _, err := s.Send(context.Background(), message("ntf_retry")); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if _, err := s.Send(context.Background(), message("ntf_other")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ids := byMessageID(t, mp)
	if len(ids["ntf_retry@acme.example"]) != 2 || len(ids["ntf_other@acme.example"]) != 1 {
		t.Errorf("messages by Message-ID: %v", ids)
	}
}

func TestDKIMSignature(t *testing.T) {
	t.Parallel()
	rsaKey, rsaTXT := rsaTestKey(t)
	edKey, edTXT := ed25519TestKey(t)
	records := map[string]string{
		"s1._domainkey.acme.example":      rsaTXT,
		"ed._domainkey.globex.example":    edTXT,
		"main._domainkey.notifyd.example": rsaTXT,
	}
	mp := testmailpit.Start(t)
	s := newSender(t, email.Config{
		URL: mp.SMTPURL(),
		DKIM: map[string]email.DKIMKey{
			"acme":   {Domain: "acme.example", Selector: "s1", KeyPEM: rsaKey},
			"globex": {Domain: "globex.example", Selector: "ed", KeyPEM: edKey},
		},
		DefaultDKIM: &email.DKIMKey{Domain: "notifyd.example", Selector: "main", KeyPEM: rsaKey},
	})
	longSubject := "Votre commande 1001 : nouvelle date de livraison pour la bouilloire bleue – désolé du retard"
	tests := []struct {
		name, brand, domain string
		unsubscribe         bool
		subject             string
	}{
		{"brand RSA key", "acme", "acme.example", true, ""},
		{"brand Ed25519 key", "globex", "globex.example", true, ""},
		{"default key", "initech", "notifyd.example", true, ""},
		{"no unsubscribe headers", "acme", "acme.example", false, ""},
		{"long non-ASCII subject, folded", "acme", "acme.example", true, longSubject},
	}
	for i, tc := range tests {
		m := message(fmt.Sprintf("ntf_dkim_%d", i))
		m.Brand = tc.brand
		if !tc.unsubscribe {
			m.Headers = nil
		}
		if tc.subject != "" {
			m.Subject = tc.subject
		}
		if _, err := s.Send(context.Background(), m); err != nil {
			t.Fatalf("%s: Send: %v", tc.name, err)
		}
		raw := mp.Raw(t, byMessageID(t, mp)[email.MessageID(m.ID, m.From)][0].ID)
		t.Run(tc.name, func(t *testing.T) {
			v := verifyDKIM(t, raw, records)
			if v.Domain != tc.domain {
				t.Errorf("d= %s, want %s", v.Domain, tc.domain)
			}
			want := []string{"from", "to", "subject", "date", "message-id", "content-type", "mime-version", "reply-to"}
			if tc.unsubscribe {
				want = append(want, "list-unsubscribe", "list-unsubscribe-post")
			}
			for _, h := range want {
				if !slices.ContainsFunc(v.HeaderKeys, func(k string) bool { return strings.EqualFold(k, h) }) {
					t.Errorf("h= %v lacks %s", v.HeaderKeys, h)
				}
			}
		})
	}
}

func verifyDKIM(t *testing.T, raw []byte, records map[string]string) *dkim.Verification {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if r, ok := records[domain]; ok {
				return []string{r}, nil
			}
			return nil, fmt.Errorf("no TXT record for %s", domain)
		},
	})
	if err != nil {
		t.Fatalf("dkim verify: %v", err)
	}
	if len(vs) != 1 {
		t.Fatalf("%d DKIM signatures, want 1", len(vs))
	}
	if vs[0].Err != nil {
		t.Fatalf("DKIM signature invalid: %v\n%s", vs[0].Err, raw)
	}
	return vs[0]
}

func rsaTestKey(t *testing.T) (keyPEM []byte, txt string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return keyPEM, "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)
}

func ed25519TestKey(t *testing.T) (keyPEM []byte, txt string) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(crypto.Signer(key))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return keyPEM, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  email.Config
		want string
	}{
		{"empty URL", email.Config{}, "scheme"},
		{"wrong scheme", email.Config{URL: "http://mail.example:25"}, "scheme"},
		{"no host", email.Config{URL: "smtp://:25"}, "host"},
		{"bad port", email.Config{URL: "smtp://mail.example:0"}, "port"},
		{"bad tls", email.Config{URL: "smtp://mail.example?tls=maybe"}, "tls"},
		{"smtps with starttls", email.Config{URL: "smtps://mail.example?tls=starttls"}, "implicit"},
		{"unknown parameter", email.Config{URL: "smtp://mail.example?pool=3"}, "unknown parameter"},
		{"pool too big", email.Config{URL: "smtp://mail.example", PoolSize: 65}, "pool size"},
		{"bad DKIM key", email.Config{URL: "smtp://mail.example",
			DKIM: map[string]email.DKIMKey{"acme": {Domain: "acme.example", Selector: "s1", KeyPEM: []byte("nope")}}}, `brand "acme"`},
		{"DKIM without selector", email.Config{URL: "smtp://mail.example",
			DefaultDKIM: &email.DKIMKey{Domain: "acme.example"}}, "selector"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := email.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	_, err := email.New(email.Config{URL: "smtp://user:hunter2@mail.example?tls=bogus"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error repeats the password or is nil: %v", err)
	}
	for _, ok := range []string{"smtp://mail.example", "smtps://u:p@mail.example", "smtp://mail.example:2525?tls=implicit", "smtp://localhost:1025?tls=none"} {
		if _, err := email.New(email.Config{URL: ok}); err != nil {
			t.Errorf("New(%q): %v", ok, err)
		}
	}
}

func TestBuildErrorsArePermanent(t *testing.T) {
	t.Parallel()
	s := newSender(t, email.Config{URL: "smtp://" + closedPort(t) + "?tls=none"})
	m := message("ntf_bad_to")
	m.To = "not an address"
	_, err := s.Send(context.Background(), m)
	if !channels.IsPermanent(err) {
		t.Fatalf("Send to a bad address: err = %v, want permanent", err)
	}
}
