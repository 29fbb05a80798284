package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"onramp/ent/schema/schematype"
	"onramp/internal/gid"
	"onramp/internal/validate"
)

// SetupLink is one issued "Set up now" link. Only a hash of the token's id is
// stored, so the table cannot be used to mint or replay links.
type SetupLink struct{ ent.Schema }

func (SetupLink) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.SetupLink}, timeMixin{}}
}

func (SetupLink) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_hash").NotEmpty().Unique().Immutable().Sensitive(),
		field.String("email").NotEmpty().MaxLen(validate.EmailMax).Immutable(),
		field.Enum("state").Values("ACTIVE", "REPLACED", "EXPIRED", "CANCELLED").Default("ACTIVE"),
		field.Time("expires_at").Immutable(),
		field.JSON("draft", schematype.Draft{}).Optional().
			Comment("The wizard's answers before confirmOrgs, bound to this link."),
		field.String("order_id").GoType(gid.ID("")).Immutable(),
	}
}

func (SetupLink) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("setup_links").
			Field("order_id").Unique().Required().Immutable(),
	}
}

func (SetupLink) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "state")}
}

func (SetupLink) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (SetupLink) Policy() ent.Policy { return systemOnly() }
