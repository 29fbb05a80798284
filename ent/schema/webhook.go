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

// WebhookEndpoint is a partner's URL that receives its orders' events,
// signed with the endpoint's secret.
type WebhookEndpoint struct{ ent.Schema }

func (WebhookEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Webhook}, timeMixin{}}
}

func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("partner_account_id").NotEmpty().Immutable(),
		field.String("url").NotEmpty().MaxLen(2048).Immutable(),
		field.Strings("events").Optional().Immutable().
			Comment("The event types it receives; empty: all."),
		field.String("secret").NotEmpty().Sensitive(),
		field.String("previous_secret").Optional().Sensitive().
			Comment("The secret before the last rotation, which keeps signing until previous_secret_until."),
		field.Time("previous_secret_until").Optional().Nillable(),
		field.JSON("retired_secrets", []schematype.RetiredSecret{}).Optional().Sensitive().
			Comment("Every secret rotations retired that still signs, each until its own time; previous_secret is the one retired before this list existed."),
		field.Time("failing_since").Optional().Nillable().
			Comment("The first failed delivery since the last success."),
		field.Time("disabled_at").Optional().Nillable(),
		field.Time("deleted_at").Optional().Nillable(),
	}
}

func (WebhookEndpoint) Indexes() []ent.Index {
	return []ent.Index{index.Fields("partner_account_id", "created_at")}
}

func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (WebhookEndpoint) Policy() ent.Policy { return policy(accountScoped()) }

// WebhookDelivery is one attempt to deliver an event to an endpoint.
type WebhookDelivery struct{ ent.Schema }

func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Delivery}}
}

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.String("endpoint_id").GoType(gid.ID("")).Immutable(),
		field.String("partner_account_id").NotEmpty().Immutable(),
		field.String("event_id").GoType(gid.ID("")).Immutable(),
		field.String("event_type").Immutable(),
		field.Int("attempt").Immutable(),
		field.Bool("redelivery").Default(false).Immutable().
			Comment("Asked for by redeliverWebhook (its attempts count anew)."),
		field.Enum("status").Values("SUCCEEDED", "FAILED").Immutable(),
		field.Int("status_code").Optional().Nillable().Immutable(),
		field.String("error").Optional().MaxLen(500).Immutable(),
		field.Time("at").Default(time.Now).Immutable(),
		field.Int("duration_ms").Immutable(),
	}
}

func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("endpoint_id", "at"),
		index.Fields("endpoint_id", "event_id", "status"),
	}
}

func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (WebhookDelivery) Policy() ent.Policy { return policy(accountScoped()) }

// WebhookRedelivery is one redeliverWebhook that was queued: the limits
// per event and endpoint, and per account an hour, count these.
type WebhookRedelivery struct{ ent.Schema }

func (WebhookRedelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Redelivery}}
}

func (WebhookRedelivery) Fields() []ent.Field {
	return []ent.Field{
		field.String("partner_account_id").NotEmpty().Immutable(),
		field.String("endpoint_id").GoType(gid.ID("")).Immutable(),
		field.String("event_id").GoType(gid.ID("")).Immutable(),
		field.Time("requested_at").Immutable(),
	}
}

func (WebhookRedelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("partner_account_id", "requested_at"),
		index.Fields("endpoint_id", "event_id"),
	}
}

func (WebhookRedelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (WebhookRedelivery) Policy() ent.Policy { return systemOnly() }
