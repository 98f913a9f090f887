package config

import (
	"fmt"
	"strconv"
	"time"
)

// policyKey is one key of a policies: entry (CONTRACT.md §8): how to read it from its
// text, print it back, and what makes its value invalid.
type policyKey struct {
	name  string
	get   func(*Policy) string
	set   func(*Policy, string) error
	check func(*Policy) string // "" when valid, else what is wrong
}

// policyKeys lists every policy key in the order CONTRACT.md §8 gives them.
var policyKeys = []policyKey{
	durationKey("window", func(p *Policy) *time.Duration { return &p.Window }),
	durationKey("silent_consent_max_delay", func(p *Policy) *time.Duration { return &p.SilentConsentMaxDelay }),
	durationKey("min_response_time", func(p *Policy) *time.Duration { return &p.MinResponseTime }),
	durationKey("reminder_before", func(p *Policy) *time.Duration { return &p.ReminderBefore }),
	durationKey("coalesce_window", func(p *Policy) *time.Duration { return &p.CoalesceWindow }),
	{
		name: "quiet_hours",
		get:  func(p *Policy) string { return p.QuietHours.String() },
		set: func(p *Policy, s string) error {
			q, err := ParseQuietHours(s)
			if err == nil {
				p.QuietHours = q
			}
			return err
		},
		check: func(p *Policy) string {
			if !p.QuietHours.valid() {
				return fmt.Sprintf("minutes must be between 0 and 1439, got start %d, end %d", p.QuietHours.Start, p.QuietHours.End)
			}
			return ""
		},
	},
	durationKey("dedup_ttl", func(p *Policy) *time.Duration { return &p.DedupTTL }),
	{
		name: "max_updates_per_day",
		get:  func(p *Policy) string { return strconv.Itoa(p.MaxUpdatesPerDay) },
		set: func(p *Policy, s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("must be a whole number, got %q", s)
			}
			p.MaxUpdatesPerDay = n
			return nil
		},
		check: func(p *Policy) string {
			if p.MaxUpdatesPerDay < 0 {
				return fmt.Sprintf("must be 0 or more, got %q", strconv.Itoa(p.MaxUpdatesPerDay))
			}
			return ""
		},
	},
	durationKey("material_eta_change", func(p *Policy) *time.Duration { return &p.MaterialETAChange }),
}

func durationKey(name string, field func(*Policy) *time.Duration) policyKey {
	return policyKey{
		name: name,
		get:  func(p *Policy) string { return FormatDuration(*field(p)) },
		set: func(p *Policy, s string) error {
			d, err := ParseDuration(s)
			if err == nil {
				*field(p) = d
			}
			return err
		},
		check: func(p *Policy) string {
			if *field(p) <= 0 {
				return fmt.Sprintf("must be a positive duration, got %q", FormatDuration(*field(p)))
			}
			return ""
		},
	}
}

func lookupPolicyKey(name string) (policyKey, bool) {
	for _, k := range policyKeys {
		if k.name == name {
			return k, true
		}
	}
	return policyKey{}, false
}

// validatePolicies names every invalid policy value. A brand's policy is checked only
// where it differs from the default, so a bad default is reported once.
func (c *Config) validatePolicies(v *problems) {
	def := c.Policies.Default
	checkPolicy(v, "policies.default", &def, nil)
	ids := c.BrandIDs()
	for _, id := range sortedKeys(c.Policies.ByBrand) {
		if !ids[id] {
			v.addf("policies.%s: no brand with that id (brands: %s)", id, listOrNone(c.brandIDList()))
			continue
		}
		p := c.Policies.ByBrand[id]
		checkPolicy(v, "policies."+id, &p, &def)
	}
}

func checkPolicy(v *problems, prefix string, p, def *Policy) {
	for _, k := range policyKeys {
		if def != nil && k.get(p) == k.get(def) {
			continue
		}
		if msg := k.check(p); msg != "" {
			v.addf("%s.%s: %s", prefix, k.name, msg)
		}
	}
	unchanged := def != nil && p.ReminderBefore == def.ReminderBefore && p.MinResponseTime == def.MinResponseTime
	if !unchanged && p.MinResponseTime > 0 && p.ReminderBefore >= p.MinResponseTime {
		v.addf("%s.reminder_before: must be shorter than %s.min_response_time (%s), else no reminder could ever be sent, got %q",
			prefix, prefix, FormatDuration(p.MinResponseTime), FormatDuration(p.ReminderBefore))
	}
}
