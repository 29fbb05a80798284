// Package throttle slows down repeated attempts (guessed passwords, probed
// subdomains, resent emails) with a delay that grows with each attempt over
// a free allowance, and bounds how much costly work runs at once.
package throttle

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Policy says how a key is slowed down.
type Policy struct {
	// Free is how many hits a key may make before it must wait.
	Free int
	// Base is the first wait; each further hit doubles it, up to Max.
	Base, Max time.Duration
	// Forget is how long a key must stay quiet to start afresh.
	Forget time.Duration
}

// maxKeys bounds the memory of a Limiter; a sweep drops forgotten keys
// first.
const maxKeys = 100_000

// Limiter counts hits per key under one Policy. It is safe for concurrent
// use. State is per process: each replica slows down the attempts it sees.
type Limiter struct {
	policy Policy
	now    func() time.Time
	mu     sync.Mutex
	keys   map[string]*entry
}

type entry struct {
	hits  int
	last  time.Time
	until time.Time
}

// New returns a Limiter; now nil is the wall clock.
func New(p Policy, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{policy: p, now: now, keys: map[string]*entry{}}
}

// Wait returns how long key must still wait before its next attempt; zero
// means it may go ahead.
func (l *Limiter) Wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		return 0
	}
	now := l.now()
	if now.Sub(e.last) > l.policy.Forget && !now.Before(e.until) {
		delete(l.keys, key)
		return 0
	}
	return max(e.until.Sub(now), 0)
}

// Hit counts one attempt of key; past the free allowance it makes the key
// wait, twice as long each time.
func (l *Limiter) Hit(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hit(key, l.now())
}

// Reserve counts one attempt of key before the work it guards, in one step
// with the check, so that attempts made at once cannot all pass a check
// made before any of them counted. While key must wait it counts nothing
// and answers the wait (and a nil reservation); otherwise zero and the
// reservation, which Cancel gives back when the attempt turns out not to
// count (the right password, an answer that tells nothing).
func (l *Limiter) Reserve(key string) (time.Duration, *Reservation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if e := l.keys[key]; e != nil && now.Before(e.until) {
		return e.until.Sub(now), nil
	}
	l.hit(key, now)
	return 0, &Reservation{l: l, key: key}
}

// Reservation is one attempt counted by Reserve.
type Reservation struct {
	l      *Limiter
	key    string
	undone bool
}

// Cancel gives the attempt back: the key's count drops by one, and its
// wait is what the remaining attempts make it. A nil reservation, or one
// cancelled already, does nothing.
func (r *Reservation) Cancel() {
	if r == nil {
		return
	}
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	if r.undone {
		return
	}
	r.undone = true
	e := r.l.keys[r.key]
	if e == nil || e.hits == 0 {
		return // forgotten or reset meanwhile
	}
	e.hits--
	e.until = time.Time{}
	if over := e.hits - r.l.policy.Free; over >= 0 {
		e.until = e.last.Add(r.l.delay(over))
	}
}

func (l *Limiter) hit(key string, now time.Time) {
	e := l.keys[key]
	if e != nil && now.Sub(e.last) > l.policy.Forget && !now.Before(e.until) {
		e = nil
	}
	if e == nil {
		if len(l.keys) >= maxKeys {
			l.sweep(now)
		}
		e = &entry{}
		l.keys[key] = e
	}
	e.hits++
	e.last = now
	if over := e.hits - l.policy.Free; over >= 0 {
		e.until = now.Add(l.delay(over))
	}
}

// delay is the wait after over hits past the free allowance.
func (l *Limiter) delay(over int) time.Duration {
	d := l.policy.Base
	for i := 0; i < over && d < l.policy.Max; i++ {
		d *= 2
	}
	return min(d, l.policy.Max)
}

// Reset forgets key (a successful sign-in).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// sweep drops forgotten keys; when that is not enough, it drops keys that
// are not waiting, then any, until a tenth of the room is free.
func (l *Limiter) sweep(now time.Time) {
	for k, e := range l.keys {
		if now.Sub(e.last) > l.policy.Forget && !now.Before(e.until) {
			delete(l.keys, k)
		}
	}
	for _, waiting := range []bool{false, true} {
		for k, e := range l.keys {
			if len(l.keys) < maxKeys*9/10 {
				return
			}
			if waiting || !now.Before(e.until) {
				delete(l.keys, k)
			}
		}
	}
}

// Pool bounds how many costly computations (password hashing) run at once.
type Pool struct {
	slots chan struct{}
	wait  time.Duration
}

// NewPool returns a pool of size slots whose callers wait at most wait for
// one.
func NewPool(size int, wait time.Duration) *Pool {
	return &Pool{slots: make(chan struct{}, max(size, 1)), wait: wait}
}

// Acquire takes a slot, waiting at most the pool's wait (or until ctx
// ends); ok is false when none came free. Call release when done.
func (p *Pool) Acquire(ctx context.Context) (release func(), ok bool) {
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, true
	case <-timer.C:
	case <-ctx.Done():
	}
	return nil, false
}

type clientKey struct{}

// WithClient returns ctx carrying the client's network address (without
// its port).
func WithClient(ctx context.Context, addr string) context.Context {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	return context.WithValue(ctx, clientKey{}, addr)
}

// Client returns the client address WithClient stored, or "".
func Client(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}

// Proxies are the load balancers and reverse proxies whose X-Forwarded-For
// is believed (--trusted-proxies): address ranges.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDRs or single addresses
// ("10.0.0.0/8, 192.0.2.7"); empty is none.
func ParseProxies(list string) (Proxies, error) {
	var out Proxies
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not an address or a CIDR range", part)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or a CIDR range", part)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trusts reports whether addr is one of the proxies.
func (ps Proxies) trusts(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range ps {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ClientAddr is the address a request counts under: the connection's,
// unless that is a trusted proxy, then the rightmost address of
// X-Forwarded-For that is not a trusted proxy (each proxy appends the
// address it received from, so everything left of it is the caller's to
// invent). A forwarded entry that is not an address ends the walk at the
// last address that was one.
func (ps Proxies) ClientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || len(ps) == 0 || !ps.trusts(addr) {
		return host
	}
	client := addr
	for _, hop := range slices.Backward(r.Header.Values("X-Forwarded-For")) {
		for _, entry := range slices.Backward(strings.Split(hop, ",")) {
			a, err := netip.ParseAddr(strings.TrimSpace(entry))
			if err != nil {
				return client.Unmap().String()
			}
			client = a
			if !ps.trusts(a) {
				return a.Unmap().String()
			}
		}
	}
	return client.Unmap().String()
}

// Middleware stores each request's client address for the limiters (see
// Proxies.ClientAddr; with no trusted proxy, the connection's address).
func Middleware(trusted Proxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithClient(r.Context(), trusted.ClientAddr(r))))
	})
}
