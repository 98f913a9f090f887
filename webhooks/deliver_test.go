package webhooks

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)

// receiver is a commerce system stand-in: it verifies every request with Verify and
// answers with answer(r).
type receiver struct {
	secret Secret
	answer func(w http.ResponseWriter, r *http.Request)

	mu     sync.Mutex
	got    []received
	failed []error
}

type received struct {
	id, contentType, userAgent string
	body                       string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	err := Verify(rc.secret, r.Header, body, testNow.Add(2*time.Second))
	rc.mu.Lock()
	if err != nil {
		rc.failed = append(rc.failed, err)
	} else {
		rc.got = append(rc.got, received{r.Header.Get("webhook-id"), r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), string(body)})
	}
	rc.mu.Unlock()
	if err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.answer != nil {
		rc.answer(w, r)
	}
}

// snapshot returns what the receiver has seen so far.
func (rc *receiver) snapshot() (got []received, failed []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...), append([]error(nil), rc.failed...)
}

func newReceiver(t *testing.T, answer func(http.ResponseWriter, *http.Request)) (*receiver, *Deliverer) {
	t.Helper()
	secret, err := ParseSecret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{secret: secret, answer: answer}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, &Deliverer{URL: srv.URL + "/hooks/notifyd?token=s3cr3t", Secret: secret, Client: srv.Client(), Now: func() time.Time { return testNow }}
}

func status(code int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

const event = `{"specversion":"1.0","id":"evt_01J","source":"https://notifyd.example.com","type":"customer.choice_made","subject":"ord_1001","time":"2026-11-20T13:59:58Z","datacontenttype":"application/json","data":{"order_id":"ord_1001","line_ids":["l1"],"choice":"refund","decided_at":"2026-11-20T13:59:58Z","channel":"web"}}`

func TestDeliverSuccess(t *testing.T) {
	for _, code := range []int{200, 202, 204} {
		rc, d := newReceiver(t, status(code))
		st, err := d.Deliver(context.Background(), "evt_01J", []byte(event))
		if err != nil || st != code {
			t.Fatalf("Deliver = %d, %v", st, err)
		}
		got, failed := rc.snapshot()
		if len(failed) != 0 || len(got) != 1 {
			t.Fatalf("receiver: got %v, failed %v", got, failed)
		}
		g := got[0]
		if g.id != "evt_01J" || g.body != event || g.contentType != ContentType || g.userAgent != UserAgent {
			t.Fatalf("received %+v", g)
		}
	}
}

func TestDeliverFreshTimestampEachAttempt(t *testing.T) {
	var (
		mu     sync.Mutex
		stamps []string
	)
	_, d := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		stamps = append(stamps, r.Header.Get("webhook-timestamp"))
	})
	clock := testNow
	d.Now = func() time.Time { return clock }
	for range 2 {
		if _, err := d.Deliver(context.Background(), "evt_01J", []byte(event)); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stamps) != 2 || stamps[0] == stamps[1] {
		t.Fatalf("timestamps %v", stamps)
	}
}

func TestDeliverClassifies(t *testing.T) {
	cases := []struct {
		name       string
		answer     func(http.ResponseWriter, *http.Request)
		status     int
		permanent  bool
		retryAfter time.Duration
	}{
		{"500", status(500), 500, false, 0},
		{"502", status(502), 502, false, 0},
		{"503 with Retry-After seconds", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(503)
		}, 503, false, 2 * time.Minute},
		{"429 with Retry-After date", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", testNow.Add(time.Hour).Format(http.TimeFormat))
			w.WriteHeader(429)
		}, 429, false, time.Hour},
		{"408", status(408), 408, false, 0},
		{"409", status(409), 409, false, 0},
		// 4xx are retried for the window (see IsPermanent): a receiver's bad deploy or
		// configuration must not lose a refund decision.
		{"400", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "unknown field choice", 400) }, 400, false, 0},
		{"401", status(401), 401, false, 0},
		{"404", status(404), 404, false, 0},
		{"422", status(422), 422, false, 0},
		{"410 Gone stops", status(410), 410, true, 0},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusPermanentRedirect)
		}, 308, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc, d := newReceiver(t, c.answer)
			st, err := d.Deliver(context.Background(), "evt_01J", []byte(event))
			var de *DeliveryError
			if st != c.status || !errors.As(err, &de) {
				t.Fatalf("Deliver = %d, %v", st, err)
			}
			if IsPermanent(err) != c.permanent || de.Status != c.status || de.RetryAfter != c.retryAfter {
				t.Fatalf("err = %+v (permanent %v)", de, IsPermanent(err))
			}
			if got, failed := rc.snapshot(); len(got) != 1 || len(failed) != 0 {
				t.Fatalf("receiver: got %d, failed %v", len(got), failed)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("error shows the URL's token: %v", err)
			}
		})
	}
}

func TestDeliverErrorShowsReceiverAnswer(t *testing.T) {
	_, d := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "unknown field choice"+strings.Repeat("x", 2000), 400)
	})
	_, err := d.Deliver(context.Background(), "evt_01J", []byte(event))
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request") || !strings.Contains(err.Error(), "unknown field choice") || len(err.Error()) > 700 {
		t.Fatalf("err = %v", err)
	}
}

func TestDeliverWrongSecretIsRefusedByReceiver(t *testing.T) {
	rc, d := newReceiver(t, status(200))
	d.Secret, _ = ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	st, err := d.Deliver(context.Background(), "evt_01J", []byte(event))
	_, failed := rc.snapshot()
	if st != 401 || err == nil || IsPermanent(err) || len(failed) != 1 || !errors.Is(failed[0], ErrBadSignature) {
		t.Fatalf("Deliver = %d, %v; receiver failed %v", st, err, failed)
	}
}

func TestDeliverTimeout(t *testing.T) {
	release := make(chan struct{})
	_, d := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := *d.Client
	c.Timeout = 100 * time.Millisecond
	d.Client = &c
	st, err := d.Deliver(context.Background(), "evt_01J", []byte(event))
	var ne net.Error
	if st != 0 || err == nil || IsPermanent(err) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Deliver = %d, %v", st, err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error shows the URL's token: %v", err)
	}
}

func TestDeliverContextCanceled(t *testing.T) {
	_, d := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := d.Deliver(ctx, "evt_01J", []byte(event))
	if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestDeliverConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	secret, _ := ParseSecret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
	d := &Deliverer{URL: url, Secret: secret}
	st, err := d.Deliver(context.Background(), "evt_01J", []byte(event))
	if st != 0 || err == nil || IsPermanent(err) {
		t.Fatalf("Deliver = %d, %v", st, err)
	}
}

func TestDeliverRefusesWhatCannotBeSent(t *testing.T) {
	rc, d := newReceiver(t, status(200))
	for _, id := range []string{"", "evt.1", "evt 1", "evt\r\nX-Injected: 1", strings.Repeat("a", 257)} {
		if _, err := d.Deliver(context.Background(), id, []byte(event)); !IsPermanent(err) || !errors.Is(err, ErrInvalidID) {
			t.Errorf("id %q: err = %v", id, err)
		}
	}
	for _, bad := range []Deliverer{{URL: "", Secret: d.Secret}, {URL: d.URL}, {URL: "http://[::1", Secret: d.Secret}} {
		if _, err := bad.Deliver(context.Background(), "evt_1", []byte(event)); !IsPermanent(err) {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
	if got, failed := rc.snapshot(); len(got)+len(failed) != 0 {
		t.Fatalf("receiver was called")
	}
	if IsPermanent(nil) || IsPermanent(errors.New("x")) {
		t.Fatal("IsPermanent of a foreign error")
	}
}
