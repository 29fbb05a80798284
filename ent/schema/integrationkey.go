package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"onramp/internal/gid"
)

// IntegrationKey is an integration token a partner manages: named, listed
// with its last use, revocable one by one. The token carries the key's id;
// every request reads whether it is revoked, so a revocation takes effect
// at once on every replica.
type IntegrationKey struct{ ent.Schema }

func (IntegrationKey) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.IntegrationKey}, timeMixin{}}
}

func (IntegrationKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("partner_account_id").NotEmpty().Immutable(),
		field.String("name").NotEmpty().MaxLen(100).Immutable(),
		field.String("created_by").Immutable().Comment("Who created it (email or subject)."),
		field.Time("expires_at").Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (IntegrationKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("partner_account_id", "created_at")}
}

func (IntegrationKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (IntegrationKey) Policy() ent.Policy { return policy(accountScoped()) }

// IdempotencyKey remembers a write an integration asked for under a key, so
// that a retry with the same key answers the first result and does nothing
// again.
type IdempotencyKey struct{ ent.Schema }

func (IdempotencyKey) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Idempotency}}
}

func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("scope").NotEmpty().Immutable().Comment("Whose key: the partner account, or the operator."),
		field.String("operation").NotEmpty().Immutable(),
		field.String("key").NotEmpty().MaxRuneLen(200).Immutable(),
		field.String("order_id").GoType(gid.ID("")).Immutable(),
		field.String("digest").Optional().Nillable().Immutable().
			Comment("SHA-256 of the call's arguments; a retry with other arguments is refused. Empty on keys recorded before it existed, which replay whatever the arguments."),
		field.Time("created_at").Immutable(),
	}
}

func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scope", "operation", "key").Unique()}
}

func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (IdempotencyKey) Policy() ent.Policy { return systemOnly() }
