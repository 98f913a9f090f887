package twiliofake

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// SignatureHeader is the header carrying Twilio's request signature.
const SignatureHeader = "X-Twilio-Signature"

// Signature computes X-Twilio-Signature for a POST of form to rawURL:
// base64(HMAC-SHA1(authToken, rawURL + each parameter name and value, sorted by name)).
// rawURL is taken as the callback URL was given, port and query included.
func Signature(authToken, rawURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(rawURL)
	for _, k := range keys {
		vals := append([]string(nil), form[k]...)
		sort.Strings(vals)
		for i, v := range vals {
			if i > 0 && v == vals[i-1] {
				continue // Twilio signs each distinct value once
			}
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	h := hmac.New(sha1.New, []byte(authToken))
	h.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// StatusForm is the form Twilio posts to a message's StatusCallback when its status
// becomes status (sent, delivered, undelivered, failed…); errorCode is added when set.
func (f *Fake) StatusForm(sid, status, errorCode string) (callback string, form url.Values, err error) {
	m, ok := f.message(sid)
	if !ok {
		return "", nil, fmt.Errorf("twiliofake: status for %s: no such message", sid)
	}
	if m.StatusCallback == "" {
		return "", nil, fmt.Errorf("twiliofake: status for %s: message has no StatusCallback", sid)
	}
	form = url.Values{
		"MessageSid":    {m.SID},
		"SmsSid":        {m.SID},
		"MessageStatus": {status},
		"SmsStatus":     {status},
		"AccountSid":    {m.AccountSID},
		"To":            {m.To},
		"ApiVersion":    {"2010-04-01"},
	}
	if m.From != "" {
		form.Set("From", m.From)
	}
	if m.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if errorCode != "" {
		form.Set("ErrorCode", errorCode)
	}
	return m.StatusCallback, form, nil
}

// SendStatus posts a status callback for message sid, signed with the fake's
// AuthToken as Twilio signs it, and records status on the message. The caller closes
// the response body.
func (f *Fake) SendStatus(ctx context.Context, sid, status, errorCode string) (*http.Response, error) {
	return f.sendStatus(ctx, sid, status, errorCode, func(cb string, form url.Values) string {
		return Signature(f.AuthToken, cb, form)
	})
}

// SendStatusUnsigned posts the same callback without X-Twilio-Signature.
func (f *Fake) SendStatusUnsigned(ctx context.Context, sid, status, errorCode string) (*http.Response, error) {
	return f.sendStatus(ctx, sid, status, errorCode, nil)
}

// SendStatusForged posts the same callback signed with a wrong auth token.
func (f *Fake) SendStatusForged(ctx context.Context, sid, status, errorCode string) (*http.Response, error) {
	return f.sendStatus(ctx, sid, status, errorCode, func(cb string, form url.Values) string {
		return Signature("not-"+f.AuthToken, cb, form)
	})
}

func (f *Fake) sendStatus(ctx context.Context, sid, status, errorCode string,
	sign func(string, url.Values) string) (*http.Response, error) {
	cb, form, err := f.StatusForm(sid, status, errorCode)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cb, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("twiliofake: status for %s: %w", sid, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	if sign != nil {
		req.Header.Set(SignatureHeader, sign(cb, form))
	}
	f.setStatus(sid, status)
	res, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("twiliofake: status for %s: %w", sid, err)
	}
	return res, nil
}

func (f *Fake) message(sid string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.bySID[sid]
	if !ok {
		return Message{}, false
	}
	return f.messages[i], true
}

func (f *Fake) setStatus(sid, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i, ok := f.bySID[sid]; ok {
		f.messages[i].Status = status
	}
}
