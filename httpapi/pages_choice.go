package httpapi

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"time"

	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/policy"
	"github.com/notifyd/notifyd/store"
)

// maxFormBody is the largest form a customer page accepts.
const maxFormBody = 16 << 10

// choiceView is the content of the choice page.
type choiceView struct {
	Items    []itemView
	NewDate  string // "" when no date can be given
	Reason   string
	Deadline string
	Past     bool   // the deadline has passed
	Ask      bool   // no answer yet and the deadline ahead: say by when, and what silence means
	Silence  string // the sentence on what silence means
	Decided  string // after the deadline: what was decided
	Status   []string
	Options  []optionView
}

type itemView struct {
	Name     string
	Quantity int
	Price    string
}

type optionView struct {
	Value, Label, Help string
	Link, LinkText     string
	Checked            bool
}

// substitute is the substitute an offer stored (templates.Substitute as JSON; the
// lower-case names are accepted too).
type substitute struct {
	Name  string `json:"name"`
	Price string `json:"price"`
	URL   string `json:"url"`
}

// getChoice shows the offer, the options and what is recorded; it changes nothing,
// whatever the query says (?choice= only preselects an option).
func (s *Server) getChoice(w http.ResponseWriter, r *http.Request) {
	c := s.openLink(w, r, links.Choice, choiceAfterClose)
	if c == nil {
		return
	}
	off := s.offerOf(w, r, c)
	if off == nil {
		return
	}
	s.choicePage(w, r, c, off, http.StatusOK, nil, r.URL.Query().Get("choice"))
}

// postChoice records the choice in the form field choice and shows the page again
// with the confirmation, or with why the choice was refused (409: the refund is
// final, the deadline passed, the lines are closed; 422: not a choice on offer).
func (s *Server) postChoice(w http.ResponseWriter, r *http.Request) {
	c := s.openLink(w, r, links.Choice, choiceAfterClose)
	if c == nil {
		return
	}
	if !s.readForm(w, r, c) {
		return
	}
	if s.Chooser == nil {
		s.messagePage(w, r, http.StatusServiceUnavailable, c, "error.title", "error.body")
		return
	}
	off := s.offerOf(w, r, c)
	if off == nil {
		return
	}
	choice := r.PostForm.Get("choice")
	p := s.newPage(r, c)
	_, changed, err := s.Chooser.Choose(r.Context(), off.ID, choice, "web")
	status, n := http.StatusOK, &notice{}
	switch {
	case err == nil:
		n.Text = p.T("confirm." + choice)
		s.Logger.Info("choice page", "order_id", c.order.ID, "offer_id", off.ID, "choice", choice, "changed", changed)
	case errors.Is(err, policy.ErrRefundFinal):
		status, n.Text = http.StatusConflict, p.T("refund.final")
	case errors.Is(err, policy.ErrAfterDeadline):
		status, n.Text = http.StatusConflict, p.T("err.afterdeadline")
	case errors.Is(err, policy.ErrClosed):
		status, n.Text = http.StatusConflict, p.T("closed")
	case errors.Is(err, policy.ErrNoSubstitute):
		status, n.Text = http.StatusUnprocessableEntity, p.T("err.nosubstitute")
	case errors.Is(err, policy.ErrUnknownChoice):
		status, n.Text = http.StatusUnprocessableEntity, p.T("err.unknown")
	case errors.Is(err, jobs.ErrNoOffer):
		s.messagePage(w, r, http.StatusNotFound, c, "error.title", "err.nooffer")
		return
	default:
		s.Logger.Error("choice page: choose", "order_id", c.order.ID, "offer_id", off.ID, "err", err)
		s.messagePage(w, r, http.StatusInternalServerError, c, "error.title", "error.body")
		return
	}
	n.Error = status != http.StatusOK
	// Show the case as it is now: the choice may have canceled lines.
	if c.order, err = s.Store.GetOrder(r.Context(), c.order.ID); err == nil {
		off, err = s.Store.GetOffer(r.Context(), off.ID)
	}
	if err != nil {
		s.Logger.Error("choice page: reload", "order_id", c.order.ID, "err", err)
		s.messagePage(w, r, http.StatusInternalServerError, c, "error.title", "error.body")
		return
	}
	pre := choice
	if n.Error {
		pre = ""
	}
	s.choicePage(w, r, c, off, status, n, pre)
}

// readForm requires an application/x-www-form-urlencoded body and parses it, or
// answers 415/400 with a page saying nothing changed.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request, c *linkCase) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		s.messagePage(w, r, http.StatusUnsupportedMediaType, c, "badform.title", "badform.body")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.messagePage(w, r, http.StatusBadRequest, c, "badform.title", "badform.body")
		return false
	}
	return true
}

// offerOf loads the token's offer (or, for a token without one, the order's newest),
// answering 404 when there is none and 403 when it belongs to another order.
func (s *Server) offerOf(w http.ResponseWriter, r *http.Request, c *linkCase) *store.Offer {
	var off *store.Offer
	var err error
	if c.tok.OfferID != "" {
		off, err = s.Store.GetOffer(r.Context(), c.tok.OfferID)
	} else {
		var offs []store.Offer
		if offs, err = s.Store.OffersOf(r.Context(), c.order.ID); err == nil && len(offs) > 0 {
			off = &offs[0]
		} else if err == nil {
			err = store.ErrNotFound
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.messagePage(w, r, http.StatusNotFound, c, "error.title", "err.nooffer")
		return nil
	case err != nil:
		s.Logger.Error("choice page: offer", "order_id", c.order.ID, "err", err)
		s.messagePage(w, r, http.StatusInternalServerError, c, "error.title", "error.body")
		return nil
	case off.OrderID != c.order.ID:
		s.messagePage(w, r, http.StatusForbidden, nil, "tampered.title", "tampered.body")
		return nil
	}
	return off
}

func (s *Server) choicePage(w http.ResponseWriter, r *http.Request, c *linkCase, off *store.Offer, status int, n *notice, pre string) {
	p := s.newPage(r, c)
	p.Title = p.T("choice.title", c.snap.Number)
	p.Notice = n
	p.Content = choiceContent(p, c, off, pre, s.Now())
	s.renderPage(w, r, status, "choice", p)
}

// choiceContent is what the choice page shows of off at now. The options offered are
// those the policy would accept now (§8.6), so the page never offers what a POST
// would refuse.
func choiceContent(p *page, c *linkCase, off *store.Offer, pre string, now time.Time) choiceView {
	f := newFormatter(c.lang, c.loc)
	v := choiceView{Reason: off.NoDateReason, Deadline: f.dateTime(off.Deadline), Past: !now.Before(off.Deadline)}
	if off.NewDate != nil {
		v.NewDate = f.date(*off.NewDate)
	}
	// The offer is about its lines still offered (store.OrderLine.Offered, as the
	// worker's Choose counts them): a line that shipped since has left it. With none
	// left — all shipped, or canceled by a refund or at the deadline — the page shows
	// every line of the offer, and nothing is left to choose.
	var lines, live []*store.OrderLine
	canceled := false
	for _, id := range off.LineIDs {
		if l := c.line(id); l != nil {
			lines = append(lines, l)
			canceled = canceled || l.State == store.LineCanceled
			if l.Offered() {
				live = append(live, l)
			}
		}
	}
	closed := c.order.State != store.OrderOpen || off.State == store.OfferClosed || len(live) == 0
	if len(live) > 0 {
		lines = live
	}
	for _, l := range lines {
		sl, _ := c.snap.Line(l.LineID)
		qty := l.Quantity
		if l.Offered() {
			qty = l.Owed()
		} else if l.BackorderedQty > 0 {
			qty = l.BackorderedQty
		}
		v.Items = append(v.Items, itemView{Name: sl.Name, Quantity: qty, Price: f.money(string(sl.UnitPrice), c.snap.Currency)})
	}
	var sub *substitute
	if len(off.Substitute) > 0 && string(off.Substitute) != "null" {
		sub = &substitute{}
		if json.Unmarshal(off.Substitute, sub) != nil {
			sub = nil
		}
	}
	ans := policy.Answering{Recorded: off.Choice, SubstituteOffered: sub != nil, Deadline: off.Deadline, Closed: closed}
	if pre == "" {
		pre = off.Choice
	}
	for _, o := range choiceOptions(p, v.NewDate, sub, f, c.snap.Currency) {
		changed, err := policy.Accept(ans, o.Value, now)
		// The recorded choice is shown (checked) only beside others it may switch to.
		if err != nil || !changed && (v.Past || closed || off.Choice == policy.ChoiceRefund) {
			continue
		}
		o.Checked = o.Value == pre
		v.Options = append(v.Options, o)
	}
	v.Status = choiceStatus(p, f, off, v, canceled, closed)
	v.Ask = !v.Past && !closed && off.Choice == ""
	if v.Past {
		switch {
		case off.Choice != "":
			v.Decided = p.T("decided." + off.Choice)
		case canceled || off.Silence != store.SilenceConsent || off.SentAt == nil:
			v.Decided = p.T("decided.canceled")
		default:
			v.Decided = p.T("decided.wait")
		}
	} else if off.Silence == store.SilenceConsent {
		v.Silence = p.T("silence.consent")
	} else {
		v.Silence = p.T("silence.cancel")
	}
	return v
}

// choiceOptions are the three options explained; the substitute only when offered.
func choiceOptions(p *page, newDate string, sub *substitute, f formatter, currency string) []optionView {
	wait := optionView{Value: policy.ChoiceWait, Label: p.T("opt.wait"), Help: p.T("opt.wait.nodate")}
	if newDate != "" {
		wait.Help = p.T("opt.wait.date", newDate)
	}
	opts := []optionView{wait}
	if sub != nil {
		o := optionView{Value: policy.ChoiceSubstitute, Label: p.T("opt.substitute"),
			Help: p.T("opt.substitute.help", sub.Name, f.money(sub.Price, currency))}
		if u := httpsURL(sub.URL); u != "" {
			o.Link, o.LinkText = u, p.T("opt.substitute.link")
		}
		opts = append(opts, o)
	}
	return append(opts, optionView{Value: policy.ChoiceRefund, Label: p.T("opt.refund"), Help: p.T("opt.refund.help")})
}

// choiceStatus says what is recorded now and what the customer may still do.
func choiceStatus(p *page, f formatter, off *store.Offer, v choiceView, canceled, closed bool) []string {
	var out []string
	switch {
	case off.Choice != "" && off.ChoiceChannel == "silence" && off.ChoiceAt != nil:
		out = append(out, p.T("recorded.silence", f.date(*off.ChoiceAt)))
	case off.Choice != "" && off.ChoiceAt != nil:
		out = append(out, p.T("recorded", p.T("opt."+off.Choice), f.date(*off.ChoiceAt)))
	case !v.Past && !closed:
		out = append(out, p.T("recorded.none"))
	}
	canRefund := slices.ContainsFunc(v.Options, func(o optionView) bool { return o.Value == policy.ChoiceRefund })
	switch {
	case off.Choice == policy.ChoiceRefund:
		out = append(out, p.T("refund.final"))
	case closed && !(v.Past && canceled && off.Choice == ""):
		out = append(out, p.T("closed"))
	case v.Past && canRefund:
		out = append(out, p.T("refund.still"))
	case !v.Past && off.Choice != "":
		out = append(out, p.T("recorded.change", v.Deadline))
	}
	return out
}

// line returns the stored state of line id, nil if unknown.
func (c *linkCase) line(id string) *store.OrderLine {
	for i := range c.order.Lines {
		if c.order.Lines[i].LineID == id {
			return &c.order.Lines[i]
		}
	}
	return nil
}
