package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
)

// Store is what the HTTP API needs of the store.
type Store interface {
	TokenStore
	PageStore
	jobs.IngestStore
	NotificationByProvider(ctx context.Context, channel, providerID string) (*store.Notification, error)
	AddSuppression(ctx context.Context, s *store.Suppression) error
	Suppressions(ctx context.Context, channel, address string) ([]store.Suppression, error)
	DeleteSuppressions(ctx context.Context, channel, address string) (int, error)
	AdvanceDelivery(ctx context.Context, id, status, errorCode string, at time.Time) (bool, error)
}

// DefaultMaxBody is the largest request body POST /v1/events accepts (5 MiB).
const DefaultMaxBody = 5 << 20

// Server serves the HTTP API. Set every field, then use Handler.
type Server struct {
	Store  Store
	Queue  *asynq.Client
	Brands func() map[string]bool
	// Ready checks Redis, the database and its schema; nil error means ready.
	Ready   func(ctx context.Context) error
	Logger  *slog.Logger
	Now     func() time.Time
	MaxBody int64 // 0 means DefaultMaxBody
	// PublicURL is NOTIFYD_PUBLIC_URL: provider signatures are checked against it.
	PublicURL string
	// TwilioAuthToken verifies Twilio's callbacks; "" refuses them all.
	TwilioAuthToken string
	// Config gives the brands (names and contacts for SMS answers).
	Config *config.Config
	// Choices applies SMS replies to offers; nil answers that no offer is open.
	Choices SMSChoices
	// Links verifies the tokens of the customer pages (/c/, /o/, /u/) and signs the
	// /c/ links the status page shows; nil leaves those routes out.
	Links *links.Signer
	// Chooser records the answers of the choice page (jobs.Worker).
	Chooser Chooser
	// Fallback sends by email a required notice whose SMS Twilio reports undelivered
	// (jobs.Worker); nil only records the status.
	Fallback Fallback
	// LinkRate and LinkBurst limit the customer pages per client address: requests a
	// minute and burst; 0 means DefaultLinkRate and DefaultLinkBurst.
	LinkRate, LinkBurst int

	limiter *limiter
}

// Handler returns the routes of CONTRACT.md §5 that exist so far.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", s.requireRole(store.RoleIngest, s.postEvents))
	mux.HandleFunc("GET /v1/schemas", s.getSchemas)
	mux.HandleFunc("GET /v1/schemas/{type}", s.getSchema)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("POST "+TwilioStatusPath, s.twilioStatus)
	mux.HandleFunc("POST "+TwilioInboundPath, s.twilioInbound)
	mux.HandleFunc("GET /v1/webhooks/deliveries", s.requireRole(store.RoleSupport, s.getDeliveries))
	if s.Links != nil {
		s.limiter = newLimiter(s.LinkRate, s.LinkBurst)
		mux.HandleFunc("GET /c/{token}", s.getChoice)
		mux.HandleFunc("POST /c/{token}", s.postChoice)
		mux.HandleFunc("GET /o/{token}", s.getOrder)
		mux.HandleFunc("GET /u/{token}", s.getUnsubscribe)
		mux.HandleFunc("POST /u/{token}", s.postUnsubscribe)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, Problem{Type: problemNotFound, Title: "Not Found", Status: http.StatusNotFound,
			Detail: "no route " + r.Method + " " + r.URL.Path})
	})
	return s.recoverer(mux)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		writeProblem(w, Problem{Type: problemUnavailable, Title: "Not Ready", Status: http.StatusServiceUnavailable, Detail: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeProblem(w, Problem{Type: problemInternal, Title: "Internal Server Error", Status: http.StatusInternalServerError,
		Detail: "the request could not be completed; nothing was lost, retry it"})
}

// recoverer turns a panic in a handler into a 500 problem instead of a dropped connection.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic in handler", "path", r.URL.Path, "panic", v)
				writeProblem(w, Problem{Type: problemInternal, Title: "Internal Server Error", Status: http.StatusInternalServerError})
			}
		}()
		h.ServeHTTP(w, r)
	})
}
