// Package templates renders notifyd's messages from embedded default templates. It
// knows nothing of Redis, SMTP or events: callers hand it a View.
//
// Each kind has one file, default/<kind>.tmpl, defining the blocks "subject", "text"
// and "sms". The HTML part is the text inside a minimal layout; the branded, localized
// set replaces this (issue 3) behind the same Render call.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"
)

// The notification kinds (CONTRACT.md §4).
const (
	KindBackorderNotice    = "backorder_notice"
	KindEtaUpdate          = "eta_update"
	KindRestockNotice      = "restock_notice"
	KindPartialShipment    = "partial_shipment"
	KindShipped            = "shipped"
	KindDelayOptionOffer   = "delay_option_offer"
	KindChoiceReminder     = "choice_reminder"
	KindChoiceConfirmation = "choice_confirmation"
	KindAutoCancelNotice   = "auto_cancel_notice"
)

// Kinds lists every kind.
var Kinds = []string{
	KindBackorderNotice, KindEtaUpdate, KindRestockNotice, KindPartialShipment, KindShipped,
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

// View is everything a template may show.
type View struct {
	Brand     Brand
	Customer  Customer
	Order     Order
	Lines     []Line // the lines this message is about
	Pending   []Line // lines still to ship (partial_shipment)
	Shipment  *Shipment
	Reason    string
	StatusURL string
}

// Brand is the sender as the customer knows it.
type Brand struct {
	Name, SupportURL, SupportEmail, SupportPhone string
}

// Customer is the recipient.
type Customer struct{ Name string }

// Order identifies the order to the customer.
type Order struct{ ID, Number string }

// Line is one item; ETA is already formatted ("" when unknown), PreviousETA likewise.
type Line struct {
	Name, SKU        string
	Quantity         int
	ETA, PreviousETA string
}

// Shipment is a parcel on its way.
type Shipment struct{ Carrier, TrackingNumber, TrackingURL string }

// Rendered is one kind rendered for both channels.
type Rendered struct {
	Subject, Text, HTML, SMS string
}

//go:embed default/*.tmpl
var defaults embed.FS

var layout = htmltemplate.Must(htmltemplate.New("layout").Parse(
	`<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>` +
		`<body><pre style="font-family:sans-serif;white-space:pre-wrap">{{.Text}}</pre></body></html>`))

// Renderer renders the embedded defaults. It is safe for concurrent use.
type Renderer struct {
	kinds map[string]*template.Template
}

// New parses every default template; a missing or broken one is an error.
func New() (*Renderer, error) {
	r := &Renderer{kinds: make(map[string]*template.Template)}
	for _, k := range Kinds {
		name := "default/" + k + ".tmpl"
		t, err := template.New(k).Option("missingkey=error").Funcs(funcs).ParseFS(defaults, name)
		if err != nil {
			return nil, fmt.Errorf("templates: parse %s: %w", name, err)
		}
		for _, block := range []string{"subject", "text", "sms"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("templates: %s: block %q missing", name, block)
			}
		}
		r.kinds[k] = t
	}
	return r, nil
}

var funcs = template.FuncMap{
	"etaOr": func(eta, unknown string) string {
		if eta == "" {
			return unknown
		}
		return eta
	},
}

// Render renders kind for v.
func (r *Renderer) Render(kind string, v *View) (*Rendered, error) {
	t, ok := r.kinds[kind]
	if !ok {
		return nil, fmt.Errorf("render %s: unknown kind", kind)
	}
	var out Rendered
	for _, p := range []struct {
		block string
		dst   *string
	}{{"subject", &out.Subject}, {"text", &out.Text}, {"sms", &out.SMS}} {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, p.block, v); err != nil {
			return nil, fmt.Errorf("render %s/%s: %w", kind, p.block, err)
		}
		*p.dst = strings.TrimSpace(b.String())
	}
	out.Subject = strings.Join(strings.Fields(out.Subject), " ")
	var h bytes.Buffer
	if err := layout.Execute(&h, out); err != nil {
		return nil, fmt.Errorf("render %s/html: %w", kind, err)
	}
	out.HTML = h.String()
	return &out, nil
}

// SampleView is a complete view for checking templates.
func SampleView() *View {
	return &View{
		Brand:    Brand{Name: "Acme Home", SupportURL: "https://acme.example/help", SupportEmail: "help@acme.example", SupportPhone: "+14155550199"},
		Customer: Customer{Name: "Ada Lovelace"},
		Order:    Order{ID: "ord_1001", Number: "1001"},
		Lines: []Line{
			{Name: "Blue Kettle", SKU: "KET-BLUE", Quantity: 2, ETA: "Mon Dec 14, 2026", PreviousETA: "Wed Dec 9, 2026"},
			{Name: "Tea Cups", SKU: "CUP-SET", Quantity: 1},
		},
		Pending:   []Line{{Name: "Tea Cups", SKU: "CUP-SET", Quantity: 1}},
		Shipment:  &Shipment{Carrier: "UPS", TrackingNumber: "1Z999", TrackingURL: "https://ups.example/1Z999"},
		Reason:    "supplier delay",
		StatusURL: "https://notifyd.example/o/abc",
	}
}
