package graph

import (
	"context"
	"time"

	"onramp/internal/access"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/graph/model"
	"onramp/internal/store"
)

// accessPayload maps a consent call's result into its payload.
func accessPayload(pa *ent.PartnerAccess, err error) (*model.PartnerAccessPayload, error) {
	userErrors, err := payloadErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.PartnerAccessPayload{PartnerAccess: pa, UserErrors: userErrors}, nil
}

func (r *Resolver) now() time.Time {
	if r.Setup != nil && r.Setup.Life != nil && r.Setup.Life.Now != nil {
		return r.Setup.Life.Now()
	}
	return time.Now()
}

// disclosed is the @disclosed directive: an organization's field that a
// caller without full access (a partner waiting for the customer's
// consent) gets as null.
func (r *Resolver) disclosed(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	org, ok := obj.(*ent.Organization)
	if !ok {
		return next(ctx)
	}
	full, err := access.Disclosed(ctx, r.Client, org)
	if err != nil {
		return nil, err
	}
	if !full {
		return nil, nil
	}
	return next(ctx)
}

func languageOf(l *order.Language) string {
	if l == nil {
		return ""
	}
	return string(*l)
}

// nonEmpty is a payload's token: null when none was issued.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// rememberDisclosures lets a query or mutation decide each organization's
// disclosure once (access.WithDisclosures). A subscription lives on: each of
// its events decides again.
func rememberDisclosures(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation != ast.Subscription {
		ctx = access.WithDisclosures(ctx)
	}
	return next(ctx)
}

// accessOrderCancelled reports whether the order that asked for an access
// was cancelled.
func (r *Resolver) accessOrderCancelled(ctx context.Context, pa *ent.PartnerAccess) (bool, error) {
	o, err := r.Client.Order.Get(store.System(ctx), pa.OrderID)
	if err != nil {
		return false, err
	}
	return o.Status == order.StatusCANCELLED, nil
}
