package throttle

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeNow is a clock the test moves.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestGrowingDelay(t *testing.T) {
	clock := &fakeNow{t: time.Unix(1_700_000_000, 0)}
	l := New(Policy{Free: 3, Base: time.Second, Max: 5 * time.Second, Forget: time.Minute}, clock.now)
	for i := range 2 {
		l.Hit("k")
		if w := l.Wait("k"); w != 0 {
			t.Fatalf("hit %d within the allowance: wait %v", i+1, w)
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		l.Hit("k")
		if got := l.Wait("k"); got != w {
			t.Fatalf("hit %d past the allowance: wait %v, want %v", i+1, got, w)
		}
		clock.t = clock.t.Add(w)
		if got := l.Wait("k"); got != 0 {
			t.Fatalf("after the wait: %v", got)
		}
	}
	if l.Wait("other") != 0 {
		t.Fatal("another key waits")
	}
	clock.t = clock.t.Add(2 * time.Minute)
	l.Hit("k")
	if w := l.Wait("k"); w != 0 {
		t.Fatalf("after a quiet minute the key starts afresh: wait %v", w)
	}
	for range 5 {
		l.Hit("k")
	}
	l.Reset("k")
	if w := l.Wait("k"); w != 0 {
		t.Fatalf("after Reset: wait %v", w)
	}
}

func TestMemoryBounded(t *testing.T) {
	clock := &fakeNow{t: time.Unix(1_700_000_000, 0)}
	l := New(Policy{Free: 1, Base: time.Second, Max: time.Second, Forget: time.Minute}, clock.now)
	for i := range maxKeys + 1000 {
		l.Hit(string(rune(i)) + "x")
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
			if wait, r := l.Reserve("k"); wait == 0 {
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
	if l.Wait("k") == 0 {
		t.Fatal("after five reservations the key does not wait")
	}
	taken[0].Cancel()
	taken[0].Cancel() // twice gives back one
	if w := l.Wait("k"); w != 0 {
		t.Fatalf("after one cancelled reservation the key waits %v, want 0 (four counted)", w)
	}
	if wait, r := l.Reserve("k"); wait != 0 || r == nil {
		t.Fatalf("fifth attempt after a cancel: wait %v", wait)
	}
	if wait, _ := l.Reserve("k"); wait == 0 {
		t.Fatal("sixth attempt went ahead")
	}
}
