package policy_test

import (
	"errors"
	"testing"
	"time"

	"github.com/notifyd/notifyd/policy"
)

func TestAccept(t *testing.T) {
	t.Parallel()
	deadline := promise
	before, after := nyAt("2026-11-30 09:00"), nyAt("2026-12-02 09:00")
	offer := func(recorded string) policy.Answering {
		return policy.Answering{Recorded: recorded, SubstituteOffered: true, Deadline: deadline}
	}
	noSubstitute := policy.Answering{Deadline: deadline}
	closed := func(recorded string) policy.Answering {
		a := offer(recorded)
		a.Closed = true
		return a
	}
	const (
		wait, sub, refund = policy.ChoiceWait, policy.ChoiceSubstitute, policy.ChoiceRefund
	)
	tests := []struct {
		name        string
		offer       policy.Answering
		choice      string
		now         time.Time
		wantChanged bool
		wantErr     error
	}{
		// Before the deadline.
		{"none → wait", offer(""), wait, before, true, nil},
		{"none → substitute when offered", offer(""), sub, before, true, nil},
		{"none → substitute not offered", noSubstitute, sub, before, false, policy.ErrNoSubstitute},
		{"none → refund", offer(""), refund, before, true, nil},
		{"wait → substitute", offer(wait), sub, before, true, nil},
		{"substitute → wait", offer(sub), wait, before, true, nil},
		{"wait → refund", offer(wait), refund, before, true, nil},
		{"substitute → refund", offer(sub), refund, before, true, nil},
		{"wait → wait again: same confirmation", offer(wait), wait, before, false, nil},
		{"refund → refund again: same confirmation", offer(refund), refund, before, false, nil},
		{"refund is final: → wait", offer(refund), wait, before, false, policy.ErrRefundFinal},
		{"refund is final: → substitute", offer(refund), sub, before, false, policy.ErrRefundFinal},
		{"refund is final even once the lines are canceled", closed(refund), wait, before, false, policy.ErrRefundFinal},
		{"unknown choice", offer(""), "cancel", before, false, policy.ErrUnknownChoice},
		{"empty choice", offer(""), "", before, false, policy.ErrUnknownChoice},
		{"shipped or canceled: nothing", closed(""), wait, before, false, policy.ErrClosed},

		// From the deadline on.
		{"none → wait at the deadline", offer(""), wait, deadline, false, policy.ErrAfterDeadline},
		{"none → refund after the deadline", offer(""), refund, after, false, policy.ErrAfterDeadline},
		{"wait → refund at the deadline", offer(wait), refund, deadline, true, nil},
		{"wait → refund after the deadline", offer(wait), refund, after, true, nil},
		{"§8.5 waiting without a date → refund months later", offer(wait), refund, nyAt("2027-06-01 09:00"), true, nil},
		{"wait → substitute after the deadline", offer(wait), sub, after, false, policy.ErrAfterDeadline},
		{"substitute → wait after the deadline", offer(sub), wait, after, false, policy.ErrAfterDeadline},
		{"substitute → refund after the deadline", offer(sub), refund, after, false, policy.ErrAfterDeadline},
		{"wait → wait after the deadline: same confirmation", offer(wait), wait, after, false, nil},
		{"wait → refund once shipped", closed(wait), refund, after, false, policy.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			changed, err := policy.Accept(tt.offer, tt.choice, tt.now)
			if changed != tt.wantChanged || !errors.Is(err, tt.wantErr) {
				t.Errorf("Accept(%+v, %q) = %v, %v; want %v, %v", tt.offer, tt.choice, changed, err, tt.wantChanged, tt.wantErr)
			}
		})
	}
}

func TestAtDeadline(t *testing.T) {
	t.Parallel()
	consent := policy.Case{Silence: policy.SilenceIsConsent}
	cancel := policy.Case{Silence: policy.SilenceCancels}
	tests := []struct {
		name        string
		c           policy.Case
		recorded    string
		unreachable bool
		want        policy.Outcome
	}{
		{"§8.2 silence is consent", consent, "", false, policy.ConsentBySilence},
		{"§8.3 silence cancels", cancel, "", false, policy.AutoCancel},
		{"§8.9 unreachable: silence is never consent", consent, "", true, policy.AutoCancel},
		{"unreachable and cancel", cancel, "", true, policy.AutoCancel},
		{"an answer to wait stands", cancel, policy.ChoiceWait, false, policy.Answered},
		{"a substitute stands", consent, policy.ChoiceSubstitute, false, policy.Answered},
		{"a refund stands", consent, policy.ChoiceRefund, false, policy.Answered},
		{"an answer stands even when unreachable", cancel, policy.ChoiceWait, true, policy.Answered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := policy.AtDeadline(tt.c, tt.recorded, tt.unreachable); got != tt.want {
				t.Errorf("AtDeadline = %q, want %q", got, tt.want)
			}
		})
	}
}
