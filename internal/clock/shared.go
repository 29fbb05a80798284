package clock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Shared is the test clock of --test-clock: the wall clock moved forward by
// an offset kept in the database, so that every replica and the command
// line read the same time. Advance moves it; replicas pick the new offset
// up within Refresh's interval. It satisfies River's TimeGenerator, so due
// jobs run as they would on the moved date.
type Shared struct {
	db     *sql.DB
	offset atomic.Int64
}

// offsetTable holds the one row of the test clock's offset.
const offsetTable = "onramp_test_clock"

// MaxAdvance bounds one advance of the test clock.
const MaxAdvance = 400 * 24 * time.Hour

// MaxOffset bounds how far ahead of the wall clock the test clock may be
// in all: a hundred years, far inside the int64 nanoseconds it is kept in.
const MaxOffset = 100 * 365 * 24 * time.Hour

// OpenShared reads the test clock's offset from db, creating its table.
func OpenShared(ctx context.Context, db *sql.DB) (*Shared, error) {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+offsetTable+
		" (id INTEGER PRIMARY KEY, offset_ns BIGINT NOT NULL)"); err != nil {
		return nil, fmt.Errorf("test clock: %w", err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO "+offsetTable+
		" (id, offset_ns) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"); err != nil {
		return nil, fmt.Errorf("test clock: %w", err)
	}
	s := &Shared{db: db}
	return s, s.load(ctx)
}

// StoredOffset is the test clock's offset in db, 0 when it has none (the
// command line signs tokens from it).
func StoredOffset(ctx context.Context, db *sql.DB) time.Duration {
	var ns int64
	err := db.QueryRowContext(ctx, "SELECT offset_ns FROM "+offsetTable+" WHERE id = 1").Scan(&ns)
	if err != nil {
		return 0 // no table: no test clock was ever used here
	}
	return time.Duration(ns)
}

// ResetStored sets a stored offset back to 0, for a server started without
// the test clock on a database that had one.
func ResetStored(ctx context.Context, db *sql.DB) {
	_, _ = db.ExecContext(ctx, "UPDATE "+offsetTable+" SET offset_ns = 0 WHERE id = 1")
}

func (s *Shared) load(ctx context.Context) error {
	var ns int64
	if err := s.db.QueryRowContext(ctx, "SELECT offset_ns FROM "+offsetTable+" WHERE id = 1").Scan(&ns); err != nil {
		return fmt.Errorf("test clock: %w", err)
	}
	s.raise(ns)
	return nil
}

// raise sets the offset to ns unless it is already further: the clock only
// moves forward, and a refresh that read the row before a concurrent
// Advance committed must not step the clock back (a token signed in
// between would then be expired on the next read).
func (s *Shared) raise(ns int64) {
	for {
		old := s.offset.Load()
		if ns <= old || s.offset.CompareAndSwap(old, ns) {
			return
		}
	}
}

// Now returns the test time.
func (s *Shared) Now() time.Time { return time.Now().Add(time.Duration(s.offset.Load())) }

// NowOrNil returns the test time (River's TimeGenerator).
func (s *Shared) NowOrNil() *time.Time {
	t := s.Now()
	return &t
}

// ErrBackwards refuses to move the clock back or not at all.
var ErrBackwards = errors.New("the test clock only moves forward")

// ErrTooFar refuses an advance that would put the clock more than
// MaxOffset ahead of the wall clock.
var ErrTooFar = errors.New("the test clock may be at most 100 years ahead")

// Advance moves the clock forward by d, for every replica, and returns the
// new time.
func (s *Shared) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	if d <= 0 || d > MaxAdvance {
		return time.Time{}, ErrBackwards
	}
	// The bound is checked in the update itself, so concurrent advances
	// cannot pass it together (nor overflow the column).
	var ns int64
	err := s.db.QueryRowContext(ctx, fmt.Sprintf("UPDATE %s SET offset_ns = offset_ns + %d WHERE id = 1 AND offset_ns <= %d RETURNING offset_ns",
		offsetTable, int64(d), int64(MaxOffset-d))).Scan(&ns)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrTooFar
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("test clock: %w", err)
	}
	s.raise(ns)
	return s.Now(), nil
}

// Refresh reads the offset every interval until ctx ends, so an advance
// made on another replica reaches this one.
func (s *Shared) Refresh(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.load(ctx) // a passing database error: the next tick tries again
		}
	}
}
