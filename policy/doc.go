// Package policy is the shipping promise of CONTRACT.md §8 as pure, clock-driven code:
// when an order line is late, what the delay-option offer says and when it is decided,
// when a renewed offer is due, which answers may be recorded, and when a refund is due.
// It does no I/O and never reads the clock: every function is given the time it needs
// and the brand's resolved config.Policy, so tests move time instead of sleeping.
//
// The defaults follow the US FTC Mail, Internet, or Telephone Order Merchandise Rule
// (16 CFR 435). In plain words, per order line:
//
//   - P, the promise, is promised_ship_by, or placed_at + window (Promise).
//   - §8.1 A line is late when its ETA is after P, or when P − min_response_time comes
//     and it is still unshipped with no ETA on or before P; an indefinite backorder is
//     late at once (Late). notifyd checks at P − M by itself (WindowCheckAt). As soon as
//     any line is late, one offer covers every late line (FirstOffer); several lines
//     follow the strictest case among them: express consent if any line needs it, and
//     the earliest deadline.
//   - §8.2 A definite new date R no later than P + silent_consent_max_delay: if the
//     customer does not answer by max(P, sent + M), silence is consent and "wait" is
//     recorded (AtDeadline → ConsentBySilence).
//   - §8.3 R later than P + D, or no date at all: silence is not consent; unless the
//     customer agrees to wait, or the line ships, by max(P + D, sent + M), the line is
//     canceled (AtDeadline → AutoCancel).
//   - §8.4 After consent to a definite R, the line gets a renewed offer when it will not
//     ship by R: an ETA after R or no ETA arrives, or R − M (or the first offer's
//     deadline, if later) comes with the line unshipped (NeedsRenewal, RenewalCheckAt).
//     Silence is never consent to a renewed offer; its deadline is max(R, sent + M)
//     (RenewedOffer). A new ETA still on or before R is only an eta_update.
//   - §8.5 A customer who agreed to wait without a date gets no further offers
//     (NeedsRenewal with no consented date) and may cancel at any time before shipment.
//   - §8.6 Until the deadline the customer may switch between wait and substitute (the
//     substitute only when one was offered); refund is final once recorded; after the
//     deadline a waiting customer may still choose refund until the line ships (Accept).
//   - §8.8 choice_reminder goes out reminder_before the deadline, unless that moment has
//     already passed (Reminder).
//   - §8.9 If no channel could deliver the offer, silence is never consent (AtDeadline).
//   - §8.10 An offer keeps the policy values it was made under: pass the values stored
//     with an offer when deciding about that offer, and the brand's current values when
//     making a new one.
//   - §7 A refund is due 7 working days (Monday to Friday) after a cancellation, as a date
//     in the brand's time zone (RefundDueBy).
//
// "Sent" is when the first channel's provider accepted the offer. Every duration counts
// whole days as calendar days in the brand's time zone: P + 30d is the same wall-clock
// time 30 days later, across daylight-saving changes (AddDays). Dates written without a
// time (promised_ship_by, ETAs) are the end of that day in the brand's zone; the caller
// resolves them to instants before asking this package.
package policy
