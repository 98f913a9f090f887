package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/notifyd/notifyd/store"
)

// Limits of GET /v1/webhooks/deliveries.
const (
	defaultDeliveryLimit = 100
	maxDeliveryLimit     = 1000
)

// deliveryJSON is one outbound webhook delivery as support sees it.
type deliveryJSON struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	OrderID       string          `json:"order_id"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	LastStatus    int             `json:"last_status,omitempty"`
	LastError     string          `json:"last_error,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	NextAttemptAt *time.Time      `json:"next_attempt_at"`
	DeliveredAt   *time.Time      `json:"delivered_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	Payload       json.RawMessage `json:"payload"`
}

// getDeliveries lists the decisions sent to the commerce system (CONTRACT.md §7) and
// what became of each, newest first: ?order_id=, ?status= (pending, delivered,
// failed), ?limit= (default 100, at most 1000).
func (s *Server) getDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.DeliveryFilter{OrderID: q.Get("order_id"), Status: q.Get("status"), Limit: defaultDeliveryLimit}
	switch f.Status {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed:
	default:
		writeProblem(w, Problem{Type: problemBadRequest, Title: "Bad Request", Status: http.StatusBadRequest,
			Detail: "status must be pending, delivered or failed, got " + strconv.Quote(f.Status)})
		return
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxDeliveryLimit {
			writeProblem(w, Problem{Type: problemBadRequest, Title: "Bad Request", Status: http.StatusBadRequest,
				Detail: "limit must be between 1 and " + strconv.Itoa(maxDeliveryLimit) + ", got " + strconv.Quote(l)})
			return
		}
		f.Limit = n
	}
	ds, err := s.Store.ListDeliveries(r.Context(), f)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := make([]deliveryJSON, 0, len(ds))
	for _, d := range ds {
		payload := d.Payload
		if !json.Valid(payload) {
			payload = json.RawMessage("null")
		}
		out = append(out, deliveryJSON{ID: d.ID, Type: d.Type, OrderID: d.OrderID, Status: d.Status,
			Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, CreatedAt: d.CreatedAt,
			NextAttemptAt: d.NextAttemptAt, DeliveredAt: d.DeliveredAt, UpdatedAt: d.UpdatedAt, Payload: payload})
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}
