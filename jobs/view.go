package jobs

import (
	"time"

	"github.com/notifyd/notifyd/internal/tz"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// view builds what the templates show for decision d: raw, typed facts; the templates
// format them in the customer's locale and time zone.
func (o *orderState) view(w *Worker, d decision) *templates.View {
	b := o.brand
	v := &templates.View{
		Brand: templates.Brand{
			ID: b.ID, Name: b.Name, LogoURL: b.LogoURL,
			Colors:  templates.Colors{Primary: b.Colors.Primary, Text: b.Colors.Text, Background: b.Colors.Background},
			SMSName: b.SMS.SenderName, SupportURL: b.Support.URL, SupportEmail: b.Support.Email,
			SupportPhone: b.Support.Phone, PostalAddress: b.PostalAddress, DefaultLocale: b.DefaultLocale,
			Location: o.loc,
		},
		Customer: templates.Customer{Name: o.snap.Customer.Name, Locale: o.snap.Customer.Locale, Location: o.customerLoc()},
		Order:    templates.Order{ID: o.rec.ID, Number: o.snap.Number, PlacedAt: o.snap.PlacedAt, Currency: o.snap.Currency},
		Lines:    d.lines, Pending: d.pending, Shipment: d.shipment, Parcels: d.parcels, Reason: d.reason, Offer: d.offer,
		StatusURL: w.link(links.Order, o.rec.ID, ""),
	}
	if !templates.Required(d.kind) {
		v.UnsubscribeURL = w.link(links.Unsubscribe, o.rec.ID, "")
	}
	return v
}

// customerLoc is the customer's time zone, or the brand's when unknown or invalid.
func (o *orderState) customerLoc() *time.Location {
	if name := o.snap.Customer.TimeZone; name != "" {
		if loc, err := tz.Load(name); err == nil {
			return loc
		}
	}
	return o.loc
}

// viewLine is a line as a template shows it: qty of line id, with its ETA (nil:
// unknown) and, for eta_update, the ETA announced before.
func (o *orderState) viewLine(id string, qty int, eta, prev *time.Time) templates.Line {
	l, _ := o.snap.Line(id)
	vl := templates.Line{
		ID: id, Name: l.Name, SKU: l.SKU, Quantity: qty, UnitPrice: string(l.UnitPrice),
		ImageURL: l.ImageURL, ETA: eta, PreviousETA: prev,
	}
	for _, sl := range o.rec.Lines {
		if sl.LineID == id {
			vl.BackorderType = sl.BackorderType
		}
	}
	return vl
}

// lineState returns the stored state of line id, nil if unknown.
func (o *orderState) lineState(id string) *store.OrderLine {
	for i := range o.rec.Lines {
		if o.rec.Lines[i].LineID == id {
			return &o.rec.Lines[i]
		}
	}
	return nil
}
