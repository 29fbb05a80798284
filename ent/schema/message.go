package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"onramp/internal/mail/kind"

	"onramp/internal/gid"
	"onramp/internal/validate"
)

// Message is the outbox: an email rendered in the transaction that causes it
// and delivered by a job, so a crash or an SMTP outage delays it but never
// loses it.
type Message struct{ ent.Schema }

func (Message) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Message}, timeMixin{}}
}

func (Message) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values(kind.Values()...).Immutable(),
		field.String("to").NotEmpty().MaxLen(validate.EmailMax).Immutable(),
		field.String("subject").NotEmpty().Immutable(),
		field.Text("text_body").Sensitive().
			Comment("May carry a setup link: readable only by Onramp itself (and the dev mail viewer)."),
		field.Text("html_body").Sensitive(),
		field.Enum("status").Values("QUEUED", "SENT", "CANCELLED").Default("QUEUED"),
		field.Time("sent_at").Optional().Nillable(),
		field.String("order_id").GoType(gid.ID("")).Optional().Immutable(),
	}
}

func (Message) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("messages").Field("order_id").Unique().Immutable(),
	}
}

func (Message) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "status"), index.Fields("created_at")}
}

func (Message) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (Message) Policy() ent.Policy { return systemOnly() }
