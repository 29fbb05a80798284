// Package clock lets tests move Onramp's time: the services, the job
// queue's scheduling and token expiry all read the same clock.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Wall is the real clock.
type Wall struct{}

// Now returns time.Now().
func (Wall) Now() time.Time { return time.Now() }

// Stub is a clock that tests set and advance. It also satisfies River's
// rivertype.TimeGenerator, so scheduled jobs fall due on the stubbed time.
// Keep it at or ahead of the real clock: River's maintenance (rescuing
// stuck jobs, deleting finished ones) still reads the real clock, and a
// stub far behind it would make running jobs look stuck.
type Stub struct {
	mu sync.Mutex
	t  time.Time
}

// NewStub returns a stub clock at t.
func NewStub(t time.Time) *Stub { return &Stub{t: t} }

// Now returns the stubbed time.
func (s *Stub) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t
}

// NowOrNil returns the stubbed time (River's TimeGenerator).
func (s *Stub) NowOrNil() *time.Time {
	t := s.Now()
	return &t
}

// Set moves the clock to t.
func (s *Stub) Set(t time.Time) {
	s.mu.Lock()
	s.t = t
	s.mu.Unlock()
}

// Advance moves the clock forward by d.
func (s *Stub) Advance(d time.Duration) {
	s.mu.Lock()
	s.t = s.t.Add(d)
	s.mu.Unlock()
}
