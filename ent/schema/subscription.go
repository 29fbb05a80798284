package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"onramp/ent/schema/schematype"
	"onramp/internal/gid"
)

// Subscription is what an order activates: its purchased services and the
// moment billing started. GraphQL calls it ServiceSubscription, since
// Subscription is GraphQL's root type for live updates.
type Subscription struct{ ent.Schema }

func (Subscription) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Subscription}, timeMixin{}}
}

func (Subscription) Fields() []ent.Field {
	return []ent.Field{
		field.JSON("services", []schematype.PurchasedService{}).Immutable().
			Comment("The purchased services with their quantities.").
			Annotations(entgql.Type("[PurchasedService!]")),
		field.Enum("status").Values("PENDING", "ACTIVE").Default("PENDING").
			Annotations(entgql.Type("ServiceSubscriptionStatus")),
		field.Time("activated_at").Optional().Nillable(),
		field.Time("billing_started_at").Optional().Nillable().
			Comment("Set once, by a conditional update: billing starts once per order."),
		field.Time("billing_notified_at").Optional().Nillable().
			Comment("When the billing system accepted the billing-start notice: a retried notice job stops here.").
			Annotations(entgql.Skip()),
		field.String("order_id").GoType(gid.ID("")).Unique().Immutable(),
	}
}

func (Subscription) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("subscription").
			Field("order_id").Unique().Required().Immutable(),
		edge.To("settings", ServiceSetting.Type),
	}
}

func (Subscription) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Type("ServiceSubscription"),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput),
	}
}

func (Subscription) Policy() ent.Policy { return policy(subscriptionQueryRule()) }
