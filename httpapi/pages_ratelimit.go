package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Defaults of the public token routes' rate limit, per client address.
const (
	DefaultLinkRate  = 20 // requests a minute
	DefaultLinkBurst = 10
)

// limiter is a token bucket per client address, in memory: each instance limits on
// its own, which is enough to stop one client hammering the public routes. Buckets
// that have refilled are dropped as time passes, so the map stays as small as the set
// of recently active clients.
type limiter struct {
	mu      sync.Mutex
	perMin  float64
	burst   float64
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMin, burst int) *limiter {
	if perMin <= 0 {
		perMin = DefaultLinkRate
	}
	if burst <= 0 {
		burst = DefaultLinkBurst
	}
	return &limiter{perMin: float64(perMin), burst: float64(burst), buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket at now, reporting whether there was one.
func (l *limiter) allow(key string, now time.Time) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Minutes()*l.perMin)
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops, at most once a minute, the buckets that are full again: forgetting
// them changes nothing.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	refill := time.Duration(l.burst / l.perMin * float64(time.Minute))
	for k, b := range l.buckets {
		if now.Sub(b.at) >= refill {
			delete(l.buckets, k)
		}
	}
}

// clientAddr is the key a request is limited by: the peer's IP address, with IPv6
// addresses cut to their /64 (one client usually holds a whole /64). notifyd behind a
// proxy sees the proxy's address; the proxy should then do the limiting.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}
