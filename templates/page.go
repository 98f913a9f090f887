package templates

import (
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// page is what templates execute on: the caller's View, cleaned and moved to the
// customer's time zone, plus what the layouts need to know.
type page struct {
	// The View's fields, copied rather than embedded: text/template finds promoted
	// fields through reflect's slow path.
	Brand                                     Brand
	Customer                                  Customer
	Order                                     Order
	Lines, Pending                            []Line
	Shipment                                  *Shipment
	Parcels                                   []Shipment // View.Parcels, or Shipment alone
	Reason                                    string
	Offer                                     *Offer
	StatusURL, ShortStatusURL, UnsubscribeURL string

	Kind   string
	Lang   string // the template locale, for <html lang>
	Update bool   // an update kind: the footer offers to unsubscribe, SMS says STOP
	Colors Colors // validated
	Reply  []Keyword

	// Computed once per render rather than as methods: text/template finds a field
	// far faster than it calls a method through reflect.
	Type    string // the backorder type every line shares, or standard when they differ
	Count   int    // the number of lines the message is about
	First   Line   // the first line (the SMS names it when there is only one)
	SMSLink string // the shortest status URL given
}

// Limits on customer-supplied text, in runes; longer text is cut with "…".
const (
	maxName   = 80
	maxItem   = 120
	maxReason = 300
)

func newPage(kind, lang string, v *View) *page {
	loc := v.Customer.Location
	if loc == nil {
		loc = v.Brand.Location
	}
	if loc == nil {
		loc = time.UTC
	}
	c := *v
	c.Customer.Name, c.Order.Number = clean(v.Customer.Name, maxName), clean(v.Order.Number, maxName)
	c.Order.PlacedAt = v.Order.PlacedAt.In(loc)
	c.Lines, c.Pending = cleanLines(v.Lines, loc), cleanLines(v.Pending, loc)
	c.Reason = clean(v.Reason, maxReason)
	c.StatusURL, c.ShortStatusURL, c.UnsubscribeURL = safeURL(v.StatusURL), safeURL(v.ShortStatusURL), safeURL(v.UnsubscribeURL)
	c.Brand.LogoURL, c.Brand.SupportURL = safeURL(v.Brand.LogoURL), safeURL(v.Brand.SupportURL)
	if v.Shipment != nil {
		s := cleanShipment(*v.Shipment)
		c.Shipment = &s
	}
	var parcels []Shipment
	for _, s := range v.Parcels {
		parcels = append(parcels, cleanShipment(s))
	}
	if len(parcels) == 0 && c.Shipment != nil {
		parcels = []Shipment{*c.Shipment}
	}
	p := &page{
		Brand: c.Brand, Customer: c.Customer, Order: c.Order, Lines: c.Lines, Pending: c.Pending,
		Shipment: c.Shipment, Parcels: parcels, Reason: c.Reason, StatusURL: c.StatusURL, ShortStatusURL: c.ShortStatusURL,
		UnsubscribeURL: c.UnsubscribeURL, Kind: kind, Lang: lang, Update: !Required(kind), Colors: safeColors(v.Brand.Colors),
		Type: linesType(c.Lines), Count: len(c.Lines),
	}
	if len(c.Lines) > 0 {
		p.First = c.Lines[0]
	}
	p.SMSLink = p.StatusURL
	if p.ShortStatusURL != "" {
		p.SMSLink = p.ShortStatusURL
	}
	if v.Offer != nil {
		p.Offer = cleanOffer(v.Offer, loc)
		p.Reply = ReplyKeywords(lang, p.Offer.SubstituteURL != "")
	}
	return p
}

func cleanShipment(s Shipment) Shipment {
	s.Carrier, s.TrackingNumber, s.TrackingURL = clean(s.Carrier, maxName), clean(s.TrackingNumber, maxName), safeURL(s.TrackingURL)
	return s
}

func cleanLines(ls []Line, loc *time.Location) []Line {
	if ls == nil {
		return nil
	}
	out := make([]Line, len(ls))
	for i, l := range ls {
		l.Name, l.SKU = clean(l.Name, maxItem), clean(l.SKU, maxName)
		l.ImageURL = safeURL(l.ImageURL)
		l.ETA, l.PreviousETA = inLoc(l.ETA, loc), inLoc(l.PreviousETA, loc)
		out[i] = l
	}
	return out
}

func cleanOffer(o *Offer, loc *time.Location) *Offer {
	c := *o
	c.NewDate, c.RefundDueBy = inLoc(o.NewDate, loc), inLoc(o.RefundDueBy, loc)
	c.Deadline = o.Deadline.In(loc)
	c.NoDateReason = clean(o.NoDateReason, maxReason)
	c.WaitURL, c.SubstituteURL, c.RefundURL, c.ChoiceURL = safeURL(o.WaitURL), safeURL(o.SubstituteURL), safeURL(o.RefundURL), safeURL(o.ChoiceURL)
	if o.Substitute != nil {
		s := *o.Substitute
		s.Name, s.URL, s.ImageURL = clean(s.Name, maxItem), safeURL(s.URL), safeURL(s.ImageURL)
		c.Substitute = &s
	}
	if c.SubstituteURL == "" {
		c.Substitute = nil
	}
	return &c
}

func inLoc(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	u := t.In(loc)
	return &u
}

// clean removes control and bidi-override characters (a name can neither break a
// line nor reverse the text around it), collapses whitespace and cuts s to max runes.
func clean(s string, max int) string {
	if plainASCII(s, max) {
		return s
	}
	s = strings.Join(strings.Fields(stripControls(s, true)), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}

// plainASCII reports whether clean would return s unchanged because it is at most
// max printable ASCII characters with single spaces between words only.
func plainASCII(s string, max int) bool {
	if len(s) > max || s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && s[i-1] == ' ' || c != ' ' && (c < 0x21 || c > 0x7e) {
			return false
		}
	}
	return true
}

// stripControls drops C0/C1 controls (CR and LF included), the bidi embedding,
// override and isolate characters, and, with invisible, zero-width format characters.
func stripControls(s string, invisible bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069,
			r == 0x200E || r == 0x200F || r == 0x061C:
			return -1
		case invisible && (r == 0x2028 || r == 0x2029):
			return ' '
		}
		return r
	}, s)
}

// safeURL keeps absolute http(s) URLs only: anything else (javascript:, data:,
// relative) becomes "" and the templates leave the link out.
func safeURL(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(s, " \"'<>\r\n") {
		return ""
	}
	return s
}

// hexColor reports whether s is #rgb or #rrggbb.
func hexColor(s string) bool {
	if (len(s) != 4 && len(s) != 7) || s[0] != '#' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func safeColors(c Colors) Colors {
	pick := func(s, def string) string {
		if hexColor(s) {
			return s
		}
		return def
	}
	return Colors{Primary: pick(c.Primary, "#1a56db"), Text: pick(c.Text, "#1f2933"), Background: pick(c.Background, "#ffffff")}
}

// linesType is the backorder type every line shares, or standard when they differ.
func linesType(ls []Line) string {
	t := ""
	for i, l := range ls {
		lt := l.BackorderType
		if lt == "" {
			lt = BackorderStandard
		}
		if i > 0 && lt != t {
			return BackorderStandard
		}
		t = lt
	}
	if t == "" {
		return BackorderStandard
	}
	return t
}
