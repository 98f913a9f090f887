package templates

// The notification kinds (CONTRACT.md §4). cancellation_notice is sent for an
// order.canceled whose data asks notifyd to tell the customer ("notify": true).
const (
	KindBackorderNotice    = "backorder_notice"
	KindEtaUpdate          = "eta_update"
	KindRestockNotice      = "restock_notice"
	KindPartialShipment    = "partial_shipment"
	KindShipped            = "shipped"
	KindCancellationNotice = "cancellation_notice"
	KindDelayOptionOffer   = "delay_option_offer"
	KindChoiceReminder     = "choice_reminder"
	KindChoiceConfirmation = "choice_confirmation"
	KindAutoCancelNotice   = "auto_cancel_notice"
)

// Kinds lists every kind: the updates, then the legal notices.
var Kinds = []string{
	KindBackorderNotice, KindEtaUpdate, KindRestockNotice, KindPartialShipment, KindShipped,
	KindCancellationNotice,
	KindDelayOptionOffer, KindChoiceReminder, KindChoiceConfirmation, KindAutoCancelNotice,
}

// Required reports whether kind is a legal notice (CONTRACT.md §4): it ignores an
// "updates" unsubscribe and is never capped.
func Required(kind string) bool {
	switch kind {
	case KindDelayOptionOffer, KindChoiceReminder, KindChoiceConfirmation, KindAutoCancelNotice:
		return true
	}
	return false
}

func knownKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// The channels a kind is rendered for.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Locales are the languages the embedded defaults are written in.
var Locales = []string{"en", "fr", "de", "es"}

// Backorder types (CONTRACT.md §3); the copy is tailored to each.
const (
	BackorderStandard     = "standard"
	BackorderPreorder     = "preorder"
	BackorderCustom       = "custom"
	BackorderManufacturer = "manufacturer"
	BackorderDropship     = "dropship"
	BackorderSeasonal     = "seasonal"
	BackorderIndefinite   = "indefinite"
)

// What silence means for an offer (CONTRACT.md §8).
const (
	SilenceConsent = "consent" // no answer by the deadline: wait is recorded
	SilenceCancel  = "cancel"  // no answer by the deadline: the lines are canceled
)

// The choices a customer can make (CONTRACT.md §7).
const (
	ChoiceWait       = "wait"
	ChoiceSubstitute = "substitute"
	ChoiceRefund     = "refund"
)
