package graph

import (
	"context"
	"sync"
	"sync/atomic"

	"entgo.io/contrib/entgql"

	"onramp/ent"
	"onramp/ent/schema"
	"onramp/internal/gid"
	"onramp/internal/viewer"
)

// OrderCounts remembers the count of every order in a viewer's scope (the
// totalCount of an unfiltered orders connection): on a large table the
// count is a scan of an index, many times the cost of the page. Every
// write through ent, of any entity, forgets every count: the write's hook
// moves a generation when it runs and again when its transaction commits,
// and a count is kept only under the generation read before it was taken,
// so no count taken before a commit is answered after it. Only for a
// process that is the service's one writer (SQLite): another replica's
// writes would not move this process's generation.
type OrderCounts struct {
	gen atomic.Uint64

	mu     sync.Mutex
	counts map[countKey]countEntry
}

// maxCounts bounds the remembered counts (one per scope); past it they are
// all forgotten.
const maxCounts = 4096

// countKey is a viewer's scope: everything an order query rule may read of
// the viewer.
type countKey struct {
	kind                viewer.Kind
	account, org, order string
	user                string
}

type countEntry struct {
	gen uint64
	n   int
}

// NewOrderCounts returns an empty OrderCounts; Hook must be on the client
// every write goes through.
func NewOrderCounts() *OrderCounts {
	return &OrderCounts{counts: map[countKey]countEntry{}}
}

// Hook moves the generation on every mutation, and once more when the
// mutation's transaction commits (at once when it ran outside one).
func (c *OrderCounts) Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			c.gen.Add(1)
			v, err := next.Mutate(ctx, m)
			if txm, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
				if tx, txErr := txm.Tx(); txErr == nil {
					tx.OnCommit(func(next ent.Committer) ent.Committer {
						return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
							defer c.gen.Add(1)
							return next.Commit(ctx, tx)
						})
					})
					return v, err
				}
			}
			c.gen.Add(1)
			return v, err
		})
	}
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
	gen := c.gen.Load()
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
