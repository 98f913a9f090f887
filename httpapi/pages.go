package httpapi

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/internal/tz"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
)

// The customer pages (CONTRACT.md §5): /c/{token} (the choice page), /o/{token} (order
// status) and /u/{token} (unsubscribe). The token is the capability: it names the
// order (and the offer) and is signed, so the pages need no login and no CSRF token.
// GET never changes anything, because mail scanners open links; only POST does.

// PageStore is what the customer pages and the deliveries route read.
type PageStore interface {
	GetOrder(ctx context.Context, id string) (*store.Order, error)
	GetOffer(ctx context.Context, id string) (*store.Offer, error)
	OffersOf(ctx context.Context, orderID string) ([]store.Offer, error)
	ListEvents(ctx context.Context, orderID string) ([]store.EventRecord, error)
	ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.WebhookDelivery, error)
}

// Chooser records a customer's answer to an offer; jobs.Worker implements it.
type Chooser interface {
	Choose(ctx context.Context, offerID, choice, channel string) (*store.Offer, bool, error)
}

// How long after the order closes its links still open (CONTRACT.md §5): a customer
// must be able to cancel before shipment, and to look the order up for a while after.
const (
	choiceAfterClose = 30  // days, /c/
	orderAfterClose  = 180 // days, /o/ and /u/
)

// linkLifetime is the expiry of the /c/ links the status page signs; the route's own
// close-time check is what ends them (as for the links in messages).
const linkLifetime = 2 * 365 * 24 * time.Hour

//go:embed pages/*.html
var pageFiles embed.FS

// pageSets are the page templates, each parsed with the layout; read-only once built.
var pageSets = func() map[string]*template.Template {
	sets := map[string]*template.Template{}
	for _, name := range []string{"choice", "order", "unsubscribe", "message"} {
		sets[name] = template.Must(template.ParseFS(pageFiles, "pages/layout.html", "pages/"+name+".html"))
	}
	return sets
}()

// pageBrand is what the layout shows of a brand.
type pageBrand struct {
	Name, LogoURL                          string
	Primary, Text, Background              string
	SupportURL, SupportEmail, SupportPhone string
	SupportTel                             template.URL // tel: and digits only
	Neutral                                bool         // the brand is unknown: notifyd's own page
}

// page is what every page template executes on.
type page struct {
	Lang    string
	Title   string
	Brand   pageBrand
	Notice  *notice
	Content any
	tr      catalog
}

// notice is a message at the top of a page: a confirmation (role=status) or a
// refusal (role=alert).
type notice struct {
	Error bool
	Text  string
}

// T returns the translation of key with {0}, {1}… replaced by args.
func (p *page) T(key string, args ...any) string { return p.tr.text(key, args...) }

var colorRE = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

func colorOr(c, fallback string) string {
	if colorRE.MatchString(c) {
		return c
	}
	return fallback
}

// httpsURL returns u when it is an absolute http(s) URL, "" otherwise.
func httpsURL(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}

func brandOf(b *config.Brand) pageBrand {
	if b == nil {
		return pageBrand{Name: "notifyd", Primary: "#1f4e8c", Text: "#1a1a1a", Background: "#ffffff", Neutral: true}
	}
	return pageBrand{
		Name: b.Name, LogoURL: httpsURL(b.LogoURL),
		Primary: colorOr(b.Colors.Primary, "#1f4e8c"), Text: colorOr(b.Colors.Text, "#1a1a1a"),
		Background: colorOr(b.Colors.Background, "#ffffff"),
		SupportURL: httpsURL(b.Support.URL), SupportEmail: b.Support.Email,
		SupportPhone: b.Support.Phone, SupportTel: telURI(b.Support.Phone),
	}
}

// telURI keeps the digits and a leading + of a phone number, for a tel: link.
func telURI(phone string) template.URL {
	var b strings.Builder
	for i, r := range phone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return template.URL("tel:" + b.String()) // safe: "tel:" and [+0-9] only
}

// renderPage writes a page with the headers every customer page gets: no caching (the
// content is personal), no referrer (the URL holds the token), no framing, and a
// content security policy that allows no script at all.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := pageSets[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.Logger.Error("render page", "page", name, "path", r.URL.Path, "err", err)
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString(
			"<!doctype html><html lang=en><title>Error</title><p>Something went wrong. Nothing was changed. Please try again in a moment.</p></html>")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// messagePage renders a page that only says something: a refused or expired link, a
// rate limit, an error. c may be nil (the brand is unknown): notifyd's neutral page in
// the browser's language.
func (s *Server) messagePage(w http.ResponseWriter, r *http.Request, status int, c *linkCase, titleKey, bodyKey string) {
	p := s.newPage(r, c)
	p.Title = p.T(titleKey)
	p.Content = struct{ Body string }{p.T(bodyKey)}
	s.renderPage(w, r, status, "message", p)
}

// newPage starts a page in the case's brand and language, or notifyd's neutral page.
func (s *Server) newPage(r *http.Request, c *linkCase) *page {
	if c == nil {
		lang := acceptLanguage(r.Header.Get("Accept-Language"))
		return &page{Lang: lang, Brand: brandOf(nil), tr: catalogs[lang]}
	}
	return &page{Lang: c.lang, Brand: brandOf(c.brand), tr: catalogs[c.lang]}
}

// linkCase is what a verified link opens: the order with its snapshot and brand.
type linkCase struct {
	tok   links.Token
	order *store.Order
	snap  event.Order
	brand *config.Brand // nil when the order's brand is no longer configured
	loc   *time.Location
	lang  string
}

// openLink verifies the token in the path for purpose and loads its order. It answers
// and returns nil when the request may not go on: rate limited (429), tampered (403),
// expired by its own expiry or by the order's close time + afterClose days (410),
// order unknown (410), or the store failing (500).
func (s *Server) openLink(w http.ResponseWriter, r *http.Request, purpose links.Purpose, afterClose int) *linkCase {
	now := s.Now()
	tok, err := s.Links.Verify(purpose, r.PathValue("token"), now)
	if !s.limiter.allow(clientAddr(r), now) {
		w.Header().Set("Retry-After", "60")
		c, _ := s.loadCase(r.Context(), tok, err)
		s.messagePage(w, r, http.StatusTooManyRequests, c, "ratelimit.title", "ratelimit.body")
		return nil
	}
	if err != nil && !errors.Is(err, links.ErrExpired) { // tampered, or another purpose's
		s.messagePage(w, r, http.StatusForbidden, nil, "tampered.title", "tampered.body")
		return nil
	}
	c, lerr := s.loadCase(r.Context(), tok, err)
	switch {
	case errors.Is(lerr, store.ErrNotFound):
		s.messagePage(w, r, http.StatusGone, nil, "expired.title", "expired.body")
		return nil
	case lerr != nil:
		s.Logger.Error("open link", "path_purpose", purpose.String(), "order_id", tok.OrderID, "err", lerr)
		s.messagePage(w, r, http.StatusInternalServerError, nil, "error.title", "error.body")
		return nil
	case err != nil || c.closedLongAgo(now, afterClose):
		s.messagePage(w, r, http.StatusGone, c, "expired.title", "expired.body")
		return nil
	}
	return c
}

// loadCase loads the order of a token that verified (verr nil or ErrExpired: either way
// the token is authentic, so reading its order costs nothing an attacker controls).
func (s *Server) loadCase(ctx context.Context, tok links.Token, verr error) (*linkCase, error) {
	if verr != nil && !errors.Is(verr, links.ErrExpired) {
		return nil, verr
	}
	o, err := s.Store.GetOrder(ctx, tok.OrderID)
	if err != nil {
		return nil, err
	}
	c := &linkCase{tok: tok, order: o, loc: time.UTC}
	if err := json.Unmarshal(o.Snapshot, &c.snap); err != nil {
		return nil, err
	}
	defLocale := ""
	if b, ok := s.Config.Brand(o.Brand); ok {
		c.brand, defLocale = b, b.DefaultLocale
		if loc, err := tz.Load(b.TimeZone); err == nil {
			c.loc = loc
		}
	}
	if name := c.snap.Customer.TimeZone; name != "" {
		if loc, err := tz.Load(name); err == nil {
			c.loc = loc
		}
	}
	c.lang = pickLang(c.snap.Customer.Locale, defLocale)
	return c, nil
}

// closedLongAgo reports whether the order closed more than days calendar days ago.
func (c *linkCase) closedLongAgo(now time.Time, days int) bool {
	if c.order.ClosedAt == nil {
		return false
	}
	return !now.Before(c.order.ClosedAt.In(c.loc).AddDate(0, 0, days))
}

// signLink returns the path of a fresh link of purpose for the case's order.
func (s *Server) signLink(p links.Purpose, orderID, offerID string) string {
	tok := s.Links.Sign(links.Token{Purpose: p, OrderID: orderID, OfferID: offerID, Expires: s.Now().Add(linkLifetime)})
	return "/" + string(rune(p)) + "/" + tok
}
