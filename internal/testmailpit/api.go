package testmailpit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// Address is a mailbox as Mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Summary is one entry of GET /api/v1/messages.
type Summary struct {
	ID        string // Mailpit's database id, for the other methods
	MessageID string // the Message-ID header, without angle brackets
	From      *Address
	To        []*Address
	ReplyTo   []*Address
	Subject   string
	Created   time.Time
	Size      uint64
	Snippet   string
}

// Message is GET /api/v1/message/{ID}: the parsed message.
type Message struct {
	ID              string
	MessageID       string
	From            *Address
	To              []*Address
	ReplyTo         []*Address
	Subject         string
	Date            time.Time
	Text            string
	HTML            string
	ListUnsubscribe struct {
		Header     string
		Links      []string
		Errors     string // Mailpit's validation of the header, empty when valid
		HeaderPost string
	}
}

// HTMLCheckTotal is the total score of GET /api/v1/message/{ID}/html-check: how well
// the HTML part is supported across email clients, in percent.
type HTMLCheckTotal struct {
	Tests       int
	Nodes       int
	Supported   float64
	Partial     float64
	Unsupported float64
}

// Trigger is one chaos trigger: the SMTP code returned with Probability percent.
type Trigger struct {
	ErrorCode   int
	Probability int
}

// Triggers are Mailpit's chaos triggers (PUT /api/v1/chaos). A zero ErrorCode takes
// Mailpit's default (451, or 535 for Authentication); a zero Probability disables it.
type Triggers struct {
	Sender         Trigger // at MAIL FROM
	Recipient      Trigger // at RCPT TO
	Authentication Trigger // at AUTH
}

// Messages returns every stored message, newest first.
func (mp *Mailpit) Messages(t testing.TB) []Summary {
	t.Helper()
	var all []Summary
	for {
		var page struct {
			MessagesCount int `json:"messages_count"`
			Messages      []Summary
		}
		q := url.Values{"start": {strconv.Itoa(len(all))}, "limit": {"1000"}}
		mp.getJSON(t, "/api/v1/messages?"+q.Encode(), &page)
		all = append(all, page.Messages...)
		if len(page.Messages) == 0 || len(all) >= page.MessagesCount {
			return all
		}
	}
}

// Count returns how many messages are stored.
func (mp *Mailpit) Count(t testing.TB) int {
	t.Helper()
	var page struct {
		Total int `json:"total"`
	}
	mp.getJSON(t, "/api/v1/messages?limit=1", &page)
	return page.Total
}

// Message returns the parsed message with Mailpit id id.
func (mp *Mailpit) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	mp.getJSON(t, "/api/v1/message/"+url.PathEscape(id), &m)
	return m
}

// Headers returns the message's headers, keyed by canonical name, values unfolded.
func (mp *Mailpit) Headers(t testing.TB, id string) map[string][]string {
	t.Helper()
	var h map[string][]string
	mp.getJSON(t, "/api/v1/message/"+url.PathEscape(id)+"/headers", &h)
	return h
}

// Raw returns the message exactly as Mailpit received it over SMTP.
func (mp *Mailpit) Raw(t testing.TB, id string) []byte {
	t.Helper()
	return mp.do(t, http.MethodGet, "/api/v1/message/"+url.PathEscape(id)+"/raw", nil)
}

// HTMLCheck returns Mailpit's HTML compatibility score for the message's HTML part.
func (mp *Mailpit) HTMLCheck(t testing.TB, id string) HTMLCheckTotal {
	t.Helper()
	var r struct{ Total HTMLCheckTotal }
	mp.getJSON(t, "/api/v1/message/"+url.PathEscape(id)+"/html-check", &r)
	return r.Total
}

// DeleteAll deletes every stored message.
func (mp *Mailpit) DeleteAll(t testing.TB) {
	t.Helper()
	mp.do(t, http.MethodDelete, "/api/v1/messages", nil)
}

// SetChaos sets the chaos triggers; triggers left zero are disabled.
func (mp *Mailpit) SetChaos(t testing.TB, tr Triggers) {
	t.Helper()
	body, err := json.Marshal(tr)
	if err != nil {
		t.Fatalf("testmailpit: chaos: %v", err)
	}
	mp.do(t, http.MethodPut, "/api/v1/chaos", body)
}

// ResetChaos disables every chaos trigger.
func (mp *Mailpit) ResetChaos(t testing.TB) {
	t.Helper()
	mp.SetChaos(t, Triggers{})
}

func (mp *Mailpit) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	body := mp.do(t, http.MethodGet, path, nil)
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("testmailpit: GET %s: decode: %v", path, err)
	}
}

// do calls the API and fails the test on a transport error or a non-2xx answer.
func (mp *Mailpit) do(t testing.TB, method, path string, body []byte) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, mp.apiURL+path, rd)
	if err != nil {
		t.Fatalf("testmailpit: %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := mp.http.Do(req)
	if err != nil {
		t.Fatalf("testmailpit: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("testmailpit: %s %s: read: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("testmailpit: %s %s: %s", method, path, errorText(resp.Status, out))
	}
	return out
}

func errorText(status string, body []byte) string {
	if len(body) > 500 {
		body = body[:500]
	}
	return fmt.Sprintf("%s: %s", status, bytes.TrimSpace(body))
}
