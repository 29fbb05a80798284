package graph

import (
	"context"
	"sync"

	"entgo.io/contrib/entgql"

	"onramp/ent"
	"onramp/ent/schema"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// OrderCounts remembers the count of every order in a viewer's scope (the
// totalCount of an unfiltered orders connection): on a large table the
// count is a scan of an index, many times the cost of the page. A count is
// kept under the write generation read before it was taken
// (store.Writes), so any write, of any entity, forgets every count at once
// and again at its commit. Only where the process is the service's one
// writer (SQLite): another replica's writes would not move this process's
// generation.
type OrderCounts struct {
	writes *store.Writes

	mu     sync.Mutex
	counts map[countKey]countEntry
}

// maxCounts bounds the remembered counts (one per scope); past it they are
// all forgotten.
const maxCounts = 4096

// countKey is a viewer's scope: everything an order query rule may read of
// the viewer.
type countKey struct {
	kind                      viewer.Kind
	account, org, order, user string
}

type countEntry struct {
	gen uint64
	n   int
}

// NewOrderCounts returns an empty OrderCounts over w, whose hook must be on
// the client every write goes through.
func NewOrderCounts(w *store.Writes) *OrderCounts {
	return &OrderCounts{writes: w, counts: map[countKey]countEntry{}}
}

// count answers the number of orders in the scope of ctx's viewer, from
// memory when no write has run since it was counted.
func (c *OrderCounts) count(ctx context.Context, client *ent.Client) (int, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return client.Order.Query().Count(ctx)
	}
	key := countKey{kind: v.Kind, account: v.PartnerAccountID, org: string(v.OrganizationID),
		order: string(v.OrderID), user: string(v.UserID)}
	gen := c.writes.Gen()
	c.mu.Lock()
	e, ok := c.counts[key]
	c.mu.Unlock()
	if ok && e.gen == gen {
		return e.n, nil
	}
	n, err := client.Order.Query().Count(ctx)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if len(c.counts) >= maxCounts {
		clear(c.counts)
	}
	c.counts[key] = countEntry{gen: gen, n: n}
	c.mu.Unlock()
	return n, nil
}

// ordersPage is the orders connection; an unfiltered one takes its
// totalCount from r.OrderCounts when there is one.
func (r *Resolver) ordersPage(ctx context.Context, after *entgql.Cursor[gid.ID], first *int, before *entgql.Cursor[gid.ID], last *int,
	orderBy *ent.OrderOrder, where *ent.OrderWhereInput) (*ent.OrderConnection, error) {
	if where != nil || r.OrderCounts == nil || !totalCountSelected(ctx) {
		return r.Client.Order.Query().Paginate(countIfSelected(ctx), after, first, before, last,
			ent.WithOrderOrder(orderBy), ent.WithOrderFilter(where.Filter))
	}
	conn, err := r.Client.Order.Query().Paginate(schema.WithoutTotalCount(ctx), after, first, before, last,
		ent.WithOrderOrder(orderBy))
	if err != nil {
		return nil, err
	}
	if conn.TotalCount, err = r.OrderCounts.count(ctx, r.Client); err != nil {
		return nil, err
	}
	return conn, nil
}
