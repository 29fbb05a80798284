package setup_test

// Tests of the wizard's refusals: out of order, bad input, existing organizations; each with its code and nothing changed.

import (
	"context"
	"strings"
	"testing"

	"onramp/ent/organization"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// --- refusals ----------------------------------------------------------------------------------------

func TestWizardWrongStep(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "W-1", "P1", nil)
	link := c.Link(t, id, "ana@p1.example")

	// A fresh order: only startSetup and chooseRole fit.
	e := c.Refuse(t, link, id, "confirmOrgs", nil, "WRONG_STEP")
	if !strings.Contains(e[0].Message, "ROLE") || !strings.Contains(e[0].Message, "chooseRole") {
		t.Errorf("WRONG_STEP message %q should name the step and the mutation that come next", e[0].Message)
	}
	if o := c.Order(t, c.Op, id); o.Status != "PLACED" || o.Step != "ROLE" {
		t.Errorf("a refused call moved the order to %s/%s", o.Status, o.Step)
	}
	c.Refuse(t, link, id, "provision", nil, "WRONG_STEP")
	c.Refuse(t, link, id, "assignSetup", apptest.Input("assignee", "SELF"), "WRONG_STEP")
	c.Refuse(t, link, id, "setPartnerPassword", apptest.Vars("password", apptest.Password), "WRONG_STEP")
	c.Refuse(t, link, id, "saveCallSettings", apptest.CallSettingsVars(), "WRONG_STEP")
	c.Refuse(t, link, id, "saveEnterpriseSettings", apptest.Vars("subdomain", "acme"), "WRONG_STEP")
	c.Refuse(t, link, id, "reportUnrecognizedOrganization", apptest.Input("organization", "PARTNER"), "WRONG_STEP")

	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	// No skipping ahead.
	c.Refuse(t, link, id, "setCustomerAdmin", apptest.Vars("email", "it@acme.example"), "WRONG_STEP")
	c.Refuse(t, link, id, "confirmCustomerOrg", apptest.Input(), "WRONG_STEP")
	c.Must(t, link, "confirmPartnerOrg", apptest.PartnerOrgVars("P1 Org"))
	c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "it@acme.example"))
	s := c.Must(t, link, "confirmCustomerOrg", apptest.Input())
	if s.Step != "CONFIRM" {
		t.Fatalf("step %s, want CONFIRM", s.Step)
	}
	// The password comes after confirmOrgs.
	e = c.Refuse(t, link, id, "setPartnerPassword", apptest.Vars("password", apptest.Password), "WRONG_STEP")
	if !strings.Contains(e[0].Message, "confirmOrgs") {
		t.Errorf("WRONG_STEP message %q should name confirmOrgs", e[0].Message)
	}
	c.Refuse(t, link, id, "saveEnterpriseSettings", apptest.Vars("subdomain", "acme"), "WRONG_STEP")
	c.Refuse(t, link, id, "provision", nil, "WRONG_STEP")

	t.Run("back to an earlier step drops the answers after it", func(t *testing.T) {
		s := c.Must(t, link, "chooseRole", apptest.Vars("role", "CUSTOMER"))
		if s.Step != "ASSIGNMENT" || apptest.Deref(s.Role) != "CUSTOMER" || s.Assignee != nil || s.PartnerOrg != nil {
			t.Fatalf("back to chooseRole: %+v", s)
		}
		// The customer's administrator defaults to the link's own email.
		if apptest.Deref(s.CustomerAdminEmail) != "ana@p1.example" || s.CustomerOrg != nil {
			t.Errorf("customer path: admin %q, customer org %+v", apptest.Deref(s.CustomerAdminEmail), s.CustomerOrg)
		}
		c.Refuse(t, link, id, "confirmPartnerOrg", apptest.PartnerOrgVars("x"), "WRONG_STEP")
		s = c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
		if s.Step != "CUSTOMER_ADMIN" {
			t.Fatalf("customer path after SELF: step %s, want CUSTOMER_ADMIN (no partner org step)", s.Step)
		}
		// The table lets an earlier step be answered, but the customer's
		// path has no partner org step at all.
		c.Refuse(t, link, id, "confirmPartnerOrg", apptest.PartnerOrgVars("x"), "WRONG_STEP")

		// And back to the partner's path, answered again up to CONFIRM.
		s = c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
		if s.Step != "ASSIGNMENT" || s.CustomerAdminEmail != nil {
			t.Fatalf("back to PARTNER: %+v", s)
		}
		c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
		c.Must(t, link, "confirmPartnerOrg", apptest.PartnerOrgVars("P1 Org"))
		c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "first@acme.example"))
		c.Must(t, link, "confirmCustomerOrg", apptest.Input())
		// setCustomerAdmin again from CONFIRM goes back to CUSTOMER_ORG.
		s = c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "it@acme.example"))
		if s.Step != "CUSTOMER_ORG" || apptest.Deref(s.CustomerAdminEmail) != "it@acme.example" {
			t.Fatalf("setCustomerAdmin from CONFIRM: %+v", s)
		}
		c.Must(t, link, "confirmCustomerOrg", apptest.Input())
	})

	t.Run("startSetup starts afresh before confirmOrgs", func(t *testing.T) {
		s := c.Must(t, link, "startSetup", nil)
		if s.Step != "ROLE" || s.Role != nil || s.Assignee != nil || s.CustomerAdminEmail != nil {
			t.Fatalf("startSetup: %+v, want an empty draft at ROLE", s)
		}
		c.Refuse(t, link, id, "confirmOrgs", nil, "WRONG_STEP")
		c.PartnerToConfirm(t, link, "it@acme.example")
	})

	t.Run("no going back after confirmOrgs", func(t *testing.T) {
		s := c.Must(t, link, "confirmOrgs", nil)
		if s.Step != "PASSWORD" {
			t.Fatalf("confirmOrgs: step %s", s.Step)
		}
		c.Refuse(t, link, id, "chooseRole", apptest.Vars("role", "PARTNER"), "WRONG_STEP")
		c.Refuse(t, link, id, "assignSetup", apptest.Input("assignee", "SELF"), "WRONG_STEP")
		c.Refuse(t, link, id, "confirmPartnerOrg", apptest.PartnerOrgVars("x"), "WRONG_STEP")
		c.Refuse(t, link, id, "setCustomerAdmin", apptest.Vars("email", "other@acme.example"), "WRONG_STEP")
		c.Refuse(t, link, id, "confirmCustomerOrg", apptest.Input(), "WRONG_STEP")
		c.Refuse(t, link, id, "confirmOrgs", nil, "WRONG_STEP")
		c.Refuse(t, link, id, "reportUnrecognizedOrganization", apptest.Input("organization", "CUSTOMER"), "WRONG_STEP")
		// Before the password: no settings, no provision.
		c.Refuse(t, link, id, "saveCallSettings", apptest.CallSettingsVars(), "WRONG_STEP")
		c.Refuse(t, link, id, "provision", nil, "WRONG_STEP")
		// startSetup resumes where setup stands.
		if s := c.Must(t, link, "startSetup", nil); s.Step != "PASSWORD" || s.Order.Status != "ORGS_CONFIRMED" {
			t.Errorf("startSetup after confirmOrgs: %s/%s, want ORGS_CONFIRMED/PASSWORD", s.Order.Status, s.Step)
		}
	})
}

func TestWizardInvalidInput(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "I-1", "P1", nil)
	const me = "ana@p1.example"
	link := c.Link(t, id, me)
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))

	inputEmail := []string{"input", "email"}
	c.Refuse(t, link, id, "assignSetup", apptest.Input("assignee", "COLLEAGUE"), "INVALID", inputEmail...)
	c.Refuse(t, link, id, "assignSetup", apptest.Input("assignee", "COLLEAGUE", "email", "not-an-email"), "INVALID", inputEmail...)
	c.Refuse(t, link, id, "assignSetup", apptest.Input("assignee", "COLLEAGUE", "email", "Ana <ana@p1.example>"), "INVALID", inputEmail...)
	c.Refuse(t, link, id, "assignSetup", apptest.Input("assignee", "COLLEAGUE", "email", " ANA@p1.example "), "INVALID", inputEmail...)
	c.Refuse(t, link, id, "assignSetup", apptest.Input("assignee", "CUSTOMER", "email", "@acme.example"), "INVALID", inputEmail...)

	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	errs := c.Refuse(t, link, id, "confirmPartnerOrg", apptest.Input("name", " ", "country", "XX",
		"address", map[string]any{"line1": "", "city": "Beograd", "postalCode": strings.Repeat("1", 21)}),
		"INVALID", "input", "name")
	apptest.WantCode(t, "confirmPartnerOrg", errs, "INVALID", "input", "country")
	apptest.WantCode(t, "confirmPartnerOrg", errs, "INVALID", "input", "address", "line1")
	apptest.WantCode(t, "confirmPartnerOrg", errs, "INVALID", "input", "address", "postalCode")
	if len(errs) != 4 {
		t.Errorf("confirmPartnerOrg: %d userErrors, want all 4 problems at once: %+v", len(errs), errs)
	}
	c.Refuse(t, link, id, "confirmPartnerOrg", apptest.Input("name", "P1 Org", "country", "RS"), "INVALID", "input", "address")
	c.Refuse(t, link, id, "confirmPartnerOrg", apptest.Input("name", strings.Repeat("x", 201), "address", apptest.Address()), "INVALID", "input", "name")
	c.Refuse(t, link, id, "reportUnrecognizedOrganization",
		apptest.Input("organization", "PARTNER", "note", strings.Repeat("n", 2001)), "INVALID", "input", "note")
	c.Must(t, link, "confirmPartnerOrg", apptest.PartnerOrgVars("P1 Org"))

	for _, bad := range []string{"", "nope", "a b@acme.example", "it@acme", "it@@acme.example", strings.Repeat("a", 250) + "@acme.example"} {
		c.Refuse(t, link, id, "setCustomerAdmin", apptest.Vars("email", bad), "INVALID", "email")
	}
	c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "it@acme.example"))
	c.Refuse(t, link, id, "confirmCustomerOrg", apptest.Input("country", "ZZ"), "INVALID", "input", "country")
	c.Refuse(t, link, id, "confirmCustomerOrg", apptest.Input("name", strings.Repeat("x", 201)), "INVALID", "input", "name")
	c.Refuse(t, link, id, "confirmCustomerOrg", apptest.Input("address", map[string]any{"line1": "x", "city": "", "postalCode": "1"}),
		"INVALID", "input", "address", "city")
	c.Must(t, link, "confirmCustomerOrg", apptest.Input("name", "Acme Renamed"))
	c.ConfirmToServices(t, link)

	errs = c.Refuse(t, link, id, "saveCallSettings", map[string]any{"input": map[string]any{
		"timeZone": "Mars/Olympus_Mons", "announcementLanguage": "xx_XX", "emailLanguage": "",
		"locationName": " ", "address": map[string]any{"line1": "", "city": "", "postalCode": ""},
	}}, "INVALID", "input", "timeZone")
	for _, f := range [][]string{
		{"input", "announcementLanguage"}, {"input", "emailLanguage"}, {"input", "locationName"},
		{"input", "address", "line1"}, {"input", "address", "city"}, {"input", "address", "postalCode"},
	} {
		apptest.WantCode(t, "saveCallSettings", errs, "INVALID", f...)
	}
	for _, tz := range []string{"", "Local", "Belgrade", "../../etc/passwd", "Europe/Nowhere"} {
		v := apptest.CallSettingsVars()
		v["input"].(map[string]any)["timeZone"] = tz
		c.Refuse(t, link, id, "saveCallSettings", v, "INVALID", "input", "timeZone")
	}
	c.Refuse(t, link, id, "provision", apptest.Vars("key", strings.Repeat("k", 201)), "INVALID", "idempotencyKey")
	c.SaveSettings(t, link, "acme")
	c.MustProvision(t, link, apptest.Vars("key", strings.Repeat("k", 200)))
}

// TestWizardExistingOrganizations covers the administrator email rules: an
// email of a partner org is refused, one of a customer org makes that org the
// existing one, and a partner's second order reviews its existing org.
func TestWizardExistingOrganizations(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	first := c.Provisioned(t, "E-1", "P1", "admin@p1.example", "it@acme.example", "acme")

	t.Run("an email of a partner organization is refused", func(t *testing.T) {
		id := c.NewOrder(t, "E-2", "P2", nil)
		link := c.Link(t, id, "contact@p2.example")
		c.Must(t, link, "startSetup", nil)
		c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
		c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
		c.Must(t, link, "confirmPartnerOrg", apptest.PartnerOrgVars("P2 Org"))
		e := c.Refuse(t, link, id, "setCustomerAdmin", apptest.Vars("email", "Admin@P1.example"), "EMAIL_IN_PARTNER_ORG", "email")
		if !strings.Contains(e[0].Message, "partner organization") {
			t.Errorf("EMAIL_IN_PARTNER_ORG message %q should say why", e[0].Message)
		}

		t.Run("an email of a customer organization makes it the existing one", func(t *testing.T) {
			s := c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "IT@acme.example"))
			if s.Step != "CUSTOMER_ORG" || s.CustomerOrg == nil || !s.CustomerOrg.Existing ||
				apptest.Deref(s.CustomerOrg.ID) != first.CustomerOrgID || s.CustomerOrg.Name != "Acme d.o.o." {
				t.Fatalf("setCustomerAdmin(existing admin): step %s, customer org %+v, want existing %s",
					s.Step, s.CustomerOrg, first.CustomerOrgID)
			}
			if len(s.CustomerOrgCandidates) != 0 {
				t.Errorf("candidates %+v next to an exact match", s.CustomerOrgCandidates)
			}
			// The details of an existing org are checked, not changed.
			s = c.Must(t, link, "confirmCustomerOrg", apptest.Input("name", "Renamed", "country", "DE"))
			if s.Step != "CONFIRM" || s.CustomerOrg == nil || !s.CustomerOrg.Existing || s.CustomerOrg.Name != "Acme d.o.o." {
				t.Fatalf("confirmCustomerOrg(existing): %+v", s)
			}
			usersBefore, _ := c.App.Store.Client.User.Query().Count(ctx)
			s = c.Must(t, link, "confirmOrgs", nil)
			if s.Order.Status != "ORGS_CONFIRMED" || s.Step != "PASSWORD" {
				t.Fatalf("confirmOrgs: %s/%s", s.Order.Status, s.Step)
			}
			o := c.Order(t, c.Op, id)
			if o.CustomerOrg == nil || o.CustomerOrg.ID != first.CustomerOrgID || o.CustomerOrg.Name != "Acme d.o.o." {
				t.Errorf("order.customerOrg = %+v, want the existing %s unchanged", o.CustomerOrg, first.CustomerOrgID)
			}
			// P2's access waits for the customer's consent: only P1, which
			// created the organization, manages it.
			if o.CustomerOrg != nil && len(o.CustomerOrg.Managers) != 1 {
				t.Errorf("customer org managers = %+v, want only the partner that created it", o.CustomerOrg.Managers)
			}
			// Only the new partner's administrator was added.
			if n, _ := c.App.Store.Client.User.Query().Count(ctx); n != usersBefore+1 {
				t.Errorf("users %d → %d, want one new (the partner admin)", usersBefore, n)
			}
		})
	})

	t.Run("a second order of a partner reviews its existing org", func(t *testing.T) {
		id := c.NewOrder(t, "E-3", "P1", nil)
		link := c.Link(t, id, "someone@p1.example")
		c.Must(t, link, "startSetup", nil)
		s := c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
		if s.PartnerOrg == nil || !s.PartnerOrg.Existing || apptest.Deref(s.PartnerOrg.ID) != first.PartnerOrgID {
			t.Errorf("partner org to review = %+v, want existing %s", s.PartnerOrg, first.PartnerOrgID)
		}
		c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
		// Details are ignored: the existing org is reviewed, not changed.
		s = c.Must(t, link, "confirmPartnerOrg", apptest.Input("name", "Another Name"))
		if s.PartnerOrg == nil || !s.PartnerOrg.Existing || s.PartnerOrg.Name != "Partner Org" {
			t.Errorf("confirmPartnerOrg(existing) = %+v", s.PartnerOrg)
		}
		// A new admin email whose company name matches: a candidate, with
		// limited disclosure.
		s = c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "boss@acme-group.example"))
		if s.CustomerOrg == nil || s.CustomerOrg.Existing {
			t.Errorf("customer org = %+v, want a new one", s.CustomerOrg)
		}
		if len(s.CustomerOrgCandidates) != 1 || s.CustomerOrgCandidates[0].Name != "Acme d.o.o." ||
			s.CustomerOrgCandidates[0].EmailDomain != "acme.example" || s.CustomerOrgCandidates[0].CreatedAt == "" {
			t.Errorf("candidates = %+v, want Acme d.o.o. (acme.example)", s.CustomerOrgCandidates)
		}
		c.Must(t, link, "confirmCustomerOrg", apptest.Input())
		orgsBefore, _ := c.App.Store.Client.Organization.Query().Where(organization.AccountID("P1")).Count(ctx)
		s = c.Must(t, link, "confirmOrgs", nil)
		// No password step: the partner org was not created by this order.
		if s.Order.Status != "ORGS_CONFIRMED" || s.Step != "SERVICES" {
			t.Fatalf("confirmOrgs: %s/%s, want ORGS_CONFIRMED/SERVICES", s.Order.Status, s.Step)
		}
		if n, _ := c.App.Store.Client.Organization.Query().Where(organization.AccountID("P1")).Count(ctx); n != orgsBefore || n != 1 {
			t.Errorf("P1 has %d partner orgs, want still 1", n)
		}
		c.Refuse(t, link, id, "setPartnerPassword", apptest.Vars("password", apptest.Password), "WRONG_STEP")
		// The first admin's password still works.
		c.MustSignIn(t, first.PartnerAdmin, apptest.Password)
	})

	t.Run("the link holder cannot also be the customer administrator", func(t *testing.T) {
		id := c.NewOrder(t, "E-4", "P3", nil)
		link := c.Link(t, id, "both@p3.example")
		c.Must(t, link, "startSetup", nil)
		c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
		c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
		c.Must(t, link, "confirmPartnerOrg", apptest.PartnerOrgVars("Partner Org"))
		// Refused where it is entered, with a pointer to the field, not only
		// at Confirm.
		c.Refuse(t, link, id, "setCustomerAdmin", apptest.Vars("email", "both@p3.example"), "EMAIL_IN_PARTNER_ORG", "email")
		if s := c.Session(t, link); s.Step != "CUSTOMER_ADMIN" {
			t.Errorf("after the refusal the step is %s, want CUSTOMER_ADMIN", s.Step)
		}
		if n, _ := c.App.Store.Client.Organization.Query().Where(organization.AccountID("P3")).Count(ctx); n != 0 {
			t.Errorf("a refused confirmOrgs left %d partner orgs of P3", n)
		}
	})
}
