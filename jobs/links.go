package jobs

import (
	"net/url"
	"strings"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// linkLifetime caps every customer link token. The contract's lifetimes run from when
// the order closes (+30 days for /c/, +180 for /o/ and /u/), which is not known when a
// message is sent; the routes check the order's close time, the token this outer bound.
const linkLifetime = 2 * 365 * 24 * time.Hour

// link returns NOTIFYD_PUBLIC_URL/<purpose>/<token>.
func (w *Worker) link(p links.Purpose, orderID, offerID string) string {
	tok := w.Links.Sign(links.Token{Purpose: p, OrderID: orderID, OfferID: offerID, Expires: w.Now().Add(linkLifetime)})
	return strings.TrimRight(w.Config.PublicURL, "/") + "/" + string(rune(p)) + "/" + tok
}

// unsubscribeHeaders returns the List-Unsubscribe headers of an update email
// (CONTRACT.md §4): the /u/ link and a mailto; List-Unsubscribe-Post only when the
// public URL is https, as RFC 8058 requires. Legal notices get none.
func (w *Worker) unsubscribeHeaders(n *store.Notification, brand *config.Brand) map[string]string {
	if templates.Required(n.Kind) {
		return nil
	}
	value := "<" + w.link(links.Unsubscribe, n.OrderID, "") + ">"
	if mailbox := brand.Email.ReplyTo; mailbox != "" {
		value += ", <mailto:" + mailbox + "?subject=" + url.QueryEscape("unsubscribe "+n.OrderID) + ">"
	}
	h := map[string]string{"List-Unsubscribe": value}
	if strings.HasPrefix(w.Config.PublicURL, "https://") {
		h["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	return h
}
