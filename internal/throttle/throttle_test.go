package throttle

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// ctx is the context of the limiters' calls (in-process: unused).
var ctx = context.Background()

// fakeNow is a clock the test moves.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestGrowingDelay(t *testing.T) {
	clock := &fakeNow{t: time.Unix(1_700_000_000, 0)}
	l := New(Policy{Free: 3, Base: time.Second, Max: 5 * time.Second, Forget: time.Minute}, clock.now)
	for i := range 2 {
		l.Hit(ctx, "k")
		if w := l.Wait(ctx, "k"); w != 0 {
			t.Fatalf("hit %d within the allowance: wait %v", i+1, w)
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		l.Hit(ctx, "k")
		if got := l.Wait(ctx, "k"); got != w {
			t.Fatalf("hit %d past the allowance: wait %v, want %v", i+1, got, w)
		}
		clock.t = clock.t.Add(w)
		if got := l.Wait(ctx, "k"); got != 0 {
			t.Fatalf("after the wait: %v", got)
		}
	}
	if l.Wait(ctx, "other") != 0 {
		t.Fatal("another key waits")
	}
	clock.t = clock.t.Add(2 * time.Minute)
	l.Hit(ctx, "k")
	if w := l.Wait(ctx, "k"); w != 0 {
		t.Fatalf("after a quiet minute the key starts afresh: wait %v", w)
	}
	for range 5 {
		l.Hit(ctx, "k")
	}
	l.Reset(ctx, "k")
	if w := l.Wait(ctx, "k"); w != 0 {
		t.Fatalf("after Reset: wait %v", w)
	}
}

func TestMemoryBounded(t *testing.T) {
	clock := &fakeNow{t: time.Unix(1_700_000_000, 0)}
	l := New(Policy{Free: 1, Base: time.Second, Max: time.Second, Forget: time.Minute}, clock.now)
	for i := range maxKeys + 1000 {
		l.Hit(ctx, string(rune(i))+"x")
	}
	if n := len(l.keys); n > maxKeys {
		t.Fatalf("%d keys kept, want at most %d", n, maxKeys)
	}
}

func TestPool(t *testing.T) {
	p := NewPool(1, 20*time.Millisecond)
	release, ok := p.Acquire(context.Background())
	if !ok {
		t.Fatal("the first caller got no slot")
	}
	start := time.Now()
	if _, ok := p.Acquire(context.Background()); ok {
		t.Fatal("a second caller got a slot of a pool of one")
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("the second caller did not wait")
	}
	release()
	if r, ok := p.Acquire(context.Background()); !ok {
		t.Fatal("a released slot is not free")
	} else {
		r()
	}
}

// TestReserveHoldsUnderConcurrency: of many reservations made at once, only
// the free allowance goes ahead; a cancelled one is given back.
func TestReserveHoldsUnderConcurrency(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l := New(Policy{Free: 5, Base: time.Second, Max: time.Minute, Forget: time.Hour}, func() time.Time { return now })
	var wg sync.WaitGroup
	var mu sync.Mutex
	var taken []*Reservation
	for range 30 {
		wg.Go(func() {
			if wait, r := l.Reserve(ctx, "k"); wait == 0 {
				mu.Lock()
				taken = append(taken, r)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(taken) != 5 {
		t.Fatalf("%d of 30 reservations went ahead, want the 5 free ones", len(taken))
	}
	if l.Wait(ctx, "k") == 0 {
		t.Fatal("after five reservations the key does not wait")
	}
	taken[0].Cancel()
	taken[0].Cancel() // twice gives back one
	if w := l.Wait(ctx, "k"); w != 0 {
		t.Fatalf("after one cancelled reservation the key waits %v, want 0 (four counted)", w)
	}
	if wait, r := l.Reserve(ctx, "k"); wait != 0 || r == nil {
		t.Fatalf("fifth attempt after a cancel: wait %v", wait)
	}
	if wait, _ := l.Reserve(ctx, "k"); wait == 0 {
		t.Fatal("sixth attempt went ahead")
	}
}

func TestClientAddrBelievesOnlyTrustedProxies(t *testing.T) {
	lb, err := ParseProxies(" 10.0.0.0/8, 192.0.2.7 ,::ffff:172.16.0.0/108")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		proxies Proxies
		remote  string
		xff     []string
		want    string
	}{
		{"no trusted proxy: the connection's address, whatever the header says", nil, "10.1.1.1:5000", []string{"203.0.113.9"}, "10.1.1.1"},
		{"an untrusted peer's header is its own invention", lb, "198.51.100.4:5000", []string{"203.0.113.9"}, "198.51.100.4"},
		{"behind the balancer: the address it received from", lb, "10.1.1.1:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a caller's own X-Forwarded-For entry is skipped: the rightmost untrusted one counts", lb, "10.1.1.1:5000", []string{"6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"two proxies in a row, in two header lines", lb, "10.1.1.1:5000", []string{"6.6.6.6", "203.0.113.9, 192.0.2.7"}, "203.0.113.9"},
		{"a garbled entry stops the walk at the last real address", lb, "10.1.1.1:5000", []string{"203.0.113.9, junk"}, "10.1.1.1"},
		{"only proxies: the leftmost of them", lb, "10.1.1.1:5000", []string{"10.2.2.2"}, "10.2.2.2"},
		{"no header behind the balancer: the balancer's", lb, "10.1.1.1:5000", nil, "10.1.1.1"},
		{"an IPv4-mapped range matches the IPv4 peer", lb, "172.16.3.4:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv6 clients", lb, "[::1]:5000", []string{"2001:db8::1"}, "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.proxies.ClientAddr(r); got != tc.want {
				t.Errorf("ClientAddr = %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1/8/2"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted it", bad)
		}
	}
}
