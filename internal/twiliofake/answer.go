package twiliofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Answer is one scripted reply to a Create Message request. Build it with OK, Reject,
// ServerError or HTML502; After delays it.
type Answer struct {
	accept      bool
	status      int
	contentType string
	body        []byte
	delay       time.Duration
}

// After returns a copy of a that is sent only after d (or when the client gives up).
func (a Answer) After(d time.Duration) Answer {
	a.delay = d
	return a
}

// OK accepts the message: 201 with Twilio's message JSON.
func OK() Answer { return Answer{accept: true} }

// Reject answers with Twilio's error body for code, with the HTTP status and message
// Twilio uses for it (400 for an unknown code). to is quoted where Twilio quotes it.
func Reject(code int, to string) Answer {
	st, msg := describe(code, to)
	return RejectWith(code, st, msg)
}

// RejectWith answers with a Twilio error body of any code, status and message.
func RejectWith(code, status int, message string) Answer {
	return Answer{status: status, contentType: "application/json", body: errorBody(code, status, message)}
}

// ServerError is Twilio's 500: {"code": 20500, …, "status": 500}.
func ServerError() Answer { return Reject(20500, "") }

// HTML502 is a 502 from a proxy in front of Twilio: an HTML page, not JSON.
func HTML502() Answer {
	return Answer{
		status:      http.StatusBadGateway,
		contentType: "text/html; charset=utf-8",
		body: []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
			"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"),
	}
}

// twilioError is the body of every Twilio REST error.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
}

func errorBody(code, status int, message string) []byte {
	e := twilioError{
		Code:     code,
		Message:  message,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		Status:   status,
	}
	if code == 20003 {
		e.Detail = "Your AccountSid or AuthToken was incorrect."
	}
	b, _ := json.Marshal(e) // cannot fail: strings and ints
	return b
}

// describe gives Twilio's HTTP status and message for the codes the fake knows.
func describe(code int, to string) (status int, message string) {
	switch code {
	case 20003:
		return http.StatusUnauthorized, "Authenticate"
	case 20004:
		return http.StatusMethodNotAllowed, "Method not allowed"
	case 20404:
		return http.StatusNotFound, "The requested resource was not found"
	case 20429:
		return http.StatusTooManyRequests, "Too Many Requests"
	case 20500:
		return http.StatusInternalServerError, "An internal server error has occurred"
	case 21211:
		return http.StatusBadRequest, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to)
	case 21408:
		return http.StatusBadRequest, fmt.Sprintf("Permission to send an SMS has not been enabled for the region indicated by the 'To' number: %s.", to)
	case 21602:
		return http.StatusBadRequest, "Message body is required."
	case 21603:
		return http.StatusBadRequest, "A 'From' phone number is required."
	case 21604:
		return http.StatusBadRequest, "A 'To' phone number is required."
	case 21606:
		return http.StatusBadRequest, "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account."
	case 21609:
		return http.StatusBadRequest, "Invalid StatusCallback url"
	case 21610:
		return http.StatusBadRequest, "Attempt to send to unsubscribed recipient"
	case 21612:
		return http.StatusBadRequest, fmt.Sprintf("The 'To' phone number: %s, is not currently reachable using the 'From' phone number via SMS.", to)
	case 21614:
		return http.StatusBadRequest, fmt.Sprintf("'To' number %s is not a valid mobile number", to)
	case 21617:
		return http.StatusBadRequest, "The concatenated message body exceeds the 1600 character limit."
	}
	return http.StatusBadRequest, fmt.Sprintf("Error %d", code)
}

// write sends a's status and body.
func (a Answer) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", a.contentType)
	if a.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}
