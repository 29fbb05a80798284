package setup_test

// Tests of hand-offs to a colleague and to the customer.

import (
	"context"
	"testing"

	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// --- hand-offs --------------------------------------------------------------------------------------

func TestWizardHandOffToColleague(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "C-1", "P1", nil)
	const contact = "contact@p1.example"
	l1 := c.Link(t, id, contact)
	c.Must(t, l1, "startSetup", nil)
	c.Must(t, l1, "chooseRole", apptest.Vars("role", "PARTNER"))

	p := c.Wiz(t, l1, "assignSetup", apptest.Input("assignee", "COLLEAGUE", "email", " Colleague@P1.example "))
	if len(p.UserErrors) > 0 || p.Setup != nil || apptest.Deref(p.HandedOffTo) != "colleague@p1.example" {
		t.Fatalf("assignSetup COLLEAGUE: %+v", p)
	}
	// The old link stops working at once, for every operation.
	c.GQL(t, l1, apptest.SetupQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
	c.Call(t, l1, "chooseRole", apptest.Vars("role", "PARTNER")).WantError(t, "UNAUTHENTICATED", "REPLACED")
	c.GQL(t, l1, `{ viewer { kind } }`, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")

	l2 := c.MailedLink(t, id, message.KindHANDOFF_COLLEAGUE, "colleague@p1.example")
	s := c.Session(t, l2)
	if s.Step != "ROLE" || s.Role != nil || s.Assignee != nil || s.Email != "colleague@p1.example" || s.Order.Status != "IN_SETUP" {
		t.Fatalf("the colleague's link: %+v, want an empty draft at ROLE", s)
	}
	if o := c.Order(t, c.Op, id); o.Step != "ROLE" || o.HandedToCustomer {
		t.Errorf("order after the hand-off: %+v", o)
	}

	// A colleague may hand off again.
	c.Must(t, l2, "startSetup", nil)
	c.Must(t, l2, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, l2, "assignSetup", apptest.Input("assignee", "SELF"))
	p = c.Wiz(t, l2, "assignSetup", apptest.Input("assignee", "COLLEAGUE", "email", "third@p1.example"))
	if apptest.Deref(p.HandedOffTo) != "third@p1.example" || p.Setup != nil {
		t.Fatalf("second hand-off: %+v", p)
	}
	c.GQL(t, l2, apptest.SetupQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
	c.GQL(t, l1, apptest.SetupQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
	l3 := c.MailedLink(t, id, message.KindHANDOFF_COLLEAGUE, "third@p1.example")

	// The last colleague finishes and becomes the partner administrator.
	c.PartnerToConfirm(t, l3, "it@acme.example")
	c.ConfirmToServices(t, l3)
	if o := c.Order(t, c.Op, id); apptest.Deref(o.ConfirmedByEmail) != "third@p1.example" || apptest.Deref(o.Role) != "PARTNER" {
		t.Errorf("order: confirmedBy %q role %q", apptest.Deref(o.ConfirmedByEmail), apptest.Deref(o.Role))
	}
	c.MustSignIn(t, "third@p1.example", apptest.Password)
	if _, errs := c.SignIn(t, contact, apptest.Password); len(errs) == 0 {
		t.Error("the contact who handed off can sign in")
	}
}

func TestWizardHandOffToCustomer(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	first := c.Provisioned(t, "HC-1", "P1", "admin@p1.example", "it@acme.example", "acme")
	partner := c.MustSignIn(t, first.PartnerAdmin, apptest.Password)

	id := c.NewOrder(t, "HC-2", "P1", func(in map[string]any) {
		in["customer"].(map[string]any)["name"] = "Globex d.o.o."
	})
	l1 := c.Link(t, id, "contact@p1.example")
	c.Must(t, l1, "startSetup", nil)
	c.Must(t, l1, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Refuse(t, l1, id, "assignSetup", apptest.Input("assignee", "CUSTOMER"), "INVALID", "input", "email")
	p := c.Wiz(t, l1, "assignSetup", apptest.Input("assignee", "CUSTOMER", "email", "IT@Globex.example"))
	if len(p.UserErrors) > 0 || p.Setup != nil || apptest.Deref(p.HandedOffTo) != "it@globex.example" {
		t.Fatalf("assignSetup CUSTOMER: %+v", p)
	}
	c.GQL(t, l1, apptest.SetupQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
	if o := c.Order(t, c.Op, id); !o.HandedToCustomer || o.Step != "ROLE" {
		t.Errorf("order after the hand-off: %+v", o)
	}
	lc := c.MailedLink(t, id, message.KindHANDOFF_CUSTOMER, "it@globex.example")

	if s := c.Session(t, lc); s.Step != "ROLE" || s.Role != nil {
		t.Fatalf("the customer's link: %+v", s)
	}
	c.Must(t, lc, "startSetup", nil)
	c.Refuse(t, lc, id, "chooseRole", apptest.Vars("role", "PARTNER"), "ROLE_NOT_ALLOWED", "role")
	s := c.Must(t, lc, "chooseRole", apptest.Vars("role", "CUSTOMER"))
	if s.Step != "ASSIGNMENT" || s.PartnerOrg != nil || apptest.Deref(s.CustomerAdminEmail) != "it@globex.example" {
		t.Fatalf("chooseRole CUSTOMER: %+v", s)
	}
	c.Refuse(t, lc, id, "assignSetup", apptest.Input("assignee", "CUSTOMER", "email", "boss@globex.example"),
		"ROLE_NOT_ALLOWED", "input", "assignee")
	s = c.Must(t, lc, "assignSetup", apptest.Input("assignee", "SELF"))
	if s.Step != "CUSTOMER_ADMIN" {
		t.Fatalf("assignSetup SELF on the customer's path: step %s", s.Step)
	}
	c.Refuse(t, lc, id, "confirmPartnerOrg", apptest.PartnerOrgVars("x"), "WRONG_STEP")
	c.Must(t, lc, "setCustomerAdmin", apptest.Vars("email", "it@globex.example"))
	c.Must(t, lc, "confirmCustomerOrg", apptest.Input("name", "Globex Holding d.o.o."))
	partnerOrgs, _ := c.App.Store.Client.Organization.Query().Where(organization.KindEQ(organization.KindPARTNER)).Count(ctx)
	s = c.Must(t, lc, "confirmOrgs", nil)
	if s.Order.Status != "ORGS_CONFIRMED" || s.Step != "SERVICES" || s.CustomerOrg == nil || s.CustomerOrg.ID == nil {
		t.Fatalf("confirmOrgs on the customer's path: %+v", s)
	}
	customerOrgID := *s.CustomerOrg.ID
	if n, _ := c.App.Store.Client.Organization.Query().Where(organization.KindEQ(organization.KindPARTNER)).Count(ctx); n != partnerOrgs {
		t.Errorf("partner orgs %d → %d on the customer's path", partnerOrgs, n)
	}

	t.Run("the partner has no management relation", func(t *testing.T) {
		o := c.Order(t, c.Op, id)
		if apptest.Deref(o.Role) != "CUSTOMER" || o.PartnerOrg != nil || o.CustomerOrg == nil ||
			o.CustomerOrg.ID != customerOrgID || o.CustomerOrg.Name != "Globex Holding d.o.o." || len(o.CustomerOrg.Managers) != 0 {
			t.Errorf("operator's view of the order: %+v", o)
		}
		if got := c.Node(t, c.Op, customerOrgID); got != customerOrgID {
			t.Errorf("operator node(customer org) = %q", got)
		}
		if got := c.Node(t, partner, customerOrgID); got != "" {
			t.Errorf("partner node(customer org that set up alone) = %q, want null", got)
		}
		if o := c.Order(t, partner, id); o == nil || o.CustomerOrg != nil {
			t.Errorf("partner's view of its order: %+v, want the order without its customer org", o)
		}
		// The customer org of the partner's other order stays visible.
		if got := c.Node(t, partner, first.CustomerOrgID); got != first.CustomerOrgID {
			t.Errorf("partner node(managed customer org) = %q", got)
		}
	})

	c.SaveSettings(t, lc, "globex")
	c.MustProvision(t, lc, nil)
	if o := c.Order(t, c.Op, id); o.Status != "PROVISIONED" || o.Step != "DONE" {
		t.Errorf("order: %s/%s", o.Status, o.Step)
	}
}
