package policy_test

import (
	"testing"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/policy"
)

// The consent of the renewal tests: the first offer's deadline was the promise (1 Dec
// 17:00) and the customer agreed to wait until R = 20 Dec 17:00, so R − M = 13 Dec 17:00.
var consentedR = nyAt("2026-12-20 17:00")

func TestNeedsRenewal(t *testing.T) {
	t.Parallel()
	line := func(eta *time.Time) policy.Line { return policy.Line{ID: "l1", Promise: promise, ETA: eta} }
	tests := []struct {
		name          string
		line          policy.Line
		consentedR    *time.Time
		firstDeadline time.Time
		now           time.Time
		want          bool
	}{
		{"an ETA after R", line(ptr(nyAt("2026-12-20 17:01"))), &consentedR, promise, nyAt("2026-12-05 09:00"), true},
		{"no ETA any more", line(nil), &consentedR, promise, nyAt("2026-12-05 09:00"), true},
		{"now indefinite", policy.Line{Promise: promise, Indefinite: true}, &consentedR, promise, nyAt("2026-12-05 09:00"), true},
		{"a new ETA on R is only an eta_update", line(ptr(consentedR)), &consentedR, promise, nyAt("2026-12-05 09:00"), false},
		{"a new ETA before R is only an eta_update", line(ptr(nyAt("2026-12-15 17:00"))), &consentedR, promise, nyAt("2026-12-05 09:00"), false},
		{"just before R − M", line(ptr(consentedR)), &consentedR, promise, nyAt("2026-12-13 16:59"), false},
		{"R − M comes with the line unshipped", line(ptr(consentedR)), &consentedR, promise, nyAt("2026-12-13 17:00"), true},
		{"R − M before the first deadline: wait for the deadline", line(ptr(nyAt("2026-12-05 17:00"))), ptr(nyAt("2026-12-05 17:00")), promise, nyAt("2026-11-30 09:00"), false},
		{"the first deadline, later than R − M, comes", line(ptr(nyAt("2026-12-05 17:00"))), ptr(nyAt("2026-12-05 17:00")), promise, promise, true},
		{"shipped: never", policy.Line{Promise: promise, ETA: ptr(nyAt("2027-01-20 17:00")), Shipped: true}, &consentedR, promise, nyAt("2026-12-19 09:00"), false},
		{"canceled: never", policy.Line{Promise: promise, Canceled: true}, &consentedR, promise, nyAt("2026-12-19 09:00"), false},
		{"§8.5 indefinite consent: no further offers", line(nil), nil, promise, nyAt("2027-06-01 09:00"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := policy.NeedsRenewal(tt.line, tt.consentedR, tt.firstDeadline, tt.now, defaults(), ny); got != tt.want {
				t.Errorf("NeedsRenewal at %v = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}

func TestRenewalCheckAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		consentedR    time.Time
		firstDeadline time.Time
		p             config.Policy
		loc           *time.Location
		want          time.Time
	}{
		{"R − M", consentedR, promise, defaults(), ny, nyAt("2026-12-13 17:00")},
		{"the first deadline when later", nyAt("2026-12-05 17:00"), promise, defaults(), ny, promise},
		{"a brand's min_response_time", consentedR, promise, with(func(p *config.Policy) { p.MinResponseTime = 3 * day }), ny, nyAt("2026-12-17 17:00")},
		{"across fall back in Berlin", at(berlin, "2026-10-30 18:00"), at(berlin, "2026-10-01 18:00"), defaults(), berlin, at(berlin, "2026-10-23 18:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := policy.RenewalCheckAt(tt.consentedR, tt.firstDeadline, tt.p, tt.loc); !got.Equal(tt.want) {
				t.Errorf("RenewalCheckAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRenewedOffer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []policy.Line
		sent  time.Time
		want  caseWant
	}{
		{
			name:  "silence is never consent, even to a short new delay; deadline R",
			lines: []policy.Line{{ID: "l1", Promise: promise, ETA: ptr(nyAt("2026-12-22 17:00"))}},
			sent:  nyAt("2026-12-05 09:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, consentedR,
				ptr(nyAt("2026-12-17 17:00")), ptr(nyAt("2026-12-22 17:00"))},
		},
		{
			name:  "sent at R − M: deadline R",
			lines: []policy.Line{{ID: "l1", Promise: promise, ETA: ptr(consentedR)}},
			sent:  nyAt("2026-12-13 17:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, consentedR,
				ptr(nyAt("2026-12-17 17:00")), ptr(consentedR)},
		},
		{
			name:  "sent late: deadline sent + M",
			lines: []policy.Line{{ID: "l1", Promise: promise}},
			sent:  nyAt("2026-12-18 09:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, nyAt("2026-12-25 09:00"),
				ptr(nyAt("2026-12-22 09:00")), nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkCase(t, policy.RenewedOffer(tt.lines, consentedR, tt.sent, defaults(), ny), tt.want, ny)
		})
	}
}

// TestSecondDelay plays §8.2 and §8.4 through: a first delay within 30 days, silence
// (consent), a second slip, a renewed offer, silence again (cancel).
func TestSecondDelay(t *testing.T) {
	t.Parallel()
	p := defaults()
	line := policy.Line{ID: "l1", Promise: promise, ETA: ptr(consentedR)}

	if !policy.Late(line, nyAt("2026-11-10 09:00"), p, ny) {
		t.Fatal("a line with an ETA after P is not late")
	}
	first := policy.FirstOffer([]policy.Line{line}, nyAt("2026-11-10 09:00"), p, ny)
	if first.Silence != policy.SilenceIsConsent {
		t.Fatalf("first offer: silence %q, want consent", first.Silence)
	}
	if got := policy.AtDeadline(first, "", false); got != policy.ConsentBySilence {
		t.Fatalf("first deadline: %q, want %q", got, policy.ConsentBySilence)
	}

	slipped := line
	slipped.ETA = ptr(nyAt("2026-12-23 17:00"))
	now := nyAt("2026-12-06 09:00")
	if !policy.NeedsRenewal(slipped, first.NewDate, first.Deadline, now, p, ny) {
		t.Fatal("a slip past the consented date needs no renewal")
	}
	renewed := policy.RenewedOffer([]policy.Line{slipped}, *first.NewDate, now, p, ny)
	if renewed.Silence != policy.SilenceCancels || !renewed.Deadline.Equal(consentedR) {
		t.Fatalf("renewed offer: silence %q deadline %v, want cancel at %v", renewed.Silence, renewed.Deadline, consentedR)
	}
	if got := policy.AtDeadline(renewed, "", false); got != policy.AutoCancel {
		t.Fatalf("renewed deadline: %q, want %q", got, policy.AutoCancel)
	}
}
