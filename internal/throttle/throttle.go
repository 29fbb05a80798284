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
// use. Its counts live in the process, or, with a Shared store (replicas on
// PostgreSQL), in the database, so that every replica counts every
// attempt.
type Limiter struct {
	name   string
	policy Policy
	now    func() time.Time
	shared Shared

	mu   sync.Mutex
	keys map[string]*Entry
}

// Entry is one key's count.
type Entry struct {
	Hits  int
	Last  time.Time
	Until time.Time
}

// Shared keeps the entries of every limiter where all replicas see them.
type Shared interface {
	// Update runs fn on the entry of limiter name's key (nil when there is
	// none) under a lock that holds across replicas, and stores what fn
	// returns (nil: none).
	Update(ctx context.Context, name, key string, fn func(e *Entry) *Entry) error
}

// New returns a Limiter counting in the process; now nil is the wall clock.
func New(p Policy, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{policy: p, now: now, keys: map[string]*Entry{}}
}

// Shared makes the limiter count in st under name (unique among the
// service's limiters).
func (l *Limiter) Shared(name string, st Shared) *Limiter {
	l.name, l.shared = name, st
	return l
}

// update runs fn on key's entry, forgotten when it has been quiet for the
// policy's Forget and is not waiting. A shared store that fails lets the
// attempt through (fn does not run): the throttles must not take the
// service down with the database, and a request that counted nothing
// finds the database failing anyway.
func (l *Limiter) update(ctx context.Context, key string, fn func(e *Entry, now time.Time) *Entry) {
	now := l.now()
	step := func(e *Entry) *Entry {
		if e != nil && now.Sub(e.Last) > l.policy.Forget && !now.Before(e.Until) {
			e = nil
		}
		return fn(e, now)
	}
	if l.shared != nil {
		_ = l.shared.Update(context.WithoutCancel(ctx), l.name, key, step)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var cur *Entry
	if e := l.keys[key]; e != nil {
		c := *e
		cur = &c
	}
	next := step(cur)
	if next == nil {
		delete(l.keys, key)
		return
	}
	if _, ok := l.keys[key]; !ok && len(l.keys) >= maxKeys {
		l.sweep(now)
	}
	l.keys[key] = next
}

// Wait returns how long key must still wait before its next attempt; zero
// means it may go ahead.
func (l *Limiter) Wait(ctx context.Context, key string) time.Duration {
	var wait time.Duration
	l.update(ctx, key, func(e *Entry, now time.Time) *Entry {
		if e != nil {
			wait = max(e.Until.Sub(now), 0)
		}
		return e
	})
	return wait
}

// Hit counts one attempt of key; past the free allowance it makes the key
// wait, twice as long each time.
func (l *Limiter) Hit(ctx context.Context, key string) {
	l.update(ctx, key, func(e *Entry, now time.Time) *Entry { return l.hit(e, now) })
}

// Reserve counts one attempt of key before the work it guards, in one step
// with the check, so that attempts made at once cannot all pass a check
// made before any of them counted. While key must wait it counts nothing
// and answers the wait (and a nil reservation); otherwise zero and the
// reservation, which Cancel gives back when the attempt turns out not to
// count (the right password, an answer that tells nothing).
func (l *Limiter) Reserve(ctx context.Context, key string) (time.Duration, *Reservation) {
	var wait time.Duration
	l.update(ctx, key, func(e *Entry, now time.Time) *Entry {
		if e != nil && now.Before(e.Until) {
			wait = e.Until.Sub(now)
			return e
		}
		return l.hit(e, now)
	})
	if wait > 0 {
		return wait, nil
	}
	return 0, &Reservation{l: l, key: key, ctx: context.WithoutCancel(ctx)}
}

// Reservation is one attempt counted by Reserve.
type Reservation struct {
	l      *Limiter
	key    string
	ctx    context.Context //nolint:containedctx // the reserving request's values, for Cancel's shared update
	mu     sync.Mutex
	undone bool
}

// Cancel gives the attempt back: the key's count drops by one, and its
// wait is what the remaining attempts make it. A nil reservation, or one
// cancelled already, does nothing.
func (r *Reservation) Cancel() {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.undone {
		r.mu.Unlock()
		return
	}
	r.undone = true
	r.mu.Unlock()
	r.l.update(r.ctx, r.key, func(e *Entry, _ time.Time) *Entry {
		if e == nil || e.Hits == 0 {
			return e // forgotten or reset meanwhile
		}
		e.Hits--
		e.Until = time.Time{}
		if over := e.Hits - r.l.policy.Free; over >= 0 {
			e.Until = e.Last.Add(r.l.delay(over))
		}
		return e
	})
}

// hit is e (nil: a fresh key) after one more attempt at now.
func (l *Limiter) hit(e *Entry, now time.Time) *Entry {
	if e == nil {
		e = &Entry{}
	}
	e.Hits++
	e.Last = now
	if over := e.Hits - l.policy.Free; over >= 0 {
		e.Until = now.Add(l.delay(over))
	}
	return e
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
func (l *Limiter) Reset(ctx context.Context, key string) {
	l.update(ctx, key, func(*Entry, time.Time) *Entry { return nil })
}

// sweep drops forgotten keys; when that is not enough, it drops keys that
// are not waiting, then any, until a tenth of the room is free.
func (l *Limiter) sweep(now time.Time) {
	for k, e := range l.keys {
		if now.Sub(e.Last) > l.policy.Forget && !now.Before(e.Until) {
			delete(l.keys, k)
		}
	}
	for _, waiting := range []bool{false, true} {
		for k, e := range l.keys {
			if len(l.keys) < maxKeys*9/10 {
				return
			}
			if waiting || !now.Before(e.Until) {
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
