package clock

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// TestRefreshNeverStepsTheClockBack: a refresh that read the offset before
// a concurrent Advance committed stores what it read after Advance stored
// the new offset; the clock must keep the newer one (it once stepped back
// for a moment, so an operator token signed in that moment was already
// expired when the next refresh came).
func TestRefreshNeverStepsTheClockBack(t *testing.T) {
	s := &Shared{}
	s.raise(int64(2 * time.Hour))
	s.raise(int64(time.Hour)) // the late, stale read
	if got := time.Duration(s.offset.Load()); got != 2*time.Hour {
		t.Fatalf("offset after a stale refresh = %s, want 2h", got)
	}
}

// TestAdvanceWhileRefreshing advances the clock while a refresh loop reads
// it as fast as it can; after each advance returns, the clock reads at
// least the time it returned.
func TestAdvanceWhileRefreshing(t *testing.T) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "clock.db")+"?_busy_timeout=5000&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := OpenShared(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_ = s.load(ctx)
		}
	}()
	for i := range 300 {
		at, err := s.Advance(ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if now := s.Now(); now.Before(at) {
			t.Fatalf("advance %d: the clock read %s after the advance returned %s", i, now, at)
		}
	}
	cancel()
	<-done
}
