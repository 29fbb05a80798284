package app_test

// Tests of hand-offs to a colleague and to the customer.

import (
	"context"
	"testing"

	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/internal/store"
)

// --- hand-offs --------------------------------------------------------------------------------------

func TestWizardHandOffToColleague(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	id := c.place(t, "C-1", "P1", nil)
	const contact = "contact@p1.example"
	l1 := c.link(t, id, contact)
	c.must(t, l1, "startSetup", nil)
	c.must(t, l1, "chooseRole", wizVars("role", "PARTNER"))

	p := c.wiz(t, l1, "assignSetup", wizInput("assignee", "COLLEAGUE", "email", " Colleague@P1.example "))
	if len(p.UserErrors) > 0 || p.Setup != nil || wizStrings(p.HandedOffTo) != "colleague@p1.example" {
		t.Fatalf("assignSetup COLLEAGUE: %+v", p)
	}
	// The old link stops working at once, for every operation.
	c.gql(t, l1, wizSetupQuery, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")
	c.call(t, l1, "chooseRole", wizVars("role", "PARTNER")).wantError(t, "UNAUTHENTICATED", "REPLACED")
	c.gql(t, l1, `{ viewer { kind } }`, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")

	l2 := c.mailedLink(t, id, message.KindHANDOFF_COLLEAGUE, "colleague@p1.example")
	s := c.session(t, l2)
	if s.Step != "ROLE" || s.Role != nil || s.Assignee != nil || s.Email != "colleague@p1.example" || s.Order.Status != "IN_SETUP" {
		t.Fatalf("the colleague's link: %+v, want an empty draft at ROLE", s)
	}
	if o := c.order(t, c.op, id); o.Step != "ROLE" || o.HandedToCustomer {
		t.Errorf("order after the hand-off: %+v", o)
	}

	// A colleague may hand off again.
	c.must(t, l2, "startSetup", nil)
	c.must(t, l2, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, l2, "assignSetup", wizInput("assignee", "SELF"))
	p = c.wiz(t, l2, "assignSetup", wizInput("assignee", "COLLEAGUE", "email", "third@p1.example"))
	if wizStrings(p.HandedOffTo) != "third@p1.example" || p.Setup != nil {
		t.Fatalf("second hand-off: %+v", p)
	}
	c.gql(t, l2, wizSetupQuery, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")
	c.gql(t, l1, wizSetupQuery, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")
	l3 := c.mailedLink(t, id, message.KindHANDOFF_COLLEAGUE, "third@p1.example")

	// The last colleague finishes and becomes the partner administrator.
	c.partnerToConfirm(t, l3, "it@acme.example")
	c.confirmToServices(t, l3)
	if o := c.order(t, c.op, id); wizStrings(o.ConfirmedByEmail) != "third@p1.example" || wizStrings(o.Role) != "PARTNER" {
		t.Errorf("order: confirmedBy %q role %q", wizStrings(o.ConfirmedByEmail), wizStrings(o.Role))
	}
	c.mustSignIn(t, "third@p1.example", wizPassword)
	if _, errs := c.signIn(t, contact, wizPassword); len(errs) == 0 {
		t.Error("the contact who handed off can sign in")
	}
}

func TestWizardHandOffToCustomer(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	first := c.provisioned(t, "HC-1", "P1", "admin@p1.example", "it@acme.example", "acme")
	partner := c.mustSignIn(t, first.partnerAdmin, wizPassword)

	id := c.place(t, "HC-2", "P1", func(in map[string]any) {
		in["customer"].(map[string]any)["name"] = "Globex d.o.o."
	})
	l1 := c.link(t, id, "contact@p1.example")
	c.must(t, l1, "startSetup", nil)
	c.must(t, l1, "chooseRole", wizVars("role", "PARTNER"))
	c.refuse(t, l1, id, "assignSetup", wizInput("assignee", "CUSTOMER"), "INVALID", "input", "email")
	p := c.wiz(t, l1, "assignSetup", wizInput("assignee", "CUSTOMER", "email", "IT@Globex.example"))
	if len(p.UserErrors) > 0 || p.Setup != nil || wizStrings(p.HandedOffTo) != "it@globex.example" {
		t.Fatalf("assignSetup CUSTOMER: %+v", p)
	}
	c.gql(t, l1, wizSetupQuery, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")
	if o := c.order(t, c.op, id); !o.HandedToCustomer || o.Step != "ROLE" {
		t.Errorf("order after the hand-off: %+v", o)
	}
	lc := c.mailedLink(t, id, message.KindHANDOFF_CUSTOMER, "it@globex.example")

	if s := c.session(t, lc); s.Step != "ROLE" || s.Role != nil {
		t.Fatalf("the customer's link: %+v", s)
	}
	c.must(t, lc, "startSetup", nil)
	c.refuse(t, lc, id, "chooseRole", wizVars("role", "PARTNER"), "ROLE_NOT_ALLOWED", "role")
	s := c.must(t, lc, "chooseRole", wizVars("role", "CUSTOMER"))
	if s.Step != "ASSIGNMENT" || s.PartnerOrg != nil || wizStrings(s.CustomerAdminEmail) != "it@globex.example" {
		t.Fatalf("chooseRole CUSTOMER: %+v", s)
	}
	c.refuse(t, lc, id, "assignSetup", wizInput("assignee", "CUSTOMER", "email", "boss@globex.example"),
		"ROLE_NOT_ALLOWED", "input", "assignee")
	s = c.must(t, lc, "assignSetup", wizInput("assignee", "SELF"))
	if s.Step != "CUSTOMER_ADMIN" {
		t.Fatalf("assignSetup SELF on the customer's path: step %s", s.Step)
	}
	c.refuse(t, lc, id, "confirmPartnerOrg", wizPartnerOrgVars("x"), "WRONG_STEP")
	c.must(t, lc, "setCustomerAdmin", wizVars("email", "it@globex.example"))
	c.must(t, lc, "confirmCustomerOrg", wizInput("name", "Globex Holding d.o.o."))
	partnerOrgs, _ := c.app.Store.Client.Organization.Query().Where(organization.KindEQ(organization.KindPARTNER)).Count(ctx)
	s = c.must(t, lc, "confirmOrgs", nil)
	if s.Order.Status != "ORGS_CONFIRMED" || s.Step != "SERVICES" || s.CustomerOrg == nil || s.CustomerOrg.ID == nil {
		t.Fatalf("confirmOrgs on the customer's path: %+v", s)
	}
	customerOrgID := *s.CustomerOrg.ID
	if n, _ := c.app.Store.Client.Organization.Query().Where(organization.KindEQ(organization.KindPARTNER)).Count(ctx); n != partnerOrgs {
		t.Errorf("partner orgs %d → %d on the customer's path", partnerOrgs, n)
	}

	t.Run("the partner has no management relation", func(t *testing.T) {
		o := c.order(t, c.op, id)
		if wizStrings(o.Role) != "CUSTOMER" || o.PartnerOrg != nil || o.CustomerOrg == nil ||
			o.CustomerOrg.ID != customerOrgID || o.CustomerOrg.Name != "Globex Holding d.o.o." || len(o.CustomerOrg.Managers) != 0 {
			t.Errorf("operator's view of the order: %+v", o)
		}
		if got := c.node(t, c.op, customerOrgID); got != customerOrgID {
			t.Errorf("operator node(customer org) = %q", got)
		}
		if got := c.node(t, partner, customerOrgID); got != "" {
			t.Errorf("partner node(customer org that set up alone) = %q, want null", got)
		}
		if o := c.order(t, partner, id); o == nil || o.CustomerOrg != nil {
			t.Errorf("partner's view of its order: %+v, want the order without its customer org", o)
		}
		// The customer org of the partner's other order stays visible.
		if got := c.node(t, partner, first.customerOrgID); got != first.customerOrgID {
			t.Errorf("partner node(managed customer org) = %q", got)
		}
	})

	c.saveSettings(t, lc, "globex")
	c.mustProvision(t, lc, nil)
	if o := c.order(t, c.op, id); o.Status != "PROVISIONED" || o.Step != "DONE" {
		t.Errorf("order: %s/%s", o.Status, o.Step)
	}
}
