// Package twiliofake is an httptest server that answers Create Message requests
// (POST /2010-04-01/Accounts/{AccountSid}/Messages.json) exactly as Twilio's REST API
// does, and posts signed delivery status callbacks back, so notifyd's SMS path can be
// tested end to end without Twilio.
//
// It checks what a client sends — Basic auth, the AccountSid in the path, To in E.164,
// a Body, From or MessagingServiceSid, an absolute StatusCallback — and answers with
// Twilio's status codes and bodies: 201 with the message JSON (num_segments, num_media
// and price are strings or null, dates RFC 2822), errors as
// {"code", "message", "more_info", "status"}. Answers can be scripted per recipient
// (Script) to return Twilio errors, a proxy's HTML 502, or to answer late.
//
// As Twilio does, a message sent through a messaging service without From is
// "accepted" with from null and num_segments "0"; otherwise it is "queued".
package twiliofake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/notifyd/notifyd/gsm"
)

// Message is a message the fake accepted.
type Message struct {
	SID                 string
	AccountSID          string
	To                  string
	From                string // empty when sent through a messaging service only
	MessagingServiceSID string
	Body                string
	StatusCallback      string
	Segments            int    // gsm.Segments(Body), whatever num_segments answered
	Encoding            string // gsm.GSM7 or gsm.UCS2
	Status              string // queued/accepted, then what SendStatus last posted
	DateCreated         time.Time
}

// Request is a request the fake received, valid or not.
type Request struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Form                   url.Values // the parsed POST form
	Username, Password     string     // Basic auth, empty when absent
}

// Fake is a running fake Twilio API. Its methods are safe for concurrent use.
type Fake struct {
	URL        string // base URL, for NOTIFYD_TWILIO_API_URL
	AccountSID string // AC + 32 hex digits
	AuthToken  string // 32 hex digits

	srv    *httptest.Server
	client *http.Client // for status callbacks
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	scripts  map[string][]Answer // by To, consumed in order
	messages []Message
	bySID    map[string]int // index into messages
	requests []Request
}

var (
	accountSIDRE = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	e164RE       = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	messagesPath = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)
)

// New starts a fake with fresh credentials. Close it when done.
func New() *Fake {
	f := &Fake{
		AccountSID: "AC" + randomHex(),
		AuthToken:  randomHex(),
		client:     &http.Client{Timeout: 10 * time.Second},
		closed:     make(chan struct{}),
		scripts:    make(map[string][]Answer),
		bySID:      make(map[string]int),
	}
	f.srv = httptest.NewServer(f)
	f.URL = f.srv.URL
	return f
}

// Start starts a fake that is closed when tb's test ends.
func Start(tb testing.TB) *Fake {
	tb.Helper()
	f := New()
	tb.Cleanup(f.Close)
	return f
}

// Close stops the server; answers still delayed are abandoned.
func (f *Fake) Close() {
	f.once.Do(func() { close(f.closed) })
	f.srv.Close()
}

// Script queues answers for requests to to; each request to that number takes the
// next one. With none queued, a valid request is accepted.
func (f *Fake) Script(to string, answers ...Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[to] = append(f.scripts[to], answers...)
}

// Messages returns the messages accepted so far, oldest first.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.messages...)
}

// Requests returns every request received so far, oldest first.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// ServeHTTP answers as Twilio: authentication first, then the resource, then the
// parameters, then the scripted answer (if any) or acceptance.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm() // a malformed body leaves the form empty, and validation says so
	req := f.record(r)
	if req.Username != f.AccountSID || req.Password != f.AuthToken {
		Reject(20003, "").write(w)
		return
	}
	m := messagesPath.FindStringSubmatch(r.URL.Path)
	switch {
	case m == nil || !accountSIDRE.MatchString(m[1]):
		Reject(20404, "").write(w)
		return
	case m[1] != f.AccountSID:
		Reject(20003, "").write(w)
		return
	case r.Method != http.MethodPost:
		Reject(20004, "").write(w)
		return
	}
	if code := validate(r.PostForm); code != 0 {
		Reject(code, r.PostForm.Get("To")).write(w)
		return
	}
	a := f.next(r.PostForm.Get("To"))
	if !f.wait(r, a.delay) {
		return
	}
	if !a.accept {
		a.write(w)
		return
	}
	f.accept(w, r.PostForm)
}

func (f *Fake) record(r *http.Request) Request {
	req := Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Form: r.PostForm,
	}
	req.Username, req.Password, _ = r.BasicAuth()
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	return req
}

// validate returns the Twilio error code for a bad Create Message form, or 0.
func validate(form url.Values) int {
	to, body, cb := form.Get("To"), form.Get("Body"), form.Get("StatusCallback")
	switch {
	case to == "":
		return 21604
	case !e164RE.MatchString(to):
		return 21211
	case form.Get("From") == "" && form.Get("MessagingServiceSid") == "":
		return 21603
	case body == "":
		return 21602
	case utf8.RuneCountInString(body) > 1600:
		return 21617
	case cb != "" && !absoluteURL(cb):
		return 21609
	}
	return 0
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (f *Fake) next(to string) Answer {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.scripts[to]
	if len(q) == 0 {
		return OK()
	}
	f.scripts[to] = q[1:]
	return q[0]
}

// wait sleeps d; false when the client went away or the fake closed first.
func (f *Fake) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-f.closed:
	}
	return false
}

func (f *Fake) accept(w http.ResponseWriter, form url.Values) {
	m := Message{
		SID:                 "SM" + randomHex(),
		AccountSID:          f.AccountSID,
		To:                  form.Get("To"),
		From:                form.Get("From"),
		MessagingServiceSID: form.Get("MessagingServiceSid"),
		Body:                form.Get("Body"),
		StatusCallback:      form.Get("StatusCallback"),
		Status:              "queued",
		DateCreated:         time.Now().UTC().Truncate(time.Second),
	}
	m.Segments, m.Encoding = gsm.Segments(m.Body)
	if m.From == "" {
		m.Status = "accepted" // a messaging service picks the sender later
	}
	f.mu.Lock()
	f.bySID[m.SID] = len(f.messages)
	f.messages = append(f.messages, m)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(resource(m))
}

// messageJSON is Twilio's Message resource as the API returns it.
type messageJSON struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

func resource(m Message) messageJSON {
	uri := "/2010-04-01/Accounts/" + m.AccountSID + "/Messages/" + m.SID
	date := m.DateCreated.Format(time.RFC1123Z)
	j := messageJSON{
		AccountSID: m.AccountSID, APIVersion: "2010-04-01", Body: m.Body,
		DateCreated: date, DateUpdated: date, Direction: "outbound-api",
		From: nullable(m.From), MessagingServiceSID: nullable(m.MessagingServiceSID),
		NumMedia: "0", NumSegments: strconv.Itoa(m.Segments), PriceUnit: "USD",
		SID: m.SID, Status: m.Status, To: m.To, URI: uri + ".json",
		SubresourceURIs: map[string]string{"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
	}
	if m.From == "" {
		j.NumSegments = "0" // not known until the service assigns a sender
	}
	return j
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// randomHex returns 32 lowercase hex digits.
func randomHex() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
