package graph

import (
	"context"
	"time"

	"onramp/ent"
	"onramp/ent/setuplink"
	"onramp/internal/auth"
	"onramp/internal/events"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// watch streams an order's status and step to a subscriber in scope: the
// current state first, then every change after commit. It ends when the
// client leaves or the token expires; a revoked token closes its socket.
func (r *Resolver) watch(ctx context.Context, orderID gid.ID) (<-chan *events.Change, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	// Subscribe before reading the current state, so no change slips
	// between the two.
	sub, cancel := r.Events.Subscribe(orderID)
	o, err := r.Client.Order.Get(ctx, orderID)
	if err != nil {
		cancel()
		if ent.IsNotFound(err) {
			return nil, auth.NotFound("order")
		}
		return nil, err
	}
	// A link's holder also hears when its draft is restarted elsewhere (a
	// second tab): start from the draft it has now.
	var draft gid.ID
	if v.Is(viewer.SetupLink) {
		link, err := r.Client.SetupLink.Query().Where(setuplink.TokenHash(auth.LinkHash(v.TokenID))).Only(store.System(ctx))
		if err != nil {
			cancel()
			return nil, err
		}
		draft = gid.ID(link.Draft.ID)
	}
	out := make(chan *events.Change, 1)
	go func() {
		defer close(out)
		defer cancel()
		expired := time.NewTimer(time.Until(v.ExpiresAt))
		defer expired.Stop()
		last := &events.Change{OrderID: o.ID, Status: o.Status, Step: o.Step, DraftID: draft, At: o.UpdatedAt}
		send := func(c *events.Change) bool {
			select {
			case out <- c:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send(last) {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-expired.C:
				return
			case c := <-sub.C:
				// A revoked credential closes the socket before this is
				// sent (refuseRevokedResponses).
				if !v.Is(viewer.SetupLink) {
					c.DraftID = ""
				}
				sameDraft := c.DraftID == "" || c.DraftID == last.DraftID
				if c.Status == last.Status && c.Step == last.Step && sameDraft {
					continue
				}
				if c.DraftID == "" {
					c.DraftID = last.DraftID
				}
				last = &c
				if !send(last) {
					return
				}
			}
		}
	}()
	return out, nil
}
