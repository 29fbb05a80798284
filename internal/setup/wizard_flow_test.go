package setup_test

// Tests of the partner's path through the wizard, end to end.

import (
	"context"
	"slices"
	"strings"
	"testing"

	"onramp/ent/user"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// --- the partner's path, end to end ----------------------------------------------------------------

func TestWizardPartnerFlowToProvisioned(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	orderID := c.NewOrder(t, "F-1", "P1", nil)
	const contact = "ana.admin@partner.example"
	link := c.Link(t, orderID, contact)

	s := c.Must(t, link, "startSetup", nil)
	if s.Step != "ROLE" || s.Order.Status != "IN_SETUP" || s.Next != "chooseRole" || s.Role != nil ||
		s.Email != contact || s.ReadOnly {
		t.Fatalf("startSetup: %+v", s)
	}

	s = c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	if s.Step != "ASSIGNMENT" || apptest.Deref(s.Role) != "PARTNER" || s.Next != "assignSetup" {
		t.Fatalf("chooseRole: %+v", s)
	}
	// Before the partner org step, the session proposes one from the order.
	if s.PartnerOrg == nil || s.PartnerOrg.Existing || s.PartnerOrg.Name != "Partner P1" {
		t.Errorf("chooseRole: proposed partner org %+v, want a new one named after the order", s.PartnerOrg)
	}

	s = c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	if s.Step != "PARTNER_ORG" || apptest.Deref(s.Assignee) != "SELF" {
		t.Fatalf("assignSetup SELF: %+v", s)
	}

	s = c.Must(t, link, "confirmPartnerOrg", apptest.Input("name", " Partner One d.o.o. ", "country", "rs", "address", apptest.Address()))
	if s.Step != "CUSTOMER_ADMIN" || s.PartnerOrg == nil || s.PartnerOrg.Existing ||
		s.PartnerOrg.Name != "Partner One d.o.o." || s.PartnerOrg.Country != "RS" {
		t.Fatalf("confirmPartnerOrg: step %s, partner org %+v", s.Step, s.PartnerOrg)
	}

	s = c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", " IT@Acme.Example "))
	if s.Step != "CUSTOMER_ORG" || apptest.Deref(s.CustomerAdminEmail) != "it@acme.example" {
		t.Fatalf("setCustomerAdmin: step %s, admin %v", s.Step, apptest.Deref(s.CustomerAdminEmail))
	}
	if s.CustomerOrg == nil || s.CustomerOrg.Existing || s.CustomerOrg.Name != "Acme d.o.o." || s.CustomerOrg.Country != "RS" {
		t.Errorf("setCustomerAdmin: customer org %+v, want the order's new customer", s.CustomerOrg)
	}
	if len(s.CustomerOrgCandidates) != 0 {
		t.Errorf("candidates %+v in an empty database", s.CustomerOrgCandidates)
	}

	s = c.Must(t, link, "confirmCustomerOrg", apptest.Input())
	if s.Step != "CONFIRM" || s.Next != "confirmOrgs" {
		t.Fatalf("confirmCustomerOrg: %+v", s)
	}
	// Nothing about organizations or users is written before confirmOrgs.
	if n, _ := c.App.Store.Client.Organization.Query().Count(ctx); n != 0 {
		t.Errorf("%d organizations before confirmOrgs", n)
	}
	if n, _ := c.App.Store.Client.User.Query().Count(ctx); n != 0 {
		t.Errorf("%d users before confirmOrgs", n)
	}

	s = c.Must(t, link, "confirmOrgs", nil)
	if s.Order.Status != "ORGS_CONFIRMED" || s.Step != "PASSWORD" || s.Next != "setPartnerPassword" {
		t.Fatalf("confirmOrgs: %s/%s next %s, want ORGS_CONFIRMED/PASSWORD", s.Order.Status, s.Step, s.Next)
	}
	if s.PartnerOrg == nil || !s.PartnerOrg.Existing || s.PartnerOrg.ID == nil || s.CustomerOrg == nil ||
		!s.CustomerOrg.Existing || s.CustomerOrg.ID == nil {
		t.Fatalf("confirmOrgs: partner %+v, customer %+v, want both existing", s.PartnerOrg, s.CustomerOrg)
	}
	partnerOrgID, customerOrgID := *s.PartnerOrg.ID, *s.CustomerOrg.ID
	o := c.Order(t, c.Op, orderID)
	if o.PartnerOrg == nil || o.PartnerOrg.ID != partnerOrgID || o.PartnerOrg.Kind != "PARTNER" ||
		o.PartnerOrg.Name != "Partner One d.o.o." {
		t.Errorf("order.partnerOrg = %+v", o.PartnerOrg)
	}
	if o.CustomerOrg == nil || o.CustomerOrg.ID != customerOrgID || o.CustomerOrg.Kind != "CUSTOMER" {
		t.Errorf("order.customerOrg = %+v", o.CustomerOrg)
	}
	if o.PartnerOrg != nil && !slices.Contains(o.PartnerOrg.ManagedCustomers, apptest.IDOnly{ID: customerOrgID}) {
		t.Errorf("the partner org does not manage the customer org: %+v", o.PartnerOrg.ManagedCustomers)
	}
	if apptest.Deref(o.Role) != "PARTNER" || apptest.Deref(o.ConfirmedByEmail) != contact || o.HandedToCustomer {
		t.Errorf("order after confirmOrgs: role %v, confirmedBy %v, handed %v", apptest.Deref(o.Role), apptest.Deref(o.ConfirmedByEmail), o.HandedToCustomer)
	}

	c.Refuse(t, link, orderID, "setPartnerPassword", apptest.Vars("password", "short"), "WEAK_PASSWORD", "password")
	c.Refuse(t, link, orderID, "setPartnerPassword", apptest.Vars("password", "ANA.ADMIN-is-me-2026"), "WEAK_PASSWORD", "password")
	c.Refuse(t, link, orderID, "setPartnerPassword", apptest.Vars("password", "password1234"), "WEAK_PASSWORD", "password")
	s = c.Must(t, link, "setPartnerPassword", apptest.Vars("password", apptest.Password))
	if s.Step != "SERVICES" || !slices.Equal(s.MissingSettings, []string{"CALLING", "MEETINGS"}) {
		t.Fatalf("setPartnerPassword: step %s, missing %v", s.Step, s.MissingSettings)
	}
	u, err := c.App.Store.Client.User.Query().Where(user.Email(contact)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") || strings.Contains(u.PasswordHash, apptest.Password) {
		t.Errorf("stored password hash %q is not an argon2id hash", u.PasswordHash)
	}

	s = c.Must(t, link, "saveCallSettings", apptest.CallSettingsVars())
	if s.Step != "SERVICES" || !slices.Equal(s.MissingSettings, []string{"MEETINGS"}) {
		t.Fatalf("saveCallSettings: step %s, missing %v", s.Step, s.MissingSettings)
	}
	if ok, reason := c.CheckSubdomain(t, link, "Acme-Site"); !ok || reason != "" {
		t.Fatalf("checkSubdomain(Acme-Site) = %v %q, want available", ok, reason)
	}
	s = c.Must(t, link, "saveEnterpriseSettings", apptest.Vars("subdomain", "Acme-Site"))
	if s.Step != "PROVISION" || len(s.MissingSettings) != 0 || s.Next != "provision" {
		t.Fatalf("saveEnterpriseSettings: step %s, missing %v, next %s", s.Step, s.MissingSettings, s.Next)
	}
	if ok, reason := c.CheckSubdomain(t, c.Op, "acme-site"); ok || reason != "SUBDOMAIN_TAKEN" {
		t.Errorf("checkSubdomain after the claim = %v %q, want SUBDOMAIN_TAKEN", ok, reason)
	}
	if ok, _ := c.CheckSubdomain(t, link, "acme-site"); !ok {
		t.Errorf("checkSubdomain of its own site for the link = taken, want available (it is the link's to keep)")
	}
	// Why a name is not available, and available names from the customer's
	// name ("Acme d.o.o.", RS) and the name asked.
	for _, c2 := range []struct{ name, reason string }{
		{"www", "SUBDOMAIN_RESERVED"}, {"-acme", "SUBDOMAIN_INVALID"},
	} {
		ok, reason, suggestions := c.CheckSubdomainSuggesting(t, link, c2.name)
		if ok || reason != c2.reason || !slices.Equal(suggestions, []string{"acme", "acme-rs", "acme-2"}) {
			t.Errorf("checkSubdomain(%s) = %v %q %v, want %s with acme, acme-rs, acme-2", c2.name, ok, reason, suggestions, c2.reason)
		}
	}
	if ok, _, suggestions := c.CheckSubdomainSuggesting(t, link, "acme"); !ok || len(suggestions) != 0 {
		t.Errorf("checkSubdomain(acme) = %v %v, want available with no suggestions", ok, suggestions)
	}

	p := c.MustProvision(t, link, nil)
	if p.Subscription.CallSettings == nil || p.Subscription.CallSettings.Country != "RS" ||
		p.Subscription.CallSettings.TimeZone != "Europe/Belgrade" || p.Subscription.CallSettings.LocationName != "Headquarters" {
		t.Errorf("subscription.callSettings = %+v", p.Subscription.CallSettings)
	}
	if apptest.Deref(p.Subscription.SiteSubdomain) != "acme-site" {
		t.Errorf("subscription.siteSubdomain = %q, want acme-site", apptest.Deref(p.Subscription.SiteSubdomain))
	}
	o = c.Order(t, c.Op, orderID)
	if o.Status != "PROVISIONED" || o.Step != "DONE" || o.Subscription == nil || o.Subscription.Status != "ACTIVE" ||
		apptest.Deref(o.Subscription.BillingStartedAt) != apptest.Deref(p.Subscription.BillingStartedAt) {
		t.Errorf("order after provision: %+v", o)
	}
	if o.CustomerOrg == nil || apptest.Deref(o.CustomerOrg.Subdomain) != "acme-site" {
		t.Errorf("customer org after provision: %+v", o.CustomerOrg)
	}
	// The link stays readable, read-only.
	if got := c.Session(t, link); !got.ReadOnly || got.Step != "DONE" || got.Order.Status != "PROVISIONED" {
		t.Errorf("setup after provision: %+v", got)
	}

	t.Run("the partner administrator signs in", func(t *testing.T) {
		tok := c.MustSignIn(t, "Ana.Admin@Partner.Example", apptest.Password)
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
		c.GQL(t, tok, `{ viewer { kind email partnerAccountId organization { id name } }
			orders(first: 10) { totalCount edges { node { id } } } }`, nil).OK(t).Decode(t, &data)
		v := data.Viewer
		if v.Kind != "PARTNER" || apptest.Deref(v.Email) != contact || apptest.Deref(v.PartnerAccountID) != "P1" {
			t.Errorf("viewer = %+v", v)
		}
		if v.Organization == nil || v.Organization.ID != partnerOrgID || v.Organization.Name != "Partner One d.o.o." {
			t.Errorf("viewer.organization = %+v, want %s", v.Organization, partnerOrgID)
		}
		if data.Orders.TotalCount != 1 || len(data.Orders.Edges) != 1 || data.Orders.Edges[0].Node.ID != orderID {
			t.Errorf("orders = %+v, want the one order %s", data.Orders, orderID)
		}
		// The customer org it manages is in its scope.
		if got := c.Node(t, tok, customerOrgID); got != customerOrgID {
			t.Errorf("partner node(customer org) = %q, want %s", got, customerOrgID)
		}
	})

	t.Run("wrong credentials", func(t *testing.T) {
		for _, tc := range []struct{ name, email, password string }{
			{"wrong password", contact, apptest.Password + "x"},
			{"empty password", contact, ""},
			{"unknown email", "nobody@partner.example", apptest.Password},
			{"customer administrator without a password", "it@acme.example", apptest.Password},
		} {
			tok, errs := c.SignIn(t, tc.email, tc.password)
			if tok != "" {
				t.Errorf("%s: got a token", tc.name)
			}
			e := apptest.WantCode(t, tc.name, errs, "INVALID_CREDENTIALS")
			if len(errs) != 1 || e.Message != "Wrong email or password." {
				t.Errorf("%s: userErrors %+v (all refusals should read alike)", tc.name, errs)
			}
		}
	})
}
