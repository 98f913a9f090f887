package email_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/email"
	"github.com/notifyd/notifyd/internal/testmailpit"
)

func TestClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string // extra Mailpit flags
		chaos     testmailpit.Triggers
		url       func(mp *testmailpit.Mailpit) string
		permanent bool
		suppress  bool
		config    bool
		code      string
	}{
		{name: "chaos recipient 550", chaos: testmailpit.Triggers{Recipient: testmailpit.Trigger{ErrorCode: 550, Probability: 100}},
			permanent: true, code: "550"},
		{name: "chaos recipient 452", chaos: testmailpit.Triggers{Recipient: testmailpit.Trigger{ErrorCode: 452, Probability: 100}},
			code: "452"},
		{name: "chaos sender 451", chaos: testmailpit.Triggers{Sender: testmailpit.Trigger{ErrorCode: 451, Probability: 100}},
			code: "451"},
		{name: "chaos sender 554", chaos: testmailpit.Triggers{Sender: testmailpit.Trigger{ErrorCode: 554, Probability: 100}},
			permanent: true, code: "554"},
		{name: "mailbox unavailable 550 5.1.0 at RCPT", args: []string{"--smtp-allowed-recipients", "^nobody@"},
			permanent: true, suppress: true, code: "550 5.1.0"},
		{name: "authentication 535", chaos: testmailpit.Triggers{Authentication: testmailpit.Trigger{ErrorCode: 535, Probability: 100}},
			url:       func(mp *testmailpit.Mailpit) string { return "smtp://u:p@" + mp.SMTPAddr() + "?tls=none" },
			permanent: true, config: true, code: "535"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mp := testmailpit.Start(t, tc.args...)
			mp.SetChaos(t, tc.chaos)
			url := mp.SMTPURL()
			if tc.url != nil {
				url = tc.url(mp)
			}
			s := newSender(t, email.Config{URL: url})
			_, err := s.Send(context.Background(), message("ntf_fail"))
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			ce := asChannelError(t, err)
			if ce.Permanent != tc.permanent || ce.Suppress != tc.suppress || ce.Config != tc.config || ce.Code != tc.code {
				t.Errorf("got permanent=%v suppress=%v config=%v code=%q, want %v %v %v %q (%v)",
					ce.Permanent, ce.Suppress, ce.Config, ce.Code, tc.permanent, tc.suppress, tc.config, tc.code, err)
			}
			if n := mp.Count(t); n != 0 {
				t.Errorf("mailpit stored %d messages", n)
			}
		})
	}
}

func TestTemporaryThenDeliveredOnce(t *testing.T) {
	t.Parallel()
	mp := testmailpit.Start(t)
	s := newSender(t, email.Config{URL: mp.SMTPURL(), PoolSize: 2})
	mp.SetChaos(t, testmailpit.Triggers{Sender: testmailpit.Trigger{ErrorCode: 451, Probability: 100}})
	m := message("ntf_retry_once")
	for attempt := 1; attempt <= 3; attempt++ {
		_, err := s.Send(context.Background(), m)
		if err == nil || channels.IsPermanent(err) || asChannelError(t, err).Code != "451" {
			t.Fatalf("attempt %d: err = %v, want temporary 451", attempt, err)
		}
	}
	mp.ResetChaos(t)
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("retry after reset: %v", err)
	}
	if got := byMessageID(t, mp)["ntf_retry_once@acme.example"]; len(got) != 1 || mp.Count(t) != 1 {
		t.Errorf("delivered %d times (mailbox %d), want exactly once", len(got), mp.Count(t))
	}
}

func TestPoolConcurrency(t *testing.T) {
	t.Parallel()
	mp := testmailpit.Start(t)
	proxy := startProxy(t, mp.SMTPAddr())
	s := newSender(t, email.Config{URL: "smtp://" + proxy.addr() + "?tls=none", PoolSize: 4})
	if errs := sendN(context.Background(), s, "ntf_pool", 200, 16); len(errs) > 0 {
		t.Fatalf("%d sends failed, first: %v", len(errs), errs[0])
	}
	ids := byMessageID(t, mp)
	if len(ids) != 200 || mp.Count(t) != 200 {
		t.Errorf("mailpit has %d messages with %d distinct ids, want 200", mp.Count(t), len(ids))
	}
	if m := proxy.max.Load(); m > 4 || m < 1 {
		t.Errorf("%d SMTP connections open at once, want 1..4", m)
	}
	if n := proxy.total.Load(); n > 4 {
		t.Errorf("%d connections dialled for 200 sends, want at most 4 (sessions are reused)", n)
	}
}

func TestServerRestartMidRun(t *testing.T) {
	t.Parallel()
	mp := testmailpit.Start(t)
	s := newSender(t, email.Config{URL: mp.SMTPURL(), PoolSize: 4})
	ctx := context.Background()
	if errs := sendN(ctx, s, "ntf_before", 40, 8); len(errs) > 0 {
		t.Fatalf("before restart: %v", errs[0])
	}
	mp.Restart(t) // every pooled session is now dead
	if errs := sendN(ctx, s, "ntf_after", 40, 8); len(errs) > 0 {
		t.Fatalf("after restart: %d sends failed, first: %v", len(errs), errs[0])
	}
	ids := byMessageID(t, mp)
	for i := 1; i <= 40; i++ {
		for _, p := range []string{"ntf_before", "ntf_after"} {
			if n := len(ids[fmt.Sprintf("%s-%d@acme.example", p, i)]); n != 1 {
				t.Errorf("%s-%d delivered %d times, want 1", p, i, n)
			}
		}
	}
	if n := mp.Count(t); n != 80 {
		t.Errorf("mailpit has %d messages, want 80", n)
	}
}

func TestServerRestartDuringSends(t *testing.T) {
	t.Parallel()
	mp := testmailpit.Start(t)
	s := newSender(t, email.Config{URL: mp.SMTPURL(), PoolSize: 4, SendTimeout: 5 * time.Second})
	const total = 300
	done := make(chan retryResult)
	go func() { done <- sendWithRetry(s, total, 8) }()
	for mp.Count(t) < total/3 {
		time.Sleep(5 * time.Millisecond)
	}
	mp.Restart(t)
	r := <-done
	if r.retries == 0 {
		t.Error("no send failed during the restart: the test did not exercise it")
	}
	failed := r.failed
	if len(failed) > 0 {
		t.Fatalf("%d notifications never delivered, first: %s", len(failed), failed[0])
	}
	ids := byMessageID(t, mp)
	for i := 1; i <= total; i++ {
		if n := len(ids[fmt.Sprintf("ntf_mid-%d@acme.example", i)]); n != 1 {
			t.Errorf("ntf_mid-%d delivered %d times, want 1", i, n)
		}
	}
}

type retryResult struct {
	failed  []string // notifications never delivered, with their last error
	retries int64    // temporary failures retried
}

// sendWithRetry sends ntf_mid-1..n, spread over time, retrying temporary failures as
// the worker does.
func sendWithRetry(s *email.Sender, n, workers int) retryResult {
	var retries atomic.Int64
	ids := make(chan int, n)
	for i := 1; i <= n; i++ {
		ids <- i
	}
	close(ids)
	failed := make(chan string, n)
	done := make(chan struct{})
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range ids {
				time.Sleep(10 * time.Millisecond) // spread the run across the restart
				if err := retry(s, message(fmt.Sprintf("ntf_mid-%d", i)), &retries); err != nil {
					failed <- fmt.Sprintf("ntf_mid-%d: %v", i, err)
				}
			}
		}()
	}
	for range workers {
		<-done
	}
	close(failed)
	r := retryResult{retries: retries.Load()}
	for f := range failed {
		r.failed = append(r.failed, f)
	}
	return r
}

func retry(s *email.Sender, m *channels.Message, retries *atomic.Int64) error {
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if _, err = s.Send(context.Background(), m); err == nil || channels.IsPermanent(err) {
			return err
		}
		retries.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

func TestConnectionFailuresAreTemporary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		addr     func(t testing.TB) string
		timeout  time.Duration
		ctx      time.Duration // caller's deadline; 0 = none
		deadline bool          // the error must be a deadline
	}{
		{name: "closed port", addr: closedPort},
		{name: "server never answers: SendTimeout", addr: blackHole, timeout: 300 * time.Millisecond, deadline: true},
		{name: "server never answers: caller's deadline", addr: blackHole, timeout: time.Minute,
			ctx: 300 * time.Millisecond, deadline: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSender(t, email.Config{URL: "smtp://" + tc.addr(t) + "?tls=none", SendTimeout: tc.timeout})
			ctx := context.Background()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			start := time.Now()
			_, err := s.Send(ctx, message("ntf_conn"))
			elapsed := time.Since(start)
			if err == nil || channels.IsPermanent(err) {
				t.Fatalf("err = %v, want temporary", err)
			}
			asChannelError(t, err)
			// The context and the connection deadline (both SendTimeout) race to end it.
			if tc.deadline && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("err = %v, want a deadline", err)
			}
			if elapsed > 3*time.Second {
				t.Errorf("Send took %s", elapsed)
			}
		})
	}
}
