package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"onramp/internal/gid"
)

// SigningKey is a token signing key, kept in the database so every replica
// signs and verifies with the same keys. A retired key only verifies.
type SigningKey struct{ ent.Schema }

func (SigningKey) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.SigningKey}, timeMixin{}}
}

func (SigningKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("kid").NotEmpty().Unique().Immutable(),
		field.String("algorithm").NotEmpty().Immutable(),
		field.Bytes("private_key").Sensitive().Immutable(),
		field.Bytes("public_key").Immutable(),
		field.Time("retired_at").Optional().Nillable(),
	}
}

func (SigningKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (SigningKey) Policy() ent.Policy { return systemOnly() }
