package httpapi

import (
	"net/http"

	"github.com/notifyd/notifyd/event"
)

// getSchemas serves every event type's JSON Schema, keyed by type.
func (s *Server) getSchemas(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, event.Schemas())
}

// getSchema serves one event type's JSON Schema.
func (s *Server) getSchema(w http.ResponseWriter, r *http.Request) {
	sc, err := event.Schema(r.PathValue("type"))
	if err != nil {
		writeProblem(w, Problem{Type: problemNotFound, Title: "Not Found", Status: http.StatusNotFound, Detail: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/schema+json")
	_, _ = w.Write(sc)
}
