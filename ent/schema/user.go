package schema

import (
	"errors"
	"regexp"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"onramp/internal/gid"
	"onramp/internal/validate"
)

// User is a person in exactly one organization. The unique, normalized email
// column and the single organization column together hold "one user, one
// organization" in the database itself.
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.User}, timeMixin{}}
}

func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").NotEmpty().MaxLen(validate.EmailMax).Unique().Immutable().
			Validate(func(s string) error {
				if s != strings.ToLower(strings.TrimSpace(s)) {
					return errors.New("email must be stored normalized (trimmed, lower-case)")
				}
				return nil
			}),
		field.String("password_hash").Optional().Sensitive().
			Annotations(entgql.Skip()),
		field.String("organization_id").GoType(gid.ID("")).Immutable(),
		field.String("language").Optional().Match(regexp.MustCompile(`^(en|sr)?$`)).
			Comment("The person's language (en, sr) for mail about their account: the order's that created them, then their choice (setLanguage).").
			Annotations(entgql.Skip()),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("users").
			Field("organization_id").Unique().Required().Immutable(),
	}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput),
	}
}

func (User) Policy() ent.Policy { return policy(userQueryRule()) }
