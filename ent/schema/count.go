package schema

import (
	"context"

	"entgo.io/ent"
)

// entgql's Paginate counts the rows matching a connection's filter whenever
// totalCount or pageInfo is selected, although pageInfo is derived from the
// page itself (one row more than asked). On a large table the count is a
// scan of an index, far slower than the page: a connection resolver whose
// totalCount is not selected marks its context with WithoutTotalCount, and
// the count is skipped (Paginate then reports the page's length, which no
// one asked for).

type withoutTotalCount struct{}

// WithoutTotalCount marks ctx: the connection being resolved does not
// select totalCount.
func WithoutTotalCount(ctx context.Context) context.Context {
	return context.WithValue(ctx, withoutTotalCount{}, true)
}

// skipUnaskedCount answers a Count made under WithoutTotalCount without
// reading the database.
func skipUnaskedCount() ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			if qc := ent.QueryFromContext(ctx); qc != nil && qc.Op == ent.OpQueryCount && ctx.Value(withoutTotalCount{}) != nil {
				return 0, nil
			}
			return next.Query(ctx, q)
		})
	})
}
