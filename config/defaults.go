package config

import (
	"log/slog"
	"time"
)

// Default returns the configuration used when nothing is set: every default of
// CONTRACT.md §2 and §8, in one place.
func Default() *Config {
	return &Config{
		RedisURL:    "redis://127.0.0.1:6379/0",
		DatabaseURL: "sqlite:notifyd.db",
		SMTPPool:    4,
		HTTPAddr:    "127.0.0.1:8080",
		PublicURL:   "http://127.0.0.1:8080",
		Concurrency: 20,
		EmailRate:   50,
		SMSRate:     10,
		Retention:   400 * day,
		LogLevel:    slog.LevelInfo,
		LogFormat:   "json",
		Policies: Policies{
			// The US FTC Mail, Internet, or Telephone Order Merchandise Rule (16 CFR 435).
			Default: Policy{
				Window:                30 * day,
				SilentConsentMaxDelay: 30 * day,
				MinResponseTime:       7 * day,
				ReminderBefore:        3 * day,
				CoalesceWindow:        10 * time.Minute,
				QuietHours:            QuietHours{Start: 21 * 60, End: 8 * 60},
				DedupTTL:              90 * day,
				MaxUpdatesPerDay:      3,
				MaterialETAChange:     1 * day,
			},
		},
	}
}
