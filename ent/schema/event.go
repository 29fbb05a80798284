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
//
// Its sequence numbers the order's events 1, 2, 3 … in commit order (the
// change holds the order's row lock). Its position in the feed is set
// after commit by the feed's sequencer (internal/feed), one pass at a
// time, so positions grow in commit order across all orders and a reader
// paging by position never misses one that committed late.
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
		field.JSON("subscription", &schematype.SubscriptionSnapshot{}).Optional().Immutable().
			Comment("The order's subscription after the change (nil on events recorded before it was told)."),
		field.Int("sequence").Optional().Nillable().Immutable().
			Comment("1, 2, 3 … per order in commit order (nil only before the migration numbers old events)."),
		field.Int64("position").Optional().Nillable().
			Comment("The place in the commit-ordered feed; nil until the sequencer numbers it."),
	}
}

func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("position").Unique(),
		index.Fields("partner_account_id", "position"),
		index.Fields("order_id", "sequence").Unique(),
	}
}

func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (Event) Policy() ent.Policy { return policy(accountScoped()) }
