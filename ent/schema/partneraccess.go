package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"entgo.io/ent/entql"

	"onramp/ent/privacy"
	"onramp/internal/gid"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// PartnerAccess is a partner's request to manage an existing customer
// organization, and the customer's answer. Only an APPROVED request (or an
// organization the partner created itself) puts the organization among the
// partner's managed customers (Organization.managed_customers, written when
// the state becomes APPROVED and removed when it leaves it), so every scope
// rule keeps reading that one relation.
type PartnerAccess struct{ ent.Schema }

func (PartnerAccess) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.PartnerAccess}, timeMixin{}}
}

func (PartnerAccess) Fields() []ent.Field {
	return []ent.Field{
		field.String("partner_org_id").GoType(gid.ID("")).Immutable(),
		field.String("partner_account_id").NotEmpty().Immutable(),
		field.String("customer_org_id").GoType(gid.ID("")).Immutable(),
		field.String("order_id").GoType(gid.ID("")).Immutable().
			Comment("The order whose setup asked for the access."),
		field.String("admin_email").NotEmpty().MaxLen(validate.EmailMax).Immutable().
			Comment("The customer organization's administrator who was asked."),
		field.Enum("state").Values("PENDING", "APPROVED", "DENIED", "REVOKED").Default("PENDING"),
		field.Time("expires_at").Immutable().Comment("Until when the request can be answered."),
		field.Time("decided_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("revoked_by").Optional().MaxLen(validate.EmailMax),
		field.Time("asked_at").Optional().Nillable().
			Comment("The partner's last ask (a confirmation that needed the access); nil on requests made before it was recorded: their creation."),
		field.Time("mailed_at").Optional().Nillable().
			Comment("When the administrator was last emailed about this partner and organization, as of this request's last ask."),
	}
}

func (PartnerAccess) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer_org", Organization.Type).Ref("access_requests").
			Field("customer_org_id").Unique().Required().Immutable(),
	}
}

func (PartnerAccess) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_org_id", "partner_org_id", "state"),
		index.Fields("order_id"),
	}
}

func (PartnerAccess) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy: operators read every request; partner sessions and integrations
// their account's; a setup link its order's; a partner-access token its
// own request; nobody else any.
func (PartnerAccess) Policy() ent.Policy {
	return policy(privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		switch v := viewer.FromContext(ctx); {
		case v.Is(viewer.Operator):
		case v.Is(viewer.Partner), v.Is(viewer.Integration):
			f.Where(entql.FieldEQ("partner_account_id", v.PartnerAccountID))
		case v.Is(viewer.SetupLink):
			f.Where(entql.FieldEQ("order_id", string(v.OrderID)))
		case v.Is(viewer.PartnerAccess):
			f.Where(entql.FieldEQ("id", string(v.AccessID)))
		default:
			f.Where(entql.FieldNil("id"))
		}
		return privacy.Allow
	}))
}

// Ticket is a single-use token of a link sent by email (a password reset,
// a partner-access decision or withdrawal). Only a hash of the token's id is
// stored; the row says whether it still works.
type Ticket struct{ ent.Schema }

func (Ticket) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Ticket}, timeMixin{}}
}

func (Ticket) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("PASSWORD_RESET", "ACCESS_DECISION", "ACCESS_WITHDRAWAL").Immutable(),
		field.String("token_hash").NotEmpty().Unique().Immutable().Sensitive(),
		field.String("subject").NotEmpty().Immutable().
			Comment("Whom it is for: the user (a reset) or the partner access (a decision, a withdrawal)."),
		field.String("email").NotEmpty().MaxLen(validate.EmailMax).Immutable(),
		field.Enum("state").Values("ACTIVE", "USED", "REPLACED", "REVOKED").Default("ACTIVE"),
		field.Time("expires_at").Immutable(),
		field.Time("used_at").Optional().Nillable(),
	}
}

func (Ticket) Indexes() []ent.Index {
	return []ent.Index{index.Fields("subject", "kind", "state"), index.Fields("email", "kind", "created_at")}
}

func (Ticket) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (Ticket) Policy() ent.Policy { return systemOnly() }

// PartnerSession is one signed-in partner session. The session token names
// its row; every request reads whether it was revoked (sign-out, a password
// change or reset), so that takes effect at once on every replica.
type PartnerSession struct{ ent.Schema }

func (PartnerSession) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.PartnerSession}, timeMixin{}}
}

func (PartnerSession) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").GoType(gid.ID("")).Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("revoked_why").Optional().Comment("SIGNED_OUT, PASSWORD_CHANGED or PASSWORD_RESET."),
	}
}

func (PartnerSession) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "revoked_at")}
}

func (PartnerSession) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (PartnerSession) Policy() ent.Policy { return systemOnly() }
