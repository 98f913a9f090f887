package httpapi

import (
	"context"
	"errors"
	"net/http"

	twilioclient "github.com/twilio/twilio-go/client"

	"github.com/notifyd/notifyd/store"
)

// TwilioStatusPath is where Twilio posts delivery status callbacks; the SMS sender
// passes NOTIFYD_PUBLIC_URL + this path as StatusCallback.
const TwilioStatusPath = "/webhooks/twilio/status"

// twilioFinal maps Twilio's final MessageStatus values to notification statuses;
// intermediate ones (queued, sending, sent, accepted…) change nothing: the
// notification is already "sent" once Twilio accepted it.
var twilioFinal = map[string]string{
	"delivered":   store.NotificationDelivered,
	"undelivered": store.NotificationUndelivered,
	"failed":      store.NotificationFailed,
}

// Fallback hands a required notice whose SMS was not delivered to email;
// jobs.Worker implements it.
type Fallback interface {
	Undelivered(ctx context.Context, n *store.Notification) error
}

// verifyTwilio checks X-Twilio-Signature over NOTIFYD_PUBLIC_URL + path and the POST
// form with twilio-go's RequestValidator; it answers 403 and returns nil otherwise.
func (s *Server) verifyTwilio(w http.ResponseWriter, r *http.Request, path string) map[string]string {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeProblem(w, Problem{Type: problemBadRequest, Title: "Bad Request", Status: http.StatusBadRequest, Detail: "form: " + err.Error()})
		return nil
	}
	params := make(map[string]string, len(r.PostForm))
	for k, v := range r.PostForm {
		params[k] = v[0]
	}
	if s.TwilioAuthToken == "" {
		writeProblem(w, Problem{Type: problemForbidden, Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "SMS is not configured (NOTIFYD_TWILIO_AUTH_TOKEN), so no Twilio callback can be verified"})
		return nil
	}
	v := twilioclient.NewRequestValidator(s.TwilioAuthToken)
	if !v.Validate(s.PublicURL+path, params, r.Header.Get("X-Twilio-Signature")) {
		s.Logger.Warn("twilio callback with a bad signature refused", "path", path)
		writeProblem(w, Problem{Type: problemForbidden, Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "X-Twilio-Signature does not match"})
		return nil
	}
	return params
}

// twilioStatus records a delivery status callback: only forward, only final statuses.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request) {
	params := s.verifyTwilio(w, r, TwilioStatusPath)
	if params == nil {
		return
	}
	sid, status := params["MessageSid"], params["MessageStatus"]
	final, ok := twilioFinal[status]
	if sid == "" || !ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	n, err := s.Store.NotificationByProvider(r.Context(), store.ChannelSMS, sid)
	if errors.Is(err, store.ErrNotFound) {
		s.Logger.Warn("twilio status for an unknown message", "message_sid", sid, "status", status)
		w.WriteHeader(http.StatusNoContent) // Twilio must not retry: there is nothing to update
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	changed, err := s.Store.AdvanceDelivery(r.Context(), n.ID, final, params["ErrorCode"], s.Now())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	// A message that never reached the phone: a required notice goes by email. Also
	// when Twilio repeats the callback (the status is then already final), in case
	// the first time failed half way.
	if final != store.NotificationDelivered && (changed || n.Status == final) && s.Fallback != nil {
		if err := s.Fallback.Undelivered(r.Context(), n); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	s.Logger.Info("sms delivery status", "notification_id", n.ID, "order_id", n.OrderID, "status", final,
		"error_code", params["ErrorCode"], "changed", changed)
	w.WriteHeader(http.StatusNoContent)
}
