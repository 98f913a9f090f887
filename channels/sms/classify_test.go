package sms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/sms"
	"github.com/notifyd/notifyd/internal/twiliofake"
)

func asError(err error, e **channels.Error) bool { return errors.As(err, e) }

type want struct {
	permanent, suppress, config bool
	code                        string
	twilio                      bool // errors.As reaches *client.TwilioRestError
}

func TestSendClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer twiliofake.Answer
		want   want
	}{
		{"21211 invalid To", twiliofake.Reject(21211, to), want{permanent: true, code: "21211", twilio: true}},
		{"21612 unreachable", twiliofake.Reject(21612, to), want{permanent: true, code: "21612", twilio: true}},
		{"21614 not mobile", twiliofake.Reject(21614, to), want{permanent: true, code: "21614", twilio: true}},
		{"21610 STOP", twiliofake.Reject(21610, to), want{permanent: true, suppress: true, code: "21610", twilio: true}},
		{"20003 auth", twiliofake.Reject(20003, to), want{permanent: true, config: true, code: "20003", twilio: true}},
		{"21408 region", twiliofake.Reject(21408, to), want{permanent: true, config: true, code: "21408", twilio: true}},
		{"21606 From not SMS-capable", twiliofake.Reject(21606, to), want{permanent: true, config: true, code: "21606", twilio: true}},
		{"20429 rate limited", twiliofake.Reject(20429, to), want{code: "20429", twilio: true}},
		{"429 other code", twiliofake.RejectWith(14107, 429, "Rate limit exceeded"), want{code: "14107", twilio: true}},
		{"21611 queue full", twiliofake.Reject(21611, to), want{code: "21611", twilio: true}},
		{"500", twiliofake.ServerError(), want{code: "20500", twilio: true}},
		{"503 without code", twiliofake.RejectWith(0, 503, "Service Unavailable"), want{code: "503", twilio: true}},
		{"HTML 502", twiliofake.HTML502(), want{code: "502"}},
		{"other 4xx", twiliofake.RejectWith(21617, 400, "too long"), want{permanent: true, code: "21617", twilio: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, f := newSender(t, nil)
			f.Script(to, tt.answer)
			_, err := s.Send(context.Background(), message("", "secret body"))
			checkError(t, err, tt.want)
			if strings.Contains(err.Error(), to) {
				t.Errorf("error text quotes the phone number: %v", err)
			}
			if len(f.Messages()) != 0 {
				t.Error("fake accepted the message")
			}
		})
	}
}

func checkError(t *testing.T, err error, w want) {
	t.Helper()
	var e *channels.Error
	if !asError(err, &e) {
		t.Fatalf("got %T %v, want *channels.Error", err, err)
	}
	got := want{e.Permanent, e.Suppress, e.Config, e.Code, false}
	var te *client.TwilioRestError
	got.twilio = errors.As(err, &te)
	if got != w {
		t.Fatalf("got %+v (%v), want %+v", got, err, w)
	}
	if channels.IsPermanent(err) != w.permanent {
		t.Errorf("IsPermanent = %v", !w.permanent)
	}
}

func TestSendTemporaryTransportFailures(t *testing.T) {
	t.Parallel()
	closedURL := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, c *sms.Config, f *twiliofake.Fake) context.Context
	}{
		{"answer later than Timeout", func(t *testing.T, c *sms.Config, f *twiliofake.Fake) context.Context {
			c.Timeout = 100 * time.Millisecond
			f.Script(to, twiliofake.OK().After(5*time.Second))
			return context.Background()
		}},
		{"connection refused", func(t *testing.T, c *sms.Config, f *twiliofake.Fake) context.Context {
			c.APIURL = closedURL(t)
			return context.Background()
		}},
		{"context canceled", func(t *testing.T, c *sms.Config, f *twiliofake.Fake) context.Context {
			f.Script(to, twiliofake.OK().After(5*time.Second))
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := twiliofake.Start(t)
			cfg := config(f)
			ctx := tt.setup(t, &cfg, f)
			s, err := sms.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = s.Send(ctx, message("", "hi"))
			checkError(t, err, want{})
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestConfigErrorsAreLoggedWithoutPersonalData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answer  twiliofake.Answer
		wantLog bool
	}{
		{"21606 logged", twiliofake.Reject(21606, to), true},
		{"20003 logged", twiliofake.Reject(20003, to), true},
		{"21211 not logged", twiliofake.Reject(21211, to), false},
		{"21610 not logged", twiliofake.Reject(21610, to), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs lockedBuffer
			s, f := newSender(t, func(c *sms.Config) {
				c.MessagingServiceSID, c.From = "", "+14155550199"
				c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			f.Script(to, tt.answer)
			s.Send(context.Background(), message("acme", "secret body"))
			out := logs.String()
			if !tt.wantLog {
				if out != "" {
					t.Errorf("logged %s", out)
				}
				return
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(out), &rec); err != nil {
				t.Fatalf("want one JSON record: %v: %s", err, out)
			}
			if rec["level"] != "ERROR" || rec["notification_id"] != "ntf_1" || rec["twilio_code"] == nil {
				t.Errorf("record %v", rec)
			}
			for _, secret := range []string{to, "+14155550199", "secret body", f.AuthToken} {
				if strings.Contains(out, secret) {
					t.Errorf("log contains %q: %s", secret, out)
				}
			}
		})
	}
}
