package schema

import (
	"regexp"

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

// subdomainStored is the normalized (lower-case) form every stored subdomain
// takes, so the unique index is case-insensitive.
var subdomainStored = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// disclosed marks what a caller sees of an organization only with full
// access (@disclosed: graph/disclose.go); without it, a partner whose
// access waits for the customer's consent sees name, country and email
// domain.
var disclosed = entgql.Directives(entgql.NewDirective("disclosed"))

// Organization is a Webex organization: a partner's or a customer's.
type Organization struct{ ent.Schema }

func (Organization) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Organization}, timeMixin{}}
}

func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("PARTNER", "CUSTOMER").Immutable().
			Annotations(entgql.Type("OrganizationKind")),
		field.String("name").NotEmpty().MaxRuneLen(validate.NameMax).
			Annotations(entgql.OrderField("NAME")),
		field.String("account_id").Optional().Nillable().Immutable().MaxLen(validate.IdentifierMax).
			Comment("A partner's ordering-system account id; empty for customers."),
		field.String("country").Match(countryCode),
		field.JSON("address", schematype.Address{}).Optional().
			Annotations(entgql.Type("Address"), disclosed),
		field.String("email_domain").Optional().MaxLen(validate.DomainMax).
			Comment("The administrator's email domain, for candidate matching."),
		field.String("subdomain").Optional().Nillable().Match(subdomainStored).
			Comment("The meetings site subdomain, lower-case; unique across all organizations.").
			Annotations(disclosed),
	}
}

func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("users", User.Type).Annotations(entgql.Skip()),
		edge.To("managed_customers", Organization.Type).
			Annotations(disclosed).
			From("managers").
			Annotations(disclosed).
			Comment("A partner organization's management relation to customer organizations (active only: created in the partner's own setup, or approved by the customer)."),
		edge.To("partner_orders", Order.Type).Annotations(entgql.Skip()),
		edge.To("customer_orders", Order.Type).Annotations(entgql.Skip()),
		edge.To("access_requests", PartnerAccess.Type).Annotations(entgql.Skip()),
	}
}

func (Organization) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id").Unique(),
		index.Fields("subdomain").Unique(),
		index.Fields("kind", "name"),
		index.Fields("email_domain"),
	}
}

func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput),
	}
}

func (Organization) Policy() ent.Policy { return policy(organizationQueryRule()) }
