package app_test

// Tests of the partner's path through the wizard, end to end.

import (
	"context"
	"slices"
	"strings"
	"testing"

	"onramp/ent/user"
	"onramp/internal/store"
)

// --- the partner's path, end to end ----------------------------------------------------------------

func TestWizardPartnerFlowToProvisioned(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	orderID := c.place(t, "F-1", "P1", nil)
	const contact = "ana.admin@partner.example"
	link := c.link(t, orderID, contact)

	s := c.must(t, link, "startSetup", nil)
	if s.Step != "ROLE" || s.Order.Status != "IN_SETUP" || s.Next != "chooseRole" || s.Role != nil ||
		s.Email != contact || s.ReadOnly {
		t.Fatalf("startSetup: %+v", s)
	}

	s = c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	if s.Step != "ASSIGNMENT" || wizStrings(s.Role) != "PARTNER" || s.Next != "assignSetup" {
		t.Fatalf("chooseRole: %+v", s)
	}
	// Before the partner org step, the session proposes one from the order.
	if s.PartnerOrg == nil || s.PartnerOrg.Existing || s.PartnerOrg.Name != "Partner P1" {
		t.Errorf("chooseRole: proposed partner org %+v, want a new one named after the order", s.PartnerOrg)
	}

	s = c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	if s.Step != "PARTNER_ORG" || wizStrings(s.Assignee) != "SELF" {
		t.Fatalf("assignSetup SELF: %+v", s)
	}

	s = c.must(t, link, "confirmPartnerOrg", wizInput("name", " Partner One d.o.o. ", "country", "rs", "address", wizAddress()))
	if s.Step != "CUSTOMER_ADMIN" || s.PartnerOrg == nil || s.PartnerOrg.Existing ||
		s.PartnerOrg.Name != "Partner One d.o.o." || s.PartnerOrg.Country != "RS" {
		t.Fatalf("confirmPartnerOrg: step %s, partner org %+v", s.Step, s.PartnerOrg)
	}

	s = c.must(t, link, "setCustomerAdmin", wizVars("email", " IT@Acme.Example "))
	if s.Step != "CUSTOMER_ORG" || wizStrings(s.CustomerAdminEmail) != "it@acme.example" {
		t.Fatalf("setCustomerAdmin: step %s, admin %v", s.Step, wizStrings(s.CustomerAdminEmail))
	}
	if s.CustomerOrg == nil || s.CustomerOrg.Existing || s.CustomerOrg.Name != "Acme d.o.o." || s.CustomerOrg.Country != "RS" {
		t.Errorf("setCustomerAdmin: customer org %+v, want the order's new customer", s.CustomerOrg)
	}
	if len(s.CustomerOrgCandidates) != 0 {
		t.Errorf("candidates %+v in an empty database", s.CustomerOrgCandidates)
	}

	s = c.must(t, link, "confirmCustomerOrg", wizInput())
	if s.Step != "CONFIRM" || s.Next != "confirmOrgs" {
		t.Fatalf("confirmCustomerOrg: %+v", s)
	}
	// Nothing about organizations or users is written before confirmOrgs.
	if n, _ := c.app.Store.Client.Organization.Query().Count(ctx); n != 0 {
		t.Errorf("%d organizations before confirmOrgs", n)
	}
	if n, _ := c.app.Store.Client.User.Query().Count(ctx); n != 0 {
		t.Errorf("%d users before confirmOrgs", n)
	}

	s = c.must(t, link, "confirmOrgs", nil)
	if s.Order.Status != "ORGS_CONFIRMED" || s.Step != "PASSWORD" || s.Next != "setPartnerPassword" {
		t.Fatalf("confirmOrgs: %s/%s next %s, want ORGS_CONFIRMED/PASSWORD", s.Order.Status, s.Step, s.Next)
	}
	if s.PartnerOrg == nil || !s.PartnerOrg.Existing || s.PartnerOrg.ID == nil || s.CustomerOrg == nil ||
		!s.CustomerOrg.Existing || s.CustomerOrg.ID == nil {
		t.Fatalf("confirmOrgs: partner %+v, customer %+v, want both existing", s.PartnerOrg, s.CustomerOrg)
	}
	partnerOrgID, customerOrgID := *s.PartnerOrg.ID, *s.CustomerOrg.ID
	o := c.order(t, c.op, orderID)
	if o.PartnerOrg == nil || o.PartnerOrg.ID != partnerOrgID || o.PartnerOrg.Kind != "PARTNER" ||
		o.PartnerOrg.Name != "Partner One d.o.o." {
		t.Errorf("order.partnerOrg = %+v", o.PartnerOrg)
	}
	if o.CustomerOrg == nil || o.CustomerOrg.ID != customerOrgID || o.CustomerOrg.Kind != "CUSTOMER" {
		t.Errorf("order.customerOrg = %+v", o.CustomerOrg)
	}
	if o.PartnerOrg != nil && !slices.Contains(o.PartnerOrg.ManagedCustomers, wizIDOnly{customerOrgID}) {
		t.Errorf("the partner org does not manage the customer org: %+v", o.PartnerOrg.ManagedCustomers)
	}
	if wizStrings(o.Role) != "PARTNER" || wizStrings(o.ConfirmedByEmail) != contact || o.HandedToCustomer {
		t.Errorf("order after confirmOrgs: role %v, confirmedBy %v, handed %v", wizStrings(o.Role), wizStrings(o.ConfirmedByEmail), o.HandedToCustomer)
	}

	c.refuse(t, link, orderID, "setPartnerPassword", wizVars("password", "short"), "WEAK_PASSWORD", "password")
	c.refuse(t, link, orderID, "setPartnerPassword", wizVars("password", "ANA.ADMIN-is-me-2026"), "WEAK_PASSWORD", "password")
	c.refuse(t, link, orderID, "setPartnerPassword", wizVars("password", "password1234"), "WEAK_PASSWORD", "password")
	s = c.must(t, link, "setPartnerPassword", wizVars("password", wizPassword))
	if s.Step != "SERVICES" || !slices.Equal(s.MissingSettings, []string{"CALLING", "MEETINGS"}) {
		t.Fatalf("setPartnerPassword: step %s, missing %v", s.Step, s.MissingSettings)
	}
	u, err := c.app.Store.Client.User.Query().Where(user.Email(contact)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") || strings.Contains(u.PasswordHash, wizPassword) {
		t.Errorf("stored password hash %q is not an argon2id hash", u.PasswordHash)
	}

	s = c.must(t, link, "saveCallSettings", wizCallSettingsVars())
	if s.Step != "SERVICES" || !slices.Equal(s.MissingSettings, []string{"MEETINGS"}) {
		t.Fatalf("saveCallSettings: step %s, missing %v", s.Step, s.MissingSettings)
	}
	if ok, reason := c.checkSubdomain(t, link, "Acme-Site"); !ok || reason != "" {
		t.Fatalf("checkSubdomain(Acme-Site) = %v %q, want available", ok, reason)
	}
	s = c.must(t, link, "saveEnterpriseSettings", wizVars("subdomain", "Acme-Site"))
	if s.Step != "PROVISION" || len(s.MissingSettings) != 0 || s.Next != "provision" {
		t.Fatalf("saveEnterpriseSettings: step %s, missing %v, next %s", s.Step, s.MissingSettings, s.Next)
	}
	if ok, reason := c.checkSubdomain(t, c.op, "acme-site"); ok || reason != "SUBDOMAIN_TAKEN" {
		t.Errorf("checkSubdomain after the claim = %v %q, want SUBDOMAIN_TAKEN", ok, reason)
	}
	if ok, _ := c.checkSubdomain(t, link, "acme-site"); !ok {
		t.Errorf("checkSubdomain of its own site for the link = taken, want available (it is the link's to keep)")
	}
	// Why a name is not available, and available names from the customer's
	// name ("Acme d.o.o.", RS) and the name asked.
	for _, c2 := range []struct{ name, reason string }{
		{"www", "SUBDOMAIN_RESERVED"}, {"-acme", "SUBDOMAIN_INVALID"},
	} {
		ok, reason, suggestions := c.checkSubdomainSuggesting(t, link, c2.name)
		if ok || reason != c2.reason || !slices.Equal(suggestions, []string{"acme", "acme-rs", "acme-2"}) {
			t.Errorf("checkSubdomain(%s) = %v %q %v, want %s with acme, acme-rs, acme-2", c2.name, ok, reason, suggestions, c2.reason)
		}
	}
	if ok, _, suggestions := c.checkSubdomainSuggesting(t, link, "acme"); !ok || len(suggestions) != 0 {
		t.Errorf("checkSubdomain(acme) = %v %v, want available with no suggestions", ok, suggestions)
	}

	p := c.mustProvision(t, link, nil)
	if p.Subscription.CallSettings == nil || p.Subscription.CallSettings.Country != "RS" ||
		p.Subscription.CallSettings.TimeZone != "Europe/Belgrade" || p.Subscription.CallSettings.LocationName != "Headquarters" {
		t.Errorf("subscription.callSettings = %+v", p.Subscription.CallSettings)
	}
	if wizStrings(p.Subscription.SiteSubdomain) != "acme-site" {
		t.Errorf("subscription.siteSubdomain = %q, want acme-site", wizStrings(p.Subscription.SiteSubdomain))
	}
	o = c.order(t, c.op, orderID)
	if o.Status != "PROVISIONED" || o.Step != "DONE" || o.Subscription == nil || o.Subscription.Status != "ACTIVE" ||
		wizStrings(o.Subscription.BillingStartedAt) != wizStrings(p.Subscription.BillingStartedAt) {
		t.Errorf("order after provision: %+v", o)
	}
	if o.CustomerOrg == nil || wizStrings(o.CustomerOrg.Subdomain) != "acme-site" {
		t.Errorf("customer org after provision: %+v", o.CustomerOrg)
	}
	// The link stays readable, read-only.
	if got := c.session(t, link); !got.ReadOnly || got.Step != "DONE" || got.Order.Status != "PROVISIONED" {
		t.Errorf("setup after provision: %+v", got)
	}

	t.Run("the partner administrator signs in", func(t *testing.T) {
		tok := c.mustSignIn(t, "Ana.Admin@Partner.Example", wizPassword)
		var data struct {
			Viewer struct {
				Kind             string  `json:"kind"`
				Email            *string `json:"email"`
				PartnerAccountID *string `json:"partnerAccountId"`
				Organization     *struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"organization"`
			} `json:"viewer"`
			Orders struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						ID string `json:"id"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"orders"`
		}
		c.gql(t, tok, `{ viewer { kind email partnerAccountId organization { id name } }
			orders(first: 10) { totalCount edges { node { id } } } }`, nil).ok(t).decode(t, &data)
		v := data.Viewer
		if v.Kind != "PARTNER" || wizStrings(v.Email) != contact || wizStrings(v.PartnerAccountID) != "P1" {
			t.Errorf("viewer = %+v", v)
		}
		if v.Organization == nil || v.Organization.ID != partnerOrgID || v.Organization.Name != "Partner One d.o.o." {
			t.Errorf("viewer.organization = %+v, want %s", v.Organization, partnerOrgID)
		}
		if data.Orders.TotalCount != 1 || len(data.Orders.Edges) != 1 || data.Orders.Edges[0].Node.ID != orderID {
			t.Errorf("orders = %+v, want the one order %s", data.Orders, orderID)
		}
		// The customer org it manages is in its scope.
		if got := c.node(t, tok, customerOrgID); got != customerOrgID {
			t.Errorf("partner node(customer org) = %q, want %s", got, customerOrgID)
		}
	})

	t.Run("wrong credentials", func(t *testing.T) {
		for _, tc := range []struct{ name, email, password string }{
			{"wrong password", contact, wizPassword + "x"},
			{"empty password", contact, ""},
			{"unknown email", "nobody@partner.example", wizPassword},
			{"customer administrator without a password", "it@acme.example", wizPassword},
		} {
			tok, errs := c.signIn(t, tc.email, tc.password)
			if tok != "" {
				t.Errorf("%s: got a token", tc.name)
			}
			e := wizWantCode(t, tc.name, errs, "INVALID_CREDENTIALS")
			if len(errs) != 1 || e.Message != "Wrong email or password." {
				t.Errorf("%s: userErrors %+v (all refusals should read alike)", tc.name, errs)
			}
		}
	})
}
