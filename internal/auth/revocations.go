package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	"onramp/ent"
	"onramp/ent/partnersession"
	"onramp/ent/setuplink"
	"onramp/internal/events"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// An open websocket keeps the viewer it was opened with. HTTP requests read
// the database for every revocable credential; a socket may send thousands
// of messages, so its checks are lookups in revocations: every revocation
// (a key revoked, a session ended, a link replaced or cancelled) is told to
// every replica after commit (events.Hub.Revoke, NOTIFY on PostgreSQL),
// each replica remembers it until the token would have expired anyway and
// closes the sockets opened with it. After its listener reconnects, a
// replica reads the database again for the credentials of its open sockets
// (RecheckWatched), so a revocation sent meanwhile is not missed.
// recentRevocation is how long a revocation of a credential no socket here
// uses is remembered.
const recentRevocation = time.Minute

type revocations struct {
	mu      sync.Mutex
	revoked map[string]time.Time            // credential: until
	watched map[string]map[*func()]struct{} // credential: what closes its sockets
	added   int
	publish func(context.Context, []events.Revocation)
}

// UseRevocations makes hub carry this authority's revocations to every
// replica, and hub's revocations (this replica's and the others') reach
// the sockets watched here.
func (a *Authority) UseRevocations(hub *events.Hub) {
	a.rev.publish = hub.Revoke
	hub.OnRevoked(a.HearRevocations)
	hub.OnCatchUp(a.RecheckWatched)
}

// credential names the revocable credential of a viewer: an integration
// key, a partner session, a setup link; "" for tokens that cannot be
// revoked (operators, the command line's integration tokens) and the
// single-use tickets (which open no socket worth keeping).
func credential(v *viewer.Viewer) string {
	switch {
	case v.Is(viewer.Integration) && v.KeyID != "":
		return events.Revocation{Kind: events.RevokedKey, ID: string(v.KeyID)}.Credential()
	case v.Is(viewer.Partner):
		return events.Revocation{Kind: events.RevokedSession, ID: string(v.SessionID)}.Credential()
	case v.Is(viewer.SetupLink):
		return events.Revocation{Kind: events.RevokedLink, ID: LinkHash(v.TokenID)}.Credential()
	}
	return ""
}

// Revoked reports whether v's credential was revoked since this process
// started hearing revocations: a lookup, no database read.
func (a *Authority) Revoked(v *viewer.Viewer) bool {
	c := credential(v)
	if c == "" {
		return false
	}
	a.rev.mu.Lock()
	defer a.rev.mu.Unlock()
	_, ok := a.rev.revoked[c]
	return ok
}

// WatchRevocation calls onRevoke (once, without blocking) when v's
// credential is revoked; stop ends the watch. A credential already revoked
// calls it at once: the caller registers first and then finds out, so a
// revocation heard between its verification and the watch is not missed.
func (a *Authority) WatchRevocation(v *viewer.Viewer, onRevoke func()) (stop func()) {
	c := credential(v)
	if c == "" {
		return func() {}
	}
	var once sync.Once
	f := func() { once.Do(onRevoke) }
	a.rev.mu.Lock()
	if a.rev.watched == nil {
		a.rev.watched = map[string]map[*func()]struct{}{}
	}
	if a.rev.watched[c] == nil {
		a.rev.watched[c] = map[*func()]struct{}{}
	}
	a.rev.watched[c][&f] = struct{}{}
	_, revoked := a.rev.revoked[c]
	a.rev.mu.Unlock()
	if revoked {
		f()
	}
	return func() {
		a.rev.mu.Lock()
		defer a.rev.mu.Unlock()
		delete(a.rev.watched[c], &f)
		if len(a.rev.watched[c]) == 0 {
			delete(a.rev.watched, c)
		}
	}
}

// HearRevocations records revocations (this replica's or another's) and
// closes the sockets opened with them.
func (a *Authority) HearRevocations(rs []events.Revocation) {
	now := a.now()
	var fire []*func()
	a.rev.mu.Lock()
	if a.rev.revoked == nil {
		a.rev.revoked = map[string]time.Time{}
	}
	for _, r := range rs {
		c := r.Credential()
		// Remembered for the sockets open here until the token would have
		// expired; otherwise only for a minute, which covers a socket
		// verified just before the revocation committed and watched just
		// after it was heard (a later one reads the revocation from the
		// database when it connects).
		keep := r.Until
		if recent := now.Add(recentRevocation); len(a.rev.watched[c]) == 0 && recent.Before(keep) {
			keep = recent
		}
		a.rev.revoked[c] = keep
		for f := range a.rev.watched[c] {
			fire = append(fire, f)
		}
	}
	if a.rev.added += len(rs); a.rev.added >= 1024 {
		a.rev.added = 0
		for c, keep := range a.rev.revoked {
			if now.After(keep) {
				delete(a.rev.revoked, c)
			}
		}
	}
	a.rev.mu.Unlock()
	for _, f := range fire {
		(*f)()
	}
}

// revoke tells every replica, after the transaction of ctx commits, that
// rs stopped working.
func (a *Authority) revoke(ctx context.Context, rs ...events.Revocation) {
	if a.rev.publish != nil {
		a.rev.publish(ctx, rs)
		return
	}
	store.AfterCommit(ctx, func() { a.HearRevocations(rs) })
}

// RecheckWatched reads the database for the credential of every socket
// open here, and records those that no longer work: it runs when the
// listener of other replicas' revocations (re)connects.
func (a *Authority) RecheckWatched(ctx context.Context) error {
	a.rev.mu.Lock()
	creds := make([]string, 0, len(a.rev.watched))
	for c := range a.rev.watched {
		creds = append(creds, c)
	}
	a.rev.mu.Unlock()
	sys := store.System(ctx)
	var gone []events.Revocation
	for _, c := range creds {
		kind, id, _ := strings.Cut(c, ":")
		r := events.Revocation{Kind: kind, ID: id, Until: a.now().Add(24 * time.Hour)}
		var revoked bool
		switch kind {
		case events.RevokedKey:
			k, err := a.client.IntegrationKey.Get(sys, gid.ID(id))
			if err != nil && !ent.IsNotFound(err) {
				return err
			}
			revoked = k == nil || k.RevokedAt != nil
			if k != nil {
				r.Until = k.ExpiresAt
			}
		case events.RevokedSession:
			s, err := a.client.PartnerSession.Query().Where(partnersession.ID(gid.ID(id))).Only(sys)
			if err != nil && !ent.IsNotFound(err) {
				return err
			}
			revoked = s == nil || s.RevokedAt != nil
			if s != nil {
				r.Until = s.ExpiresAt
			}
		case events.RevokedLink:
			l, err := a.client.SetupLink.Query().Where(setuplink.TokenHash(id)).Only(sys)
			if err != nil && !ent.IsNotFound(err) {
				return err
			}
			revoked = l == nil || a.LinkRefusal(l) != nil
			if l != nil {
				r.Until = l.ExpiresAt
			}
		}
		if revoked {
			gone = append(gone, r)
		}
	}
	a.HearRevocations(gone)
	return nil
}

// LinkRevocations are the revocations of an order's links that a change
// ends (replaced by a new link, cancelled with the order), read in the
// transaction of ctx before it changes them.
func LinkRevocations(ctx context.Context, client *ent.Client, orderID gid.ID) ([]events.Revocation, error) {
	links, err := client.SetupLink.Query().
		Where(setuplink.OrderID(orderID), setuplink.StateEQ(setuplink.StateACTIVE)).
		All(store.System(ctx))
	if err != nil {
		return nil, err
	}
	rs := make([]events.Revocation, len(links))
	for i, l := range links {
		rs[i] = events.Revocation{Kind: events.RevokedLink, ID: l.TokenHash, Until: l.ExpiresAt}
	}
	return rs, nil
}
