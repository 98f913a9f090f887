package templates

import "time"

// View is everything a template may show: typed, raw data. The templates format times
// in the customer's time zone and money and numbers in the customer's locale. URLs are
// precomputed by the caller (the signer lives elsewhere) and must be absolute.
type View struct {
	Brand    Brand
	Customer Customer
	Order    Order
	// Lines are the lines this message is about: backordered (backorder_notice,
	// delay_option_offer, choice_*), re-dated (eta_update, with PreviousETA),
	// restocked (restock_notice), shipped (partial_shipment, shipped) or canceled
	// (auto_cancel_notice, cancellation_notice).
	Lines []Line
	// Pending are the lines still to ship (partial_shipment), with their ETAs.
	Pending []Line
	// Shipment is the parcel of partial_shipment and shipped: the latest one when
	// the message covers several.
	Shipment *Shipment
	// Parcels are every parcel a consolidated partial_shipment or shipped covers,
	// oldest first, when there are more than one (empty: Shipment alone).
	Parcels []Shipment
	// Reason is why the lines are late, or why the order was canceled
	// (cancellation_notice), in the shop's words ("" when not given).
	Reason string
	// Offer carries the facts of delay_option_offer, choice_reminder,
	// choice_confirmation and auto_cancel_notice; nil for the other kinds.
	Offer *Offer
	// StatusURL is the order status page (/o/{token}); ShortStatusURL, when set, is
	// the shortest form of it, used in SMS.
	StatusURL, ShortStatusURL string
	// UnsubscribeURL (/u/{token}) is shown in the footer of update kinds only.
	UnsubscribeURL string
}

// Brand is the sender's theme and contacts (the brand config, CONTRACT.md §2).
type Brand struct {
	ID      string // selects brands/<ID>/ overrides
	Name    string
	LogoURL string
	Colors  Colors
	// SMSName is the short name used in SMS ("" = Name).
	SMSName                                string
	SupportURL, SupportEmail, SupportPhone string
	PostalAddress                          string
	DefaultLocale                          string         // BCP 47; "" = en
	Location                               *time.Location // the brand's time zone; nil = UTC
}

// Colors are the brand's colours as #rgb / #rrggbb; anything else is replaced by the
// default colour.
type Colors struct{ Primary, Text, Background string }

// Customer is the recipient.
type Customer struct {
	Name     string
	Locale   string         // BCP 47 ("fr-CA"); "" = the brand's default locale
	Location *time.Location // nil = the brand's time zone
}

// Order identifies the order to the customer.
type Order struct {
	ID, Number string
	PlacedAt   time.Time
	Currency   string // ISO 4217, for every amount in the view
}

// Line is one order line.
type Line struct {
	ID, Name, SKU string
	Quantity      int
	UnitPrice     string // decimal string in Order.Currency; "" = not shown
	ImageURL      string
	BackorderType string     // CONTRACT.md §3; "" = standard
	ETA           *time.Time // nil = unknown
	PreviousETA   *time.Time // eta_update: the date announced before; nil = none was given
}

// Shipment is a parcel on its way.
type Shipment struct{ Carrier, TrackingNumber, TrackingURL string }

// Substitute is the item offered in place of a late line.
type Substitute struct {
	Name     string
	Price    string // decimal string in Order.Currency
	URL      string // product page
	ImageURL string
}

// Offer is the delay-option offer (CONTRACT.md §8) and what became of it.
type Offer struct {
	// NewDate is the revised ship date R; nil when no date can be given, and then
	// NoDateReason says why (or View.Reason).
	NewDate      *time.Time
	NoDateReason string
	Deadline     time.Time // when silence decides
	Silence      string    // SilenceConsent or SilenceCancel
	Renewed      bool      // a renewed offer (§8.4): silence is never consent to it
	Substitute   *Substitute
	// The choice links (/c/{token}); SubstituteURL is "" when no substitute is
	// offered. ChoiceURL is the choice page itself, used in SMS.
	WaitURL, SubstituteURL, RefundURL, ChoiceURL string
	// Choice is the recorded choice (choice_confirmation); BySilence is true when
	// silence recorded it.
	Choice    string
	BySilence bool
	// RefundAmount (decimal string) and RefundDueBy: auto_cancel_notice, and
	// choice_confirmation of a refund.
	RefundAmount string
	RefundDueBy  *time.Time
}

// Rendered is one kind rendered for both channels.
type Rendered struct {
	Subject, Text, HTML, SMS string
	SMSSegments              int    // gsm.Segments of SMS
	SMSEncoding              string // gsm.GSM7 or gsm.UCS2
	Locale                   string // the template locale used after fallback ("fr")
	Version                  string // hash of every template source used, for the log
}

// SMSLink is the shortest status URL given.
func (v *View) SMSLink() string {
	if v.ShortStatusURL != "" {
		return v.ShortStatusURL
	}
	return v.StatusURL
}

// SMSLabel is the brand's name as SMS shows it.
func (b Brand) SMSLabel() string {
	if b.SMSName != "" {
		return b.SMSName
	}
	return b.Name
}
