// Package httpapi is notifyd's HTTP surface (CONTRACT.md §5): event ingestion, the
// JSON Schemas, health and readiness, support's look-ups, with bearer-token auth and
// RFC 9457 problem+json errors; and the customer pages behind signed links — the
// choice page, the order status page and unsubscribe — rendered from embedded
// templates. It uses the store, config, event, links and policy packages; cmd/notifyd
// wires it to a listener.
package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/notifyd/notifyd/event"
)

// Problem is an RFC 9457 problem document; Errors lists invalid events' problems.
type Problem struct {
	Type   string          `json:"type"`
	Title  string          `json:"title"`
	Status int             `json:"status"`
	Detail string          `json:"detail,omitempty"`
	Errors []event.Problem `json:"errors,omitempty"`
}

// Problem type URIs.
const (
	problemInvalidEvents = "urn:notifyd:problem:invalid-events"
	problemBadRequest    = "urn:notifyd:problem:bad-request"
	problemUnauthorized  = "urn:notifyd:problem:unauthorized"
	problemForbidden     = "urn:notifyd:problem:forbidden"
	problemTooLarge      = "urn:notifyd:problem:too-large"
	problemUnsupported   = "urn:notifyd:problem:unsupported-media-type"
	problemNotFound      = "urn:notifyd:problem:not-found"
	problemUnavailable   = "urn:notifyd:problem:unavailable"
	problemInternal      = "urn:notifyd:problem:internal"
)

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
