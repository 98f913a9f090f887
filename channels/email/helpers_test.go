package email_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/email"
	"github.com/notifyd/notifyd/internal/testmailpit"
)

// newSender returns a Sender for url, closed when the test ends.
func newSender(t testing.TB, cfg email.Config) *email.Sender {
	t.Helper()
	s, err := email.New(cfg)
	if err != nil {
		t.Fatalf("email.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// message returns a complete notification email with the given id.
func message(id string) *channels.Message {
	return &channels.Message{
		ID:       id,
		Kind:     "eta_update",
		OrderID:  "ord_1001",
		Brand:    "acme",
		Channel:  channels.Email,
		To:       "ada@example.com",
		From:     "orders@acme.example",
		FromName: "Acme Home",
		ReplyTo:  "help@acme.example",
		Subject:  "Your order 1001: new delivery date",
		Text:     "Hello Ada,\n\nYour Blue Kettle now ships on 12 November.\n",
		HTML:     "<p>Hello Ada,</p><p>Your <b>Blue Kettle</b> now ships on 12 November.</p>",
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://acme.example/u/tok_abc123>, <mailto:unsubscribe@acme.example?subject=tok_abc123>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
		Date: time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC),
	}
}

// sendN sends n distinct messages from workers goroutines and returns the errors.
func sendN(ctx context.Context, s *email.Sender, prefix string, n, workers int) []error {
	var (
		next atomic.Int64
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if _, err := s.Send(ctx, message(fmt.Sprintf("%s-%d", prefix, i))); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// asChannelError returns err's *channels.Error or fails the test.
func asChannelError(t *testing.T, err error) *channels.Error {
	t.Helper()
	var ce *channels.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *channels.Error", err, err)
	}
	return ce
}

// countingProxy forwards TCP connections to target and records how many were open at
// once: the pool's connection limit seen from the network, without touching go-mail.
type countingProxy struct {
	ln          net.Listener
	target      string
	open, max   atomic.Int64
	total       atomic.Int64
	connections sync.WaitGroup
}

func startProxy(t testing.TB, target string) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &countingProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.connections.Wait() })
	return p
}

func (p *countingProxy) addr() string { return p.ln.Addr().String() }

func (p *countingProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.connections.Add(1)
		go p.forward(client)
	}
}

func (p *countingProxy) forward(client net.Conn) {
	defer p.connections.Done()
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	p.total.Add(1)
	n := p.open.Add(1)
	defer p.open.Add(-1)
	for m := p.max.Load(); n > m && !p.max.CompareAndSwap(m, n); m = p.max.Load() {
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); server.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); client.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// blackHole accepts TCP connections and never answers: a server that hangs.
func blackHole(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("black hole: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("closed port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// byMessageID indexes Mailpit's messages by Message-ID.
func byMessageID(t testing.TB, mp *testmailpit.Mailpit) map[string][]testmailpit.Summary {
	t.Helper()
	out := map[string][]testmailpit.Summary{}
	for _, m := range mp.Messages(t) {
		out[m.MessageID] = append(out[m.MessageID], m)
	}
	return out
}
