package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/policy"
	"github.com/notifyd/notifyd/store"
)

// orderView is the content of the order status page: the order number and items and
// each line's state. It shows nothing of the customer: no name, address or phone.
type orderView struct {
	Placed string
	Lines  []lineView
}

type lineView struct {
	Name     string
	Quantity int
	Status   string
	Parcels  []parcelView
	// Link is the choice page for a line whose offer still takes an answer.
	Link, LinkText string
}

type parcelView struct{ Carrier, Number, URL string }

// getOrder shows the order status page.
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	c := s.openLink(w, r, links.Order, orderAfterClose)
	if c == nil {
		return
	}
	ctx := r.Context()
	parcels, err := s.parcels(ctx, c.order.ID)
	var offers []store.Offer
	if err == nil {
		offers, err = s.Store.OffersOf(ctx, c.order.ID)
	}
	if err != nil {
		s.Logger.Error("order page", "order_id", c.order.ID, "err", err)
		s.messagePage(w, r, http.StatusInternalServerError, c, "error.title", "error.body")
		return
	}
	p := s.newPage(r, c)
	p.Title = p.T("status.title", c.snap.Number)
	f := newFormatter(c.lang, c.loc)
	v := orderView{Placed: f.date(c.snap.PlacedAt)}
	for _, sl := range c.snap.Lines {
		lv := lineView{Name: sl.Name, Quantity: sl.Quantity}
		if l := c.line(sl.ID); l != nil {
			lv.Status = lineStatus(p, f, l)
			if l.ShippedQty > 0 || l.State == store.LineShipped {
				lv.Parcels = parcels[sl.ID]
			}
			lv.Link, lv.LinkText = s.decideLink(p, c, l, offers)
		} else {
			lv.Status = p.T("line.open")
		}
		v.Lines = append(v.Lines, lv)
	}
	p.Content = v
	s.renderPage(w, r, http.StatusOK, "order", p)
}

// lineStatus says in a few words where a line is.
func lineStatus(p *page, f formatter, l *store.OrderLine) string {
	var st string
	switch l.State {
	case store.LineShipped:
		return p.T("line.shipped")
	case store.LineCanceled:
		return p.T("line.canceled")
	case store.LineAwaiting:
		st = p.T("line.awaiting")
	case store.LineSubstitute:
		st = p.T("line.substitute")
	case store.LineAllocated:
		st = p.T("line.allocated")
	case store.LineBackordered:
		st = p.T("line.noeta")
		if l.ETA != nil {
			st = p.T("line.eta", f.date(*l.ETA))
		}
	default:
		st = p.T("line.open")
	}
	if l.ShippedQty > 0 && l.ShippedQty < l.Quantity {
		st = p.T("line.partial", l.ShippedQty, l.Quantity) + "; " + st
	}
	return st
}

// decideLink is a fresh /c/ link for the newest offer covering l when that offer still
// takes an answer: any before its deadline, then refund for a customer who waits
// (§8.5–6).
func (s *Server) decideLink(p *page, c *linkCase, l *store.OrderLine, offers []store.Offer) (string, string) {
	if !l.Offered() || c.order.State != store.OrderOpen {
		return "", ""
	}
	for _, off := range offers { // newest first
		if !slices.Contains(off.LineIDs, l.LineID) {
			continue
		}
		link := s.signLink(links.Choice, c.order.ID, off.ID)
		if off.State == store.OfferOpen && s.Now().Before(off.Deadline) {
			return link, p.T("line.decide")
		}
		hasSub := len(off.Substitute) > 0 && string(off.Substitute) != "null"
		ans := policy.Answering{Recorded: off.Choice, SubstituteOffered: hasSub, Deadline: off.Deadline}
		if _, err := policy.Accept(ans, policy.ChoiceRefund, s.Now()); err == nil && off.Choice != policy.ChoiceRefund {
			return link, p.T("line.cancellink")
		}
		return "", ""
	}
	return "", ""
}

// parcels finds, in the order's shipment events, the parcels each line went out in.
func (s *Server) parcels(ctx context.Context, orderID string) (map[string][]parcelView, error) {
	evs, err := s.Store.ListEvents(ctx, orderID)
	if err != nil {
		return nil, err
	}
	out := map[string][]parcelView{}
	for _, e := range evs {
		if e.Type != event.TypeShipped && e.Type != event.TypePartiallyShipped {
			continue
		}
		var env struct {
			Data struct {
				Shipment *event.Shipment `json:"shipment"`
			} `json:"data"`
		}
		if json.Unmarshal(e.Payload, &env) != nil || env.Data.Shipment == nil {
			continue
		}
		sh := env.Data.Shipment
		pv := parcelView{Carrier: sh.Carrier, Number: sh.TrackingNumber, URL: httpsURL(sh.TrackingURL)}
		for _, sl := range sh.Lines {
			out[sl.LineID] = append(out[sl.LineID], pv)
		}
	}
	return out, nil
}
