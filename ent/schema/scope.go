package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/entql"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/partneraccess"
	"onramp/ent/predicate"
	"onramp/ent/privacy"
	"onramp/ent/servicesetting"
	"onramp/ent/subscription"
	"onramp/ent/user"
	"onramp/internal/viewer"
)

// The read scope of every token kind lives here, as ent privacy rules, so no
// query (a resolver's, an edge's, node(id:)'s) can forget it. A row outside
// the scope is simply not found. Background work that acts for no caller runs
// under privacy.DecisionContext(ctx, privacy.Allow).
//
//	setup link     its one order, that order's organizations and subscription
//	partner        its partner account's orders; its own org and the customer
//	               orgs it manages (or asked to manage: limited by @disclosed)
//	integration    its partner account's orders; the partner org of that
//	               account and the customer orgs it manages (or asked to)
//	partner-access its request only (partneraccess.go)
//	password-reset nothing
//	operator       everything

// noFilter keeps an edge out of the generated where-inputs. A predicate on
// an edge (hasPartnerOrgWith, hasEscalationWith, …) runs as a subquery on
// the other table that that table's privacy rule never sees, so a filter
// could ask yes/no questions about rows outside the caller's scope. Every
// where-input therefore holds predicates on its own table's columns only,
// which its own privacy rule narrows; the types reached only through edges
// (organizations, subscriptions, users, settings) have no where-input at
// all. TestFilterScopeProperty (internal/app) fails on any predicate it
// cannot prove in scope.
var noFilter = entgql.Skip(entgql.SkipWhereInput)

// nothing matches no row.
func nothing(s *sql.Selector) { s.Where(sql.False()) }

// orderScope limits orders to the viewer's scope; nil means unlimited.
func orderScope(v *viewer.Viewer) predicate.Order {
	switch {
	case v.Is(viewer.Operator):
		return nil
	case v.Is(viewer.SetupLink):
		return order.ID(v.OrderID)
	case v.Is(viewer.Integration), v.Is(viewer.Partner):
		return order.PartnerAccountID(v.PartnerAccountID)
	}
	return nothing
}

func organizationScope(v *viewer.Viewer) predicate.Organization {
	switch {
	case v.Is(viewer.Operator):
		return nil
	case v.Is(viewer.SetupLink):
		return organization.Or(
			organization.HasPartnerOrdersWith(order.ID(v.OrderID)),
			organization.HasCustomerOrdersWith(order.ID(v.OrderID)),
		)
	case v.Is(viewer.Partner):
		return organization.Or(
			organization.ID(v.OrganizationID),
			organization.HasManagersWith(organization.ID(v.OrganizationID)),
			// Asked for (its order maps to it): seen, but only its name,
			// country and email domain (@disclosed).
			organization.HasAccessRequestsWith(partneraccess.PartnerAccountID(v.PartnerAccountID)),
		)
	case v.Is(viewer.Integration):
		return organization.Or(
			organization.AccountID(v.PartnerAccountID),
			organization.HasManagersWith(organization.AccountID(v.PartnerAccountID)),
			organization.HasAccessRequestsWith(partneraccess.PartnerAccountID(v.PartnerAccountID)),
		)
	}
	return nothing
}

func orderQueryRule() privacy.QueryRule {
	return privacy.OrderQueryRuleFunc(func(ctx context.Context, q *ent.OrderQuery) error {
		if p := orderScope(viewer.FromContext(ctx)); p != nil {
			q.Where(p)
		}
		return privacy.Allow
	})
}

func organizationQueryRule() privacy.QueryRule {
	return privacy.OrganizationQueryRuleFunc(func(ctx context.Context, q *ent.OrganizationQuery) error {
		if p := organizationScope(viewer.FromContext(ctx)); p != nil {
			q.Where(p)
		}
		return privacy.Allow
	})
}

func subscriptionQueryRule() privacy.QueryRule {
	return privacy.SubscriptionQueryRuleFunc(func(ctx context.Context, q *ent.SubscriptionQuery) error {
		if p := orderScope(viewer.FromContext(ctx)); p != nil {
			q.Where(subscription.HasOrderWith(p))
		}
		return privacy.Allow
	})
}

func serviceSettingQueryRule() privacy.QueryRule {
	return privacy.ServiceSettingQueryRuleFunc(func(ctx context.Context, q *ent.ServiceSettingQuery) error {
		if p := orderScope(viewer.FromContext(ctx)); p != nil {
			q.Where(servicesetting.HasSubscriptionWith(subscription.HasOrderWith(p)))
		}
		return privacy.Allow
	})
}

func userQueryRule() privacy.QueryRule {
	return privacy.UserQueryRuleFunc(func(ctx context.Context, q *ent.UserQuery) error {
		switch v := viewer.FromContext(ctx); {
		case v.Is(viewer.Operator):
		case v.Is(viewer.Partner):
			q.Where(user.OrganizationID(v.OrganizationID))
		default:
			q.Where(nothing)
		}
		return privacy.Allow
	})
}

// operatorsRead lets operators read every row and everyone else none (the
// audit trail, escalations).
func operatorsRead() privacy.QueryRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		if !viewer.FromContext(ctx).Is(viewer.Operator) {
			f.Where(entql.FieldNil("id")) // ids are never null: no row
		}
		return privacy.Allow
	})
}

// callerRequired refuses writes made for no caller. Which caller may make
// which change is the domain services' decision; background work runs under
// an explicit Allow decision.
func callerRequired() privacy.MutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx) == nil {
			return privacy.Denyf("no caller")
		}
		return privacy.Allow
	})
}

func policy(q privacy.QueryRule) ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{q},
		Mutation: privacy.MutationPolicy{callerRequired()},
	}
}

// systemOnly is the policy of tables no token reads or writes (signing keys,
// setup links): only code acting under an explicit Allow decision does.
func systemOnly() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// accountScoped scopes a table of partner-account rows (events, webhook
// endpoints and their deliveries): integrations and partner sessions read
// their account's, operators all, setup links none.
func accountScoped() privacy.QueryRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v := viewer.FromContext(ctx)
		switch {
		case v.Is(viewer.Operator):
		case v.Is(viewer.Integration), v.Is(viewer.Partner):
			f.Where(entql.FieldEQ("partner_account_id", v.PartnerAccountID))
		default:
			f.Where(entql.FieldEQ("partner_account_id", "")) // no row has an empty account
		}
		return privacy.Allow
	})
}
