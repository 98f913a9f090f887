package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/outbox"
	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

const pagesConfig = `
brands:
  - id: acme
    name: Acme Home
    logo_url: https://acme.example/logo.png
    colors: {primary: "#0b6e4f", text: "#222222", background: "#fdfdfd"}
    email: {from: orders@acme.example, from_name: Acme Home}
    support: {url: "https://acme.example/help", email: help@acme.example, phone: "+14155550199"}
    default_locale: en-US
    time_zone: America/New_York
  - id: bergmann
    name: Bergmann Küchen
    email: {from: shop@bergmann.example}
    support: {email: hilfe@bergmann.example}
    default_locale: de-DE
    time_zone: Europe/Berlin
policies:
  default: {quiet_hours: ""}
`

// pages is a fixture for the customer pages: the API with a link signer and a real
// jobs.Worker recording choices (its messages are queued in Redis, never sent).
type pages struct {
	*fixture
	signer *links.Signer
	worker *jobs.Worker
}

var pageIDs atomic.Int64

func newPages(t *testing.T) *pages {
	t.Helper()
	f := newFixture(t)
	cfg, err := config.Load(func(string) (string, bool) { return "", false }, config.LoadOptions{Demo: true, File: []byte(pagesConfig)})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := links.NewSigner([]byte(strings.Repeat("k", 32)), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	q := asynq.NewClient(f.redis)
	t.Cleanup(func() { q.Close() })
	w := &jobs.Worker{
		Store: f.st, Config: cfg, Renderer: r, Enqueuer: q, Links: signer,
		Senders: map[string]channels.Sender{channels.Email: ob, channels.SMS: ob},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
		NewID: func() string { return fmt.Sprintf("id%06d", pageIDs.Add(1)) },
	}
	f.api.Config, f.api.Links, f.api.Chooser = cfg, signer, w
	f.api.LinkRate, f.api.LinkBurst = 100000, 100000
	p := &pages{fixture: f, signer: signer, worker: w}
	p.restart()
	return p
}

// restart serves the API again after its fields changed (Handler reads them once).
func (p *pages) restart() {
	p.srv.Close()
	p.srv = httptest.NewServer(p.api.Handler())
}

// orderCase describes an order to put in the store with one offer.
type orderCase struct {
	id, brand, locale string
	closedAt          *time.Time
	substitute        bool
	deadline          time.Time // zero: in 10 days
	silence           string    // "" is consent
	choice, channel   string
	offerState        string
	lineState         string // of l1, the offered line; "" is awaiting_choice
}

// seed stores an order (l1 Blue Kettle ×2 late and offered, l2 Mug shipped in a parcel,
// l3 a canceled line whose name tries HTML) with its offer "off_"+id, and returns it.
func (p *pages) seed(t *testing.T, c orderCase) *store.Offer {
	t.Helper()
	ctx := context.Background()
	if c.brand == "" {
		c.brand = "acme"
	}
	if c.locale == "" {
		c.locale = "en-US"
	}
	now := time.Now().UTC().Truncate(time.Second)
	snap := fmt.Sprintf(`{"id":%q,"number":"N-%s","placed_at":%q,"currency":"USD",
		"customer":{"id":"c1","name":"Ada Lovelace","email":"Ada.Lovelace@Example.com","phone":"+14155550100","locale":%q,"time_zone":"America/New_York"},
		"lines":[{"id":"l1","sku":"KET","name":"Blue Kettle","quantity":2,"unit_price":"39.00"},
		         {"id":"l2","sku":"MUG","name":"Mug","quantity":1,"unit_price":"9.50"},
		         {"id":"l3","sku":"TEA","name":"Tea <script>alert(1)</script>","quantity":1,"unit_price":"4.00"}]}`,
		c.id, c.id, now.AddDate(0, 0, -20).Format(time.RFC3339), c.locale)
	eta := now.AddDate(0, 0, 21)
	state := c.lineState
	if state == "" {
		state = store.LineAwaiting
	}
	orderState := store.OrderOpen
	if c.closedAt != nil {
		orderState = store.OrderClosed
	}
	o := &store.Order{ID: c.id, Brand: c.brand, Number: "N-" + c.id, PlacedAt: now.AddDate(0, 0, -20), State: orderState,
		Snapshot: json.RawMessage(snap), LastEventAt: now, ClosedAt: c.closedAt,
		Lines: []store.OrderLine{
			{LineID: "l1", SKU: "KET", Quantity: 2, State: state, BackorderedQty: 2, ETA: &eta, StateAt: now},
			{LineID: "l2", SKU: "MUG", Quantity: 1, State: store.LineShipped, ShippedQty: 1, StateAt: now},
			{LineID: "l3", SKU: "TEA", Quantity: 1, State: store.LineCanceled, StateAt: now},
		}}
	if c.deadline.IsZero() {
		c.deadline = now.AddDate(0, 0, 10)
	}
	if c.silence == "" {
		c.silence = store.SilenceConsent
	}
	if c.offerState == "" {
		c.offerState = store.OfferOpen
	}
	off := &store.Offer{ID: "off_" + c.id, OrderID: c.id, Brand: c.brand, LineIDs: []string{"l1"}, Silence: c.silence,
		NewDate: &eta, Deadline: c.deadline, SentAt: &now, Policy: json.RawMessage(`{}`), State: c.offerState,
		Choice: c.choice, ChoiceChannel: c.channel}
	if c.choice != "" {
		at := now.Add(-time.Hour)
		off.ChoiceAt = &at
	}
	if c.substitute {
		off.Substitute = json.RawMessage(`{"Name":"Red Kettle","Price":"42.00","URL":"https://acme.example/red-kettle"}`)
	}
	shipped := fmt.Sprintf(`{"specversion":"1.0","id":"ship-%s","source":"shop","type":"order.partially_shipped","time":%q,"subject":%q,
		"data":{"brand":%q,"order":%s,"shipment":{"id":"s1","carrier":"UPS","tracking_number":"1Z999AA1","tracking_url":"https://ups.example/track/1Z999AA1","lines":[{"line_id":"l2","quantity":1}]}}}`,
		c.id, now.Format(time.RFC3339), c.id, c.brand, snap)
	if _, _, err := p.st.RecordEvent(ctx, &store.EventRecord{Source: "shop", ID: "ship-" + c.id, Type: "order.partially_shipped",
		OrderID: c.id, Time: now, Payload: json.RawMessage(shipped)}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.st.CommitEvent(ctx, &store.EventCommit{Source: "shop", ID: "ship-" + c.id, LeaveStatus: true,
		Orders: []*store.Order{o}, Offers: []*store.Offer{off}}); err != nil {
		t.Fatal(err)
	}
	return p.offer(t, off.ID)
}

func (p *pages) offer(t *testing.T, id string) *store.Offer {
	t.Helper()
	off, err := p.st.GetOffer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// link returns the path of a link of purpose to the order (and offer), valid for a year
// unless expires is given.
func (p *pages) link(purpose links.Purpose, orderID, offerID string, expires ...time.Time) string {
	exp := time.Now().Add(365 * 24 * time.Hour)
	if len(expires) > 0 {
		exp = expires[0]
	}
	return "/" + string(rune(purpose)) + "/" + p.signer.Sign(links.Token{Purpose: purpose, OrderID: orderID, OfferID: offerID, Expires: exp})
}

// noRedirect is a client that reports redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (p *pages) do(t *testing.T, method, path, ctype, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (p *pages) get(t *testing.T, path string) (int, string) {
	t.Helper()
	status, _, body := p.do(t, "GET", path, "", "")
	return status, body
}

const form = "application/x-www-form-urlencoded"

func (p *pages) choose(t *testing.T, path, choice string) (int, string) {
	t.Helper()
	status, _, body := p.do(t, "POST", path, form, url.Values{"choice": {choice}}.Encode())
	return status, body
}

func contains(t *testing.T, name, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: page lacks %q", name, w)
		}
	}
}

func lacks(t *testing.T, name, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("%s: page shows %q", name, u)
		}
	}
}

// checked returns the value of the checked radio button, "" if none.
func checked(body string) string {
	m := regexp.MustCompile(`value="(\w+)"[^>]*checked`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}
