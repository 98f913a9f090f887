package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
)

// TestChoicePageGETChangesNothing: mail scanners open links, so no GET may record a
// choice, whatever its query says; ?choice= only preselects.
func TestChoicePageGETChangesNothing(t *testing.T) {
	p := newPages(t)
	before := p.seed(t, orderCase{id: "o1"})
	link := p.link(links.Choice, "o1", before.ID)
	cases := []struct {
		name, query, checked string
	}{
		{"plain", "", ""},
		{"preselect refund", "?choice=refund", "refund"},
		{"preselect wait", "?choice=wait", "wait"},
		{"preselect refund again", "?choice=refund", "refund"},
		{"not an option", "?choice=substitute", ""},
	}
	for _, c := range cases {
		status, hdr, body := p.do(t, "GET", link+c.query, "", "")
		if status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", c.name, status, body)
		}
		if got := checked(body); got != c.checked {
			t.Errorf("%s: checked %q, want %q", c.name, got, c.checked)
		}
		if hdr.Get("Referrer-Policy") != "no-referrer" || hdr.Get("Cache-Control") != "no-store" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Errorf("%s: headers %v", c.name, hdr)
		}
		contains(t, c.name, body, `<html lang="en">`, "Acme Home", "Order N-o1", "Blue Kettle", "Quantity: 2", "$39.00",
			"New expected date:", "Wait for the items", "Cancel and refund", "full, prompt refund at no cost",
			"Please answer by", "we will keep your order and wait", "No choice is recorded yet.",
			`<label for="choice-wait">`, `<label for="choice-refund">`, `<button type="submit" id="choice-submit">Confirm my choice</button>`,
			`method="post"`, "help@acme.example", "https://acme.example/help", `href="tel:&#43;14155550199"`, "#0b6e4f", "https://acme.example/logo.png")
		lacks(t, c.name, body, "Take the substitute", "<script")
	}
	after := p.offer(t, before.ID)
	if after.Choice != "" || after.State != store.OfferOpen || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("GET changed the offer: %+v", after)
	}
	o, _ := p.st.GetOrder(context.Background(), "o1")
	if o.Lines[0].State != store.LineAwaiting || o.Version != 1 {
		t.Errorf("GET changed the order: %+v", o)
	}
}

// TestChoicePOST walks one offer through §8.6: a choice, the same again, one not on
// offer, a refund, and a change of mind the refund refuses.
func TestChoicePOST(t *testing.T) {
	p := newPages(t)
	off := p.seed(t, orderCase{id: "o2"})
	link := p.link(links.Choice, "o2", off.ID)
	var firstWait string
	var waitAt *time.Time
	steps := []struct {
		name, choice string
		status       int
		want         []string
		recorded     string
		check        func(body string, off *store.Offer)
	}{
		{"wait", "wait", 200, []string{`role="status"`, "We recorded your choice: you wait for these items.", "Your recorded choice: Wait for the items", "You can change your choice until"}, "wait",
			func(body string, off *store.Offer) { firstWait, waitAt = body, off.ChoiceAt }},
		{"wait again: the same confirmation, nothing changed", "wait", 200, nil, "wait",
			func(body string, off *store.Offer) {
				if body != firstWait {
					t.Errorf("the second wait shows another page")
				}
				if !off.ChoiceAt.Equal(*waitAt) {
					t.Errorf("the second wait changed the recorded time %v → %v", waitAt, off.ChoiceAt)
				}
			}},
		{"substitute when none was offered", "substitute", 422, []string{`role="alert"`, "No substitute was offered for these items."}, "wait", nil},
		{"no choice at all", "", 422, []string{"Please choose one of the options."}, "wait", nil},
		{"nonsense", "<b>later</b>", 422, []string{"Please choose one of the options."}, "wait", nil},
		{"refund", "refund", 200, []string{"We recorded your choice: these items are canceled and you get a full refund.", "Your refund is recorded and cannot be changed."}, "refund",
			func(body string, off *store.Offer) {
				if off.State != store.OfferDecided || off.ChoiceChannel != "web" {
					t.Errorf("after refund: %+v", off)
				}
				if strings.Contains(body, "<form") || strings.Contains(body, "Please answer by") {
					t.Errorf("a recorded refund still asks for an answer")
				}
			}},
		{"wait after the refund", "wait", 409, []string{`role="alert"`, "Your refund is recorded and cannot be changed."}, "refund", nil},
		{"refund again", "refund", 200, []string{"We recorded your choice: these items are canceled"}, "refund", nil},
	}
	for _, s := range steps {
		status, body := p.choose(t, link, s.choice)
		if status != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, status, s.status, body)
		}
		contains(t, s.name, body, s.want...)
		lacks(t, s.name, body, "<b>later")
		got := p.offer(t, off.ID)
		if got.Choice != s.recorded {
			t.Errorf("%s: recorded %q, want %q", s.name, got.Choice, s.recorded)
		}
		if s.check != nil {
			s.check(body, got)
		}
	}
	o, _ := p.st.GetOrder(context.Background(), "o2")
	if o.Lines[0].State != store.LineCanceled {
		t.Errorf("refund left l1 %s", o.Lines[0].State)
	}
	// The shop hears of the decision (§7): the route support reads shows it.
	ds, err := p.st.ListDeliveries(context.Background(), store.DeliveryFilter{OrderID: "o2"})
	if err != nil || len(ds) != 2 || ds[0].Type != jobs.WebhookChoiceMade {
		t.Errorf("deliveries after wait and refund: %+v %v", ds, err)
	}
}

func TestChoicePOSTNeedsAForm(t *testing.T) {
	p := newPages(t)
	off := p.seed(t, orderCase{id: "o3"})
	link := p.link(links.Choice, "o3", off.ID)
	cases := []struct{ name, ctype, body string }{
		{"JSON", "application/json", `{"choice":"refund"}`},
		{"no content type", "", "choice=refund"},
		{"multipart", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"choice\"\r\n\r\nrefund\r\n--x--\r\n"},
	}
	for _, c := range cases {
		status, _, body := p.do(t, "POST", link, c.ctype, c.body)
		if status != http.StatusUnsupportedMediaType {
			t.Errorf("%s: status %d", c.name, status)
		}
		contains(t, c.name, body, "Nothing was changed", "Acme Home")
	}
	if got := p.offer(t, off.ID); got.Choice != "" {
		t.Errorf("a refused POST recorded %q", got.Choice)
	}
}

func TestChoiceSubstitute(t *testing.T) {
	p := newPages(t)
	off := p.seed(t, orderCase{id: "o4", substitute: true, silence: store.SilenceCancel})
	link := p.link(links.Choice, "o4", off.ID)
	status, body := p.get(t, link+"?choice=substitute")
	if status != 200 || checked(body) != "substitute" {
		t.Fatalf("GET: %d, checked %q", status, checked(body))
	}
	contains(t, "GET", body, "Take the substitute", "We send Red Kettle ($42.00) instead.", "https://acme.example/red-kettle",
		"we will cancel these items and refund you")
	status, body = p.choose(t, link, "substitute")
	if status != 200 {
		t.Fatalf("POST substitute: %d", status)
	}
	contains(t, "POST", body, "We recorded your choice: we send the substitute.")
	if got := p.offer(t, off.ID); got.Choice != "substitute" {
		t.Errorf("recorded %q", got.Choice)
	}
}

// TestChoiceAfterDeadline: the page says what was decided; a waiting customer may still
// take the refund, nothing else changes.
func TestChoiceAfterDeadline(t *testing.T) {
	p := newPages(t)
	past := time.Now().Add(-48 * time.Hour)
	waited := p.seed(t, orderCase{id: "o5", deadline: past, choice: "wait", channel: "silence", offerState: store.OfferDecided, lineState: store.LineBackordered})
	canceled := p.seed(t, orderCase{id: "o6", deadline: past, silence: store.SilenceCancel, offerState: store.OfferDecided, lineState: store.LineCanceled})
	cases := []struct {
		name, offer, order, choice string
		status                     int
		want                       []string
		unwanted                   []string
	}{
		{"waiting: GET", waited.ID, "o5", "", 200, []string{"The deadline has passed", "What was decided: we keep your order and wait",
			"You did not answer by the deadline, so we recorded that you wait", "You can still cancel these items", `value="refund"`},
			[]string{`value="wait"`, "Please answer by"}},
		{"waiting: substitute refused", waited.ID, "o5", "substitute", 422, []string{"No substitute was offered"}, nil},
		{"canceled: GET", canceled.ID, "o6", "", 200, []string{"The deadline has passed", "No answer arrived by the deadline, so these items were canceled"},
			[]string{"<form"}},
		{"canceled: wait refused", canceled.ID, "o6", "wait", 409, []string{"These items have shipped or been canceled"}, nil},
		{"waiting: refund still possible", waited.ID, "o5", "refund", 200, []string{"We recorded your choice: these items are canceled"}, nil},
	}
	for _, c := range cases {
		link := p.link(links.Choice, c.order, c.offer)
		var status int
		var body string
		if c.choice == "" {
			status, body = p.get(t, link)
		} else {
			status, body = p.choose(t, link, c.choice)
		}
		if status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, status, c.status)
		}
		contains(t, c.name, body, c.want...)
		lacks(t, c.name, body, c.unwanted...)
	}
	if got := p.offer(t, canceled.ID); got.Choice != "" {
		t.Errorf("a refused choice after the deadline was recorded: %q", got.Choice)
	}
}

// TestLinkRefusals: tampered links get 403 and expired ones 410, on pages that say so
// and how to reach support; never a stack trace or a problem document.
func TestLinkRefusals(t *testing.T) {
	p := newPages(t)
	off := p.seed(t, orderCase{id: "o7"})
	closed := time.Now().AddDate(0, 0, -31)
	old := p.seed(t, orderCase{id: "o8", closedAt: &closed, lineState: store.LineShipped, offerState: store.OfferClosed})
	good := p.link(links.Choice, "o7", off.ID)
	tampered := good[:len(good)-3] + flip(good[len(good)-3]) + good[len(good)-2:]
	cases := []struct {
		name, method, path string
		status             int
		want               []string
	}{
		{"tampered /c/", "GET", tampered, 403, []string{"This link is not valid", "contact the shop you ordered from"}},
		{"tampered /c/ POST", "POST", tampered, 403, []string{"This link is not valid"}},
		{"garbage /o/", "GET", "/o/not-a-token", 403, []string{"This link is not valid"}},
		{"an /o/ token on /c/", "GET", "/c/" + strings.TrimPrefix(p.link(links.Order, "o7", ""), "/o/"), 403, []string{"This link is not valid"}},
		{"expired /c/", "GET", p.link(links.Choice, "o7", off.ID, time.Now().Add(-time.Minute)), 410, []string{"This link has expired", "Acme Home", "help@acme.example"}},
		{"expired /u/ POST", "POST", p.link(links.Unsubscribe, "o7", "", time.Now().Add(-time.Minute)), 410, []string{"This link has expired", "Acme Home"}},
		{"/c/ 31 days after close", "GET", p.link(links.Choice, "o8", old.ID), 410, []string{"This link has expired", "Acme Home"}},
		{"/c/ POST 31 days after close", "POST", p.link(links.Choice, "o8", old.ID), 410, []string{"This link has expired"}},
		{"/o/ 31 days after close", "GET", p.link(links.Order, "o8", ""), 200, []string{"Order N-o8"}},
		{"/u/ 31 days after close", "GET", p.link(links.Unsubscribe, "o8", ""), 200, []string{"Unsubscribe"}},
		{"unknown order", "GET", p.link(links.Order, "nope", ""), 410, []string{"This link has expired"}},
		{"offer of another order", "GET", p.link(links.Choice, "o7", old.ID), 403, []string{"This link is not valid"}},
	}
	for _, c := range cases {
		ctype := ""
		if c.method == "POST" {
			ctype = form
		}
		status, hdr, body := p.do(t, c.method, c.path, ctype, "choice=refund")
		if status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, status, c.status)
		}
		if !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html lang=") {
			t.Errorf("%s: not a page: %s %s", c.name, hdr.Get("Content-Type"), body)
		}
		contains(t, c.name, body, c.want...)
		lacks(t, c.name, body, "goroutine", "panic", "ZgotmplZ")
		if status == 403 {
			lacks(t, c.name, body, "Acme Home", "Ada")
		}
	}
	if got := p.offer(t, off.ID); got.Choice != "" {
		t.Errorf("a refused link recorded %q", got.Choice)
	}
	if ss, _ := p.st.Suppressions(context.Background(), store.ChannelEmail, "ada.lovelace@example.com"); len(ss) != 0 {
		t.Errorf("an expired unsubscribe link suppressed: %+v", ss)
	}
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

// An offer over the kettle (still late) and the mug (shipped since): the mug has left
// the offer, and the customer can still answer for the kettle on the page, as the
// worker takes it (store.OrderLine.Offered).
func TestChoicePageOneLineShipped(t *testing.T) {
	p := newPages(t)
	off := p.seed(t, orderCase{id: "r1", silence: store.SilenceCancel})
	off.LineIDs = []string{"l1", "l2"} // l2, the mug, shipped in the seed
	if _, err := p.st.CommitEvent(context.Background(), &store.EventCommit{Source: "shop", ID: "ship-r1", LeaveStatus: true,
		Offers: []*store.Offer{off}}); err != nil {
		t.Fatal(err)
	}
	path := p.link(links.Choice, "r1", off.ID)
	_, body := p.get(t, path)
	contains(t, "one line shipped", body, "Wait for the items", "No choice is recorded yet.", "Blue Kettle")
	lacks(t, "one line shipped", body, "nothing left to choose", "Mug")
	if status, _ := p.choose(t, path, "wait"); status != http.StatusOK {
		t.Fatalf("POST wait: %d", status)
	}
	if got := p.offer(t, off.ID).Choice; got != "wait" {
		t.Errorf("choice recorded %q, want wait", got)
	}
}

// TestOrderPage: every line's state, the parcel with its tracking link, a link to
// decide for the line awaiting a choice; the customer's contact details never.
func TestOrderPage(t *testing.T) {
	p := newPages(t)
	p.seed(t, orderCase{id: "o9"})
	status, body := p.get(t, p.link(links.Order, "o9", ""))
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	contains(t, "status page", body, "Order N-o9", "Blue Kettle", "Waiting for your choice", "Choose what happens to this item",
		"Mug", "Shipped", "UPS, tracking number 1Z999AA1", `href="https://ups.example/track/1Z999AA1"`,
		"Tea &lt;script&gt;alert(1)&lt;/script&gt;", "Canceled", "Placed on")
	lacks(t, "status page", body, "Ada", "Lovelace", "Example.com", "example.com\"", "4155550100", "<script>")
	m := regexp.MustCompile(`href="(/c/[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no link to the choice page")
	}
	status, body = p.get(t, m[1])
	if status != 200 || !strings.Contains(body, "Wait for the items") {
		t.Errorf("the status page's choice link: %d", status)
	}

	// A customer who waits may still cancel before shipment (§8.5).
	p.seed(t, orderCase{id: "o10", deadline: time.Now().Add(-time.Hour), choice: "wait", channel: "web",
		offerState: store.OfferDecided, lineState: store.LineBackordered})
	_, body = p.get(t, p.link(links.Order, "o10", ""))
	contains(t, "waiting", body, "Backordered, expected", "Cancel this item for a full refund")

	// A customer who chose the substitute sees that, and may still switch until the
	// deadline.
	p.seed(t, orderCase{id: "o11", substitute: true, choice: "substitute", channel: "web", lineState: store.LineSubstitute})
	_, body = p.get(t, p.link(links.Order, "o11", ""))
	contains(t, "substitute chosen", body, "To be replaced by the substitute you chose", "Choose what happens to this item")
}

func TestPagesLocalized(t *testing.T) {
	p := newPages(t)
	cases := []struct {
		name, id, brand, locale, lang string
		want                          []string
	}{
		{"French customer", "of", "acme", "fr-CA", "fr", []string{"Attendre les articles", "Annuler et être remboursé", "remboursons intégralement"}},
		{"Spanish customer", "oe", "acme", "es", "es", []string{"Esperar los artículos", "Cancelar y reembolsar"}},
		{"unknown locale, German brand", "od", "bergmann", "it-IT", "de", []string{"Auf die Artikel warten", "Bergmann Küchen", "hilfe@bergmann.example"}},
		{"unknown locale, English brand", "ox", "acme", "ja", "en", []string{"Wait for the items"}},
	}
	for _, c := range cases {
		off := p.seed(t, orderCase{id: c.id, brand: c.brand, locale: c.locale})
		_, body := p.get(t, p.link(links.Choice, c.id, off.ID))
		contains(t, c.name, body, append(c.want, `<html lang="`+c.lang+`">`)...)
	}
	req, _ := http.NewRequest("GET", p.srv.URL+"/c/garbage", nil)
	req.Header.Set("Accept-Language", "de-CH, en;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	contains(t, "neutral page in the browser's language", string(b), `<html lang="de">`, "Dieser Link ist ungültig")
}

// TestUnsubscribe: GET only asks; the page's button and an RFC 8058 one-click POST both
// suppress update emails to the order's address and answer 200.
func TestUnsubscribe(t *testing.T) {
	p := newPages(t)
	p.seed(t, orderCase{id: "o11"})
	ctx := context.Background()
	suppressed := func() []store.Suppression {
		ss, err := p.st.Suppressions(ctx, store.ChannelEmail, "ada.lovelace@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return ss
	}
	link := p.link(links.Unsubscribe, "o11", "")
	for range 3 {
		status, body := p.get(t, link)
		if status != 200 {
			t.Fatalf("GET: %d", status)
		}
		contains(t, "GET", body, `<form method="post">`, `<button type="submit">Unsubscribe</button>`, "still come")
	}
	if ss := suppressed(); len(ss) != 0 {
		t.Fatalf("GET suppressed: %+v", ss)
	}
	cases := []struct{ name, ctype, body string }{
		{"the page's button", form, "List-Unsubscribe=One-Click"},
		{"one-click, urlencoded", form, "List-Unsubscribe=One-Click"},
		{"one-click, multipart", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n"},
	}
	for _, c := range cases {
		status, hdr, body := p.do(t, "POST", link, c.ctype, c.body)
		if status != 200 || hdr.Get("Location") != "" {
			t.Errorf("%s: status %d, Location %q", c.name, status, hdr.Get("Location"))
		}
		contains(t, c.name, body, "You are unsubscribed from order updates; legal notices about your rights still come.")
		ss := suppressed()
		if len(ss) != 1 || ss[0].Kind != store.SuppressUnsubscribe || ss[0].Address != "ada.lovelace@example.com" {
			t.Errorf("%s: suppressions %+v", c.name, ss)
		}
	}
	_, body := p.get(t, link)
	contains(t, "GET after", body, "You are already unsubscribed")
}

func TestPagesRateLimited(t *testing.T) {
	p := newPages(t)
	off := p.seed(t, orderCase{id: "o12"})
	p.api.LinkRate, p.api.LinkBurst = 1, 3
	p.restart()
	link := p.link(links.Choice, "o12", off.ID)
	for i := range 3 {
		if status, _ := p.get(t, link); status != 200 {
			t.Fatalf("request %d: %d", i+1, status)
		}
	}
	status, hdr, body := p.do(t, "GET", link, "", "")
	if status != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Fatalf("4th request: %d %v", status, hdr)
	}
	contains(t, "429", body, "Too many requests", "Acme Home", "help@acme.example")
	if status, _ := p.get(t, "/o/garbage"); status != http.StatusTooManyRequests {
		t.Errorf("a tampered link past the limit: %d", status)
	}
	if status, _ := p.get(t, "/healthz"); status != 200 {
		t.Errorf("the limit reaches beyond the token routes: %d", status)
	}
}
