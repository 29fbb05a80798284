package access_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"onramp/ent/message"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// The customer's consent to a partner's access through the API (PRODUCT's
// Decisions: a partner manages an existing customer organization only once
// its administrator approved), what a pending partner may see, continuing a
// setup from the workspace, and decisions racing with resets. Each test
// runs on SQLite, and on PostgreSQL with ONRAMP_TEST_DATABASE=postgres.

const accessQuery = `{ partnerAccess { id state partnerName customerName orderExternalId product adminEmail allowedAction } }`

const accessFields = `partnerAccess { id state allowedAction } userErrors { code message field }`

type accessView struct {
	ID              string `json:"id"`
	State           string `json:"state"`
	PartnerName     string `json:"partnerName"`
	CustomerName    string `json:"customerName"`
	OrderExternalID string `json:"orderExternalId"`
	AdminEmail      string `json:"adminEmail"`
	AllowedAction   string `json:"allowedAction"`
}

type accessPayload struct {
	PartnerAccess *accessView         `json:"partnerAccess"`
	UserErrors    []apptest.UserError `json:"userErrors"`
}

// accessCall runs approve, deny or revoke with token and returns its
// payload.
func accessCall(t *testing.T, c *apptest.Server, token, op string, vars map[string]any) accessPayload {
	t.Helper()
	q := `mutation { ` + op + ` { ` + accessFields + ` } }`
	if op == "revokePartnerAccess" {
		q = `mutation($id: ID) { revokePartnerAccess(id: $id) { ` + accessFields + ` } }`
	}
	var data map[string]accessPayload
	c.GQL(t, token, q, vars).OK(t).Decode(t, &data)
	return data[op]
}

// orgSight is what a caller sees of a customer organization.
type orgSight struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Country     string          `json:"country"`
	EmailDomain *string         `json:"emailDomain"`
	Address     json.RawMessage `json:"address"`
	Subdomain   *string         `json:"subdomain"`
	Managers    json.RawMessage `json:"managers"`
}

func (o orgSight) full() bool {
	return o.Subdomain != nil && string(o.Address) != "null" && len(o.Address) > 0 && string(o.Managers) != "null"
}

func (o orgSight) limited() bool {
	return o.Name != "" && o.Country != "" && o.EmailDomain != nil && o.Subdomain == nil &&
		(len(o.Address) == 0 || string(o.Address) == "null") && (len(o.Managers) == 0 || string(o.Managers) == "null")
}

const orgSightFields = `id name country emailDomain address { line1 city } subdomain managers { id }`

// partnerSight reads a customer organization through every path a partner
// session has: node(id:), the order's edge, the orders(where:) filter,
// its managed customers and the order's subscription's site.
type partnerSight struct {
	node, edge, filtered *orgSight
	managed              bool
	site                 *string
	access               string
}

func partnerSees(t *testing.T, c *apptest.Server, token, orderID, externalID, orgID string) partnerSight {
	t.Helper()
	var data struct {
		Node  *orgSight `json:"node"`
		Order *struct {
			CustomerOrg  *orgSight `json:"customerOrg"`
			Subscription *struct {
				SiteSubdomain *string `json:"siteSubdomain"`
			} `json:"subscription"`
			CustomerAccess *struct {
				State string `json:"state"`
			} `json:"customerAccess"`
			PartnerOrg *struct {
				ManagedCustomers []struct {
					ID string `json:"id"`
				} `json:"managedCustomers"`
			} `json:"partnerOrg"`
		} `json:"order"`
		Orders struct {
			Edges []struct {
				Node struct {
					CustomerOrg *orgSight `json:"customerOrg"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"orders"`
	}
	c.GQL(t, token, `query($org: ID!, $id: ID!, $ext: String!) {
	  node(id: $org) { ... on Organization { `+orgSightFields+` } }
	  order(id: $id) {
	    customerOrg { `+orgSightFields+` }
	    subscription { siteSubdomain }
	    customerAccess { state }
	    partnerOrg { managedCustomers { id } }
	  }
	  orders(first: 5, where: {externalID: $ext}) { edges { node { customerOrg { `+orgSightFields+` } } } }
	}`, map[string]any{"org": orgID, "id": orderID, "ext": externalID}).OK(t).Decode(t, &data)
	var s partnerSight
	s.node = data.Node
	if data.Order != nil {
		s.edge = data.Order.CustomerOrg
		if data.Order.Subscription != nil {
			s.site = data.Order.Subscription.SiteSubdomain
		}
		if data.Order.CustomerAccess != nil {
			s.access = data.Order.CustomerAccess.State
		}
		if data.Order.PartnerOrg != nil {
			for _, m := range data.Order.PartnerOrg.ManagedCustomers {
				s.managed = s.managed || m.ID == orgID
			}
		}
	}
	if len(data.Orders.Edges) == 1 {
		s.filtered = data.Orders.Edges[0].Node.CustomerOrg
	}
	return s
}

// wantLimited fails unless the partner sees the organization on every path
// with its name, country and email domain only.
func (s partnerSight) wantLimited(t *testing.T, what string) {
	t.Helper()
	for name, o := range map[string]*orgSight{"node": s.node, "order.customerOrg": s.edge, "orders(where:)": s.filtered} {
		if o == nil || !o.limited() {
			t.Errorf("%s: %s = %+v, want name, country and email domain only", what, name, o)
		}
	}
	if s.managed {
		t.Errorf("%s: the organization is among the partner's managed customers", what)
	}
	if s.site != nil {
		t.Errorf("%s: the order's subscription tells the customer's site %q", what, *s.site)
	}
}

func (s partnerSight) wantFull(t *testing.T, what string) {
	t.Helper()
	for name, o := range map[string]*orgSight{"node": s.node, "order.customerOrg": s.edge, "orders(where:)": s.filtered} {
		if o == nil || !o.full() {
			t.Errorf("%s: %s = %+v, want all of it (address, subdomain, managers)", what, name, o)
		}
	}
	if !s.managed {
		t.Errorf("%s: the organization is not among the partner's managed customers", what)
	}
	if s.site == nil {
		t.Errorf("%s: the order's subscription does not tell the customer's site", what)
	}
}

// startsLater moves an order's start date two months ahead: its setup
// email (whose job issues a link of its own, replacing the test's) stays
// in the future even after a test moves the stub clock by weeks.
func startsLater(in map[string]any) {
	in["requestedStartDate"] = apptest.ISODate(apptest.Today().AddDate(0, 2, 0))
}

// customerAlone takes an order of account to PROVISIONED on the customer's
// path: the customer organization (admin) exists, managed by no partner.
func customerAlone(t *testing.T, c *apptest.Server, ext, account, admin, subdomain string) (orderID, orgID string) {
	t.Helper()
	id := c.NewOrder(t, ext, account, startsLater)
	link := c.Link(t, id, admin)
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "CUSTOMER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", admin))
	c.Must(t, link, "confirmCustomerOrg", apptest.Input())
	s := c.Must(t, link, "confirmOrgs", nil)
	c.SaveSettings(t, link, subdomain)
	c.MustProvision(t, link, nil)
	return id, apptest.Deref(s.CustomerOrg.ID)
}

// claim takes a new partner's order to the confirmation of the
// organizations with the customer's existing administrator, as a partner
// that never managed it (its admin is contact, with a password); it
// returns the order, the link and the partner's session.
func claim(t *testing.T, c *apptest.Server, ext, account, contact, customerAdmin string) (orderID, link, session string) {
	t.Helper()
	orderID = c.NewOrder(t, ext, account, startsLater)
	link = c.Link(t, orderID, contact)
	c.PartnerToConfirm(t, link, customerAdmin)
	// The review step: the existing organization by name only.
	var data struct {
		Setup struct {
			CustomerOrg struct {
				Existing  bool            `json:"existing"`
				Name      string          `json:"name"`
				Address   json.RawMessage `json:"address"`
				Subdomain *string         `json:"subdomain"`
			} `json:"customerOrg"`
			ExistingSite *string `json:"existingSite"`
		} `json:"setup"`
	}
	c.GQL(t, link, `{ setup { customerOrg { existing name address { line1 } subdomain } existingSite } }`, nil).OK(t).Decode(t, &data)
	co := data.Setup.CustomerOrg
	if !co.Existing || co.Name == "" || string(co.Address) != "null" || co.Subdomain != nil {
		t.Errorf("%s review step: customer org %+v (address %s), want the existing one by name only", ext, co, co.Address)
	}
	c.ConfirmToServices(t, link)
	// The review after the confirmation: still no address, no site.
	c.GQL(t, link, `{ setup { customerOrg { existing name address { line1 } subdomain } existingSite } }`, nil).OK(t).Decode(t, &data)
	if co := data.Setup.CustomerOrg; string(co.Address) != "null" || co.Subdomain != nil || data.Setup.ExistingSite != nil {
		t.Errorf("%s after confirmOrgs: the wizard shows address %s, subdomain %v, existing site %v", ext, co.Address, co.Subdomain, data.Setup.ExistingSite)
	}
	return orderID, link, c.MustSignIn(t, contact, apptest.Password)
}

// TestPartnerAccessNeedsTheCustomersConsent: a customer-alone organization
// claimed by another partner stays out of its reach until the
// administrator approves, is in reach after, and out again once the access
// is withdrawn; a second approval and a denial after it are userErrors.
func TestPartnerAccessNeedsTheCustomersConsent(t *testing.T) {
	t.Parallel()
	c, sink, _ := apptest.StartWithMail(t)
	_, acme := customerAlone(t, c, "CA-1", "P1", "it@ca-acme.example", "caacme")

	orderID, link, p2 := claim(t, c, "CA-2", "P2", "contact@ca-p2.example", "it@ca-acme.example")
	partnerSees(t, c, p2, orderID, "CA-2", acme).wantLimited(t, "before the answer")
	// Probing names cannot find the customer's site either.
	if ok, reason := c.CheckSubdomain(t, link, "caacme"); ok || reason != "SUBDOMAIN_TAKEN" {
		t.Errorf("checkSubdomain(the customer's site) before the answer: %v %s, want taken like any other", ok, reason)
	}
	if s := partnerSees(t, c, p2, orderID, "CA-2", acme); s.access != "PENDING" {
		t.Errorf("order.customerAccess.state = %q, want PENDING", s.access)
	}
	// The order itself goes on: provisioned before any answer (its
	// meetings use the customer's site).
	c.Must(t, link, "saveCallSettings", apptest.CallSettingsVars())
	c.MustProvision(t, link, nil)

	// The administrator is asked: the welcome of the first order, the
	// services, then the request.
	token, _ := apptest.MailedToken(t, sink, "it@ca-acme.example", "Partner Org asks to manage Acme d.o.o.", 1, apptest.AccessLinkPattern)
	var read struct {
		PartnerAccess accessView `json:"partnerAccess"`
	}
	c.GQL(t, token, accessQuery, nil).OK(t).Decode(t, &read)
	if a := read.PartnerAccess; a.State != "PENDING" || a.AllowedAction != "DECIDE" || a.PartnerName != "Partner Org" ||
		a.CustomerName != "Acme d.o.o." || a.OrderExternalID != "CA-2" || a.AdminEmail != "it@ca-acme.example" {
		t.Errorf("partnerAccess = %+v", a)
	}
	// The token is for this request only.
	c.GQL(t, token, `mutation($id: ID!) { resendSetupLink(orderId: $id) { userErrors { code } } }`, map[string]any{"id": orderID}).WantError(t, "FORBIDDEN", "")
	c.GQL(t, token, `{ setup { step } }`, nil).WantError(t, "FORBIDDEN", "")
	c.GQL(t, link, `mutation { approvePartnerAccess { userErrors { code } } }`, nil).WantError(t, "FORBIDDEN", "")
	c.GQL(t, p2, `mutation { approvePartnerAccess { userErrors { code } } }`, nil).WantError(t, "FORBIDDEN", "")
	var orders struct {
		Orders struct {
			Edges []json.RawMessage `json:"edges"`
		} `json:"orders"`
	}
	c.GQL(t, token, `{ orders(first: 5) { edges { node { id } } } }`, nil).Decode(t, &orders)
	if len(orders.Orders.Edges) != 0 {
		t.Errorf("a partner-access token reads %d orders", len(orders.Orders.Edges))
	}

	got := accessCall(t, c, token, "approvePartnerAccess", nil)
	if len(got.UserErrors) > 0 || got.PartnerAccess == nil || got.PartnerAccess.State != "APPROVED" || got.PartnerAccess.AllowedAction != "NONE" {
		t.Fatalf("approve: %+v", got)
	}
	partnerSees(t, c, p2, orderID, "CA-2", acme).wantFull(t, "after the approval")
	if ok, _ := c.CheckSubdomain(t, link, "caacme"); !ok {
		t.Errorf("checkSubdomain(the customer's own site) after the approval: taken, want its own")
	}
	// The same link again: nothing changes, the caller learns why.
	apptest.WantCode(t, "a second approval", accessCall(t, c, token, "approvePartnerAccess", nil).UserErrors, "ALREADY_APPROVED")
	apptest.WantCode(t, "deny after approve", accessCall(t, c, token, "denyPartnerAccess", nil).UserErrors, "ALREADY_APPROVED")
	// A decision link cannot withdraw.
	c.GQL(t, token, `mutation { revokePartnerAccess { userErrors { code } } }`, nil).WantError(t, "FORBIDDEN", "")

	// The confirmation carries the withdrawal link.
	withdraw, _ := apptest.MailedToken(t, sink, "it@ca-acme.example", "You approved Partner Org's access to Acme d.o.o.", 1, apptest.AccessLinkPattern)
	c.GQL(t, withdraw, accessQuery, nil).OK(t).Decode(t, &read)
	if read.PartnerAccess.AllowedAction != "WITHDRAW" {
		t.Errorf("withdrawal link: allowedAction %s", read.PartnerAccess.AllowedAction)
	}
	c.GQL(t, withdraw, `mutation { approvePartnerAccess { userErrors { code } } }`, nil).WantError(t, "FORBIDDEN", "")
	got = accessCall(t, c, withdraw, "revokePartnerAccess", nil)
	if len(got.UserErrors) > 0 || got.PartnerAccess == nil || got.PartnerAccess.State != "REVOKED" {
		t.Fatalf("revoke: %+v", got)
	}
	partnerSees(t, c, p2, orderID, "CA-2", acme).wantLimited(t, "after the withdrawal")
	// Both links of the request stop working.
	c.GQL(t, withdraw, accessQuery, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
	c.GQL(t, token, accessQuery, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")

	// Every change is in the audit trail, by whom.
	var audit struct {
		Order struct {
			AuditEvents struct {
				Edges []struct {
					Node struct {
						Action    string `json:"action"`
						ActorKind string `json:"actorKind"`
						Actor     string `json:"actor"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"auditEvents"`
		} `json:"order"`
	}
	c.GQL(t, c.Op, `query($id: ID!) { order(id: $id) { auditEvents(first: 100) { edges { node { action actorKind actor } } } } }`,
		map[string]any{"id": orderID}).OK(t).Decode(t, &audit)
	seen := map[string]string{}
	for _, e := range audit.Order.AuditEvents.Edges {
		seen[e.Node.Action] = e.Node.ActorKind + " " + e.Node.Actor
	}
	for _, want := range []string{"PARTNER_ACCESS_APPROVED", "PARTNER_ACCESS_REVOKED"} {
		if seen[want] != "PARTNER_ACCESS it@ca-acme.example" {
			t.Errorf("audit %s: %q, want by the administrator's token", want, seen[want])
		}
	}
}

// TestPartnerAccessDeniedExpiredAndRevokedByOperators: a denial keeps the
// partner out (approve after deny is a userError); an unanswered request
// expires with its link; an operator withdraws an approved access.
func TestPartnerAccessDeniedExpiredAndRevokedByOperators(t *testing.T) {
	t.Parallel()
	c, sink, clk := apptest.StartWithMail(t)
	_, acme := customerAlone(t, c, "CD-1", "P1", "it@cd-acme.example", "cdacme")

	orderID, _, p2 := claim(t, c, "CD-2", "P2", "contact@cd-p2.example", "it@cd-acme.example")
	token, _ := apptest.MailedToken(t, sink, "it@cd-acme.example", "asks to manage", 1, apptest.AccessLinkPattern)
	// continueSetup needs the customer's consent: while it is asked for,
	// the access is pending; once denied, it says so (it used to say
	// pending still: security review, finding 16).
	var cont struct {
		ContinueSetup struct {
			Token      *string             `json:"token"`
			UserErrors []apptest.UserError `json:"userErrors"`
		} `json:"continueSetup"`
	}
	c.GQL(t, p2, continueSetupMutation, map[string]any{"id": orderID}).OK(t).Decode(t, &cont)
	apptest.WantCode(t, "continueSetup while consent is asked for", cont.ContinueSetup.UserErrors, "ACCESS_PENDING")
	got := accessCall(t, c, token, "denyPartnerAccess", nil)
	if len(got.UserErrors) > 0 || got.PartnerAccess == nil || got.PartnerAccess.State != "DENIED" {
		t.Fatalf("deny: %+v", got)
	}
	apptest.WantCode(t, "approve after deny", accessCall(t, c, token, "approvePartnerAccess", nil).UserErrors, "ALREADY_DENIED")
	apptest.WantCode(t, "deny again", accessCall(t, c, token, "denyPartnerAccess", nil).UserErrors, "ALREADY_DENIED")
	s := partnerSees(t, c, p2, orderID, "CD-2", acme)
	s.wantLimited(t, "after the denial")
	if s.access != "DENIED" {
		t.Errorf("order.customerAccess.state = %q, want DENIED", s.access)
	}
	cont.ContinueSetup.UserErrors = nil
	c.GQL(t, p2, continueSetupMutation, map[string]any{"id": orderID}).OK(t).Decode(t, &cont)
	apptest.WantCode(t, "continueSetup after the denial", cont.ContinueSetup.UserErrors, "ACCESS_DENIED")

	// A third partner asks and nobody answers for 14 days.
	order3, _, _ := claim(t, c, "CD-3", "P3", "contact@cd-p3.example", "it@cd-acme.example")
	late, _ := apptest.MailedToken(t, sink, "it@cd-acme.example", "asks to manage", 2, apptest.AccessLinkPattern)
	clk.Advance(15 * 24 * time.Hour)
	c.Op = c.Operator(t) // tokens live by the stub clock
	c.GQL(t, late, accessQuery, nil).WantError(t, "UNAUTHENTICATED", "EXPIRED")
	c.GQL(t, late, `mutation { approvePartnerAccess { userErrors { code } } }`, nil).WantError(t, "UNAUTHENTICATED", "EXPIRED")
	p3 := c.MustSignIn(t, "contact@cd-p3.example", apptest.Password) // sessions live 12 hours
	if s := partnerSees(t, c, p3, order3, "CD-3", acme); s.access != "EXPIRED" {
		t.Errorf("an unanswered request after 14 days: %q, want EXPIRED", s.access)
	}

	// A fourth asks; the administrator approves; an operator withdraws it.
	order4, _, _ := claim(t, c, "CD-4", "P4", "contact@cd-p4.example", "it@cd-acme.example")
	ok, _ := apptest.MailedToken(t, sink, "it@cd-acme.example", "asks to manage", 3, apptest.AccessLinkPattern)
	if got := accessCall(t, c, ok, "approvePartnerAccess", nil); len(got.UserErrors) > 0 {
		t.Fatalf("approve: %+v", got.UserErrors)
	}
	p4 := c.MustSignIn(t, "contact@cd-p4.example", apptest.Password)
	partnerSees(t, c, p4, order4, "CD-4", acme).wantFull(t, "P4 after the approval")
	op := c.Op
	var acc struct {
		Order struct {
			CustomerAccess accessView `json:"customerAccess"`
		} `json:"order"`
	}
	c.GQL(t, op, `query($id: ID!) { order(id: $id) { customerAccess { id state } } }`, map[string]any{"id": order4}).OK(t).Decode(t, &acc)
	apptest.WantCode(t, "an operator without an id", accessCall(t, c, op, "revokePartnerAccess", nil).UserErrors, "INVALID", "id")
	got = accessCall(t, c, op, "revokePartnerAccess", map[string]any{"id": acc.Order.CustomerAccess.ID})
	if len(got.UserErrors) > 0 || got.PartnerAccess.State != "REVOKED" {
		t.Fatalf("operator revoke: %+v", got)
	}
	apptest.WantCode(t, "revoke again", accessCall(t, c, op, "revokePartnerAccess", map[string]any{"id": acc.Order.CustomerAccess.ID}).UserErrors, "NOT_APPROVED")
	partnerSees(t, c, p4, order4, "CD-4", acme).wantLimited(t, "P4 after the operator's withdrawal")
	c.GQL(t, ok, accessQuery, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
	// An integration or a partner cannot withdraw anything.
	c.GQL(t, p4, `mutation($id: ID) { revokePartnerAccess(id: $id) { userErrors { code } } }`, map[string]any{"id": acc.Order.CustomerAccess.ID}).WantError(t, "FORBIDDEN", "")
}

const continueSetupMutation = `mutation($id: ID!) { continueSetup(orderId: $id) {
  token setupUrl order { id status step } userErrors { code message field } } }`

// TestContinueSetupByAPartnerSession: a signed-in partner administrator
// takes over an order its provisioning contact left at the settings and
// provisions it; the contact's link stops working. Never for an order
// handed to the customer, nor for another partner's order or an
// integration.
func TestContinueSetupByAPartnerSession(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	// P1's first order creates its organization and admin@cs-p1 with a
	// password; the second is left by its contact after confirming.
	c.Provisioned(t, "CS-1", "P1", "admin@cs-p1.example", "it@cs-acme.example", "csacme")
	admin := c.MustSignIn(t, "admin@cs-p1.example", apptest.Password)
	id := c.NewOrder(t, "CS-2", "P1", nil)
	contact := c.Link(t, id, "bob@cs-p1.example")
	c.PartnerToConfirm(t, contact, "it@cs-acme.example")
	c.ConfirmToServices(t, contact)

	var cont struct {
		ContinueSetup struct {
			Token    *string `json:"token"`
			SetupURL *string `json:"setupUrl"`
			Order    *struct {
				Status string `json:"status"`
				Step   string `json:"step"`
			} `json:"order"`
			UserErrors []apptest.UserError `json:"userErrors"`
		} `json:"continueSetup"`
	}
	c.GQL(t, admin, continueSetupMutation, map[string]any{"id": id}).OK(t).Decode(t, &cont)
	cs := cont.ContinueSetup
	if len(cs.UserErrors) > 0 || cs.Token == nil || cs.SetupURL == nil || cs.Order == nil {
		t.Fatalf("continueSetup: %+v", cs)
	}
	if want := c.App.Config.PublicURL + "/setup?token=" + *cs.Token; *cs.SetupURL != want {
		t.Errorf("setupUrl %s, want %s", *cs.SetupURL, want)
	}
	if cs.Order.Status != "ORGS_CONFIRMED" || cs.Order.Step != "SERVICES" {
		t.Errorf("order after continueSetup: %s/%s, want ORGS_CONFIRMED/SERVICES (where it stood)", cs.Order.Status, cs.Order.Step)
	}
	c.GQL(t, contact, `{ setup { step } }`, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
	mine := *cs.Token
	if s := c.Session(t, mine); s.Step != "SERVICES" || s.Email != "admin@cs-p1.example" {
		t.Errorf("the admin's link opens at %s for %s, want SERVICES for admin@cs-p1.example", s.Step, s.Email)
	}
	// The customer's site exists: only the call settings are left.
	c.Must(t, mine, "saveCallSettings", apptest.CallSettingsVars())
	if p := c.MustProvision(t, mine, nil); p.Order.Status != "PROVISIONED" {
		t.Errorf("provision by the admin's link: %s", p.Order.Status)
	}
	// Provisioned: nothing to continue.
	c.GQL(t, admin, continueSetupMutation, map[string]any{"id": id}).OK(t).Decode(t, &cont)
	apptest.WantCode(t, "continueSetup after provisioning", cont.ContinueSetup.UserErrors, "ALREADY_PROVISIONED")

	// An order handed to the customer stays the customer's.
	handed := c.NewOrder(t, "CS-3", "P1", nil)
	l3 := c.Link(t, handed, "bob@cs-p1.example")
	c.Must(t, l3, "startSetup", nil)
	c.Must(t, l3, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Wiz(t, l3, "assignSetup", apptest.Input("assignee", "CUSTOMER", "email", "it@cs-other.example"))
	c.GQL(t, admin, continueSetupMutation, map[string]any{"id": handed}).OK(t).Decode(t, &cont)
	apptest.WantCode(t, "continueSetup of a handed-off order", cont.ContinueSetup.UserErrors, "HANDED_TO_CUSTOMER")

	// Before the confirmation: a new draft at ROLE.
	fresh := c.NewOrder(t, "CS-4", "P1", nil)
	c.GQL(t, admin, continueSetupMutation, map[string]any{"id": fresh}).OK(t).Decode(t, &cont)
	if cs := cont.ContinueSetup; len(cs.UserErrors) > 0 || cs.Token == nil || cs.Order.Step != "ROLE" {
		t.Fatalf("continueSetup before the confirmation: %+v", cs)
	}

	// Other callers.
	other := c.NewOrder(t, "CS-5", "P9", nil)
	c.GQL(t, admin, continueSetupMutation, map[string]any{"id": other}).WantError(t, "NOT_FOUND", "")
	integration, err := c.App.Auth.IssueIntegration("P1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.GQL(t, integration, continueSetupMutation, map[string]any{"id": fresh}).WantError(t, "FORBIDDEN", "")
	c.GQL(t, c.Op, continueSetupMutation, map[string]any{"id": fresh}).WantError(t, "FORBIDDEN", "")
}

// TestConcurrentDecisionsAndResets: approvals and denials racing with one
// link decide once (the order's row lock serializes them and each reads
// the request again under it); resets racing with one link set one
// password and answer one session.
func TestConcurrentDecisionsAndResets(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{}) // its jobs run (the reset email's), its mail stays queued

	customerAlone(t, c, "CC-1", "P1", "it@cc-acme.example", "ccacme")
	orderID, _, _ := claim(t, c, "CC-2", "P2", "contact@cc-p2.example", "it@cc-acme.example")
	token := c.OutboxToken(t, message.KindACCESS_REQUEST, "it@cc-acme.example", apptest.AccessLinkPattern)

	const n = 8
	results := make([]accessPayload, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			op := "approvePartnerAccess"
			if i%2 == 1 {
				op = "denyPartnerAccess"
			}
			r, err := c.TryGQL(token, `mutation { `+op+` { `+accessFields+` } }`, nil)
			if err != nil {
				t.Error(err)
				return
			}
			var data map[string]accessPayload
			if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) > 0 {
				t.Errorf("%s: %v %+v", op, err, r.Errors)
				return
			}
			results[i] = data[op]
		})
	}
	wg.Wait()
	winners, state := 0, ""
	for _, r := range results {
		if len(r.UserErrors) == 0 && r.PartnerAccess != nil {
			winners++
			state = r.PartnerAccess.State
		} else if len(r.UserErrors) != 1 || (r.UserErrors[0].Code != "ALREADY_APPROVED" && r.UserErrors[0].Code != "ALREADY_DENIED") {
			t.Errorf("a losing decision answered %+v", r.UserErrors)
		}
	}
	if winners != 1 {
		t.Fatalf("%d decisions succeeded, want exactly 1", winners)
	}
	var read struct {
		Order struct {
			CustomerAccess accessView `json:"customerAccess"`
		} `json:"order"`
	}
	c.GQL(t, c.Op, `query($id: ID!) { order(id: $id) { customerAccess { state } } }`, map[string]any{"id": orderID}).OK(t).Decode(t, &read)
	if read.Order.CustomerAccess.State != state {
		t.Errorf("stored state %s, the winner answered %s", read.Order.CustomerAccess.State, state)
	}
	confirmations, err := c.App.Store.Client.Message.Query().
		Where(message.KindEQ(message.KindACCESS_APPROVED)).Count(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"APPROVED": 1, "DENIED": 0}[state]; confirmations != want {
		t.Errorf("%d approval confirmations queued after %s, want %d", confirmations, state, want)
	}

	// Resets racing with one link.
	if ok, errs := c.RequestReset(t, "contact@cc-p2.example"); !ok || len(errs) > 0 {
		t.Fatalf("requestPasswordReset: %v %+v", ok, errs)
	}
	reset := c.WaitOutboxToken(t, message.KindPASSWORD_RESET, "contact@cc-p2.example", apptest.ResetLinkPattern)
	tokens := make([]string, n)
	for i := range n {
		wg.Go(func() {
			r, err := c.TryGQL(reset, apptest.ResetMutation, map[string]any{"p": "Paralelna-Lozinka-2027"})
			if err != nil {
				t.Error(err)
				return
			}
			if len(r.Errors) > 0 {
				if r.Errors[0].Extensions.Reason != "REVOKED" {
					t.Errorf("a losing reset: %+v", r.Errors)
				}
				return
			}
			var data map[string]apptest.SessionPayload
			if err := json.Unmarshal(r.Data, &data); err != nil {
				t.Error(err)
				return
			}
			tokens[i] = apptest.Deref(data["resetPassword"].Token)
		})
	}
	wg.Wait()
	won := 0
	for _, tok := range tokens {
		if tok != "" {
			won++
			c.GQL(t, tok, apptest.WhoAmIQuery, nil).OK(t)
		}
	}
	if won != 1 {
		t.Errorf("%d resets succeeded with one link, want 1", won)
	}
}

// TestPartnerAccessOfACancelledOrder: a partner that orders, claims the
// customer's organization and cancels gains nothing if the customer then
// approves: the approval page says the order was cancelled, offers no
// decision, and approving is refused (security review, finding 17).
func TestPartnerAccessOfACancelledOrder(t *testing.T) {
	t.Parallel()
	c, sink, _ := apptest.StartWithMail(t)
	_, acme := customerAlone(t, c, "CX-1", "P1", "it@cx-acme.example", "cxacme")
	orderID, _, p2 := claim(t, c, "CX-2", "P2", "contact@cx-p2.example", "it@cx-acme.example")
	token, _ := apptest.MailedToken(t, sink, "it@cx-acme.example", "asks to manage", 1, apptest.AccessLinkPattern)
	c.GQL(t, c.Op, `mutation($id: ID!) { cancelOrder(orderId: $id, reason: "Ordered by mistake.") { userErrors { code } } }`,
		map[string]any{"id": orderID}).OK(t)

	var page struct {
		PartnerAccess struct {
			State          string `json:"state"`
			AllowedAction  string `json:"allowedAction"`
			OrderCancelled bool   `json:"orderCancelled"`
		} `json:"partnerAccess"`
	}
	c.GQL(t, token, `{ partnerAccess { state allowedAction orderCancelled } }`, nil).OK(t).Decode(t, &page)
	if !page.PartnerAccess.OrderCancelled || page.PartnerAccess.AllowedAction != "NONE" {
		t.Errorf("the approval page of a cancelled order: %+v, want orderCancelled and no action", page.PartnerAccess)
	}
	apptest.WantCode(t, "approve for a cancelled order", accessCall(t, c, token, "approvePartnerAccess", nil).UserErrors, "ORDER_CANCELLED")
	partnerSees(t, c, p2, orderID, "CX-2", acme).wantLimited(t, "after approving a cancelled order's request")
}

// TestPendingPartnerCannotGuessTheSiteName: a partner whose access to an
// existing customer organization is not approved learns nothing of its
// meetings site from saveEnterpriseSettings: the real name answers as any
// other name does, and the saves are throttled like checkSubdomain (the
// real name used to be accepted: security review, finding 8).
func TestPendingPartnerCannotGuessTheSiteName(t *testing.T) {
	t.Parallel()
	c, _, _ := apptest.StartWithMail(t)
	customerAlone(t, c, "SG-1", "P1", "it@sg-acme.example", "sgacme")
	_, link, _ := claim(t, c, "SG-2", "P2", "contact@sg-p2.example", "it@sg-acme.example")
	real := c.Wiz(t, link, "saveEnterpriseSettings", apptest.Vars("subdomain", "sgacme"))
	guess := c.Wiz(t, link, "saveEnterpriseSettings", apptest.Vars("subdomain", "sgacme-guess"))
	if len(real.UserErrors) != 1 || len(guess.UserErrors) != 1 {
		t.Fatalf("the real name answered %+v, a guess %+v: want the same refusal", real.UserErrors, guess.UserErrors)
	}
	if r, g := real.UserErrors[0], guess.UserErrors[0]; r.Code != "SITE_EXISTS" || r.Code != g.Code || r.Message != g.Message || !slices.Equal(r.Field, g.Field) {
		t.Fatalf("the real name answered %+v, a guess %+v: want the same SITE_EXISTS", real.UserErrors[0], guess.UserErrors[0])
	}
	throttled := false
	for i := range 40 {
		r := c.Call(t, link, "saveEnterpriseSettings", apptest.Vars("subdomain", fmt.Sprintf("sgacme-%d", i)))
		if len(r.Errors) == 1 && r.Errors[0].Extensions.Code == "TOO_MANY_ATTEMPTS" {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("40 saves of guessed site names were not throttled")
	}
}

// TestConsentAsksMailTheAdministratorOnceADay: a partner that asks again
// within a day of the last email about it (here after a denial) records
// the ask without mailing; after the day, an ask mails again.
func TestConsentAsksMailTheAdministratorOnceADay(t *testing.T) {
	t.Parallel()
	c, sink, clk := apptest.StartWithMail(t)
	customerAlone(t, c, "CA-1", "P1", "it@ca-acme.example", "caacme")
	asks := func() int {
		n := 0
		for _, subject := range apptest.Subjects(t, sink, "it@ca-acme.example") {
			if strings.Contains(subject, "asks to manage") {
				n++
			}
		}
		return n
	}

	first, _, p2 := claim(t, c, "CA-2", "P2", "contact@ca-p2.example", "it@ca-acme.example")
	token, _ := apptest.MailedToken(t, sink, "it@ca-acme.example", "asks to manage", 1, apptest.AccessLinkPattern)
	if got := accessCall(t, c, token, "denyPartnerAccess", nil); len(got.UserErrors) > 0 {
		t.Fatalf("deny: %+v", got.UserErrors)
	}
	type seen struct {
		State    string     `json:"state"`
		AskedAt  time.Time  `json:"askedAt"`
		MailedAt *time.Time `json:"mailedAt"`
	}
	accessOf := func(token, orderID string) *seen {
		t.Helper()
		var res struct {
			Order struct {
				CustomerAccess *seen `json:"customerAccess"`
			} `json:"order"`
		}
		c.GQL(t, token, `query($id: ID!) { order(id: $id) { customerAccess { state askedAt mailedAt } } }`, map[string]any{"id": orderID}).OK(t).Decode(t, &res)
		return res.Order.CustomerAccess
	}
	a1 := accessOf(p2, first)
	if a1 == nil || a1.MailedAt == nil || !a1.AskedAt.Equal(*a1.MailedAt) {
		t.Fatalf("the first request: %+v, want asked and mailed at once", a1)
	}

	clk.Advance(2 * time.Hour)
	c.Op = c.Operator(t) // tokens live by the stub clock
	second, _, _ := claim(t, c, "CA-3", "P2", "contact@ca-p2.example", "it@ca-acme.example")
	apptest.Holds(t, "no second email within the day", apptest.QuietPeriod, func() (bool, string) {
		return asks() == 1, sink.Summary()
	})
	p2 = c.MustSignIn(t, "contact@ca-p2.example", apptest.Password)
	a2 := accessOf(p2, second)
	if a2 == nil || a2.State != "PENDING" || a2.MailedAt == nil || !a2.MailedAt.Equal(*a1.MailedAt) || !a2.AskedAt.After(a1.AskedAt) {
		t.Fatalf("the ask within the day: %+v, want PENDING, asked now, mailedAt the first email's (%v)", a2, a1.MailedAt)
	}

	clk.Advance(23 * time.Hour) // a day and an hour after the first email
	c.Op = c.Operator(t)
	claim(t, c, "CA-4", "P2", "contact@ca-p2.example", "it@ca-acme.example")
	apptest.MailedToken(t, sink, "it@ca-acme.example", "asks to manage", 2, apptest.AccessLinkPattern)
	p2 = c.MustSignIn(t, "contact@ca-p2.example", apptest.Password)
	if a3 := accessOf(p2, second); a3 == nil || a3.MailedAt == nil || !a3.MailedAt.After(*a1.MailedAt) {
		t.Fatalf("the open request after the day: %+v, want mailed again", a3)
	}
}

// TestAccessMailIsInTheAdministratorsLanguage: the administrator of a
// customer organization made by a Serbian order is asked in Serbian, though
// the asking partner's order is English; after setLanguage(en) on the
// access page, the confirmation of the approval is in English.
func TestAccessMailIsInTheAdministratorsLanguage(t *testing.T) {
	t.Parallel()
	c, sink, _ := apptest.StartWithMail(t)
	id := c.NewOrder(t, "AL-1", "P1", func(in map[string]any) { startsLater(in); in["language"] = "sr" })
	link := c.Link(t, id, "it@al-acme.example")
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "CUSTOMER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "it@al-acme.example"))
	c.Must(t, link, "confirmCustomerOrg", apptest.Input())
	c.Must(t, link, "confirmOrgs", nil)

	claim(t, c, "AL-2", "P2", "contact@al-p2.example", "it@al-acme.example")
	token, _ := apptest.MailedToken(t, sink, "it@al-acme.example", "traži da upravlja", 1, apptest.AccessLinkPattern)
	var set struct {
		SetLanguage struct {
			Language *string `json:"language"`
		} `json:"setLanguage"`
	}
	c.GQL(t, token, `mutation { setLanguage(language: en) { language } }`, nil).OK(t).Decode(t, &set)
	if apptest.Deref(set.SetLanguage.Language) != "en" {
		t.Fatalf("setLanguage with the access link: %+v", set)
	}
	if got := accessCall(t, c, token, "approvePartnerAccess", nil); len(got.UserErrors) > 0 {
		t.Fatalf("approve: %+v", got.UserErrors)
	}
	apptest.MailedToken(t, sink, "it@al-acme.example", "approved", 1, apptest.AccessLinkPattern)
}
