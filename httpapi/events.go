package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/jobs"
)

// postEvents ingests one structured CloudEvent or a batch. An invalid batch is rejected
// whole with every problem listed; 202 comes only once every accepted event is recorded
// and enqueued.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) {
	batch, ok := s.mediaType(w, r)
	if !ok {
		return
	}
	max := s.MaxBody
	if max == 0 {
		max = DefaultMaxBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeProblem(w, Problem{Type: problemTooLarge, Title: "Request Entity Too Large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the body is larger than %d bytes; send smaller batches", max)})
		return
	}
	if err != nil {
		writeProblem(w, Problem{Type: problemBadRequest, Title: "Bad Request", Status: http.StatusBadRequest, Detail: "reading body: " + err.Error()})
		return
	}
	events, problems, err := parseBody(body, batch, event.Options{Brands: s.Brands()})
	if err != nil {
		writeProblem(w, Problem{Type: problemBadRequest, Title: "Bad Request", Status: http.StatusBadRequest, Detail: err.Error()})
		return
	}
	if len(problems) > 0 {
		writeProblem(w, Problem{Type: problemInvalidEvents, Title: "Invalid events", Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("%d problem(s); nothing was enqueued", len(problems)), Errors: problems})
		return
	}
	res, err := jobs.Ingest(r.Context(), s.Store, s.Queue, events, s.Now())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	for _, id := range res.Changed {
		s.Logger.Warn("duplicate event with different content ignored; the first one stands", "event_id", id)
	}
	writeJSON(w, http.StatusAccepted, res)
}

// mediaType checks Content-Type; batch is true for a batch.
func (s *Server) mediaType(w http.ResponseWriter, r *http.Request) (batch, ok bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err == nil && mt == "application/cloudevents+json":
		return false, true
	case err == nil && mt == "application/cloudevents-batch+json":
		return true, true
	case err == nil && mt == "application/json":
		return false, true // either form; told apart by the body
	}
	writeProblem(w, Problem{Type: problemUnsupported, Title: "Unsupported Media Type", Status: http.StatusUnsupportedMediaType,
		Detail: "Content-Type must be application/cloudevents+json (one event) or application/cloudevents-batch+json (a JSON array); got " +
			fmt.Sprintf("%q", r.Header.Get("Content-Type"))})
	return false, false
}

// parseBody validates every event of a body; problems carry 0-based indexes.
func parseBody(body []byte, batch bool, opts event.Options) ([]*event.Event, []event.Problem, error) {
	if batch && !event.IsArray(body) {
		return nil, nil, errors.New("a batch (application/cloudevents-batch+json) must be a JSON array of events")
	}
	items, err := event.Split(body)
	if err != nil {
		return nil, nil, err
	}
	if len(items) == 0 {
		return nil, nil, errors.New("the body holds no event")
	}
	events, problems := event.ParseAll(items, opts)
	return events, problems, nil
}
