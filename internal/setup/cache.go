package setup

import (
	"context"
	"sync"
	"time"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/internal/gid"
	"onramp/internal/store"
)

// sessionOrders remembers, on SQLite, the orders that Session read with
// their subscription (which the wizard shows), under the write generation
// read before each was read (store.Writes): any write of this process, of
// any entity, forgets them all, once when it runs and again at its commit.
// An order is kept for one link as it was (its id and last change): the
// link, whose state decides whether the caller may read at all, is read on
// every request (internal/auth), and another process's change of the order
// (`onramp token setup`) comes with a new link, so it is never answered
// from memory. Kept orders are shared between requests and never changed.
type sessionOrders struct {
	mu     sync.Mutex
	orders map[linkState]keptOrder
}

// linkState is a link as it was read: a later change of it (its draft, its
// state) is another key.
type linkState struct {
	link gid.ID
	at   time.Time
}

type keptOrder struct {
	gen   uint64
	order *ent.Order
}

// maxSessionOrders bounds the kept orders; past it they are all forgotten.
const maxSessionOrders = 4096

// order reads the order of link with its subscription in the viewer's
// scope of ctx (a setup link's own order), from memory when no write has
// run since. Without store.Writes (PostgreSQL) it reads the order alone,
// each time.
func (c *sessionOrders) order(ctx context.Context, st *store.Store, link *ent.SetupLink) (*ent.Order, error) {
	id := link.OrderID
	if st.Writes == nil {
		return st.Client.Order.Get(ctx, id)
	}
	key := linkState{link: link.ID, at: link.UpdatedAt}
	gen := st.Writes.Gen()
	c.mu.Lock()
	k, ok := c.orders[key]
	c.mu.Unlock()
	if ok && k.gen == gen {
		return k.order, nil
	}
	o, err := st.Client.Order.Query().Where(order.ID(id)).WithSubscription().Only(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.orders == nil || len(c.orders) >= maxSessionOrders {
		c.orders = map[linkState]keptOrder{}
	}
	c.orders[key] = keptOrder{gen: gen, order: o}
	c.mu.Unlock()
	return o, nil
}
