package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"onramp/internal/gid"
)

// ThrottleEntry is one key's count of one throttle (internal/throttle) when
// replicas share them (PostgreSQL): every replica counts every attempt.
// A single process keeps its counts in memory instead.
type ThrottleEntry struct{ ent.Schema }

func (ThrottleEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Throttle}}
}

func (ThrottleEntry) Fields() []ent.Field {
	return []ent.Field{
		field.String("limiter").NotEmpty().Immutable().Comment("The throttle: signin_email, signin_client, …"),
		field.String("key").NotEmpty().Immutable().Comment("What it counts: an email, a client address, an order."),
		field.Int("hits"),
		field.Time("last_at"),
		field.Time("until_at").Optional().Nillable().Comment("Until when the key must wait."),
	}
}

func (ThrottleEntry) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("limiter", "key").Unique(),
		index.Fields("last_at"),
	}
}

func (ThrottleEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (ThrottleEntry) Policy() ent.Policy { return systemOnly() }
