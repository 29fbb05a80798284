package schema

import (
	"encoding/json"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"onramp/ent/schema/schematype"
	"onramp/internal/gid"
)

// ServiceSetting holds the validated settings of one service of a
// subscription (calling, meetings).
type ServiceSetting struct{ ent.Schema }

func (ServiceSetting) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.ServiceSetting}, timeMixin{}}
}

func (ServiceSetting) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").GoType(schematype.ServiceKind("")).Immutable().
			Annotations(entgql.Type("ServiceKind")),
		field.JSON("values", json.RawMessage{}).
			Comment("The validated settings; their shape depends on kind (internal/setup).").
			Annotations(entgql.Skip()),
		field.String("subscription_id").GoType(gid.ID("")).Immutable(),
	}
}

func (ServiceSetting) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subscription", Subscription.Type).Ref("settings").
			Field("subscription_id").Unique().Required().Immutable(),
	}
}

func (ServiceSetting) Indexes() []ent.Index {
	return []ent.Index{index.Fields("subscription_id", "kind").Unique()}
}

func (ServiceSetting) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput),
	}
}

func (ServiceSetting) Policy() ent.Policy { return policy(serviceSettingQueryRule()) }
