package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func runTemplates(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err = run(context.Background(), append([]string{"templates"}, args...), lookup, nil, &out, &errb)
	return out.String(), errb.String(), err
}

func TestTemplatesCheckDefaults(t *testing.T) {
	t.Parallel()
	out, stderr, err := runTemplates(t, nil, "check")
	if err != nil || exitCode(err, &bytes.Buffer{}) != 0 {
		t.Fatalf("check: %v\n%s", err, stderr)
	}
	if out == "" {
		t.Error("no summary printed")
	}
}

func TestTemplatesCheckBrokenOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("brands/acme/en/shipped.sms.tmpl", "{{define \"sms\"}}\n{{.Brand.Name}} {{nosuchfunc .Order.Number}}{{end}}\n")
	write("en/eta_update.email.tmpl", "{{define \"subject\"}}x{{end}}{{define \"preheader\"}}{{end}}\n{{define \"heading\"}}{{end}}\n{{define \"intro\"}}{{.Order.Nope}}{{end}}{{define \"outro\"}}{{end}}\n")
	for _, viaEnv := range []bool{false, true} {
		var stderr string
		var err error
		if viaEnv {
			_, stderr, err = runTemplates(t, map[string]string{"NOTIFYD_TEMPLATES_DIR": dir}, "check")
		} else {
			_, stderr, err = runTemplates(t, nil, "check", dir)
		}
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 1 {
			t.Fatalf("env=%v: err = %v, want exit 1\n%s", viaEnv, err, stderr)
		}
		for _, want := range []string{
			`(?m)^.*brands/acme/en/shipped\.sms\.tmpl:2: .*nosuchfunc`,
			`(?m)^.*/en/eta_update\.email\.tmpl:3: .*Nope`,
		} {
			if !regexp.MustCompile(want).MatchString(stderr) {
				t.Errorf("env=%v: stderr lacks %s:\n%s", viaEnv, want, stderr)
			}
		}
	}
}
