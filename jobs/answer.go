package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/notifyd/notifyd/policy"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// Errors of Choose beyond the policy's own (policy.ErrRefundFinal, ErrNoSubstitute,
// ErrAfterDeadline, ErrClosed, ErrUnknownChoice).
var ErrNoOffer = errors.New("no such offer")

// Choose records a customer's answer to an offer (CONTRACT.md §8.6) from channel (web,
// sms or support): wait and substitute can be switched until the deadline, refund is
// final and cancels the lines at once; after the deadline a waiting customer may still
// choose refund until the lines ship. The same choice again changes nothing
// (changed=false). A recorded choice is confirmed to the customer and sent to the shop.
func (w *Worker) Choose(ctx context.Context, offerID, choice, channel string) (off *store.Offer, changed bool, err error) {
	err = w.retryCommit(ctx, func() (*plan, error) {
		var o *orderState
		off, o, err = w.offerCase(ctx, offerID)
		if err != nil {
			return nil, err
		}
		if off == nil {
			return nil, ErrNoOffer
		}
		now := w.Now()
		lines, views := o.offerLines(off)
		closed := o.rec.State != store.OrderOpen || len(lines) == 0
		// The last moment to answer counts from when the offer was sent, also before
		// the deadline task has moved the stored deadline there (HandleDeadline); once
		// that task has decided the offer (it may run a little early), it has passed.
		dl, err := w.deliveryOf(ctx, off)
		if err != nil {
			return nil, err
		}
		deadline := w.answerBy(off, dl.sent, o)
		if off.State != store.OfferOpen && now.Before(deadline) {
			deadline = now
		}
		changed, err = policy.Accept(policy.Answering{Recorded: off.Choice, SubstituteOffered: len(off.Substitute) > 0 && string(off.Substitute) != "null",
			Deadline: deadline, Closed: closed}, choice, now)
		if err != nil || !changed {
			return nil, err
		}
		off.Choice, off.ChoiceChannel, off.ChoiceAt, off.UpdatedAt = choice, channel, &now, now
		reserved := o.toldReserved()
		p := newPlan("", "", now)
		p.queueSends = true // called from an HTTP request (choice page, SMS reply): answer it without waiting for a provider
		p.commit.LeaveStatus, p.commit.Orders, p.commit.Offers = true, []*store.Order{o.rec}, []*store.Offer{off}
		p.dropTasks = append(p.dropTasks, reminderIDs(off)...)
		switch choice {
		case policy.ChoiceRefund:
			off.State = store.OfferDecided
			p.dropTasks = append(p.dropTasks, deadlineIDs(off)...)
			if o.rec.State == store.OrderOpen {
				w.recheckLate(p, o.rec.ID, off.ID)
			}
			for _, l := range lines {
				l.State, l.StateAt = store.LineCanceled, now
			}
		case policy.ChoiceSubstitute:
			for _, l := range lines {
				// The shop swaps the item: restocks of this one pass the line by, and
				// what they reserved for it is no longer its (AllocatedQty 0; a switch
				// back to wait puts the line in line again).
				l.State, l.AllocatedQty, l.ReservedTold = store.LineSubstitute, 0, false
			}
		case policy.ChoiceWait:
			for _, l := range lines {
				if l.State == store.LineSubstitute { // switched back before the deadline
					l.State = store.LineAwaiting
				}
			}
		}
		if err := w.withdrawReserved(ctx, p, o, reserved, "the customer chose "+choice+" (offer "+off.ID+")"); err != nil {
			return nil, err
		}
		if err := w.decided(p, o, off, views); err != nil {
			return nil, err
		}
		view := o.viewOffer(w, off)
		if choice == policy.ChoiceRefund {
			view.RefundAmount = refundAmount(views)
		}
		d := decision{kind: templates.KindChoiceConfirmation, lines: views, offer: view, offerID: off.ID}
		key := "choice:" + off.ID + ":" + choice + ":" + now.String()
		if err := w.decideNotifications(ctx, p, o, d, key); err != nil {
			return nil, err
		}
		if choice == policy.ChoiceRefund {
			return p, w.completedNews(ctx, p, o, skusOf(lines), key)
		}
		return p, nil
	})
	return off, changed, err
}

// ReplyChoice applies an SMS reply to the most recent open offer sent to phone: the
// offer's reply keywords in the customer's language, or their digits in the order the
// SMS listed them. It implements httpapi.SMSChoices.
func (w *Worker) ReplyChoice(ctx context.Context, phone, text string) (string, bool, error) {
	off, err := w.Store.LatestOpenOfferForPhone(ctx, phone)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	_, o, err := w.offerCase(ctx, off.ID)
	if err != nil || o == nil {
		return "", false, err
	}
	hasSub := len(off.Substitute) > 0 && string(off.Substitute) != "null"
	choice := ""
	for _, k := range templates.ReplyKeywords(o.snap.Customer.Locale, hasSub) {
		if text == k.Word || text == k.Digit {
			choice = k.Choice
		}
	}
	if choice == "" {
		return "", false, nil
	}
	name := o.brand.Name
	if o.brand.SMS.SenderName != "" {
		name = o.brand.SMS.SenderName
	}
	_, changed, err := w.Choose(ctx, off.ID, choice, "sms")
	switch {
	case errors.Is(err, policy.ErrRefundFinal):
		return fmt.Sprintf("%s: order %s is already canceled for a refund; that cannot be changed.", name, o.snap.Number), true, nil
	case errors.Is(err, policy.ErrAfterDeadline), errors.Is(err, policy.ErrClosed):
		return fmt.Sprintf("%s: the choice for order %s is closed. Details: %s", name, o.snap.Number, w.statusLink(o)), true, nil
	case err != nil:
		return "", true, err
	case !changed:
		return fmt.Sprintf("%s: your choice (%s) for order %s was already recorded.", name, choice, o.snap.Number), true, nil
	}
	return fmt.Sprintf("%s: recorded, %s for order %s. A confirmation follows.", name, choice, o.snap.Number), true, nil
}

func (w *Worker) statusLink(o *orderState) string {
	return o.view(w, decision{kind: templates.KindChoiceConfirmation}).StatusURL
}
