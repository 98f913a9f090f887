package email

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// quitTimeout bounds the QUIT exchange when a session is closed politely.
const quitTimeout = 5 * time.Second

// errClosed is returned by a Sender after Close.
var errClosed = errors.New("email sender is closed")

// conn is one SMTP session. It belongs to exactly one goroutine between pool.get and
// pool.put / pool.discard.
type conn struct {
	smtp    *smtp.Client
	raw     net.Conn // the TCP connection beneath, for deadlines and hard closes
	reused  bool     // taken from the idle list, so the server may have dropped it since
	tainted bool     // its deadline may have been moved into the past: never reuse
}

// close ends the session without QUIT: used for sessions in an unknown state.
func (c *conn) close() {
	_ = c.smtp.Close()
	_ = c.raw.Close()
}

// quit ends the session politely, falling back to a hard close.
func (c *conn) quit() {
	_ = c.raw.SetDeadline(time.Now().Add(quitTimeout))
	if err := c.smtp.Quit(); err != nil {
		c.close()
	}
	_ = c.raw.Close()
}

// pool holds at most size SMTP sessions. A slot token is held by every open session,
// idle or busy, so at most size connections ever exist; sessions are dialled on demand.
type pool struct {
	dial  func(context.Context) (*conn, error)
	idle  chan *conn
	slots chan struct{}

	mu     sync.Mutex
	closed bool
}

func newPool(size int, dial func(context.Context) (*conn, error)) *pool {
	return &pool{dial: dial, idle: make(chan *conn, size), slots: make(chan struct{}, size)}
}

// get returns an idle session, or dials one when fewer than size are open, or waits.
func (p *pool) get(ctx context.Context) (*conn, error) {
	if p.isClosed() {
		return nil, errClosed
	}
	select {
	case c := <-p.idle:
		c.reused = true
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		c.reused = true
		return c, nil
	case p.slots <- struct{}{}:
		c, err := p.dial(ctx)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put returns a healthy session to the idle list.
func (p *pool) put(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.quit()
		<-p.slots
		return
	}
	p.idle <- c // never blocks: at most size sessions exist
}

// discard closes a session in an unknown state and frees its slot.
func (p *pool) discard(c *conn) {
	c.close()
	<-p.slots
}

// replace closes c and dials a fresh session in its slot, so a caller whose session
// the server dropped never waits behind other callers for a new one.
func (p *pool) replace(ctx context.Context, c *conn) (*conn, error) {
	c.close()
	fresh, err := p.dial(ctx)
	if err != nil {
		<-p.slots
		return nil, err
	}
	return fresh, nil
}

// dropIdle closes every idle session: when the server dropped one, it has most likely
// dropped them all (restart, idle timeout).
func (p *pool) dropIdle() {
	for {
		select {
		case c := <-p.idle:
			p.discard(c)
		default:
			return
		}
	}
}

func (p *pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// close QUITs the idle sessions; busy ones are closed when they are put back.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case c := <-p.idle:
			c.quit()
			<-p.slots
		default:
			return
		}
	}
}
