package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"onramp/internal/gid"
)

// AuditEvent records one step: who (token kind, subject, token id), when and
// what changed. Rows are only ever inserted.
type AuditEvent struct{ ent.Schema }

func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.AuditEvent}}
}

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("AT")),
		field.String("action").NotEmpty().Immutable(),
		field.String("actor_kind").Immutable(),
		field.String("actor").Immutable().Comment("Email or subject of the caller."),
		field.String("token_id").Optional().Immutable().
			Comment("The caller token's id (jti)."),
		field.JSON("changes", map[string]any{}).Optional().Immutable().
			Annotations(entgql.Type("Map")),
		field.String("order_id").GoType(gid.ID("")).Optional().Immutable(),
	}
}

func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("audit_events").
			Field("order_id").Unique().Immutable(),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "at")}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput),
	}
}

func (AuditEvent) Policy() ent.Policy { return policy(operatorsRead()) }

func (AuditEvent) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{skipUnaskedCount()}
}
