package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"onramp/ent/schema/schematype"
	"onramp/internal/gid"
)

// Event is one change of an order, as partner integrations hear of it
// (the events query, webhooks). It is written in the change's own
// transaction, so no event is lost or told of a change that rolled back.
type Event struct{ ent.Schema }

func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Event}}
}

func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.String("type").NotEmpty().Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.String("order_id").GoType(gid.ID("")).Immutable(),
		field.String("partner_account_id").NotEmpty().Immutable(),
		field.String("external_id").Immutable(),
		field.JSON("order", schematype.OrderSnapshot{}).Immutable().
			Comment("The order's public fields after the change."),
	}
}

func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("partner_account_id", "id"),
		index.Fields("order_id", "id"),
	}
}

func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (Event) Policy() ent.Policy { return policy(accountScoped()) }
