package policy_test

import (
	"slices"
	"testing"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/policy"
)

// caseWant is what a test expects of a policy.Case.
type caseWant struct {
	lineIDs  []string
	silence  policy.Silence
	deadline time.Time
	reminder *time.Time
	newDate  *time.Time
}

func checkCase(t *testing.T, got policy.Case, want caseWant, loc *time.Location) {
	t.Helper()
	if !slices.Equal(got.LineIDs, want.lineIDs) {
		t.Errorf("LineIDs = %v, want %v", got.LineIDs, want.lineIDs)
	}
	if got.Silence != want.silence {
		t.Errorf("Silence = %q, want %q", got.Silence, want.silence)
	}
	if !got.Deadline.Equal(want.deadline) {
		t.Errorf("Deadline = %s, want %s", show(&got.Deadline, loc), show(&want.deadline, loc))
	}
	if show(got.ReminderAt, loc) != show(want.reminder, loc) {
		t.Errorf("ReminderAt = %s, want %s", show(got.ReminderAt, loc), show(want.reminder, loc))
	}
	if show(got.NewDate, loc) != show(want.newDate, loc) {
		t.Errorf("NewDate = %s, want %s", show(got.NewDate, loc), show(want.newDate, loc))
	}
}

func TestFirstOffer(t *testing.T) {
	t.Parallel()
	late := func(id string, eta *time.Time) policy.Line { return policy.Line{ID: id, Promise: promise, ETA: eta} }
	tests := []struct {
		name  string
		lines []policy.Line
		sent  time.Time
		p     config.Policy
		want  caseWant
	}{
		{
			name:  "§8.2 definite delay within 30 days: silence is consent, deadline P",
			lines: []policy.Line{late("l1", ptr(nyAt("2026-12-20 23:59")))},
			sent:  nyAt("2026-11-10 09:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceIsConsent, promise,
				ptr(nyAt("2026-11-28 17:00")), ptr(nyAt("2026-12-20 23:59"))},
		},
		{
			name:  "§8.2 delay of exactly P + D is still consent",
			lines: []policy.Line{late("l1", ptr(nyAt("2026-12-31 17:00")))},
			sent:  nyAt("2026-11-10 09:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceIsConsent, promise,
				ptr(nyAt("2026-11-28 17:00")), ptr(nyAt("2026-12-31 17:00"))},
		},
		{
			name:  "§8.3 longer delay: silence cancels, deadline P + D",
			lines: []policy.Line{late("l1", ptr(nyAt("2026-12-31 17:01")))},
			sent:  nyAt("2026-11-10 09:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, nyAt("2026-12-31 17:00"),
				ptr(nyAt("2026-12-28 17:00")), ptr(nyAt("2026-12-31 17:01"))},
		},
		{
			name:  "§8.3 unknown date at the window check: silence cancels, no date stated",
			lines: []policy.Line{late("l1", nil)},
			sent:  nyAt("2026-11-24 17:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, nyAt("2026-12-31 17:00"),
				ptr(nyAt("2026-12-28 17:00")), nil},
		},
		{
			name:  "§8.1 indefinite backorder: silence cancels, no date stated",
			lines: []policy.Line{{ID: "l1", Promise: promise, Indefinite: true}},
			sent:  nyAt("2026-11-02 10:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, nyAt("2026-12-31 17:00"),
				ptr(nyAt("2026-12-28 17:00")), nil},
		},
		{
			name:  "promise already passed: deadline sent + M",
			lines: []policy.Line{late("l1", ptr(nyAt("2026-12-20 23:59")))},
			sent:  nyAt("2026-12-03 10:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceIsConsent, nyAt("2026-12-10 10:00"),
				ptr(nyAt("2026-12-07 10:00")), ptr(nyAt("2026-12-20 23:59"))},
		},
		{
			name:  "min_response_time dominates P shortly before the promise",
			lines: []policy.Line{late("l1", ptr(nyAt("2026-12-20 23:59")))},
			sent:  nyAt("2026-11-28 09:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceIsConsent, nyAt("2026-12-05 09:00"),
				ptr(nyAt("2026-12-02 09:00")), ptr(nyAt("2026-12-20 23:59"))},
		},
		{
			name:  "min_response_time dominates P + D for a late slip",
			lines: []policy.Line{late("l1", ptr(nyAt("2027-02-01 23:59")))},
			sent:  nyAt("2026-12-28 09:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, nyAt("2027-01-04 09:00"),
				ptr(nyAt("2027-01-01 09:00")), ptr(nyAt("2027-02-01 23:59"))},
		},
		{
			name: "several lines: express consent if any needs it, and the earliest deadline",
			lines: []policy.Line{
				late("within", ptr(nyAt("2026-12-20 23:59"))),
				late("unknown", nil),
			},
			sent: nyAt("2026-11-24 17:00"),
			want: caseWant{[]string{"within", "unknown"}, policy.SilenceCancels, promise,
				ptr(nyAt("2026-11-28 17:00")), nil},
		},
		{
			name: "several definite lines: the earliest promise's deadline, the latest date",
			lines: []policy.Line{
				{ID: "later-promise", Promise: nyAt("2026-12-08 17:00"), ETA: ptr(nyAt("2026-12-24 23:59"))},
				late("earlier-promise", ptr(nyAt("2026-12-20 23:59"))),
			},
			sent: nyAt("2026-11-10 09:00"),
			want: caseWant{[]string{"later-promise", "earlier-promise"}, policy.SilenceIsConsent, promise,
				ptr(nyAt("2026-11-28 17:00")), ptr(nyAt("2026-12-24 23:59"))},
		},
		{
			name: "several lines all beyond D: the earliest P + D",
			lines: []policy.Line{
				{ID: "a", Promise: nyAt("2026-12-08 17:00"), ETA: ptr(nyAt("2027-02-01 23:59"))},
				late("b", ptr(nyAt("2027-01-20 23:59"))),
			},
			sent: nyAt("2026-11-10 09:00"),
			want: caseWant{[]string{"a", "b"}, policy.SilenceCancels, nyAt("2026-12-31 17:00"),
				ptr(nyAt("2026-12-28 17:00")), ptr(nyAt("2027-02-01 23:59"))},
		},
		{
			name:  "reminder that would coincide with the offer is not sent",
			lines: []policy.Line{late("l1", ptr(nyAt("2026-12-20 23:59")))},
			sent:  nyAt("2026-11-28 09:00"),
			p:     with(func(p *config.Policy) { p.ReminderBefore = 7 * day }),
			want: caseWant{[]string{"l1"}, policy.SilenceIsConsent, nyAt("2026-12-05 09:00"),
				nil, ptr(nyAt("2026-12-20 23:59"))},
		},
		{
			name:  "no lines: no offer",
			lines: nil,
			sent:  nyAt("2026-11-28 09:00"),
			want:  caseWant{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.p
			if p == (config.Policy{}) {
				p = defaults()
			}
			checkCase(t, policy.FirstOffer(tt.lines, tt.sent, p, ny), tt.want, ny)
		})
	}
}

// TestFirstOfferAcrossDST checks that P + D and sent + M are calendar days in the
// brand's zone: the same wall-clock time, one hour more or less of elapsed time.
func TestFirstOfferAcrossDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		loc   *time.Location
		line  policy.Line
		sent  time.Time
		want  caseWant
		hours time.Duration // deadline − P, elapsed
	}{
		{
			name: "New York spring forward: P + 30d",
			loc:  ny,
			line: policy.Line{ID: "l1", Promise: nyAt("2026-03-01 12:00")},
			sent: nyAt("2026-02-22 12:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, nyAt("2026-03-31 12:00"),
				ptr(nyAt("2026-03-28 12:00")), nil},
			hours: 30*day - time.Hour,
		},
		{
			name: "New York fall back: sent + 7d after the promise",
			loc:  ny,
			line: policy.Line{ID: "l1", Promise: nyAt("2026-10-28 12:00"), ETA: ptr(nyAt("2026-11-10 23:59"))},
			sent: nyAt("2026-10-29 08:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceIsConsent, nyAt("2026-11-05 08:00"),
				ptr(nyAt("2026-11-02 08:00")), ptr(nyAt("2026-11-10 23:59"))},
			hours: 7*day + 20*time.Hour + time.Hour,
		},
		{
			name: "Berlin spring forward: P + 30d",
			loc:  berlin,
			line: policy.Line{ID: "l1", Promise: at(berlin, "2026-03-15 18:00"), Indefinite: true},
			sent: at(berlin, "2026-03-01 10:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, at(berlin, "2026-04-14 18:00"),
				ptr(at(berlin, "2026-04-11 18:00")), nil},
			hours: 30*day - time.Hour,
		},
		{
			name: "Berlin fall back: P + 30d",
			loc:  berlin,
			line: policy.Line{ID: "l1", Promise: at(berlin, "2026-10-10 18:00"), ETA: ptr(at(berlin, "2026-12-01 23:59"))},
			sent: at(berlin, "2026-10-03 18:00"),
			want: caseWant{[]string{"l1"}, policy.SilenceCancels, at(berlin, "2026-11-09 18:00"),
				ptr(at(berlin, "2026-11-06 18:00")), ptr(at(berlin, "2026-12-01 23:59"))},
			hours: 30*day + time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.FirstOffer([]policy.Line{tt.line}, tt.sent, defaults(), tt.loc)
			checkCase(t, got, tt.want, tt.loc)
			if e := got.Deadline.Sub(tt.line.Promise); e != tt.hours {
				t.Errorf("deadline − P = %v, want %v", e, tt.hours)
			}
		})
	}
}

func TestReminder(t *testing.T) {
	t.Parallel()
	deadline := nyAt("2026-12-10 10:00")
	tests := []struct {
		name     string
		deadline time.Time
		now      time.Time
		p        config.Policy
		want     *time.Time
	}{
		{"reminder_before the deadline", deadline, nyAt("2026-12-03 10:00"), defaults(), ptr(nyAt("2026-12-07 10:00"))},
		{"a moment before it is still in time", deadline, nyAt("2026-12-07 09:59"), defaults(), ptr(nyAt("2026-12-07 10:00"))},
		{"exactly now: not sent", deadline, nyAt("2026-12-07 10:00"), defaults(), nil},
		{"already passed: not sent", deadline, nyAt("2026-12-08 10:00"), defaults(), nil},
		{"a brand's reminder_before", deadline, nyAt("2026-12-03 10:00"), with(func(p *config.Policy) { p.ReminderBefore = 36 * time.Hour }), ptr(nyAt("2026-12-08 22:00"))},
		{"no reminder_before: none", deadline, nyAt("2026-12-03 10:00"), with(func(p *config.Policy) { p.ReminderBefore = 0 }), nil},
		{"across spring forward: same wall clock", nyAt("2026-03-10 12:00"), nyAt("2026-03-03 12:00"), defaults(), ptr(nyAt("2026-03-07 12:00"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.Reminder(tt.deadline, tt.now, tt.p, ny)
			if show(got, ny) != show(tt.want, ny) {
				t.Errorf("Reminder = %s, want %s", show(got, ny), show(tt.want, ny))
			}
		})
	}
}
