package events

import (
	"context"
	"encoding/json"
	"time"

	"onramp/internal/store"
)

// RevokedChannel is the PostgreSQL notification channel of credentials that
// stopped working before their tokens expired.
const RevokedChannel = "onramp_revoked"

// The kinds of credential a socket may be opened with and that can be
// revoked.
const (
	RevokedKey     = "key"     // an integration key (its id)
	RevokedSession = "session" // a partner session (its id)
	RevokedLink    = "link"    // a setup link (its token hash)
)

// Revocation names one credential that stopped working: a key revoked, a
// session ended, a link replaced or cancelled. Until is when its token
// would have expired anyway; past it nobody needs to remember it.
type Revocation struct {
	Kind  string    `json:"k"`
	ID    string    `json:"i"`
	Until time.Time `json:"u"`
}

// Credential is the revocation's credential as one string, the key of the
// in-memory record every replica keeps.
func (r Revocation) Credential() string { return r.Kind + ":" + r.ID }

// revocationsPerNotify keeps a notification's payload well below
// PostgreSQL's 8000 bytes (a link's id is 64 characters).
const revocationsPerNotify = 40

// OnRevoked sets who hears revocations, from this process and (PostgreSQL)
// from every replica; set it before Listen runs.
func (h *Hub) OnRevoked(f func([]Revocation)) { h.onRevoked = f }

// OnCatchUp sets what runs after the listener (re)connects: revocations
// sent while it was disconnected are gone, so whoever keeps them reads the
// database again. Set it before Listen runs.
func (h *Hub) OnCatchUp(f func(context.Context) error) { h.onCatchUp = f }

// Revoke tells every replica, once the transaction of ctx commits (at once
// outside one), that the credentials rs stopped working. With PostgreSQL
// the NOTIFY is sent in the same transaction, before any order change that
// follows in it, so a replica hears the revocation before that change.
func (h *Hub) Revoke(ctx context.Context, rs []Revocation) {
	if len(rs) == 0 {
		return
	}
	store.AfterCommit(ctx, func() { h.hearRevoked(rs) })
	if h.db == nil {
		return
	}
	for start := 0; start < len(rs); start += revocationsPerNotify {
		payload, _ := json.Marshal(rs[start:min(start+revocationsPerNotify, len(rs))]) //nolint:errchkjson // strings and times always marshal
		h.notify(ctx, RevokedChannel, string(payload))
	}
}

func (h *Hub) hearRevoked(rs []Revocation) {
	if h.onRevoked != nil {
		h.onRevoked(rs)
	}
}
