package policy

import (
	"errors"
	"time"
)

// The customer's choices (§7, §8.6).
const (
	ChoiceWait       = "wait"
	ChoiceSubstitute = "substitute"
	ChoiceRefund     = "refund"
)

// Why Accept refuses a choice; the choice page and the SMS answer explain each in the
// customer's words.
var (
	ErrUnknownChoice = errors.New("policy: unknown choice")
	ErrNoSubstitute  = errors.New("policy: no substitute was offered")
	ErrRefundFinal   = errors.New("policy: a refund is final once recorded")
	ErrAfterDeadline = errors.New("policy: the deadline has passed")
	ErrClosed        = errors.New("policy: the lines have shipped or been canceled")
)

// Answering is what Accept needs to know about an offer.
type Answering struct {
	// Recorded is the choice recorded so far ("" for none), by answer or by silence.
	Recorded          string
	SubstituteOffered bool
	Deadline          time.Time
	// Closed: every line of the offer has shipped or been canceled.
	Closed bool
}

// Accept decides whether choice may be recorded on the offer a at now (§8.5, §8.6):
//
//   - before the deadline any choice may be made and replaced by another, except that
//     refund is final once recorded, and substitute needs a substitute on offer;
//   - from the deadline on, only a customer who is waiting may still choose refund;
//   - nothing once the lines have shipped or been canceled.
//
// changed is false, with a nil error, when choice is already the recorded one: the
// customer sees the same confirmation again.
func Accept(a Answering, choice string, now time.Time) (changed bool, err error) {
	switch {
	case choice != ChoiceWait && choice != ChoiceSubstitute && choice != ChoiceRefund:
		return false, ErrUnknownChoice
	case choice == a.Recorded:
		return false, nil
	case a.Recorded == ChoiceRefund:
		return false, ErrRefundFinal
	case a.Closed:
		return false, ErrClosed
	case choice == ChoiceSubstitute && !a.SubstituteOffered:
		return false, ErrNoSubstitute
	case now.Before(a.Deadline):
		return true, nil
	case a.Recorded == ChoiceWait && choice == ChoiceRefund:
		return true, nil
	default:
		return false, ErrAfterDeadline
	}
}

// Outcome is what an offer's deadline decides.
type Outcome string

// The outcomes.
const (
	// Answered: the customer's recorded choice stands; nothing more to do.
	Answered Outcome = "answered"
	// ConsentBySilence: record wait with channel silence and send choice_confirmation.
	ConsentBySilence Outcome = "consent_by_silence"
	// AutoCancel: cancel the lines, send order.auto_canceled and auto_cancel_notice.
	AutoCancel Outcome = "auto_cancel"
)

// AtDeadline decides offer c when its deadline comes with recorded the choice recorded
// so far ("" for none). unreachable is true when no channel could deliver the offer:
// then silence is never consent (§8.9).
func AtDeadline(c Case, recorded string, unreachable bool) Outcome {
	switch {
	case recorded != "":
		return Answered
	case c.Silence == SilenceIsConsent && !unreachable:
		return ConsentBySilence
	default:
		return AutoCancel
	}
}
