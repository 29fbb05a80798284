package lifecycle_test

// Tests of the order's life (issue 12) over real HTTP: each of the twelve
// problems found by trying the product end to end, the cancellations by
// partners and integrations, and the test clock. Every package-level name
// here starts with "life" (or TestLife) so that it cannot collide with the
// other test files of the package.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/riverqueue/river/rivertype"

	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/gid"
	"onramp/internal/mail/smtptest"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
	"onramp/internal/testkit/apptest"
)

// --- operator and partner actions ----------------------------------------------------------------

func lifeResend(t *testing.T, c *apptest.Server, token, orderID string, email any) apptest.ResendResult {
	t.Helper()
	var res apptest.ResendResult
	c.GQL(t, token, apptest.ResendMutation, map[string]any{"id": orderID, "email": email}).OK(t).Decode(t, &res)
	return res
}

func lifeCancel(t *testing.T, c *apptest.Server, token, orderID string) apptest.CancelResult {
	t.Helper()
	var res apptest.CancelResult
	c.GQL(t, token, apptest.CancelMutation, map[string]any{"id": orderID, "reason": "Customer withdrew."}).OK(t).Decode(t, &res)
	return res
}

// lifeMessagesTo counts the order's messages of kind to an address.
func lifeMessagesTo(t *testing.T, c *apptest.Server, orderID string, kind message.Kind, to string) int {
	t.Helper()
	n, err := c.App.Store.Client.Message.Query().
		Where(message.OrderID(gid.ID(orderID)), message.KindEQ(kind), message.To(to)).
		Count(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// --- escalations ------------------------------------------------------------------------------------

const lifeOrderEscalationQuery = `query($id: ID!) { order(id: $id) { id status escalation { id resolvedAt resolvedBy } } }`

type lifeEscalation struct {
	ID         string  `json:"id"`
	ResolvedAt *string `json:"resolvedAt"`
	ResolvedBy *string `json:"resolvedBy"`
}

// lifeEscalationOf reads the order's escalation as an operator (nil: none).
func lifeEscalationOf(t *testing.T, c *apptest.Server, orderID string) *lifeEscalation {
	t.Helper()
	var data struct {
		Order *struct {
			Escalation *lifeEscalation `json:"escalation"`
		} `json:"order"`
	}
	c.GQL(t, c.Op, lifeOrderEscalationQuery, map[string]any{"id": orderID}).OK(t).Decode(t, &data)
	if data.Order == nil {
		t.Fatalf("order %s not found", orderID)
	}
	return data.Order.Escalation
}

// lifeOpenEscalation opens an escalation on an order, as the escalation
// job does a day after the start date (the job itself runs in
// TestLifeTestClockRunsTheDueJobs).
func lifeOpenEscalation(t *testing.T, c *apptest.Server, orderID string) {
	t.Helper()
	if _, err := c.App.Store.Client.Escalation.Create().SetOrderID(gid.ID(orderID)).
		SetReason("Setup had not started one day after the requested start date.").
		Save(store.System(context.Background())); err != nil {
		t.Fatal(err)
	}
	if e := lifeEscalationOf(t, c, orderID); e == nil || e.ResolvedAt != nil {
		t.Fatalf("escalation of %s = %+v, want an open one", orderID, e)
	}
}

// lifeWantClosed asserts the order's escalation was closed by Onramp for
// the reason given.
func lifeWantClosed(t *testing.T, c *apptest.Server, orderID, why string) {
	t.Helper()
	e := lifeEscalationOf(t, c, orderID)
	if e == nil {
		t.Fatalf("order %s has no escalation", orderID)
	}
	if e.ResolvedAt == nil || apptest.Deref(e.ResolvedBy) != "onramp: "+why {
		t.Errorf("escalation of %s: resolvedAt %v, resolvedBy %q, want closed by %q",
			orderID, apptest.Deref(e.ResolvedAt), apptest.Deref(e.ResolvedBy), "onramp: "+why)
	}
}

// --- steps --------------------------------------------------------------------------------------------

var (
	lifePartnerNewSteps = []string{"ROLE", "ASSIGNMENT", "PARTNER_ORG", "CUSTOMER_ADMIN", "CUSTOMER_ORG", "CONFIRM",
		"PASSWORD", "SERVICES", "PROVISION", "DONE"}
	lifePartnerExistingSteps = []string{"ROLE", "ASSIGNMENT", "PARTNER_ORG", "CUSTOMER_ADMIN", "CUSTOMER_ORG", "CONFIRM",
		"SERVICES", "PROVISION", "DONE"}
	lifeCustomerSteps = []string{"ROLE", "ASSIGNMENT", "CUSTOMER_ADMIN", "CUSTOMER_ORG", "CONFIRM",
		"SERVICES", "PROVISION", "DONE"}
)

// lifeWantSteps asserts a session lists want as its steps, its step among
// them.
func lifeWantSteps(t *testing.T, what string, s apptest.SetupSession, want []string) {
	t.Helper()
	if !slices.Equal(s.Steps, want) {
		t.Errorf("%s: steps %v, want %v", what, s.Steps, want)
	}
	if !slices.Contains(s.Steps, s.Step) {
		t.Errorf("%s: step %s is not among the steps %v", what, s.Step, s.Steps)
	}
}

// --- 1. an existing customer with a meetings site -----------------------------------------------

func TestLifeExistingCustomerSiteIsTheOrdersSite(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	first := c.Provisioned(t, "ES-1", "P1", "admin@p1.example", "it@acme.example", "acme")

	// secondOrder takes a second order of the same customer (its
	// administrator's email maps it to the existing organization) to the
	// service settings.
	secondOrder := func(t *testing.T, ext string, services []any) (string, string, *apptest.SetupSession) {
		t.Helper()
		id := c.NewOrder(t, ext, "P1", func(in map[string]any) { in["services"] = services })
		link := c.Link(t, id, "admin@p1.example")
		s := c.PartnerToConfirm(t, link, "it@acme.example")
		if s.CustomerOrg == nil || !s.CustomerOrg.Existing || apptest.Deref(s.CustomerOrg.ID) != first.CustomerOrgID {
			t.Fatalf("customer org %+v, want the existing %s", s.CustomerOrg, first.CustomerOrgID)
		}
		got := c.Must(t, link, "confirmOrgs", nil)
		if got.Order.Status != "ORGS_CONFIRMED" || got.Step != "SERVICES" {
			t.Fatalf("confirmOrgs: %s/%s, want ORGS_CONFIRMED/SERVICES", got.Order.Status, got.Step)
		}
		return id, link, got
	}

	t.Run("meetings and calling: only calling is asked for", func(t *testing.T) {
		id, link, s := secondOrder(t, "ES-2", []any{
			map[string]any{"kind": "MEETINGS", "quantity": 10},
			map[string]any{"kind": "CALLING", "quantity": 5},
		})
		if !slices.Equal(s.MissingSettings, []string{"CALLING"}) {
			t.Errorf("missingSettings = %v, want [CALLING] (the site exists)", s.MissingSettings)
		}
		if apptest.Deref(s.ExistingSite) != "acme" {
			t.Errorf("existingSite = %q, want acme", apptest.Deref(s.ExistingSite))
		}
		if s.CustomerOrg == nil || apptest.Deref(s.CustomerOrg.Subdomain) != "acme" {
			t.Errorf("customerOrg = %+v, want its subdomain acme", s.CustomerOrg)
		}
		if s.Next != "saveCallSettings" {
			t.Errorf("next = %s, want saveCallSettings", s.Next)
		}
		if got := c.Session(t, link); apptest.Deref(got.ExistingSite) != "acme" || !slices.Equal(got.MissingSettings, []string{"CALLING"}) {
			t.Errorf("setup query: existingSite %q, missing %v", apptest.Deref(got.ExistingSite), got.MissingSettings)
		}

		// Another name: the organization has its site, and the message
		// names it.
		e := apptest.WantCode(t, "refused", c.Refuse(t, link, id, "saveEnterpriseSettings", apptest.Vars("subdomain", "acme-two"), "SITE_EXISTS", "subdomain"), "SITE_EXISTS", "subdomain")
		if !strings.Contains(e.Message, "acme") {
			t.Errorf("SITE_EXISTS message %q should name the site acme", e.Message)
		}

		s = c.Must(t, link, "saveCallSettings", apptest.CallSettingsVars())
		if s.Step != "PROVISION" || len(s.MissingSettings) != 0 || s.Next != "provision" {
			t.Fatalf("saveCallSettings: step %s, missing %v, next %s; want PROVISION with nothing missing", s.Step, s.MissingSettings, s.Next)
		}
		p := c.MustProvision(t, link, nil)
		if apptest.Deref(p.Subscription.SiteSubdomain) != "acme" {
			t.Errorf("subscription.siteSubdomain = %q, want the existing site acme", apptest.Deref(p.Subscription.SiteSubdomain))
		}
		if o := c.Order(t, c.Op, id); o.CustomerOrg == nil || apptest.Deref(o.CustomerOrg.Subdomain) != "acme" {
			t.Errorf("customer org after provision: %+v", o.CustomerOrg)
		}
	})

	t.Run("meetings only: provision without saveEnterpriseSettings", func(t *testing.T) {
		_, link, s := secondOrder(t, "ES-3", []any{map[string]any{"kind": "MEETINGS", "quantity": 3}})
		if len(s.MissingSettings) != 0 || apptest.Deref(s.ExistingSite) != "acme" || s.Next != "provision" {
			t.Errorf("after confirmOrgs: missing %v, existingSite %q, next %s; want nothing missing, acme, provision",
				s.MissingSettings, apptest.Deref(s.ExistingSite), s.Next)
		}
		p := c.MustProvision(t, link, nil)
		if apptest.Deref(p.Subscription.SiteSubdomain) != "acme" {
			t.Errorf("subscription.siteSubdomain = %q, want acme", apptest.Deref(p.Subscription.SiteSubdomain))
		}
	})

	ctx := store.System(context.Background())
	if n, _ := c.App.Store.Client.Organization.Query().Where(organization.SubdomainNotNil()).Count(ctx); n != 1 {
		t.Errorf("%d organizations with a subdomain, want 1 (acme)", n)
	}
}

// --- 2. a saved subdomain can be changed before provisioning -------------------------------------

func TestLifeSavedSubdomainCanBeChanged(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	id1 := c.NewOrder(t, "SC-1", "P1", nil)
	l1 := c.Link(t, id1, "ana@p1.example")
	c.PartnerToConfirm(t, l1, "it@one.example")
	c.ConfirmToServices(t, l1)
	c.SaveSettings(t, l1, "first-name")

	s := c.Must(t, l1, "saveEnterpriseSettings", apptest.Vars("subdomain", "Second-Name"))
	if s.Step != "PROVISION" || s.CustomerOrg == nil || apptest.Deref(s.CustomerOrg.Subdomain) != "second-name" {
		t.Fatalf("saveEnterpriseSettings again: step %s, customer org %+v, want PROVISION with second-name", s.Step, s.CustomerOrg)
	}
	if ok, reason := c.CheckSubdomain(t, l1, "first-name"); !ok || reason != "" {
		t.Errorf("checkSubdomain(first-name) after the change = %v %q, want available", ok, reason)
	}
	if ok, reason := c.CheckSubdomain(t, c.Op, "second-name"); ok || reason != "SUBDOMAIN_TAKEN" {
		t.Errorf("checkSubdomain(second-name) for an operator = %v %q, want SUBDOMAIN_TAKEN", ok, reason)
	}
	// The name its own customer organization holds is the link's to keep.
	if ok, reason := c.CheckSubdomain(t, l1, "second-name"); !ok || reason != "" {
		t.Errorf("checkSubdomain(second-name) for its own link = %v %q, want available", ok, reason)
	}
	if n, _ := c.App.Store.Client.Organization.Query().Where(organization.SubdomainNotNil()).Count(ctx); n != 1 {
		t.Errorf("%d organizations with a subdomain, want 1", n)
	}

	t.Run("another order can claim the released name", func(t *testing.T) {
		id2 := c.NewOrder(t, "SC-2", "P2", nil)
		l2 := c.Link(t, id2, "bob@p2.example")
		c.PartnerToConfirm(t, l2, "it@two.example")
		c.ConfirmToServices(t, l2)
		c.Refuse(t, l2, id2, "saveEnterpriseSettings", apptest.Vars("subdomain", "second-name"), "SUBDOMAIN_TAKEN", "subdomain")
		c.Must(t, l2, "saveEnterpriseSettings", apptest.Vars("subdomain", "first-name"))
		// Now the first order cannot take its first name back.
		c.Refuse(t, l1, id1, "saveEnterpriseSettings", apptest.Vars("subdomain", "first-name"), "SUBDOMAIN_TAKEN", "subdomain")
	})

	p := c.MustProvision(t, l1, nil)
	if apptest.Deref(p.Subscription.SiteSubdomain) != "second-name" {
		t.Errorf("subscription.siteSubdomain = %q, want second-name", apptest.Deref(p.Subscription.SiteSubdomain))
	}
	if o := c.Order(t, c.Op, id1); o.CustomerOrg == nil || apptest.Deref(o.CustomerOrg.Subdomain) != "second-name" {
		t.Errorf("customer org after provision: %+v", o.CustomerOrg)
	}
}

// --- 3. cancelled means cancelled -------------------------------------------------------------------

func TestLifeCancelledOrderAcceptsNothing(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	done := c.Provisioned(t, "CX-0", "P1", "admin@p1.example", "it@acme.example", "acme")
	partner := c.MustSignIn(t, done.PartnerAdmin, apptest.Password)

	// An order ready to provision, cancelled by its partner's integration.
	id := c.NewOrder(t, "CX-1", "P1", func(in map[string]any) {
		in["customer"].(map[string]any)["name"] = "Globex d.o.o."
	})
	link := c.Link(t, id, "admin@p1.example")
	c.PartnerToConfirm(t, link, "it@globex.example")
	c.ConfirmToServices(t, link)
	c.SaveSettings(t, link, "globex")

	before := c.World(t, id, "")
	c.GQL(t, c.Integration(t, "P2"), apptest.CancelMutation, map[string]any{"id": id}).WantError(t, "NOT_FOUND", "")
	c.GQL(t, link, apptest.CancelMutation, map[string]any{"id": id}).WantError(t, "FORBIDDEN", "")
	if after := c.World(t, id, ""); after != before {
		t.Errorf("refused cancels changed something:\nbefore: %s\nafter:  %s", before, after)
	}
	res := lifeCancel(t, c, c.Integration(t, "P1"), id)
	if ue := res.CancelOrder.UserErrors; len(ue) != 0 || res.CancelOrder.Order == nil || res.CancelOrder.Order.Status != "CANCELLED" {
		t.Fatalf("the partner's integration cancels its order: %+v", res.CancelOrder)
	}

	t.Run("no wizard call works", func(t *testing.T) {
		before := c.World(t, id, "")
		c.GQL(t, link, apptest.SetupQuery, nil).WantError(t, "UNAUTHENTICATED", "CANCELLED")
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"startSetup", nil},
			{"chooseRole", apptest.Vars("role", "PARTNER")},
			{"saveCallSettings", apptest.CallSettingsVars()},
			{"saveEnterpriseSettings", apptest.Vars("subdomain", "globex-two")},
			{"provision", nil},
		} {
			c.Call(t, link, tc.op, tc.vars).WantError(t, "UNAUTHENTICATED", "CANCELLED")
		}
		if after := c.World(t, id, ""); after != before {
			t.Errorf("calls on a cancelled order changed something:\nbefore: %s\nafter:  %s", before, after)
		}
		o := c.Order(t, c.Op, id)
		if o.Status != "CANCELLED" || o.Subscription == nil || o.Subscription.BillingStartedAt != nil {
			t.Errorf("cancelled order: %+v, subscription %+v; want CANCELLED without billing", o, o.Subscription)
		}
	})

	t.Run("resend answers ORDER_CANCELLED and sends nothing", func(t *testing.T) {
		before := c.World(t, id, "")
		for _, tc := range []struct {
			name  string
			email any
		}{{"to the holder", nil}, {"to a new contact", "new@p1.example"}} {
			res := lifeResend(t, c, c.Op, id, tc.email)
			if ue := res.ResendSetupLink.UserErrors; len(ue) != 1 || ue[0].Code != "ORDER_CANCELLED" {
				t.Errorf("resend %s: userErrors %+v, want ORDER_CANCELLED", tc.name, ue)
			}
		}
		if after := c.World(t, id, ""); after != before {
			t.Errorf("refused resends changed something:\nbefore: %s\nafter:  %s", before, after)
		}
	})

	t.Run("a partner session cancels its partner's order", func(t *testing.T) {
		id := c.NewOrder(t, "CX-2", "P1", nil)
		res := lifeCancel(t, c, partner, id)
		if ue := res.CancelOrder.UserErrors; len(ue) != 0 || res.CancelOrder.Order == nil || res.CancelOrder.Order.Status != "CANCELLED" {
			t.Fatalf("partner session cancel: %+v", res.CancelOrder)
		}
		if o := c.Order(t, c.Op, id); o.Status != "CANCELLED" {
			t.Errorf("status %s, want CANCELLED", o.Status)
		}
	})

	t.Run("a provisioned order cannot be cancelled", func(t *testing.T) {
		before := c.World(t, done.OrderID, "")
		res := lifeCancel(t, c, c.Op, done.OrderID)
		if ue := res.CancelOrder.UserErrors; len(ue) != 1 || ue[0].Code != "ALREADY_PROVISIONED" || res.CancelOrder.Order != nil {
			t.Errorf("cancel after provisioning: %+v, want the userError ALREADY_PROVISIONED", res.CancelOrder)
		}
		if after := c.World(t, done.OrderID, ""); after != before {
			t.Errorf("a refused cancel changed something:\nbefore: %s\nafter:  %s", before, after)
		}
	})
}

// --- 4. resend on hold -------------------------------------------------------------------------------

func TestLifeResendOnHoldIsRefused(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "RH-1", "P1", nil)
	link := c.Link(t, id, "ana@p1.example")
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	s := c.Must(t, link, "reportUnrecognizedOrganization", apptest.Input("organization", "PARTNER"))
	if s.Order.Status != "ON_HOLD" || s.Step != "PARTNER_ORG" {
		t.Fatalf("report: %s/%s, want ON_HOLD at PARTNER_ORG", s.Order.Status, s.Step)
	}

	for _, tc := range []struct {
		name, token string
		email       any
	}{
		{"operator, to the holder", c.Op, nil},
		{"operator, to a new contact", c.Op, "new@p1.example"},
		{"the partner's integration", c.Integration(t, "P1"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.World(t, id, link)
			res := lifeResend(t, c, tc.token, id, tc.email)
			if ue := res.ResendSetupLink.UserErrors; len(ue) != 1 || ue[0].Code != "ON_HOLD" || res.ResendSetupLink.Order != nil {
				t.Errorf("resend on hold: %+v, want the userError ON_HOLD", res.ResendSetupLink)
			}
			if after := c.World(t, id, link); after != before {
				t.Errorf("a refused resend changed something:\nbefore: %s\nafter:  %s", before, after)
			}
		})
	}
	o := c.Order(t, c.Op, id)
	if o.Status != "ON_HOLD" || o.Step != "PARTNER_ORG" {
		t.Errorf("order after the refused resends: %s/%s, want ON_HOLD/PARTNER_ORG", o.Status, o.Step)
	}
	if n := lifeMessagesTo(t, c, id, message.KindSETUP_LINK, "new@p1.example") + lifeMessagesTo(t, c, id, message.KindSETUP_LINK, "provisioning@partner.example"); n != 0 {
		t.Errorf("%d setup emails queued while on hold", n)
	}
}

// --- 5. resend goes to the current holder ----------------------------------------------------------

func TestLifeResendGoesToTheCurrentHolder(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})

	t.Run("after a hand-off to a colleague", func(t *testing.T) {
		id := c.NewOrder(t, "RC-1", "P1", nil)
		l1 := c.Link(t, id, "provisioning@partner.example")
		c.Must(t, l1, "startSetup", nil)
		c.Must(t, l1, "chooseRole", apptest.Vars("role", "PARTNER"))
		c.Wiz(t, l1, "assignSetup", apptest.Input("assignee", "COLLEAGUE", "email", "colleague@p1.example"))
		l2 := c.MailedLink(t, id, message.KindHANDOFF_COLLEAGUE, "colleague@p1.example")
		c.Must(t, l2, "startSetup", nil)

		res := lifeResend(t, c, c.Op, id, nil)
		if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
			t.Fatalf("resend: userErrors %+v", ue)
		}
		if n := lifeMessagesTo(t, c, id, message.KindSETUP_LINK, "provisioning@partner.example"); n != 0 {
			t.Errorf("the resend went to the provisioning contact (%d messages), not to the colleague", n)
		}
		l3 := c.MailedLink(t, id, message.KindSETUP_LINK, "colleague@p1.example")
		c.GQL(t, l2, apptest.SetupQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
		if s := c.Session(t, l3); s.Email != "colleague@p1.example" || s.Step != "ROLE" {
			t.Errorf("the resent link: email %s step %s, want colleague@p1.example at ROLE", s.Email, s.Step)
		}

		t.Run("an explicit email changes the contact", func(t *testing.T) {
			res := lifeResend(t, c, c.Integration(t, "P1"), id, "New.Contact@P1.example")
			if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
				t.Fatalf("resend: userErrors %+v", ue)
			}
			if o := res.ResendSetupLink.Order; o == nil || o.ProvisioningContactEmail != "new.contact@p1.example" {
				t.Errorf("order after the resend: %+v, want contact new.contact@p1.example", o)
			}
			l4 := c.MailedLink(t, id, message.KindSETUP_LINK, "new.contact@p1.example")
			c.GQL(t, l3, apptest.SetupQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
			if s := c.Session(t, l4); s.Email != "new.contact@p1.example" || s.Order.ProvisioningContactEmail != "new.contact@p1.example" {
				t.Errorf("the new contact's link: email %s, contact %s", s.Email, s.Order.ProvisioningContactEmail)
			}
		})
	})

	t.Run("after a hand-off to the customer", func(t *testing.T) {
		id := c.NewOrder(t, "RC-2", "P1", nil)
		l1 := c.Link(t, id, "provisioning@partner.example")
		c.Must(t, l1, "startSetup", nil)
		c.Must(t, l1, "chooseRole", apptest.Vars("role", "PARTNER"))
		c.Wiz(t, l1, "assignSetup", apptest.Input("assignee", "CUSTOMER", "email", "it@acme.example"))
		lc := c.MailedLink(t, id, message.KindHANDOFF_CUSTOMER, "it@acme.example")

		res := lifeResend(t, c, c.Op, id, nil)
		if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
			t.Fatalf("resend: userErrors %+v", ue)
		}
		if n := lifeMessagesTo(t, c, id, message.KindSETUP_LINK, "provisioning@partner.example"); n != 0 {
			t.Errorf("the resend went to the provisioning contact (%d messages), not to the customer", n)
		}
		ln := c.MailedLink(t, id, message.KindSETUP_LINK, "it@acme.example")
		c.GQL(t, lc, apptest.SetupQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
		s := c.Session(t, ln)
		if s.Email != "it@acme.example" || !s.Order.HandedToCustomer {
			t.Errorf("the customer's new link: email %s, handedToCustomer %v", s.Email, s.Order.HandedToCustomer)
		}
		lifeWantSteps(t, "the customer's new link", s, lifeCustomerSteps)
		// The hand-off's path is kept: the customer cannot become the
		// partner through the new link.
		c.Must(t, ln, "startSetup", nil)
		c.Refuse(t, ln, id, "chooseRole", apptest.Vars("role", "PARTNER"), "ROLE_NOT_ALLOWED", "role")
		if s := c.Must(t, ln, "chooseRole", apptest.Vars("role", "CUSTOMER")); s.Step != "ASSIGNMENT" {
			t.Errorf("chooseRole CUSTOMER: step %s", s.Step)
		}
	})
}

// --- 6. escalations close themselves ----------------------------------------------------------------

func TestLifeEscalationsCloseThemselves(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})

	for _, tc := range []struct {
		name, ext, why string
		// act takes the order (with an open escalation) one step.
		act func(t *testing.T, id, link string)
	}{
		{"startSetup starts the setup", "EC-START", "setup started", func(t *testing.T, id, link string) {
			c.Must(t, link, "startSetup", nil)
		}},
		{"a first call other than startSetup starts the setup", "EC-ROLE", "setup started", func(t *testing.T, id, link string) {
			c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
		}},
		{"an operator cancels", "EC-OP-CANCEL", "cancelled", func(t *testing.T, id, link string) {
			if res := lifeCancel(t, c, c.Op, id); len(res.CancelOrder.UserErrors) != 0 {
				t.Fatalf("cancel: %+v", res.CancelOrder.UserErrors)
			}
		}},
		{"the partner's integration cancels", "EC-INT-CANCEL", "cancelled", func(t *testing.T, id, link string) {
			if res := lifeCancel(t, c, c.Integration(t, "P1"), id); len(res.CancelOrder.UserErrors) != 0 {
				t.Fatalf("cancel: %+v", res.CancelOrder.UserErrors)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := c.NewOrder(t, tc.ext, "P1", nil)
			link := c.Link(t, id, "ana@p1.example")
			lifeOpenEscalation(t, c, id)
			tc.act(t, id, link)
			lifeWantClosed(t, c, id, tc.why)
		})
	}

	t.Run("provisioning closes it", func(t *testing.T) {
		id := c.NewOrder(t, "EC-PROV", "P2", nil)
		link := c.Link(t, id, "bob@p2.example")
		c.PartnerToConfirm(t, link, "it@prov.example")
		c.ConfirmToServices(t, link)
		c.SaveSettings(t, link, "prov")
		lifeOpenEscalation(t, c, id)
		c.MustProvision(t, link, nil)
		lifeWantClosed(t, c, id, "provisioned")
	})

	t.Run("a refused call leaves it open", func(t *testing.T) {
		id := c.NewOrder(t, "EC-REFUSED", "P1", nil)
		link := c.Link(t, id, "ana@p1.example")
		lifeOpenEscalation(t, c, id)
		c.Refuse(t, link, id, "confirmOrgs", nil, "WRONG_STEP")
		if e := lifeEscalationOf(t, c, id); e == nil || e.ResolvedAt != nil || apptest.Deref(e.ResolvedBy) != "" {
			t.Errorf("after a refused call the escalation is %+v, want it open", e)
		}
	})

	t.Run("an operator's resolution is kept", func(t *testing.T) {
		id := c.NewOrder(t, "EC-OP", "P1", nil)
		link := c.Link(t, id, "ana@p1.example")
		lifeOpenEscalation(t, c, id)
		e := lifeEscalationOf(t, c, id)
		var res apptest.ResolveResult
		c.GQL(t, c.Op, apptest.ResolveMutation, map[string]any{"id": e.ID, "note": "Called them."}).OK(t).Decode(t, &res)
		if len(res.ResolveEscalation.UserErrors) != 0 {
			t.Fatalf("resolveEscalation: %+v", res.ResolveEscalation.UserErrors)
		}
		c.Must(t, link, "startSetup", nil)
		if e := lifeEscalationOf(t, c, id); e == nil || e.ResolvedAt == nil || apptest.Deref(e.ResolvedBy) != "op" {
			t.Errorf("escalation resolved by the operator, after startSetup: %+v, want resolvedBy op", e)
		}
	})
}

// --- 7. placeOrder's date window ------------------------------------------------------------------

func TestLifePlaceOrderDateWindow(t *testing.T) {
	t.Parallel()
	// Noon UTC on a day ahead of the wall clock (a stub clock behind it
	// would confuse River's maintenance).
	d := time.Now().UTC().AddDate(0, 0, 1)
	now := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, time.UTC)
	day := func(n int) string { return apptest.ISODate(now.AddDate(0, 0, n)) }

	for _, tc := range []struct {
		name     string
		window   time.Duration
		timeZone string
		refused  []string
		accepted []string
	}{
		{"the default 30 days in UTC", 0, "", []string{day(-31), day(-30)}, []string{day(-29)}},
		{"an order window of 10 days", 10 * 24 * time.Hour, "UTC", []string{day(-11), day(-10)}, []string{day(-9)}},
		// At noon UTC it is already 02:00 the next day at UTC+14: the window
		// of a date 9 days back (in UTC) closed at 10:00 UTC.
		{"10 days in Pacific/Kiritimati", 10 * 24 * time.Hour, "Pacific/Kiritimati", []string{day(-10), day(-9)}, []string{day(-8)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := apptest.Serve(t, func(cfg *app.Config) {
				cfg.Clock = clock.NewStub(now)
				if tc.window != 0 {
					cfg.OrderWindow = tc.window
				}
				if tc.timeZone != "" {
					cfg.TimeZone = tc.timeZone
				}
			})
			op, err := s.App.Auth.IssueOperator("op", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for i, date := range tc.refused {
				in := apptest.OrderInput(fmt.Sprintf("OW-R%d", i), "P1")
				in["requestedStartDate"] = date
				var res apptest.PlaceResult
				apptest.Post(t, s.URL, op, apptest.PlaceOrderMutation, map[string]any{"input": in}).OK(t).Decode(t, &res)
				if res.PlaceOrder.Order != nil {
					t.Errorf("start date %s: placed, want refused (its window has closed)", date)
				}
				apptest.WantCode(t, "placeOrder "+date, res.PlaceOrder.UserErrors, "INVALID", "input", "requestedStartDate")
			}
			if n := s.TotalOrders(t, op); n != 0 {
				t.Errorf("%d orders stored after refusals", n)
			}
			for i, date := range tc.accepted {
				in := apptest.OrderInput(fmt.Sprintf("OW-A%d", i), "P1")
				in["requestedStartDate"] = date
				var res apptest.PlaceResult
				apptest.Post(t, s.URL, op, apptest.PlaceOrderMutation, map[string]any{"input": in}).OK(t).Decode(t, &res)
				if len(res.PlaceOrder.UserErrors) != 0 || res.PlaceOrder.Order == nil {
					t.Errorf("start date %s: userErrors %+v, want accepted", date, res.PlaceOrder.UserErrors)
					continue
				}
				// An accepted order's window is still open: the job that
				// closes it waits for the window's end.
				closing := apptest.JobsOf(t, s.App, "close_window", res.PlaceOrder.Order.ID)
				if len(closing) != 1 || closing[0].State != rivertype.JobStateScheduled || !closing[0].ScheduledAt.After(now) {
					t.Errorf("start date %s: want one close_window job scheduled after %s: %s", date, now.Format(time.RFC3339), apptest.JobStates(closing))
				}
			}
		})
	}
}

// --- 8. next names the settings the order needs ---------------------------------------------------

func TestLifeNextNamesTheSettingsTheOrderNeeds(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})

	// toServices places an order of services and takes it to SERVICES.
	toServices := func(t *testing.T, ext, account string, services ...string) (string, string, *apptest.SetupSession) {
		t.Helper()
		id := c.NewOrder(t, ext, account, func(in map[string]any) {
			var list []any
			for _, k := range services {
				list = append(list, map[string]any{"kind": k, "quantity": 2})
			}
			in["services"] = list
		})
		link := c.Link(t, id, "ana@"+strings.ToLower(account)+".example")
		c.PartnerToConfirm(t, link, "it@"+strings.ToLower(ext)+".example")
		c.ConfirmToServices(t, link)
		s := c.Session(t, link)
		return id, link, &s
	}
	// wantNext checks next, and that WRONG_STEP messages name it and no
	// other settings call.
	wantNext := func(t *testing.T, id, link string, s *apptest.SetupSession, next, notNext string) {
		t.Helper()
		if s.Step != "SERVICES" || s.Next != next {
			t.Errorf("step %s next %s, want SERVICES and %s", s.Step, s.Next, next)
		}
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"chooseRole", apptest.Vars("role", "PARTNER")},
			{"setPartnerPassword", apptest.Vars("password", apptest.Password)},
			{"confirmOrgs", nil},
		} {
			e := apptest.WantCode(t, "refused", c.Refuse(t, link, id, tc.op, tc.vars, "WRONG_STEP"), "WRONG_STEP")
			if !strings.Contains(e.Message, next) || strings.Contains(e.Message, notNext) {
				t.Errorf("%s at SERVICES: WRONG_STEP message %q, want it to name %s (not %s)", tc.op, e.Message, next, notNext)
			}
		}
	}

	t.Run("meetings only", func(t *testing.T) {
		id, link, s := toServices(t, "NX-M", "P1", "MEETINGS")
		wantNext(t, id, link, s, "saveEnterpriseSettings", "saveCallSettings")
	})
	t.Run("calling only", func(t *testing.T) {
		id, link, s := toServices(t, "NX-C", "P2", "CALLING")
		wantNext(t, id, link, s, "saveCallSettings", "saveEnterpriseSettings")
	})
	t.Run("calling and meetings, calling saved", func(t *testing.T) {
		id, link, s := toServices(t, "NX-CM", "P3", "CALLING", "MEETINGS")
		wantNext(t, id, link, s, "saveCallSettings", "saveEnterpriseSettings")
		c.Must(t, link, "saveCallSettings", apptest.CallSettingsVars())
		got := c.Session(t, link)
		wantNext(t, id, link, &got, "saveEnterpriseSettings", "saveCallSettings")
	})
}

// --- 9. two tabs ------------------------------------------------------------------------------------

type lifeDraftEvent struct {
	status, step, draftID string
	err                   error
}

const lifeDraftSubscription = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status step draftId } }`

// lifeSubscribe opens a websocket with token and subscribes to the order's
// status with its draftId; events arrive in order until the socket ends.
func lifeSubscribe(t *testing.T, ctx context.Context, s *apptest.Server, token, orderID string) <-chan lifeDraftEvent {
	t.Helper()
	conn := s.DialWS(t, ctx, "")
	t.Cleanup(func() { conn.CloseNow() })
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := wsjson.Write(ctx, conn, apptest.WSMessage{Type: "connection_init", Payload: init}); err != nil {
		t.Fatal(err)
	}
	var ack apptest.WSMessage
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %+v %v", ack, err)
	}
	sub, _ := json.Marshal(map[string]any{"query": lifeDraftSubscription, "variables": map[string]any{"id": orderID}})
	if err := wsjson.Write(ctx, conn, apptest.WSMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		t.Fatal(err)
	}
	events := make(chan lifeDraftEvent, 256)
	emit := func(e lifeDraftEvent) bool {
		select {
		case events <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(events)
		for {
			var m apptest.WSMessage
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				emit(lifeDraftEvent{err: err})
				return
			}
			switch m.Type {
			case "ping":
				_ = wsjson.Write(ctx, conn, apptest.WSMessage{Type: "pong"})
			case "next":
				var p struct {
					Data *struct {
						OrderStatusChanged struct {
							Status  string  `json:"status"`
							Step    string  `json:"step"`
							DraftID *string `json:"draftId"`
						} `json:"orderStatusChanged"`
					} `json:"data"`
					Errors []apptest.Error `json:"errors"`
				}
				if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 || p.Data == nil {
					if !emit(lifeDraftEvent{err: fmt.Errorf("next: %s", m.Payload)}) {
						return
					}
					continue
				}
				ev := p.Data.OrderStatusChanged
				if !emit(lifeDraftEvent{status: ev.Status, step: ev.Step, draftID: apptest.Deref(ev.DraftID)}) {
					return
				}
			default:
				if !emit(lifeDraftEvent{err: fmt.Errorf("%s: %s", m.Type, m.Payload)}) || m.Type == "complete" {
					return
				}
			}
		}
	}()
	return events
}

// lifeWaitDraft waits for an event that carries draftID, returning the
// events seen.
func lifeWaitDraft(t *testing.T, events <-chan lifeDraftEvent, draftID string, d time.Duration) []lifeDraftEvent {
	t.Helper()
	var seen []lifeDraftEvent
	deadline := time.After(d)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the subscription ended; seen %+v", seen)
			}
			if e.err != nil {
				t.Fatalf("after %+v: %v", seen, e.err)
			}
			seen = append(seen, e)
			if e.draftID == draftID {
				return seen
			}
		case <-deadline:
			t.Fatalf("no event with draftId %s within %s; seen %+v", draftID, d, seen)
		}
	}
}

func TestLifeTwoTabsRestartTheDraft(t *testing.T) {
	t.Parallel()
	c := apptest.Serve(t, nil)
	srv := c
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := c.NewOrder(t, "TT-1", "P1", nil)
	link := c.Link(t, id, "ana@p1.example")

	// Tab A opens the link and answers two steps with its draftId.
	a := c.Must(t, link, "startSetup", nil)
	if a.DraftID == "" {
		t.Fatal("startSetup answered no draftId")
	}
	if s := c.Must(t, link, "chooseRole", apptest.WithDraft(apptest.Vars("role", "PARTNER"), a.DraftID)); s.DraftID != a.DraftID {
		t.Errorf("chooseRole changed the draftId %s → %s", a.DraftID, s.DraftID)
	}
	c.Must(t, link, "assignSetup", apptest.WithDraft(apptest.Input("assignee", "SELF"), a.DraftID))

	// Tab A listens (the current state arrives first, so the subscription
	// is in place); then tab B opens the link again.
	tabA := lifeSubscribe(t, ctx, srv, link, id)
	select {
	case e := <-tabA:
		if e.err != nil || e.status != "IN_SETUP" || e.step != "PARTNER_ORG" || e.draftID != "" && e.draftID != a.DraftID {
			t.Fatalf("tab A's first event %+v, want IN_SETUP/PARTNER_ORG of its draft %s", e, a.DraftID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no first event for tab A")
	}
	b := c.Must(t, link, "startSetup", nil)
	if b.DraftID == "" || b.DraftID == a.DraftID {
		t.Fatalf("the second startSetup's draftId %q, want a new one (the first was %q)", b.DraftID, a.DraftID)
	}
	if b.Step != "ROLE" || b.Role != nil {
		t.Fatalf("the second tab: step %s role %v, want a fresh draft at ROLE", b.Step, b.Role)
	}
	if s := c.Session(t, link); s.DraftID != b.DraftID {
		t.Errorf("setup.draftId = %s, want the new %s", s.DraftID, b.DraftID)
	}

	t.Run("the listening tab hears the restart", func(t *testing.T) {
		seen := lifeWaitDraft(t, tabA, b.DraftID, 10*time.Second)
		if last := seen[len(seen)-1]; last.status != "IN_SETUP" || last.step != "ROLE" {
			t.Errorf("the restart's event %+v, want IN_SETUP/ROLE", last)
		}
	})

	t.Run("an operator's subscriber gets no draftId", func(t *testing.T) {
		ops := lifeSubscribe(t, ctx, srv, c.Op, id)
		select {
		case e := <-ops:
			if e.err != nil || e.draftID != "" {
				t.Errorf("operator's first event %+v, want the state without a draftId", e)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no first event for the operator")
		}
	})

	t.Run("the stale tab's calls are refused", func(t *testing.T) {
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"chooseRole", apptest.Vars("role", "CUSTOMER")},
			{"assignSetup", apptest.Input("assignee", "SELF")},
			{"confirmPartnerOrg", apptest.PartnerOrgVars("Tab A Org")},
			{"reportUnrecognizedOrganization", apptest.Input("organization", "PARTNER")},
			{"confirmOrgs", nil},
			{"saveCallSettings", apptest.CallSettingsVars()},
			{"provision", nil},
		} {
			t.Run(tc.op, func(t *testing.T) {
				e := apptest.WantCode(t, "refused", c.Refuse(t, link, id, tc.op, apptest.WithDraft(tc.vars, a.DraftID), "DRAFT_RESTARTED"), "DRAFT_RESTARTED")
				if e.Message == "" {
					t.Error("DRAFT_RESTARTED without a message")
				}
			})
		}
	})

	t.Run("the current tab goes on, with or without draftId", func(t *testing.T) {
		s := c.Must(t, link, "chooseRole", apptest.WithDraft(apptest.Vars("role", "PARTNER"), b.DraftID))
		if s.Step != "ASSIGNMENT" || s.DraftID != b.DraftID {
			t.Errorf("chooseRole with the current draftId: step %s draftId %s", s.Step, s.DraftID)
		}
		s = c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
		if s.Step != "PARTNER_ORG" {
			t.Errorf("assignSetup without draftId: step %s, want PARTNER_ORG", s.Step)
		}
	})

	// A third opening gives yet another draft.
	if third := c.Must(t, link, "startSetup", nil); third.DraftID == a.DraftID || third.DraftID == b.DraftID {
		t.Errorf("the third startSetup reused a draftId: %s", third.DraftID)
	}
}

// --- 11. the steps of this setup ----------------------------------------------------------------------

func TestLifeStepsOfTheSetup(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})

	t.Run("partner path with a new partner organization", func(t *testing.T) {
		id := c.NewOrder(t, "ST-1", "P1", nil)
		link := c.Link(t, id, "admin@p1.example")
		want := lifePartnerNewSteps
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"startSetup", nil},
			{"chooseRole", apptest.Vars("role", "PARTNER")},
			{"assignSetup", apptest.Input("assignee", "SELF")},
			{"confirmPartnerOrg", apptest.PartnerOrgVars("Partner Org")},
			{"setCustomerAdmin", apptest.Vars("email", "it@acme.example")},
			{"confirmCustomerOrg", apptest.Input()},
			{"confirmOrgs", nil},
			{"setPartnerPassword", apptest.Vars("password", apptest.Password)},
			{"startSetup", nil}, // reopened once confirmed
			{"saveCallSettings", apptest.CallSettingsVars()},
			{"saveEnterpriseSettings", apptest.Vars("subdomain", "acme")},
			{"startSetup", nil},
		} {
			s := c.Must(t, link, tc.op, tc.vars)
			lifeWantSteps(t, tc.op+" at "+s.Step, *s, want)
			lifeWantSteps(t, "setup after "+tc.op, c.Session(t, link), want)
		}
		c.MustProvision(t, link, nil)
		lifeWantSteps(t, "setup after provision", c.Session(t, link), want)
	})

	t.Run("a partner's second order reviews its existing organization", func(t *testing.T) {
		id := c.NewOrder(t, "ST-2", "P1", func(in map[string]any) {
			in["customer"].(map[string]any)["name"] = "Globex d.o.o."
		})
		link := c.Link(t, id, "someone@p1.example")
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"startSetup", nil},
			{"chooseRole", apptest.Vars("role", "PARTNER")},
			{"assignSetup", apptest.Input("assignee", "SELF")},
			{"confirmPartnerOrg", apptest.Input()},
			{"setCustomerAdmin", apptest.Vars("email", "it@globex.example")},
			{"confirmCustomerOrg", apptest.Input()},
			{"confirmOrgs", nil},
			{"startSetup", nil},
		} {
			s := c.Must(t, link, tc.op, tc.vars)
			lifeWantSteps(t, tc.op+" at "+s.Step, *s, lifePartnerExistingSteps)
		}
	})

	t.Run("customer path", func(t *testing.T) {
		id := c.NewOrder(t, "ST-3", "P2", func(in map[string]any) {
			in["customer"].(map[string]any)["name"] = "Initech d.o.o."
		})
		link := c.Link(t, id, "it@initech.example")
		c.Must(t, link, "startSetup", nil)
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"chooseRole", apptest.Vars("role", "CUSTOMER")},
			{"assignSetup", apptest.Input("assignee", "SELF")},
			{"setCustomerAdmin", apptest.Vars("email", "it@initech.example")},
			{"confirmCustomerOrg", apptest.Input()},
			{"confirmOrgs", nil},
			{"startSetup", nil},
			{"saveCallSettings", apptest.CallSettingsVars()},
			{"saveEnterpriseSettings", apptest.Vars("subdomain", "initech")},
		} {
			s := c.Must(t, link, tc.op, tc.vars)
			lifeWantSteps(t, tc.op+" at "+s.Step, *s, lifeCustomerSteps)
		}
		c.MustProvision(t, link, nil)
		lifeWantSteps(t, "setup after provision", c.Session(t, link), lifeCustomerSteps)
	})
}

// --- 12. customerAdminEmail after the confirmation ----------------------------------------------------

func TestLifeCustomerAdminEmailAfterConfirmation(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	for _, tc := range []struct {
		name, ext, account, holder, admin string
	}{
		{"a new customer organization", "CA-1", "P1", "admin@p1.example", "it@acme.example"},
		// The second order maps to the organization of the first.
		{"an existing customer organization", "CA-2", "P1", "other@p1.example", "it@acme.example"},
		{"another partner's new customer", "CA-3", "P2", "admin@p2.example", "boss@globex.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := c.NewOrder(t, tc.ext, tc.account, nil)
			link := c.Link(t, id, tc.holder)
			c.PartnerToConfirm(t, link, tc.admin)
			check := func(what string, got *string) {
				t.Helper()
				if apptest.Deref(got) != tc.admin {
					t.Errorf("%s: customerAdminEmail %q, want the customer administrator %s (not the holder %s)",
						what, apptest.Deref(got), tc.admin, tc.holder)
				}
			}
			check("confirmOrgs", c.Must(t, link, "confirmOrgs", nil).CustomerAdminEmail)
			s := c.Session(t, link)
			check("setup after confirmOrgs", s.CustomerAdminEmail)
			if s.Step == "PASSWORD" {
				c.Must(t, link, "setPartnerPassword", apptest.Vars("password", apptest.Password))
			}
			check("setup at SERVICES", c.Session(t, link).CustomerAdminEmail)
			check("startSetup at SERVICES", c.Must(t, link, "startSetup", nil).CustomerAdminEmail)
		})
	}
}

// --- the test clock -------------------------------------------------------------------------------

func lifeStatusAt(t *testing.T, s *apptest.Server, id string) (string, *lifeEscalation) {
	t.Helper()
	var data struct {
		Order *struct {
			Status     string          `json:"status"`
			Escalation *lifeEscalation `json:"escalation"`
		} `json:"order"`
	}
	apptest.Post(t, s.URL, s.Operator(t), lifeOrderEscalationQuery, map[string]any{"id": id}).OK(t).Decode(t, &data)
	if data.Order == nil {
		t.Fatalf("order %s not found", id)
	}
	return data.Order.Status, data.Order.Escalation
}

func TestLifeTestClockRunsTheDueJobs(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	s := apptest.Serve(t, func(cfg *app.Config) {
		cfg.Dev = true
		cfg.TestClock = true
		cfg.SMTPURL = sink.URL()
		cfg.CustomerSuccessEmail = apptest.SuccessEmail
		cfg.JobPollInterval = 50 * time.Millisecond
		cfg.SetupLinkTTL = 48 * time.Hour
	})
	start := time.Now().UTC().AddDate(0, 0, 3)
	in := apptest.OrderInput("TC-1", "P1")
	in["requestedStartDate"] = apptest.ISODate(start)
	in["provisioningContactEmail"] = apptest.ContactEmail
	var placed apptest.PlaceResult
	apptest.Post(t, s.URL, s.Operator(t), apptest.PlaceOrderMutation, map[string]any{"input": in}).OK(t).Decode(t, &placed)
	if placed.PlaceOrder.Order == nil {
		t.Fatalf("placeOrder: %+v", placed.PlaceOrder.UserErrors)
	}
	id := placed.PlaceOrder.Order.ID
	apptest.Holds(t, "nothing sent before the start date", 500*time.Millisecond, func() (bool, string) {
		return sink.Count() == 0, sink.Summary()
	})

	before := time.Now()
	now := s.AdvanceClock(t, "72h")
	if lo, hi := before.Add(72*time.Hour-time.Second), time.Now().Add(72*time.Hour+time.Second); now.Before(lo) || now.After(hi) {
		t.Errorf("advanceClock(72h).now = %s, want about 72h from the wall clock", now)
	}

	// The start date has come: the setup email goes out.
	token := apptest.SetupToken(t, apptest.ParseMail(t, apptest.WaitTo(t, sink, apptest.ContactEmail, 1)[0]), s.URL)
	testkit.Eventually(t, "order LINK_SENT", apptest.MailWait, func() (bool, string) {
		st, _ := lifeStatusAt(t, s, id)
		return st == "LINK_SENT", "status " + st
	})
	if _, esc := lifeStatusAt(t, s, id); esc != nil {
		t.Fatalf("an escalation before a day has passed: %+v", esc)
	}

	// A day after the start date without setup: an escalation opens.
	s.AdvanceClock(t, "25h")
	testkit.Eventually(t, "an escalation", apptest.MailWait, func() (bool, string) {
		_, esc := lifeStatusAt(t, s, id)
		return esc != nil, "no escalation"
	})
	if _, esc := lifeStatusAt(t, s, id); esc.ResolvedAt != nil {
		t.Errorf("the new escalation is resolved: %+v", esc)
	}
	cs := apptest.ParseMail(t, apptest.WaitTo(t, sink, apptest.SuccessEmail, 1)[0])
	if !strings.Contains(cs.Subject, "TC-1") {
		t.Errorf("escalation mail subject %q does not name the order", cs.Subject)
	}

	// The link still works; opening it starts setup and closes the
	// escalation.
	var v apptest.LinkViewer
	apptest.Post(t, s.URL, token, apptest.LinkViewerQuery, nil).OK(t).Decode(t, &v)
	var started struct {
		StartSetup apptest.SetupPayload `json:"startSetup"`
	}
	apptest.Post(t, s.URL, token, apptest.Mutations["startSetup"]+apptest.PayloadFragment, nil).OK(t).Decode(t, &started)
	if p := started.StartSetup; len(p.UserErrors) != 0 || p.Setup == nil || p.Setup.Order.Status != "IN_SETUP" {
		t.Fatalf("startSetup: %+v", p)
	}
	st, esc := lifeStatusAt(t, s, id)
	if st != "IN_SETUP" || esc == nil || esc.ResolvedAt == nil || apptest.Deref(esc.ResolvedBy) != "onramp: setup started" {
		t.Errorf("after startSetup: status %s, escalation %+v; want IN_SETUP and the escalation closed by \"onramp: setup started\"", st, esc)
	}

	// Link expiry follows the clock: 48 hours after it was issued.
	s.AdvanceClock(t, "49h")
	apptest.Post(t, s.URL, token, apptest.LinkViewerQuery, nil).WantError(t, "UNAUTHENTICATED", "EXPIRED")
	// A day before the link expired its holder was reminded, once.
	msgs := apptest.WaitTo(t, sink, apptest.ContactEmail, 2)
	if n := len(sink.To(apptest.ContactEmail)); n != 2 {
		t.Errorf("the contact received %d messages, want the setup email and one reminder", n)
	}
	if r := apptest.ParseMail(t, msgs[1]); !strings.Contains(r.Subject, "Reminder") || !strings.Contains(r.Subject, "expires") {
		t.Errorf("second message %q, want the link's reminder", r.Subject)
	}
}

func TestLifeAdvanceClockRefusals(t *testing.T) {
	t.Parallel()

	t.Run("app.New refuses the test clock outside dev mode", func(t *testing.T) {
		cfg := app.Defaults()
		cfg.DataDir, cfg.DatabaseURL = storetest.Location(t)
		cfg.PublicURL = "http://127.0.0.1"
		cfg.TestClock = true
		a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err == nil {
			_ = a.Close()
			t.Fatal("app.New accepted TestClock without Dev")
		}
	})

	t.Run("without the test clock", func(t *testing.T) {
		c := apptest.Start(t, apptest.Options{HandlerOnly: true})
		var res apptest.AdvanceResult
		c.GQL(t, c.Op, apptest.AdvanceClockMutation, map[string]any{"by": "24h"}).OK(t).Decode(t, &res)
		if ue := res.AdvanceClock.UserErrors; len(ue) != 1 || ue[0].Code != "TEST_CLOCK_OFF" || res.AdvanceClock.Now != nil {
			t.Errorf("advanceClock without the test clock: %+v, want TEST_CLOCK_OFF", res.AdvanceClock)
		}
	})

	t.Run("with the test clock", func(t *testing.T) {
		s := apptest.Serve(t, func(cfg *app.Config) {
			cfg.Dev = true
			cfg.TestClock = true
		})
		op := s.Operator(t)
		for _, by := range []string{"soon", "", "-1h", "0s", "100000h"} {
			var res apptest.AdvanceResult
			apptest.Post(t, s.URL, op, apptest.AdvanceClockMutation, map[string]any{"by": by}).OK(t).Decode(t, &res)
			if res.AdvanceClock.Now != nil {
				t.Errorf("advanceClock(%q) moved the clock to %s", by, *res.AdvanceClock.Now)
			}
			apptest.WantCode(t, fmt.Sprintf("advanceClock(%q)", by), res.AdvanceClock.UserErrors, "INVALID", "by")
		}

		var placed apptest.PlaceResult
		apptest.Post(t, s.URL, op, apptest.PlaceOrderMutation, map[string]any{"input": apptest.OrderInput("TCR-1", "P1")}).OK(t).Decode(t, &placed)
		if placed.PlaceOrder.Order == nil {
			t.Fatalf("placeOrder: %+v", placed.PlaceOrder.UserErrors)
		}
		link, err := s.App.Auth.IssueSetupLink(store.System(context.Background()), gid.ID(placed.PlaceOrder.Order.ID), "ana@p1.example")
		if err != nil {
			t.Fatal(err)
		}
		integ, err := s.App.Auth.IssueIntegration("P1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, token, code, reason string }{
			{"integration", integ, "FORBIDDEN", ""},
			{"setup link", link, "FORBIDDEN", ""},
			{"no token", "", "UNAUTHENTICATED", "MISSING"},
		} {
			apptest.Post(t, s.URL, tc.token, apptest.AdvanceClockMutation, map[string]any{"by": "24h"}).WantError(t, tc.code, tc.reason)
		}
		if d := time.Until(s.App.Orders.Now()); d > time.Minute || d < -time.Minute {
			t.Errorf("refused advances moved the clock by %s", d)
		}
	})
}

// TestLifeTestClockIsKeptInTheDatabase restarts a server with the test
// clock on the same database: the time it was moved to is kept, and
// operator tokens are signed from it.
func TestLifeTestClockIsKeptInTheDatabase(t *testing.T) {
	t.Parallel()
	loc := apptest.NewLocation(t)
	testClock := func(cfg *app.Config) {
		cfg.Clock = nil
		cfg.Dev = true
		cfg.TestClock = true
	}
	first := apptest.StartAt(t, loc, nil, testClock)
	moved := apptest.AdvanceClockAt(t, first.URL, first.Operator(t), "240h")
	first.Stop(t)

	second := apptest.StartAt(t, loc, nil, testClock)
	now := second.App.Orders.Now()
	if d := now.Sub(moved); d < 0 || d > time.Minute {
		t.Errorf("after a restart the clock reads %s, want about %s (the advanced time)", now, moved)
	}
	// A token signed on the test clock works on the test clock.
	var v struct {
		Viewer struct {
			Kind string `json:"kind"`
		} `json:"viewer"`
	}
	second.GQL(t, second.Operator(t), `{ viewer { kind } }`, nil).OK(t).Decode(t, &v)
	if v.Viewer.Kind != "OPERATOR" {
		t.Errorf("viewer.kind = %q, want OPERATOR", v.Viewer.Kind)
	}
	if again := apptest.AdvanceClockAt(t, second.URL, second.Operator(t), "1h"); again.Sub(moved) < time.Hour {
		t.Errorf("a second advance reads %s, want at least an hour after %s", again, moved)
	}
}
