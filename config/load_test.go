package config

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	t.Parallel()
	c := Default()
	tests := []struct {
		name      string
		got, want any
	}{
		{"NOTIFYD_REDIS_URL", c.RedisURL, "redis://127.0.0.1:6379/0"},
		{"NOTIFYD_DATABASE_URL", c.DatabaseURL, "sqlite:notifyd.db"},
		{"NOTIFYD_SMTP_URL", c.SMTPURL, ""},
		{"NOTIFYD_SMTP_POOL", c.SMTPPool, 4},
		{"NOTIFYD_HTTP_ADDR", c.HTTPAddr, "127.0.0.1:8080"},
		{"NOTIFYD_PUBLIC_URL", c.PublicURL, "http://127.0.0.1:8080"},
		{"NOTIFYD_CONCURRENCY", c.Concurrency, 20},
		{"NOTIFYD_EMAIL_RATE", c.EmailRate, 50.0},
		{"NOTIFYD_SMS_RATE", c.SMSRate, 10.0},
		{"NOTIFYD_RETENTION", c.Retention, 400 * 24 * time.Hour},
		{"NOTIFYD_LOG_LEVEL", c.LogLevel, slog.LevelInfo},
		{"NOTIFYD_LOG_FORMAT", c.LogFormat, "json"},
		{"window", c.Policies.Default.Window, 30 * 24 * time.Hour},
		{"silent_consent_max_delay", c.Policies.Default.SilentConsentMaxDelay, 30 * 24 * time.Hour},
		{"min_response_time", c.Policies.Default.MinResponseTime, 7 * 24 * time.Hour},
		{"reminder_before", c.Policies.Default.ReminderBefore, 3 * 24 * time.Hour},
		{"coalesce_window", c.Policies.Default.CoalesceWindow, 10 * time.Minute},
		{"quiet_hours", c.Policies.Default.QuietHours.String(), "21:00-08:00"},
		{"dedup_ttl", c.Policies.Default.DedupTTL, 90 * 24 * time.Hour},
		{"max_updates_per_day", c.Policies.Default.MaxUpdatesPerDay, 3},
		{"material_eta_change", c.Policies.Default.MaterialETAChange, 24 * time.Hour},
		{"brand policy is the default", c.Policies.For("acme"), c.Policies.Default},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
			}
		})
	}
}

func TestLoadDefaultsAreValidInDemo(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil), LoadOptions{Demo: true})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load with nothing set = %+v, want Default()", c)
	}
}

func TestLoadEnvironmentOverridesFile(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "config.yaml", testBrandYAML+`policies:
  default: {window: 20d, coalesce_window: 5m, quiet_hours: ""}
  acme: {reminder_before: 2d, max_updates_per_day: 5}
`)
	c, err := Load(env(map[string]string{
		"NOTIFYD_CONFIG":      file,
		"NOTIFYD_SIGNING_KEY": testSigningKey,
		"NOTIFYD_SMTP_POOL":   "8",
		"NOTIFYD_EMAIL_RATE":  "12.5",
		"NOTIFYD_RETENTION":   "1d12h",
		"NOTIFYD_LOG_LEVEL":   "DEBUG",
		"NOTIFYD_HTTP_ADDR":   "", // empty counts as unset
	}), LoadOptions{File: []byte("brands: []\n")})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	def := Default().Policies.Default
	def.Window, def.CoalesceWindow, def.QuietHours = 20*day, 5*time.Minute, QuietHours{}
	acme := def
	acme.ReminderBefore, acme.MaxUpdatesPerDay = 2*day, 5
	tests := []struct {
		name      string
		got, want any
	}{
		{"file named by NOTIFYD_CONFIG wins over opts.File", len(c.Brands), 1},
		{"ConfigFile", c.ConfigFile, file},
		{"brand", c.Brands[0], testBrand("acme")},
		{"SMTPPool", c.SMTPPool, 8},
		{"EmailRate", c.EmailRate, 12.5},
		{"Retention", c.Retention, 36 * time.Hour},
		{"LogLevel", c.LogLevel, slog.LevelDebug},
		{"empty HTTPAddr keeps the default", c.HTTPAddr, "127.0.0.1:8080"},
		{"policies.default over the built-in default", c.Policies.Default, def},
		{"policies.acme over policies.default", c.Policies.For("acme"), acme},
		{"a brand without an entry gets the default", c.Policies.For("globex"), def},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("%s = %+v, want %+v", tt.name, tt.got, tt.want)
			}
		})
	}
}

func TestLoadBuiltInFile(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil), LoadOptions{Demo: true, File: []byte(testBrandYAML + "policies: {acme: {quiet_hours: \"\"}}\n")})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if len(c.Brands) != 1 || c.Policies.For("acme").QuietHours.Enabled() {
		t.Errorf("brands = %+v, acme policy = %+v; want acme without quiet hours", c.Brands, c.Policies.For("acme"))
	}
	if !c.Policies.Default.QuietHours.Enabled() {
		t.Error("policies.acme changed the default policy")
	}
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string            // YAML for LoadOptions.File, named config.yaml
		env  map[string]string // over a valid NOTIFYD_SIGNING_KEY
		want [][]string        // each: all in one problem
	}{
		{
			name: "pool and redis together",
			env:  map[string]string{"NOTIFYD_SMTP_POOL": "0", "NOTIFYD_REDIS_URL": "foo://x", "NOTIFYD_SIGNING_KEY": ""},
			want: [][]string{
				{`NOTIFYD_SMTP_POOL: must be between 1 and 64, got "0"`},
				{`NOTIFYD_REDIS_URL: not a valid Redis URL ("foo://x")`},
				{"NOTIFYD_SIGNING_KEY: required"},
			},
		},
		{
			name: "unparsable numbers",
			env:  map[string]string{"NOTIFYD_CONCURRENCY": "many", "NOTIFYD_SMS_RATE": "fast", "NOTIFYD_RETENTION": "1y", "NOTIFYD_LOG_LEVEL": "verbose"},
			want: [][]string{
				{"NOTIFYD_CONCURRENCY", `"many"`}, {"NOTIFYD_SMS_RATE", `"fast"`},
				{"NOTIFYD_RETENTION", `"1y"`}, {"NOTIFYD_LOG_LEVEL", `"verbose"`},
			},
		},
		{
			name: "unknown brand key with its line",
			file: testBrandYAML + "    colour: blue\n",
			want: [][]string{{"config.yaml:12: brands[0].colour: unknown key"}},
		},
		{
			name: "unknown nested and top-level keys",
			file: "brand: []\n" + strings.Replace(testBrandYAML, "from_name:", "form_name:", 1),
			want: [][]string{{"config.yaml:1: brand: unknown key"}, {"config.yaml:7: brands[0].email.form_name: unknown key"}},
		},
		{
			name: "duplicate key",
			file: testBrandYAML + "    name: Acme\n",
			want: [][]string{{"config.yaml:12: brands[0].name: duplicate key (first at line 3)"}},
		},
		{
			name: "unquoted colour",
			file: strings.Replace(testBrandYAML, `colors: {primary: "#0b6e4f", text: "#1f2933", background: "#ffffff"}`, "colors:\n      primary: #0b6e4f", 1),
			want: [][]string{{"config.yaml:6: brands[0].colors.primary", `"#0b6e4f"`}},
		},
		{
			name: "brands not a list",
			file: "brands: {id: acme}\n",
			want: [][]string{{"config.yaml:1: brands: must be a list"}},
		},
		{
			name: "bad policy values",
			file: testBrandYAML + "policies:\n  default: {window: 3x, quiet_hours: 21-8}\n  acme: {max_updates_per_day: lots, reminder_before: [1d]}\n",
			want: [][]string{
				{"config.yaml:13: policies.default.window", `"3x"`},
				{"config.yaml:13: policies.default.quiet_hours", `"21-8"`},
				{"config.yaml:14: policies.acme.max_updates_per_day", `"lots"`},
				{"config.yaml:14: policies.acme.reminder_before: must be a single value"},
			},
		},
		{
			name: "negative policy duration",
			file: testBrandYAML + "policies:\n  acme: {window: -3d}\n",
			want: [][]string{{`policies.acme.window: must be a positive duration, got "-3d"`}},
		},
		{
			name: "unknown policy key and brand",
			file: testBrandYAML + "policies:\n  acme: {windw: 3d}\n  globex: {window: 3d}\n",
			want: [][]string{
				{"config.yaml:13: policies.acme.windw: unknown key"},
				{"config.yaml:14: policies.globex: no brand with that id (brands: acme)"},
			},
		},
		{
			name: "YAML syntax",
			file: "brands:\n  - id: [acme\n",
			want: [][]string{{"config.yaml:"}},
		},
		{
			name: "missing config file",
			env:  map[string]string{"NOTIFYD_CONFIG": "/nonexistent/notifyd.yaml"},
			want: [][]string{{"NOTIFYD_CONFIG: cannot read the file", `"/nonexistent/notifyd.yaml"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"NOTIFYD_SIGNING_KEY": testSigningKey}
			for k, v := range tt.env {
				vars[k] = v
			}
			c, err := Load(env(vars), LoadOptions{File: []byte(tt.file), FileName: "config.yaml"})
			if c == nil {
				t.Fatal("Load returned no Config with its problems")
			}
			problems := problemsOf(t, err)
			if len(problems) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(problems), len(tt.want), strings.Join(problems, "\n"))
			}
			for _, parts := range tt.want {
				wantProblem(t, problems, parts...)
			}
		})
	}
}

func TestLoadDKIMAliasesAndEmptyFile(t *testing.T) {
	t.Parallel()
	key := writeFile(t, "acme.pem", testPEM)
	file := testBrandYAML + "    dkim: {selector: s1, key_file: " + key + "}\n" +
		strings.ReplaceAll(strings.TrimPrefix(testBrandYAML, "brands:\n"), "id: acme", "id: globex") + `policies:
  acme: &short {window: 3d}
  globex: *short
`
	c, err := Load(env(nil), LoadOptions{Demo: true, File: []byte(file)})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if d := c.Brands[0].DKIM; d == nil || *d != (BrandDKIM{Selector: "s1", KeyFile: key}) {
		t.Errorf("brands[0].dkim = %+v, want s1 and %s", d, key)
	}
	if c.Brands[1].DKIM != nil {
		t.Errorf("brands[1].dkim = %+v, want none", c.Brands[1].DKIM)
	}
	if got := c.Policies.For("globex").Window; got != 3*day {
		t.Errorf("globex window = %v, want 3d through the alias", got)
	}
	for _, empty := range []string{"", "# nothing yet\n", "brands:\npolicies:\n"} {
		if c, err := Load(env(nil), LoadOptions{Demo: true, File: []byte(empty)}); err != nil || !reflect.DeepEqual(c, Default()) {
			t.Errorf("Load(%q) = %+v, %v; want the defaults", empty, c, err)
		}
	}
}
