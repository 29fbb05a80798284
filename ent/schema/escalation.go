package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"onramp/internal/gid"
	"onramp/internal/validate"
)

// Escalation asks customer success to reach out: setup had not started a
// day after the requested start date. One per order at most.
type Escalation struct{ ent.Schema }

func (Escalation) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Escalation}, timeMixin{}}
}

func (Escalation) Fields() []ent.Field {
	return []ent.Field{
		field.String("reason").NotEmpty().Immutable(),
		field.Time("resolved_at").Optional().Nillable(),
		field.String("resolved_by").Optional().Default(""),
		field.String("note").Optional().Default("").MaxRuneLen(validate.NoteMax),
		field.String("order_id").GoType(gid.ID("")).Unique().Immutable(),
	}
}

func (Escalation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("escalation").Field("order_id").Unique().Required().Immutable().
			Annotations(noFilter),
	}
}

func (Escalation) Indexes() []ent.Index {
	return []ent.Index{index.Fields("resolved_at", "created_at")}
}

func (Escalation) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

func (Escalation) Policy() ent.Policy { return policy(operatorsRead()) }

func (Escalation) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{skipUnaskedCount()}
}
