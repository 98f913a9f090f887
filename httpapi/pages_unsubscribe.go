package httpapi

import (
	"io"
	"net/http"
	"strings"

	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
)

// unsubscribeView is the content of the unsubscribe page.
type unsubscribeView struct {
	Done bool
	Text string
}

// getUnsubscribe shows what unsubscribing means and the button; it changes nothing.
func (s *Server) getUnsubscribe(w http.ResponseWriter, r *http.Request) {
	c := s.openLink(w, r, links.Unsubscribe, orderAfterClose)
	if c == nil {
		return
	}
	already, err := s.unsubscribed(r, c)
	if err != nil {
		s.Logger.Error("unsubscribe page", "order_id", c.order.ID, "err", err)
		s.messagePage(w, r, http.StatusInternalServerError, c, "error.title", "error.body")
		return
	}
	p := s.newPage(r, c)
	p.Title = p.T("unsub.title")
	v := unsubscribeView{}
	if already {
		p.Title, v = p.T("unsub.done.title"), unsubscribeView{Done: true, Text: p.T("unsub.already")}
	}
	p.Content = v
	s.renderPage(w, r, http.StatusOK, "unsubscribe", p)
}

// postUnsubscribe suppresses update emails to the order's customer address: the page's
// button, or a mail client's RFC 8058 one-click POST (body List-Unsubscribe=One-Click),
// answered 200 without a redirect. Required notices still go (store.SuppressUnsubscribe).
func (s *Server) postUnsubscribe(w http.ResponseWriter, r *http.Request) {
	c := s.openLink(w, r, links.Unsubscribe, orderAfterClose)
	if c == nil {
		return
	}
	// The body says nothing we need (RFC 8058 allows urlencoded and multipart); read a
	// bounded amount so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxFormBody))
	if addr := emailOf(c); addr != "" {
		err := s.Store.AddSuppression(r.Context(), &store.Suppression{Channel: store.ChannelEmail, Address: addr,
			Kind: store.SuppressUnsubscribe, Reason: "unsubscribe link of order " + c.order.ID, CreatedAt: s.Now()})
		if err != nil {
			s.Logger.Error("unsubscribe", "order_id", c.order.ID, "err", err)
			s.messagePage(w, r, http.StatusInternalServerError, c, "error.title", "error.body")
			return
		}
		s.Logger.Info("unsubscribed from updates", "order_id", c.order.ID, "channel", store.ChannelEmail)
	}
	p := s.newPage(r, c)
	p.Title = p.T("unsub.done.title")
	p.Content = unsubscribeView{Done: true, Text: p.T("unsub.done")}
	s.renderPage(w, r, http.StatusOK, "unsubscribe", p)
}

// unsubscribed reports whether the order's address has unsubscribed already.
func (s *Server) unsubscribed(r *http.Request, c *linkCase) (bool, error) {
	addr := emailOf(c)
	if addr == "" {
		return false, nil
	}
	ss, err := s.Store.Suppressions(r.Context(), store.ChannelEmail, addr)
	for _, x := range ss {
		if x.Kind == store.SuppressUnsubscribe {
			return true, err
		}
	}
	return false, err
}

// emailOf is the customer's email address as suppressions key it (lower case).
func emailOf(c *linkCase) string {
	return strings.ToLower(strings.TrimSpace(c.snap.Customer.Email))
}
