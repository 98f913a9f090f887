package policy

import "time"

// refundWorkingDays is how many working days the shop has to refund (§7).
const refundWorkingDays = 7

// RefundDueBy returns refund_due_by for a cancellation at canceledAt (§7): the date 7
// working days (Monday to Friday; holidays are not known) after the cancellation's date
// in loc, as midnight of that date in loc. Format it with time.DateOnly.
func RefundDueBy(canceledAt time.Time, loc *time.Location) time.Time {
	t := canceledAt.In(zone(loc))
	y, m, d := t.Date()
	for n := 0; n < refundWorkingDays; {
		d++
		if wd := time.Date(y, m, d, 12, 0, 0, 0, t.Location()).Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
