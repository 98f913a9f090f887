package sms_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/twilio/twilio-go/client"

	"github.com/notifyd/notifyd/channels/sms"
	"github.com/notifyd/notifyd/internal/twiliofake"
)

// A message sent through the Sender gets signed status callbacks at StatusCallback
// that twilio-go's RequestValidator accepts for NOTIFYD_PUBLIC_URL + path.
func TestStatusCallbackRoundTrip(t *testing.T) {
	t.Parallel()
	f := twiliofake.Start(t)
	type call struct {
		form  url.Values
		valid bool
	}
	calls := make(chan call, 1)
	v := client.NewRequestValidator(f.AuthToken)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		publicURL := "http://" + r.Host // what NOTIFYD_PUBLIC_URL would be
		form, _ := url.ParseQuery(string(body))
		calls <- call{form, v.ValidateBody(publicURL+r.URL.Path, body, r.Header.Get(twiliofake.SignatureHeader))}
	}))
	defer hook.Close()

	cfg := config(f)
	cfg.StatusCallback = hook.URL + "/webhooks/twilio/status"
	s, err := sms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Send(context.Background(), message("", "hi"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.SendStatus(context.Background(), r.ProviderID, "undelivered", "30003")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	c := <-calls
	if !c.valid || c.form.Get("MessageSid") != r.ProviderID || c.form.Get("MessageStatus") != "undelivered" ||
		c.form.Get("ErrorCode") != "30003" {
		t.Fatalf("callback valid=%v form=%v", c.valid, c.form)
	}
}
