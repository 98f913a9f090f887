package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testSigningKey = "k3y-0123456789abcdef0123456789abcdef"
	testPEM        = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"
)

// testBrandYAML is a brand with every key set, as CONTRACT.md §2 shows it.
const testBrandYAML = `brands:
  - id: acme
    name: Acme Home
    logo_url: https://cdn.acme.example/logo.png
    colors: {primary: "#0b6e4f", text: "#1f2933", background: "#ffffff"}
    email: {from: orders@acme.example, from_name: Acme Home, reply_to: help@acme.example}
    sms: {sender_name: Acme}
    support: {url: https://acme.example/help, email: help@acme.example, phone: "+14155550199"}
    postal_address: 1 Main Street, Springfield, OR 97477, USA
    default_locale: en-US
    time_zone: America/New_York
`

// env is a map-backed lookupEnv.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// validConfig returns a configuration that passes Validate(false).
func validConfig() *Config {
	c := Default()
	c.SigningKey = testSigningKey
	c.Brands = []Brand{testBrand("acme")}
	return c
}

func testBrand(id string) Brand {
	return Brand{
		ID:            id,
		Name:          "Acme Home",
		LogoURL:       "https://cdn.acme.example/logo.png",
		Colors:        BrandColors{Primary: "#0b6e4f", Text: "#1f2933", Background: "#ffffff"},
		Email:         BrandEmail{From: "orders@acme.example", FromName: "Acme Home", ReplyTo: "help@acme.example"},
		SMS:           BrandSMS{SenderName: "Acme"},
		Support:       Support{URL: "https://acme.example/help", Email: "help@acme.example", Phone: "+14155550199"},
		PostalAddress: "1 Main Street, Springfield, OR 97477, USA",
		DefaultLocale: "en-US",
		TimeZone:      "America/New_York",
	}
}

// writeFile writes content to name in a fresh temporary folder and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// problemsOf returns the problems err lists; any other error fails the test.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	ve, ok := errors.AsType[*ValidationError](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	if got := strings.Join(ve.Problems, "\n"); got != err.Error() {
		t.Errorf("Error() = %q, want the problems joined by newlines %q", err.Error(), got)
	}
	return ve.Problems
}

// wantProblem fails unless one problem contains every one of parts.
func wantProblem(t *testing.T, problems []string, parts ...string) {
	t.Helper()
	for _, p := range problems {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(p, part)
		}
		if all {
			return
		}
	}
	t.Errorf("no problem contains all of %q; got:\n%s", parts, strings.Join(problems, "\n"))
}
