package twiliofake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/internal/twiliofake"
)

const (
	to  = "+14155550100"
	mg  = "MG0123456789abcdef0123456789abcdef"
	cbk = "https://notifyd.example/webhooks/twilio/status"
)

// post sends a Create Message request as twilio-go would, returning status and body.
func post(t *testing.T, f *twiliofake.Fake, method, path, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, f.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, raw)
	}
	return res.StatusCode, body
}

func messagesPath(sid string) string { return "/2010-04-01/Accounts/" + sid + "/Messages.json" }

func validForm() url.Values {
	return url.Values{"To": {to}, "From": {"+14155550199"}, "Body": {"Your order is delayed"}, "StatusCallback": {cbk}}
}

func TestCreateMessageErrors(t *testing.T) {
	t.Parallel()
	f := twiliofake.Start(t)
	with := func(k, v string) url.Values {
		form := validForm()
		if v == "" {
			form.Del(k)
		} else {
			form.Set(k, v)
		}
		return form
	}
	tests := []struct {
		name             string
		method, path     string
		user, pass       string
		form             url.Values
		wantStatus, code int
	}{
		{"no auth", "POST", messagesPath(f.AccountSID), "", "", validForm(), 401, 20003},
		{"wrong token", "POST", messagesPath(f.AccountSID), f.AccountSID, "nope", validForm(), 401, 20003},
		{"malformed account", "POST", messagesPath("AC123"), f.AccountSID, f.AuthToken, validForm(), 404, 20404},
		{"other account", "POST", messagesPath("AC" + strings.Repeat("0", 32)), f.AccountSID, f.AuthToken, validForm(), 401, 20003},
		{"GET", "GET", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, nil, 405, 20004},
		{"no To", "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, with("To", ""), 400, 21604},
		{"To not E.164", "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, with("To", "4155550100"), 400, 21211},
		{"no sender", "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, with("From", ""), 400, 21603},
		{"no Body", "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, with("Body", ""), 400, 21602},
		{"Body too long", "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, with("Body", strings.Repeat("a", 1601)), 400, 21617},
		{"relative callback", "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, with("StatusCallback", "/webhooks"), 400, 21609},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, f, tt.method, tt.path, tt.user, tt.pass, tt.form)
			if status != tt.wantStatus || body["code"] != float64(tt.code) || body["status"] != float64(tt.wantStatus) {
				t.Fatalf("got %d %v, want %d code %d", status, body, tt.wantStatus, tt.code)
			}
			if want := "https://www.twilio.com/docs/errors/"; !strings.HasPrefix(body["more_info"].(string), want) {
				t.Errorf("more_info = %v", body["more_info"])
			}
			if msg, _ := body["message"].(string); msg == "" {
				t.Error("empty message")
			}
		})
	}
	if n := len(f.Messages()); n != 0 {
		t.Errorf("accepted %d messages from bad requests", n)
	}
	if n := len(f.Requests()); n != len(tests) {
		t.Errorf("recorded %d requests, want %d", n, len(tests))
	}
}

func TestCreateMessageAccepted(t *testing.T) {
	t.Parallel()
	f := twiliofake.Start(t)
	long := strings.Repeat("€", 81) // GSM-7 extension: 162 septets, 2 segments
	tests := []struct {
		name       string
		form       url.Values
		wantStatus string
		wantFrom   any
		wantSegs   string // num_segments in the JSON
		segments   int    // counted by the fake
	}{
		{"from number", url.Values{"To": {to}, "From": {"+14155550199"}, "Body": {long}}, "queued", "+14155550199", "2", 2},
		{"messaging service", url.Values{"To": {to}, "MessagingServiceSid": {mg}, "Body": {"Hi 👋"}, "StatusCallback": {cbk}}, "accepted", nil, "0", 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, f, "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, tt.form)
			if status != http.StatusCreated {
				t.Fatalf("status %d: %v", status, body)
			}
			checkMessageJSON(t, f, body, tt.form)
			if body["status"] != tt.wantStatus || body["from"] != tt.wantFrom || body["num_segments"] != tt.wantSegs {
				t.Errorf("status/from/num_segments = %v/%v/%v", body["status"], body["from"], body["num_segments"])
			}
			m := f.Messages()[i]
			if m.SID != body["sid"] || m.Segments != tt.segments || m.Body != tt.form.Get("Body") {
				t.Errorf("recorded %+v", m)
			}
		})
	}
}

// checkMessageJSON checks the fields every Twilio message resource has, with
// Twilio's JSON types: counts as strings, nulls as null.
func checkMessageJSON(t *testing.T, f *twiliofake.Fake, body map[string]any, form url.Values) {
	t.Helper()
	sid, _ := body["sid"].(string)
	if !regexp.MustCompile(`^SM[0-9a-f]{32}$`).MatchString(sid) {
		t.Errorf("sid = %q", sid)
	}
	want := map[string]any{
		"account_sid": f.AccountSID, "api_version": "2010-04-01", "to": form.Get("To"),
		"body": form.Get("Body"), "num_media": "0", "price": nil, "error_code": nil,
		"error_message": nil, "date_sent": nil, "direction": "outbound-api",
		"uri": "/2010-04-01/Accounts/" + f.AccountSID + "/Messages/" + sid + ".json",
	}
	for k, v := range want {
		if got, ok := body[k]; !ok || got != v {
			t.Errorf("%s = %#v (present %v), want %#v", k, got, ok, v)
		}
	}
	if _, err := time.Parse(time.RFC1123Z, body["date_created"].(string)); err != nil {
		t.Errorf("date_created: %v", err)
	}
	if ms := form.Get("MessagingServiceSid"); ms != "" && body["messaging_service_sid"] != ms {
		t.Errorf("messaging_service_sid = %v", body["messaging_service_sid"])
	}
}

func TestScriptIsPerRecipientAndInOrder(t *testing.T) {
	t.Parallel()
	f := twiliofake.Start(t)
	other := "+14155550111"
	f.Script(to, twiliofake.Reject(21610, to), twiliofake.Reject(20429, to), twiliofake.ServerError(),
		twiliofake.HTML502(), twiliofake.Reject(21211, to))
	wants := []struct{ status, code int }{{400, 21610}, {429, 20429}, {500, 20500}, {502, 0}, {400, 21211}, {201, 0}}
	status, _ := post(t, f, "POST", messagesPath(f.AccountSID), f.AccountSID, f.AuthToken, url.Values{"To": {other}, "From": {"+1415"}, "Body": {"x"}})
	if status != 201 {
		t.Fatalf("unscripted recipient got %d", status)
	}
	for i, w := range wants {
		form := url.Values{"To": {to}, "From": {"+14155550199"}, "Body": {"x"}}
		req, _ := http.NewRequest("POST", f.URL+messagesPath(f.AccountSID), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(f.AccountSID, f.AuthToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != w.status {
			t.Fatalf("answer %d: status %d, want %d", i, res.StatusCode, w.status)
		}
		if w.status == 502 {
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(raw), "<html>") {
				t.Errorf("502: %s %s", ct, raw)
			}
			continue
		}
		var e struct{ Code, Status int }
		json.Unmarshal(raw, &e)
		if w.code != 0 && (e.Code != w.code || e.Status != w.status) {
			t.Errorf("answer %d: %s", i, raw)
		}
	}
	if n := len(f.Messages()); n != 2 {
		t.Errorf("accepted %d, want 2", n)
	}
}

func TestDelayedAnswerGivesUpWithClient(t *testing.T) {
	t.Parallel()
	f := twiliofake.Start(t)
	f.Script(to, twiliofake.OK().After(10*time.Second))
	c := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest("POST", f.URL+messagesPath(f.AccountSID), strings.NewReader(validForm().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.AccountSID, f.AuthToken)
	start := time.Now()
	if _, err := c.Do(req); err == nil {
		t.Fatal("want a timeout")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}
