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
	"onramp/internal/date"
	"onramp/internal/gid"
	"onramp/internal/validate"
)

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// Order is a partner's order of A-WX or A-SPK for one customer.
type Order struct{ ent.Schema }

func (Order) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: gid.Order}, timeMixin{}}
}

func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.String("external_id").NotEmpty().MaxLen(validate.IdentifierMax).Immutable().
			Comment("The ordering system's id; unique within the partner account.").
			Annotations(entgql.OrderField("EXTERNAL_ID")),
		field.Enum("product").Values("A_WX", "A_SPK").Immutable().
			Annotations(entgql.Type("Product")),
		field.String("requested_start_date").GoType(date.Date("")).Immutable().
			Annotations(entgql.Type("Date"), entgql.OrderField("REQUESTED_START_DATE")),
		field.String("provisioning_contact_email").NotEmpty().MaxLen(validate.EmailMax),
		field.Enum("language").Values("en", "sr").Default("en").
			Annotations(entgql.Type("Language")),
		field.String("partner_name").NotEmpty().MaxRuneLen(validate.NameMax).Immutable(),
		field.String("partner_account_id").NotEmpty().MaxLen(validate.IdentifierMax).Immutable(),
		field.String("customer_name").NotEmpty().MaxRuneLen(validate.NameMax).Immutable(),
		field.String("customer_country").Match(countryCode).Immutable(),
		field.JSON("customer_address", schematype.Address{}).Immutable().
			Annotations(entgql.Type("Address")),
		field.Enum("status").
			Values("PLACED", "LINK_SENT", "IN_SETUP", "ON_HOLD", "ORGS_CONFIRMED", "PROVISIONED", "CANCELLED").
			Default("PLACED").
			Annotations(entgql.OrderField("STATUS")),
		field.Enum("step").
			Values("ROLE", "ASSIGNMENT", "PARTNER_ORG", "CUSTOMER_ADMIN", "CUSTOMER_ORG", "CONFIRM",
				"PASSWORD", "SERVICES", "PROVISION", "DONE").
			Default("ROLE").
			Annotations(entgql.Type("SetupStep")),
		field.String("input_digest").Immutable().Sensitive().
			Comment("SHA-256 of the normalized placeOrder input, to tell a replay from a conflicting reuse of the external id.").
			Annotations(entgql.Skip()),
		field.Enum("role").Values("PARTNER", "CUSTOMER").Optional().Nillable().
			Comment("Who set up: known once the organizations are confirmed.").
			Annotations(entgql.Type("SetupRole")),
		field.Bool("handed_to_customer").Default(false).
			Comment("Setup was handed to the customer: the partner gets no management relation."),
		field.Bool("created_partner_org").Default(false).
			Comment("This order created its partner organization (whose administrator sets a password).").
			Annotations(entgql.Skip()),
		field.Bool("created_customer_org").Default(false).
			Comment("This order created its customer organization: whoever set it up sees all of it.").
			Annotations(entgql.Skip()),
		field.String("hold_reason").Optional().Nillable().MaxRuneLen(validate.HoldReasonMax),
		field.String("confirmed_by_email").Optional().Default("").MaxLen(validate.EmailMax).
			Comment("Who confirmed the organizations; later resends of the setup link go to them."),
		field.String("customer_admin_email").Optional().Nillable().MaxLen(254).
			Comment("The customer organization's administrator, known once the organizations are confirmed.").
			Annotations(entgql.Skip()),
		field.Time("cancelled_at").Optional().Nillable(),
		field.String("partner_org_id").GoType(gid.ID("")).Optional().
			Annotations(entgql.Skip()),
		field.String("customer_org_id").GoType(gid.ID("")).Optional().
			Annotations(entgql.Skip()),
	}
}

func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("partner_org", Organization.Type).Ref("partner_orders").
			Field("partner_org_id").Unique().Annotations(noFilter),
		edge.From("customer_org", Organization.Type).Ref("customer_orders").
			Field("customer_org_id").Unique().Annotations(noFilter),
		edge.To("subscription", Subscription.Type).Unique().Annotations(noFilter),
		edge.To("setup_links", SetupLink.Type).Annotations(entgql.Skip()),
		edge.To("audit_events", AuditEvent.Type).
			Comment("The audit trail; only operators read it.").
			Annotations(entgql.RelayConnection(), noFilter),
		edge.To("messages", Message.Type).Annotations(entgql.Skip()),
		edge.To("escalation", Escalation.Type).Unique().Annotations(noFilter),
	}
}

func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("partner_account_id", "external_id").Unique(),
		index.Fields("partner_account_id", "created_at"),
		index.Fields("status", "created_at"),
		index.Fields("product", "created_at"),
		index.Fields("requested_start_date"),
		index.Fields("created_at"),
	}
}

func (Order) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

func (Order) Policy() ent.Policy { return policy(orderQueryRule()) }

func (Order) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{skipUnaskedCount()}
}
