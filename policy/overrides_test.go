package policy_test

import (
	"testing"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/policy"
)

// TestPerBrandOverrides overrides each key the policy reads for one brand, resolves both
// brands' policies as the configuration does, and checks that only that brand's outcome
// changes, to the value the key implies.
func TestPerBrandOverrides(t *testing.T) {
	t.Parallel()
	within := policy.Line{ID: "l1", Promise: promise, ETA: ptr(nyAt("2026-12-20 23:59"))}
	unknown := policy.Line{ID: "l1", Promise: promise}
	first := func(l policy.Line, sent string) func(config.Policy) policy.Case {
		return func(p config.Policy) policy.Case { return policy.FirstOffer([]policy.Line{l}, nyAt(sent), p, ny) }
	}
	tests := []struct {
		name     string
		override func(*config.Policy)
		outcome  func(config.Policy) string
		def, own string // the default brand's outcome and the overriding brand's
	}{
		{
			name:     "window moves the promise",
			override: func(p *config.Policy) { p.Window = 14 * day },
			outcome: func(p config.Policy) string {
				return fmtTime(policy.Promise(nyAt("2026-11-02 09:15"), nil, p, ny))
			},
			def: "2026-12-02 09:15", own: "2026-11-16 09:15",
		},
		{
			name:     "silent_consent_max_delay decides what silence means",
			override: func(p *config.Policy) { p.SilentConsentMaxDelay = 10 * day },
			outcome: func(p config.Policy) string {
				c := first(within, "2026-11-10 09:00")(p)
				return string(c.Silence) + " " + fmtTime(c.Deadline)
			},
			def: "consent 2026-12-01 17:00", own: "cancel 2026-12-11 17:00",
		},
		{
			name:     "min_response_time moves the window check",
			override: func(p *config.Policy) { p.MinResponseTime = 14 * day },
			outcome: func(p config.Policy) string {
				return fmtTime(policy.WindowCheckAt(unknown, p, ny))
			},
			def: "2026-11-24 17:00", own: "2026-11-17 17:00",
		},
		{
			name:     "min_response_time moves a deadline",
			override: func(p *config.Policy) { p.MinResponseTime = 14 * day },
			outcome:  func(p config.Policy) string { return fmtTime(first(within, "2026-11-28 09:00")(p).Deadline) },
			def:      "2026-12-05 09:00", own: "2026-12-12 09:00",
		},
		{
			name:     "min_response_time moves the renewal check",
			override: func(p *config.Policy) { p.MinResponseTime = 14 * day },
			outcome:  func(p config.Policy) string { return fmtTime(policy.RenewalCheckAt(consentedR, promise, p, ny)) },
			def:      "2026-12-13 17:00", own: "2026-12-06 17:00",
		},
		{
			name:     "reminder_before moves the reminder",
			override: func(p *config.Policy) { p.ReminderBefore = 1 * day },
			outcome:  func(p config.Policy) string { return fmtTime(*first(within, "2026-11-10 09:00")(p).ReminderAt) },
			def:      "2026-11-28 17:00", own: "2026-11-30 17:00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pols := resolve(tt.override)
			if got := tt.outcome(pols.For("globex")); got != tt.def {
				t.Errorf("default brand: %s, want %s", got, tt.def)
			}
			if got := tt.outcome(pols.For("acme")); got != tt.own {
				t.Errorf("overriding brand: %s, want %s", got, tt.own)
			}
		})
	}
}

// TestKeysThePolicyDoesNotRead overrides the §8 keys that belong to sending (coalescing,
// quiet hours, deduplication, update limits) and checks that no decision of this package
// changes: they are applied where messages are scheduled, not here.
func TestKeysThePolicyDoesNotRead(t *testing.T) {
	t.Parallel()
	overrides := map[string]func(*config.Policy){
		"coalesce_window":     func(p *config.Policy) { p.CoalesceWindow = time.Hour },
		"quiet_hours":         func(p *config.Policy) { p.QuietHours = config.QuietHours{} },
		"dedup_ttl":           func(p *config.Policy) { p.DedupTTL = 7 * day },
		"max_updates_per_day": func(p *config.Policy) { p.MaxUpdatesPerDay = 1 },
		"material_eta_change": func(p *config.Policy) { p.MaterialETAChange = 3 * day },
	}
	decisions := func(p config.Policy) string {
		line := policy.Line{ID: "l1", Promise: promise, ETA: ptr(nyAt("2026-12-20 23:59"))}
		c := policy.FirstOffer([]policy.Line{line}, nyAt("2026-11-28 09:00"), p, ny)
		return fmtTime(policy.Promise(nyAt("2026-11-02 09:15"), nil, p, ny)) + " " +
			fmtTime(policy.WindowCheckAt(line, p, ny)) + " " +
			string(c.Silence) + " " + fmtTime(c.Deadline) + " " + show(c.ReminderAt, ny) + " " +
			fmtTime(policy.RenewalCheckAt(consentedR, c.Deadline, p, ny))
	}
	want := decisions(defaults())
	for key, override := range overrides {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			if got := decisions(resolve(override).For("acme")); got != want {
				t.Errorf("with %s overridden: %s, want %s", key, got, want)
			}
		})
	}
}

// resolve returns the policies of a configuration whose brand "acme" overrides the
// default with override and whose brand "globex" has no entry of its own.
func resolve(override func(*config.Policy)) config.Policies {
	return config.Policies{
		Default: defaults(),
		ByBrand: map[string]config.Policy{"acme": with(override)},
	}
}

func fmtTime(t time.Time) string { return t.In(ny).Format("2006-01-02 15:04") }
