package auth

import (
	"testing"
	"time"

	"onramp/internal/events"
	"onramp/internal/gid"
	"onramp/internal/viewer"
)

// TestRevocationsReachWatchers: a revocation heard closes the sockets
// watching its credential (also one that starts watching just after), is a
// lookup for them, and is forgotten after a minute when no socket here
// uses it.
func TestRevocationsReachWatchers(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	a := &Authority{now: func() time.Time { return now }}
	key := &viewer.Viewer{Kind: viewer.Integration, KeyID: gid.ID("api_1")}
	other := &viewer.Viewer{Kind: viewer.Partner, SessionID: gid.ID("ses_1")}
	closed := 0
	stop := a.WatchRevocation(key, func() { closed++ })
	defer stop()
	a.HearRevocations([]events.Revocation{{Kind: events.RevokedKey, ID: "api_1", Until: now.Add(24 * time.Hour)}})
	a.HearRevocations([]events.Revocation{{Kind: events.RevokedKey, ID: "api_1", Until: now.Add(24 * time.Hour)}})
	if closed != 1 || !a.Revoked(key) {
		t.Fatalf("after the revocation: closed %d times, revoked %v; want once, true", closed, a.Revoked(key))
	}
	if a.Revoked(other) {
		t.Fatal("another credential reads as revoked")
	}
	a.HearRevocations([]events.Revocation{{Kind: events.RevokedSession, ID: "ses_1", Until: now.Add(12 * time.Hour)}})
	late := 0
	a.WatchRevocation(other, func() { late++ })()
	if late != 1 {
		t.Fatalf("a watch started just after the revocation was heard closed %d times, want once at once", late)
	}
	// A minute later, with 1024 more revocations heard, the unwatched one
	// is forgotten; the watched one is kept until its token's expiry.
	now = now.Add(2 * time.Minute)
	many := make([]events.Revocation, 1024)
	for i := range many {
		many[i] = events.Revocation{Kind: events.RevokedLink, ID: string(rune('a' + i%26)), Until: now.Add(time.Hour)}
	}
	a.HearRevocations(many)
	if a.Revoked(other) {
		t.Error("an unwatched revocation is remembered after a minute")
	}
	if !a.Revoked(key) {
		t.Error("a watched revocation was forgotten before its token's expiry")
	}
	if (&Authority{}).Revoked(&viewer.Viewer{Kind: viewer.Operator}) {
		t.Error("an operator token reads as revoked")
	}
}
