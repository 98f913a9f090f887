package templates

import "time"

// The fixtures templates are checked and tested against: two brands like the demo's
// (templates cannot import config), and a complete view per kind.

// FixtureBrands returns the sample brands: acme (en-US, New York) and lumen (de-DE,
// Berlin).
func FixtureBrands() []Brand {
	ny, _ := time.LoadLocation("America/New_York")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	return []Brand{{
		ID: "acme", Name: "Acme Home", LogoURL: "https://cdn.acme.example/logo.png",
		Colors:  Colors{Primary: "#0b6e4f", Text: "#1f2933", Background: "#ffffff"},
		SMSName: "Acme", SupportURL: "https://acme.example/help", SupportEmail: "help@acme.example",
		SupportPhone: "+14155550199", PostalAddress: "1 Main Street, Springfield, OR 97477, USA",
		DefaultLocale: "en-US", Location: ny,
	}, {
		ID: "lumen", Name: "Lumen Living", LogoURL: "https://cdn.lumen.example/logo.png",
		Colors:  Colors{Primary: "#5b3cc4", Text: "#1b1b1f", Background: "#ffffff"},
		SMSName: "Lumen", SupportURL: "https://lumen.example/hilfe", SupportEmail: "hilfe@lumen.example",
		SupportPhone: "+493012345678", PostalAddress: "Lichtstraße 5, 10115 Berlin, Deutschland",
		DefaultLocale: "de-DE", Location: berlin,
	}}
}

// fixtureTags are the customer locales the fixtures are rendered in, per template
// locale.
var fixtureTags = map[string]string{"en": "en-US", "fr": "fr-FR", "de": "de-DE", "es": "es-ES"}

// Fixture returns a complete view of kind for brand b and customer locale, with
// realistic URL lengths (signed tokens).
func Fixture(kind string, b Brand, locale string) *View {
	at := func(y int, m time.Month, d int) *time.Time {
		t := time.Date(y, m, d, 23, 59, 0, 0, b.Location)
		return &t
	}
	base := "https://notify." + b.ID + ".example"
	tok := "AZ3kq9Lr2VxT8bN1mWc5HdP7sYf0GjEo"
	v := &View{
		Brand:    b,
		Customer: Customer{Name: "Ada Lovelace", Locale: locale},
		Order:    Order{ID: "ord_1001", Number: "1001", PlacedAt: time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC), Currency: "USD"},
		Lines: []Line{
			{ID: "l1", Name: "Blue Kettle", SKU: "KET-BLUE", Quantity: 2, UnitPrice: "39.00",
				ImageURL: "https://cdn.example.com/ket-blue.jpg", BackorderType: BackorderManufacturer,
				ETA: at(2026, 12, 14), PreviousETA: at(2026, 12, 9)},
			{ID: "l2", Name: "Tea Cup Set", SKU: "CUP-SET", Quantity: 1, UnitPrice: "1249.50",
				BackorderType: BackorderManufacturer, ETA: at(2026, 12, 18), PreviousETA: at(2026, 12, 11)},
		},
		Reason:         "supplier delay",
		StatusURL:      base + "/o/" + tok,
		ShortStatusURL: base + "/o/" + tok[:22],
		UnsubscribeURL: base + "/u/" + tok,
	}
	if b.ID == "lumen" {
		v.Order.Currency = "EUR"
	}
	switch kind {
	case KindRestockNotice, KindShipped:
		v.Lines = v.Lines[:1]
	case KindPartialShipment:
		v.Pending, v.Lines = v.Lines[1:], v.Lines[:1]
	case KindCancellationNotice:
		v.Reason = "customer request"
	}
	if kind == KindPartialShipment || kind == KindShipped {
		v.Shipment = &Shipment{Carrier: "UPS", TrackingNumber: "1Z999AA10123456784", TrackingURL: "https://www.ups.com/track?tracknum=1Z999AA10123456784"}
	}
	if Required(kind) {
		v.Offer = fixtureOffer(kind, base, tok, at)
		v.UnsubscribeURL = ""
	}
	return v
}

func fixtureOffer(kind, base, tok string, at func(int, time.Month, int) *time.Time) *Offer {
	o := &Offer{
		NewDate: at(2026, 12, 18), Deadline: at(2026, 12, 9).Add(-6 * time.Hour), Silence: SilenceConsent,
		Substitute: &Substitute{Name: "Green Kettle", Price: "42.00", URL: "https://shop.example/green-kettle"},
		WaitURL:    base + "/c/" + tok + "w", SubstituteURL: base + "/c/" + tok + "s",
		RefundURL: base + "/c/" + tok + "r", ChoiceURL: base + "/c/" + tok[:22],
	}
	switch kind {
	case KindChoiceReminder:
		o.NewDate, o.NoDateReason, o.Silence, o.Substitute, o.SubstituteURL = nil, "the factory has paused production", SilenceCancel, nil, ""
	case KindChoiceConfirmation:
		o.Choice = ChoiceWait
	case KindAutoCancelNotice:
		o.NewDate, o.Silence, o.RefundAmount, o.RefundDueBy = nil, SilenceCancel, "1327.50", at(2026, 12, 18)
	}
	return o
}

// SampleView is the acme backorder_notice fixture in en-US.
func SampleView() *View { return Fixture(KindBackorderNotice, FixtureBrands()[0], "en-US") }
