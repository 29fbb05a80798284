package setup

import (
	"context"
	"sync"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/internal/gid"
	"onramp/internal/store"
)

// sessionOrders remembers, on SQLite, the orders that Session read with
// their subscription (which the wizard shows), under the write generation
// read before each was read (store.Writes): any write, of any entity,
// forgets them all, once when it runs and again at its commit. Only the
// order is kept: the link, whose state decides whether the caller may read
// at all, is read on every request (internal/auth). Kept orders are shared
// between requests and never changed.
type sessionOrders struct {
	mu     sync.Mutex
	orders map[gid.ID]keptOrder
}

type keptOrder struct {
	gen   uint64
	order *ent.Order
}

// maxSessionOrders bounds the kept orders; past it they are all forgotten.
const maxSessionOrders = 4096

// order reads the order id with its subscription in the viewer's scope of
// ctx (a setup link's own order), from memory when no write has run since.
// Without store.Writes (PostgreSQL) it reads the order alone, each time.
func (c *sessionOrders) order(ctx context.Context, st *store.Store, id gid.ID) (*ent.Order, error) {
	if st.Writes == nil {
		return st.Client.Order.Get(ctx, id)
	}
	gen := st.Writes.Gen()
	c.mu.Lock()
	k, ok := c.orders[id]
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
		c.orders = map[gid.ID]keptOrder{}
	}
	c.orders[id] = keptOrder{gen: gen, order: o}
	c.mu.Unlock()
	return o, nil
}
