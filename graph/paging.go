package graph

import (
	"context"
	"math"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"onramp/ent"
	"onramp/ent/schema"
	"onramp/internal/gid"
	"onramp/internal/webhooks"
)

// maxPage bounds every list; a list asked for without a size gets
// defaultPage.
const (
	maxPage     = 100
	defaultPage = 50
)

func pageSize(ctx context.Context, first, last *int) (*int, *int, error) {
	for _, n := range []*int{first, last} {
		if n != nil && (*n < 0 || *n > maxPage) {
			return nil, nil, badRequest(ctx, "first and last must be between 0 and 100")
		}
	}
	if first == nil && last == nil {
		n := defaultPage
		first = &n
	}
	return first, last, nil
}

// countIfSelected marks ctx for Paginate when the connection being resolved
// does not select totalCount, so that no count of the whole filter runs
// (see schema.WithoutTotalCount).
func countIfSelected(ctx context.Context) context.Context {
	if totalCountSelected(ctx) {
		return ctx
	}
	return schema.WithoutTotalCount(ctx)
}

// totalCountSelected reports whether the connection being resolved selects
// totalCount (true when that cannot be told).
func totalCountSelected(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return true
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{fc.Field.Definition.Type.Name()}) {
		if f.Name == "totalCount" {
			return true
		}
	}
	return false
}

// node resolves a global id within the caller's scope: a missing object and
// one outside the scope look the same (null).
func (r *Resolver) node(ctx context.Context, id gid.ID) (ent.Noder, error) {
	if !nodePrefixes[id.Prefix()] {
		return nil, nil
	}
	n, err := r.Client.Noder(ctx, id, ent.WithNodeType(func(_ context.Context, id gid.ID) (string, error) {
		return gid.Table(id)
	}))
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return n, nil
}

// nodePrefixes are the kinds of object node(id:) resolves; setup links and
// signing keys are never reachable through the API.
var nodePrefixes = map[string]bool{
	gid.Order: true, gid.Organization: true, gid.User: true,
	gid.Subscription: true, gid.ServiceSetting: true, gid.AuditEvent: true, gid.Escalation: true,
}

// notFoundIsNull answers null for a row that is missing or outside the
// caller's scope.
func notFoundIsNull[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// eventCursor reads an events cursor: an event id and its feed position,
// or an event id alone (a cursor issued before events had positions).
func eventCursor(ctx context.Context, c *entgql.Cursor[gid.ID]) (*webhooks.After, error) {
	if c == nil {
		return nil, nil
	}
	after := &webhooks.After{ID: c.ID}
	var pos int64
	switch v := c.Value.(type) {
	case nil:
		return after, nil
	case int64:
		pos = v
	case int:
		pos = int64(v)
	case int8:
		pos = int64(v)
	case int16:
		pos = int64(v)
	case int32:
		pos = int64(v)
	case uint8:
		pos = int64(v)
	case uint16:
		pos = int64(v)
	case uint32:
		pos = int64(v)
	case uint64:
		if v > math.MaxInt64 {
			return nil, badRequest(ctx, "after is not a cursor of the events query")
		}
		pos = int64(v)
	default:
		return nil, badRequest(ctx, "after is not a cursor of the events query")
	}
	if pos < 0 {
		return nil, badRequest(ctx, "after is not a cursor of the events query")
	}
	after.Position = &pos
	return after, nil
}
