package app_test

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
	"maps"
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
)

// --- the session's new fields, and wizard calls that send a draftId ------------------------

const lifeSessionFragment = `
fragment lifeSession on SetupSession {
  step next steps draftId existingSite customerAdminEmail missingSettings email role readOnly
  customerOrg { id existing name subdomain }
  order { id status step provisioningContactEmail handedToCustomer }
}`

const lifePayloadFragment = `
fragment lifePayload on SetupPayload { setup { ...lifeSession } handedOffTo userErrors { field message code } }` +
	lifeSessionFragment

// lifeMutations are the wizard's mutations, each (but startSetup) with the
// optional draftId.
var lifeMutations = map[string]string{
	"startSetup":                     `mutation { startSetup { ...lifePayload } }`,
	"chooseRole":                     `mutation($role: SetupRole!, $draftId: ID) { chooseRole(role: $role, draftId: $draftId) { ...lifePayload } }`,
	"assignSetup":                    `mutation($input: AssignSetupInput!, $draftId: ID) { assignSetup(input: $input, draftId: $draftId) { ...lifePayload } }`,
	"confirmPartnerOrg":              `mutation($input: PartnerOrgInput!, $draftId: ID) { confirmPartnerOrg(input: $input, draftId: $draftId) { ...lifePayload } }`,
	"setCustomerAdmin":               `mutation($email: String!, $draftId: ID) { setCustomerAdmin(email: $email, draftId: $draftId) { ...lifePayload } }`,
	"confirmCustomerOrg":             `mutation($input: CustomerOrgInput!, $draftId: ID) { confirmCustomerOrg(input: $input, draftId: $draftId) { ...lifePayload } }`,
	"reportUnrecognizedOrganization": `mutation($input: ReportOrganizationInput!, $draftId: ID) { reportUnrecognizedOrganization(input: $input, draftId: $draftId) { ...lifePayload } }`,
	"confirmOrgs":                    `mutation($draftId: ID) { confirmOrgs(draftId: $draftId) { ...lifePayload } }`,
	"setPartnerPassword":             `mutation($password: String!, $draftId: ID) { setPartnerPassword(password: $password, draftId: $draftId) { ...lifePayload } }`,
	"saveCallSettings":               `mutation($input: CallSettingsInput!, $draftId: ID) { saveCallSettings(input: $input, draftId: $draftId) { ...lifePayload } }`,
	"saveEnterpriseSettings":         `mutation($subdomain: String!, $draftId: ID) { saveEnterpriseSettings(subdomain: $subdomain, draftId: $draftId) { ...lifePayload } }`,
}

const lifeProvisionMutation = `mutation($key: String, $draftId: ID) { provision(idempotencyKey: $key, draftId: $draftId) {
  order { id status step }
  subscription { id status billingStartedAt siteSubdomain }
  userErrors { field message code }
} }`

const lifeSetupQuery = `{ setup { ...lifeSession } }` + lifeSessionFragment

type lifeSessionView struct {
	Step               string   `json:"step"`
	Next               string   `json:"next"`
	Steps              []string `json:"steps"`
	DraftID            string   `json:"draftId"`
	ExistingSite       *string  `json:"existingSite"`
	CustomerAdminEmail *string  `json:"customerAdminEmail"`
	MissingSettings    []string `json:"missingSettings"`
	Email              string   `json:"email"`
	Role               *string  `json:"role"`
	ReadOnly           bool     `json:"readOnly"`
	CustomerOrg        *struct {
		ID        *string `json:"id"`
		Existing  bool    `json:"existing"`
		Name      string  `json:"name"`
		Subdomain *string `json:"subdomain"`
	} `json:"customerOrg"`
	Order struct {
		ID                       string `json:"id"`
		Status                   string `json:"status"`
		Step                     string `json:"step"`
		ProvisioningContactEmail string `json:"provisioningContactEmail"`
		HandedToCustomer         bool   `json:"handedToCustomer"`
	} `json:"order"`
}

type lifePayload struct {
	Setup       *lifeSessionView `json:"setup"`
	HandedOffTo *string          `json:"handedOffTo"`
	UserErrors  []userError      `json:"userErrors"`
}

// lifeCall runs a wizard mutation (or provision) and returns the raw
// response.
func (c *wizClient) lifeCall(t *testing.T, token, op string, vars map[string]any) response {
	t.Helper()
	if op == "provision" {
		return c.gql(t, token, lifeProvisionMutation, vars)
	}
	q, ok := lifeMutations[op]
	if !ok {
		t.Fatalf("unknown wizard mutation %s", op)
	}
	return c.gql(t, token, q+lifePayloadFragment, vars)
}

// lifeWiz runs a wizard mutation that must not fail at the top level.
func (c *wizClient) lifeWiz(t *testing.T, token, op string, vars map[string]any) lifePayload {
	t.Helper()
	var data map[string]lifePayload
	c.lifeCall(t, token, op, vars).ok(t).decode(t, &data)
	p, ok := data[op]
	if !ok {
		t.Fatalf("%s: no payload in the response", op)
	}
	return p
}

// lifeMust runs a wizard mutation that must succeed and returns the session
// it answers.
func (c *wizClient) lifeMust(t *testing.T, token, op string, vars map[string]any) *lifeSessionView {
	t.Helper()
	p := c.lifeWiz(t, token, op, vars)
	if len(p.UserErrors) > 0 || p.Setup == nil {
		t.Fatalf("%s: userErrors %+v, setup %v", op, p.UserErrors, p.Setup)
	}
	return p.Setup
}

// lifeRefuse runs a wizard mutation (or provision) that must be refused
// with the userError code (on field, when given) and change nothing.
func (c *wizClient) lifeRefuse(t *testing.T, token, orderID, op string, vars map[string]any, code string, field ...string) userError {
	t.Helper()
	before := c.world(t, orderID, token)
	var errs []userError
	if op == "provision" {
		var data struct {
			Provision struct {
				Order        any         `json:"order"`
				Subscription any         `json:"subscription"`
				UserErrors   []userError `json:"userErrors"`
			} `json:"provision"`
		}
		c.lifeCall(t, token, op, vars).ok(t).decode(t, &data)
		if data.Provision.Order != nil || data.Provision.Subscription != nil {
			t.Errorf("refused provision answered order %v, subscription %v", data.Provision.Order, data.Provision.Subscription)
		}
		errs = data.Provision.UserErrors
	} else {
		p := c.lifeWiz(t, token, op, vars)
		if p.Setup != nil || p.HandedOffTo != nil {
			t.Errorf("refused %s answered setup %+v, handedOffTo %v", op, p.Setup, p.HandedOffTo)
		}
		errs = p.UserErrors
	}
	e := wizWantCode(t, op, errs, code, field...)
	if after := c.world(t, orderID, token); after != before {
		t.Errorf("refused %s (%s) changed something:\nbefore: %s\nafter:  %s", op, code, before, after)
	}
	return e
}

// lifeSession reads the link's session with the new fields.
func (c *wizClient) lifeSession(t *testing.T, token string) lifeSessionView {
	t.Helper()
	var data struct {
		Setup lifeSessionView `json:"setup"`
	}
	c.gql(t, token, lifeSetupQuery, nil).ok(t).decode(t, &data)
	return data.Setup
}

// lifeWithDraft adds a draftId to a call's variables.
func lifeWithDraft(vars map[string]any, draftID string) map[string]any {
	out := map[string]any{"draftId": draftID}
	maps.Copy(out, vars)
	return out
}

// --- operator and partner actions ----------------------------------------------------------------

func (c *wizClient) lifeResend(t *testing.T, token, orderID string, email any) resendResult {
	t.Helper()
	var res resendResult
	c.gql(t, token, resendMutation, map[string]any{"id": orderID, "email": email}).ok(t).decode(t, &res)
	return res
}

func (c *wizClient) lifeCancel(t *testing.T, token, orderID string) cancelResult {
	t.Helper()
	var res cancelResult
	c.gql(t, token, cancelMutation, map[string]any{"id": orderID, "reason": "Customer withdrew."}).ok(t).decode(t, &res)
	return res
}

func (c *wizClient) lifeIntegration(t *testing.T, account string) string {
	t.Helper()
	tok, err := c.app.Auth.IssueIntegration(account, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// lifeMessagesTo counts the order's messages of kind to an address.
func (c *wizClient) lifeMessagesTo(t *testing.T, orderID string, kind message.Kind, to string) int {
	t.Helper()
	n, err := c.app.Store.Client.Message.Query().
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
func (c *wizClient) lifeEscalationOf(t *testing.T, orderID string) *lifeEscalation {
	t.Helper()
	var data struct {
		Order *struct {
			Escalation *lifeEscalation `json:"escalation"`
		} `json:"order"`
	}
	c.gql(t, c.op, lifeOrderEscalationQuery, map[string]any{"id": orderID}).ok(t).decode(t, &data)
	if data.Order == nil {
		t.Fatalf("order %s not found", orderID)
	}
	return data.Order.Escalation
}

// lifeOpenEscalation opens an escalation on an order, as the escalation
// job does a day after the start date (the job itself runs in
// TestLifeTestClockRunsTheDueJobs).
func (c *wizClient) lifeOpenEscalation(t *testing.T, orderID string) {
	t.Helper()
	if _, err := c.app.Store.Client.Escalation.Create().SetOrderID(gid.ID(orderID)).
		SetReason("Setup had not started one day after the requested start date.").
		Save(store.System(context.Background())); err != nil {
		t.Fatal(err)
	}
	if e := c.lifeEscalationOf(t, orderID); e == nil || e.ResolvedAt != nil {
		t.Fatalf("escalation of %s = %+v, want an open one", orderID, e)
	}
}

// lifeWantClosed asserts the order's escalation was closed by Onramp for
// the reason given.
func (c *wizClient) lifeWantClosed(t *testing.T, orderID, why string) {
	t.Helper()
	e := c.lifeEscalationOf(t, orderID)
	if e == nil {
		t.Fatalf("order %s has no escalation", orderID)
	}
	if e.ResolvedAt == nil || deref(e.ResolvedBy) != "onramp: "+why {
		t.Errorf("escalation of %s: resolvedAt %v, resolvedBy %q, want closed by %q",
			orderID, deref(e.ResolvedAt), deref(e.ResolvedBy), "onramp: "+why)
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
func lifeWantSteps(t *testing.T, what string, s lifeSessionView, want []string) {
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
	c := wizEnv(t)
	first := c.provisioned(t, "ES-1", "P1", "admin@p1.example", "it@acme.example", "acme")

	// secondOrder takes a second order of the same customer (its
	// administrator's email maps it to the existing organization) to the
	// service settings.
	secondOrder := func(t *testing.T, ext string, services []any) (string, string, *lifeSessionView) {
		t.Helper()
		id := c.place(t, ext, "P1", func(in map[string]any) { in["services"] = services })
		link := c.link(t, id, "admin@p1.example")
		s := c.partnerToConfirm(t, link, "it@acme.example")
		if s.CustomerOrg == nil || !s.CustomerOrg.Existing || deref(s.CustomerOrg.ID) != first.customerOrgID {
			t.Fatalf("customer org %+v, want the existing %s", s.CustomerOrg, first.customerOrgID)
		}
		got := c.lifeMust(t, link, "confirmOrgs", nil)
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
		if deref(s.ExistingSite) != "acme" {
			t.Errorf("existingSite = %q, want acme", deref(s.ExistingSite))
		}
		if s.CustomerOrg == nil || deref(s.CustomerOrg.Subdomain) != "acme" {
			t.Errorf("customerOrg = %+v, want its subdomain acme", s.CustomerOrg)
		}
		if s.Next != "saveCallSettings" {
			t.Errorf("next = %s, want saveCallSettings", s.Next)
		}
		if got := c.lifeSession(t, link); deref(got.ExistingSite) != "acme" || !slices.Equal(got.MissingSettings, []string{"CALLING"}) {
			t.Errorf("setup query: existingSite %q, missing %v", deref(got.ExistingSite), got.MissingSettings)
		}

		// Another name: the organization has its site, and the message
		// names it.
		e := c.lifeRefuse(t, link, id, "saveEnterpriseSettings", wizVars("subdomain", "acme-two"), "SITE_EXISTS", "subdomain")
		if !strings.Contains(e.Message, "acme") {
			t.Errorf("SITE_EXISTS message %q should name the site acme", e.Message)
		}

		s = c.lifeMust(t, link, "saveCallSettings", wizCallSettingsVars())
		if s.Step != "PROVISION" || len(s.MissingSettings) != 0 || s.Next != "provision" {
			t.Fatalf("saveCallSettings: step %s, missing %v, next %s; want PROVISION with nothing missing", s.Step, s.MissingSettings, s.Next)
		}
		p := c.mustProvision(t, link, nil)
		if deref(p.Subscription.SiteSubdomain) != "acme" {
			t.Errorf("subscription.siteSubdomain = %q, want the existing site acme", deref(p.Subscription.SiteSubdomain))
		}
		if o := c.order(t, c.op, id); o.CustomerOrg == nil || deref(o.CustomerOrg.Subdomain) != "acme" {
			t.Errorf("customer org after provision: %+v", o.CustomerOrg)
		}
	})

	t.Run("meetings only: provision without saveEnterpriseSettings", func(t *testing.T) {
		_, link, s := secondOrder(t, "ES-3", []any{map[string]any{"kind": "MEETINGS", "quantity": 3}})
		if len(s.MissingSettings) != 0 || deref(s.ExistingSite) != "acme" || s.Next != "provision" {
			t.Errorf("after confirmOrgs: missing %v, existingSite %q, next %s; want nothing missing, acme, provision",
				s.MissingSettings, deref(s.ExistingSite), s.Next)
		}
		p := c.mustProvision(t, link, nil)
		if deref(p.Subscription.SiteSubdomain) != "acme" {
			t.Errorf("subscription.siteSubdomain = %q, want acme", deref(p.Subscription.SiteSubdomain))
		}
	})

	ctx := store.System(context.Background())
	if n, _ := c.app.Store.Client.Organization.Query().Where(organization.SubdomainNotNil()).Count(ctx); n != 1 {
		t.Errorf("%d organizations with a subdomain, want 1 (acme)", n)
	}
}

// --- 2. a saved subdomain can be changed before provisioning -------------------------------------

func TestLifeSavedSubdomainCanBeChanged(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	id1 := c.place(t, "SC-1", "P1", nil)
	l1 := c.link(t, id1, "ana@p1.example")
	c.partnerToConfirm(t, l1, "it@one.example")
	c.confirmToServices(t, l1)
	c.saveSettings(t, l1, "first-name")

	s := c.lifeMust(t, l1, "saveEnterpriseSettings", wizVars("subdomain", "Second-Name"))
	if s.Step != "PROVISION" || s.CustomerOrg == nil || deref(s.CustomerOrg.Subdomain) != "second-name" {
		t.Fatalf("saveEnterpriseSettings again: step %s, customer org %+v, want PROVISION with second-name", s.Step, s.CustomerOrg)
	}
	if ok, reason := c.checkSubdomain(t, l1, "first-name"); !ok || reason != "" {
		t.Errorf("checkSubdomain(first-name) after the change = %v %q, want available", ok, reason)
	}
	if ok, reason := c.checkSubdomain(t, c.op, "second-name"); ok || reason != "SUBDOMAIN_TAKEN" {
		t.Errorf("checkSubdomain(second-name) for an operator = %v %q, want SUBDOMAIN_TAKEN", ok, reason)
	}
	// The name its own customer organization holds is the link's to keep.
	if ok, reason := c.checkSubdomain(t, l1, "second-name"); !ok || reason != "" {
		t.Errorf("checkSubdomain(second-name) for its own link = %v %q, want available", ok, reason)
	}
	if n, _ := c.app.Store.Client.Organization.Query().Where(organization.SubdomainNotNil()).Count(ctx); n != 1 {
		t.Errorf("%d organizations with a subdomain, want 1", n)
	}

	t.Run("another order can claim the released name", func(t *testing.T) {
		id2 := c.place(t, "SC-2", "P2", nil)
		l2 := c.link(t, id2, "bob@p2.example")
		c.partnerToConfirm(t, l2, "it@two.example")
		c.confirmToServices(t, l2)
		c.lifeRefuse(t, l2, id2, "saveEnterpriseSettings", wizVars("subdomain", "second-name"), "SUBDOMAIN_TAKEN", "subdomain")
		c.must(t, l2, "saveEnterpriseSettings", wizVars("subdomain", "first-name"))
		// Now the first order cannot take its first name back.
		c.lifeRefuse(t, l1, id1, "saveEnterpriseSettings", wizVars("subdomain", "first-name"), "SUBDOMAIN_TAKEN", "subdomain")
	})

	p := c.mustProvision(t, l1, nil)
	if deref(p.Subscription.SiteSubdomain) != "second-name" {
		t.Errorf("subscription.siteSubdomain = %q, want second-name", deref(p.Subscription.SiteSubdomain))
	}
	if o := c.order(t, c.op, id1); o.CustomerOrg == nil || deref(o.CustomerOrg.Subdomain) != "second-name" {
		t.Errorf("customer org after provision: %+v", o.CustomerOrg)
	}
}

// --- 3. cancelled means cancelled -------------------------------------------------------------------

func TestLifeCancelledOrderAcceptsNothing(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	done := c.provisioned(t, "CX-0", "P1", "admin@p1.example", "it@acme.example", "acme")
	partner := c.mustSignIn(t, done.partnerAdmin, wizPassword)

	// An order ready to provision, cancelled by its partner's integration.
	id := c.place(t, "CX-1", "P1", func(in map[string]any) {
		in["customer"].(map[string]any)["name"] = "Globex d.o.o."
	})
	link := c.link(t, id, "admin@p1.example")
	c.partnerToConfirm(t, link, "it@globex.example")
	c.confirmToServices(t, link)
	c.saveSettings(t, link, "globex")

	before := c.world(t, id, "")
	c.gql(t, c.lifeIntegration(t, "P2"), cancelMutation, map[string]any{"id": id}).wantError(t, "NOT_FOUND", "")
	c.gql(t, link, cancelMutation, map[string]any{"id": id}).wantError(t, "FORBIDDEN", "")
	if after := c.world(t, id, ""); after != before {
		t.Errorf("refused cancels changed something:\nbefore: %s\nafter:  %s", before, after)
	}
	res := c.lifeCancel(t, c.lifeIntegration(t, "P1"), id)
	if ue := res.CancelOrder.UserErrors; len(ue) != 0 || res.CancelOrder.Order == nil || res.CancelOrder.Order.Status != "CANCELLED" {
		t.Fatalf("the partner's integration cancels its order: %+v", res.CancelOrder)
	}

	t.Run("no wizard call works", func(t *testing.T) {
		before := c.world(t, id, "")
		c.gql(t, link, wizSetupQuery, nil).wantError(t, "UNAUTHENTICATED", "CANCELLED")
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"startSetup", nil},
			{"chooseRole", wizVars("role", "PARTNER")},
			{"saveCallSettings", wizCallSettingsVars()},
			{"saveEnterpriseSettings", wizVars("subdomain", "globex-two")},
			{"provision", nil},
		} {
			c.lifeCall(t, link, tc.op, tc.vars).wantError(t, "UNAUTHENTICATED", "CANCELLED")
		}
		if after := c.world(t, id, ""); after != before {
			t.Errorf("calls on a cancelled order changed something:\nbefore: %s\nafter:  %s", before, after)
		}
		o := c.order(t, c.op, id)
		if o.Status != "CANCELLED" || o.Subscription == nil || o.Subscription.BillingStartedAt != nil {
			t.Errorf("cancelled order: %+v, subscription %+v; want CANCELLED without billing", o, o.Subscription)
		}
	})

	t.Run("resend answers ORDER_CANCELLED and sends nothing", func(t *testing.T) {
		before := c.world(t, id, "")
		for _, tc := range []struct {
			name  string
			email any
		}{{"to the holder", nil}, {"to a new contact", "new@p1.example"}} {
			res := c.lifeResend(t, c.op, id, tc.email)
			if ue := res.ResendSetupLink.UserErrors; len(ue) != 1 || ue[0].Code != "ORDER_CANCELLED" {
				t.Errorf("resend %s: userErrors %+v, want ORDER_CANCELLED", tc.name, ue)
			}
		}
		if after := c.world(t, id, ""); after != before {
			t.Errorf("refused resends changed something:\nbefore: %s\nafter:  %s", before, after)
		}
	})

	t.Run("a partner session cancels its partner's order", func(t *testing.T) {
		id := c.place(t, "CX-2", "P1", nil)
		res := c.lifeCancel(t, partner, id)
		if ue := res.CancelOrder.UserErrors; len(ue) != 0 || res.CancelOrder.Order == nil || res.CancelOrder.Order.Status != "CANCELLED" {
			t.Fatalf("partner session cancel: %+v", res.CancelOrder)
		}
		if o := c.order(t, c.op, id); o.Status != "CANCELLED" {
			t.Errorf("status %s, want CANCELLED", o.Status)
		}
	})

	t.Run("a provisioned order cannot be cancelled", func(t *testing.T) {
		before := c.world(t, done.orderID, "")
		res := c.lifeCancel(t, c.op, done.orderID)
		if ue := res.CancelOrder.UserErrors; len(ue) != 1 || ue[0].Code != "ALREADY_PROVISIONED" || res.CancelOrder.Order != nil {
			t.Errorf("cancel after provisioning: %+v, want the userError ALREADY_PROVISIONED", res.CancelOrder)
		}
		if after := c.world(t, done.orderID, ""); after != before {
			t.Errorf("a refused cancel changed something:\nbefore: %s\nafter:  %s", before, after)
		}
	})
}

// --- 4. resend on hold -------------------------------------------------------------------------------

func TestLifeResendOnHoldIsRefused(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	id := c.place(t, "RH-1", "P1", nil)
	link := c.link(t, id, "ana@p1.example")
	c.must(t, link, "startSetup", nil)
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	s := c.must(t, link, "reportUnrecognizedOrganization", wizInput("organization", "PARTNER"))
	if s.Order.Status != "ON_HOLD" || s.Step != "PARTNER_ORG" {
		t.Fatalf("report: %s/%s, want ON_HOLD at PARTNER_ORG", s.Order.Status, s.Step)
	}

	for _, tc := range []struct {
		name, token string
		email       any
	}{
		{"operator, to the holder", c.op, nil},
		{"operator, to a new contact", c.op, "new@p1.example"},
		{"the partner's integration", c.lifeIntegration(t, "P1"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.world(t, id, link)
			res := c.lifeResend(t, tc.token, id, tc.email)
			if ue := res.ResendSetupLink.UserErrors; len(ue) != 1 || ue[0].Code != "ON_HOLD" || res.ResendSetupLink.Order != nil {
				t.Errorf("resend on hold: %+v, want the userError ON_HOLD", res.ResendSetupLink)
			}
			if after := c.world(t, id, link); after != before {
				t.Errorf("a refused resend changed something:\nbefore: %s\nafter:  %s", before, after)
			}
		})
	}
	o := c.order(t, c.op, id)
	if o.Status != "ON_HOLD" || o.Step != "PARTNER_ORG" {
		t.Errorf("order after the refused resends: %s/%s, want ON_HOLD/PARTNER_ORG", o.Status, o.Step)
	}
	if n := c.lifeMessagesTo(t, id, message.KindSETUP_LINK, "new@p1.example") + c.lifeMessagesTo(t, id, message.KindSETUP_LINK, "provisioning@partner.example"); n != 0 {
		t.Errorf("%d setup emails queued while on hold", n)
	}
}

// --- 5. resend goes to the current holder ----------------------------------------------------------

func TestLifeResendGoesToTheCurrentHolder(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)

	t.Run("after a hand-off to a colleague", func(t *testing.T) {
		id := c.place(t, "RC-1", "P1", nil)
		l1 := c.link(t, id, "provisioning@partner.example")
		c.must(t, l1, "startSetup", nil)
		c.must(t, l1, "chooseRole", wizVars("role", "PARTNER"))
		c.wiz(t, l1, "assignSetup", wizInput("assignee", "COLLEAGUE", "email", "colleague@p1.example"))
		l2 := c.mailedLink(t, id, message.KindHANDOFF_COLLEAGUE, "colleague@p1.example")
		c.must(t, l2, "startSetup", nil)

		res := c.lifeResend(t, c.op, id, nil)
		if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
			t.Fatalf("resend: userErrors %+v", ue)
		}
		if n := c.lifeMessagesTo(t, id, message.KindSETUP_LINK, "provisioning@partner.example"); n != 0 {
			t.Errorf("the resend went to the provisioning contact (%d messages), not to the colleague", n)
		}
		l3 := c.mailedLink(t, id, message.KindSETUP_LINK, "colleague@p1.example")
		c.gql(t, l2, wizSetupQuery, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")
		if s := c.lifeSession(t, l3); s.Email != "colleague@p1.example" || s.Step != "ROLE" {
			t.Errorf("the resent link: email %s step %s, want colleague@p1.example at ROLE", s.Email, s.Step)
		}

		t.Run("an explicit email changes the contact", func(t *testing.T) {
			res := c.lifeResend(t, c.lifeIntegration(t, "P1"), id, "New.Contact@P1.example")
			if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
				t.Fatalf("resend: userErrors %+v", ue)
			}
			if o := res.ResendSetupLink.Order; o == nil || o.ProvisioningContactEmail != "new.contact@p1.example" {
				t.Errorf("order after the resend: %+v, want contact new.contact@p1.example", o)
			}
			l4 := c.mailedLink(t, id, message.KindSETUP_LINK, "new.contact@p1.example")
			c.gql(t, l3, wizSetupQuery, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")
			if s := c.lifeSession(t, l4); s.Email != "new.contact@p1.example" || s.Order.ProvisioningContactEmail != "new.contact@p1.example" {
				t.Errorf("the new contact's link: email %s, contact %s", s.Email, s.Order.ProvisioningContactEmail)
			}
		})
	})

	t.Run("after a hand-off to the customer", func(t *testing.T) {
		id := c.place(t, "RC-2", "P1", nil)
		l1 := c.link(t, id, "provisioning@partner.example")
		c.must(t, l1, "startSetup", nil)
		c.must(t, l1, "chooseRole", wizVars("role", "PARTNER"))
		c.wiz(t, l1, "assignSetup", wizInput("assignee", "CUSTOMER", "email", "it@acme.example"))
		lc := c.mailedLink(t, id, message.KindHANDOFF_CUSTOMER, "it@acme.example")

		res := c.lifeResend(t, c.op, id, nil)
		if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
			t.Fatalf("resend: userErrors %+v", ue)
		}
		if n := c.lifeMessagesTo(t, id, message.KindSETUP_LINK, "provisioning@partner.example"); n != 0 {
			t.Errorf("the resend went to the provisioning contact (%d messages), not to the customer", n)
		}
		ln := c.mailedLink(t, id, message.KindSETUP_LINK, "it@acme.example")
		c.gql(t, lc, wizSetupQuery, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")
		s := c.lifeSession(t, ln)
		if s.Email != "it@acme.example" || !s.Order.HandedToCustomer {
			t.Errorf("the customer's new link: email %s, handedToCustomer %v", s.Email, s.Order.HandedToCustomer)
		}
		lifeWantSteps(t, "the customer's new link", s, lifeCustomerSteps)
		// The hand-off's path is kept: the customer cannot become the
		// partner through the new link.
		c.must(t, ln, "startSetup", nil)
		c.lifeRefuse(t, ln, id, "chooseRole", wizVars("role", "PARTNER"), "ROLE_NOT_ALLOWED", "role")
		if s := c.must(t, ln, "chooseRole", wizVars("role", "CUSTOMER")); s.Step != "ASSIGNMENT" {
			t.Errorf("chooseRole CUSTOMER: step %s", s.Step)
		}
	})
}

// --- 6. escalations close themselves ----------------------------------------------------------------

func TestLifeEscalationsCloseThemselves(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)

	for _, tc := range []struct {
		name, ext, why string
		// act takes the order (with an open escalation) one step.
		act func(t *testing.T, id, link string)
	}{
		{"startSetup starts the setup", "EC-START", "setup started", func(t *testing.T, id, link string) {
			c.must(t, link, "startSetup", nil)
		}},
		{"a first call other than startSetup starts the setup", "EC-ROLE", "setup started", func(t *testing.T, id, link string) {
			c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
		}},
		{"an operator cancels", "EC-OP-CANCEL", "cancelled", func(t *testing.T, id, link string) {
			if res := c.lifeCancel(t, c.op, id); len(res.CancelOrder.UserErrors) != 0 {
				t.Fatalf("cancel: %+v", res.CancelOrder.UserErrors)
			}
		}},
		{"the partner's integration cancels", "EC-INT-CANCEL", "cancelled", func(t *testing.T, id, link string) {
			if res := c.lifeCancel(t, c.lifeIntegration(t, "P1"), id); len(res.CancelOrder.UserErrors) != 0 {
				t.Fatalf("cancel: %+v", res.CancelOrder.UserErrors)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := c.place(t, tc.ext, "P1", nil)
			link := c.link(t, id, "ana@p1.example")
			c.lifeOpenEscalation(t, id)
			tc.act(t, id, link)
			c.lifeWantClosed(t, id, tc.why)
		})
	}

	t.Run("provisioning closes it", func(t *testing.T) {
		id := c.place(t, "EC-PROV", "P2", nil)
		link := c.link(t, id, "bob@p2.example")
		c.partnerToConfirm(t, link, "it@prov.example")
		c.confirmToServices(t, link)
		c.saveSettings(t, link, "prov")
		c.lifeOpenEscalation(t, id)
		c.mustProvision(t, link, nil)
		c.lifeWantClosed(t, id, "provisioned")
	})

	t.Run("a refused call leaves it open", func(t *testing.T) {
		id := c.place(t, "EC-REFUSED", "P1", nil)
		link := c.link(t, id, "ana@p1.example")
		c.lifeOpenEscalation(t, id)
		c.lifeRefuse(t, link, id, "confirmOrgs", nil, "WRONG_STEP")
		if e := c.lifeEscalationOf(t, id); e == nil || e.ResolvedAt != nil || deref(e.ResolvedBy) != "" {
			t.Errorf("after a refused call the escalation is %+v, want it open", e)
		}
	})

	t.Run("an operator's resolution is kept", func(t *testing.T) {
		id := c.place(t, "EC-OP", "P1", nil)
		link := c.link(t, id, "ana@p1.example")
		c.lifeOpenEscalation(t, id)
		e := c.lifeEscalationOf(t, id)
		var res resolveResult
		c.gql(t, c.op, resolveMutation, map[string]any{"id": e.ID, "note": "Called them."}).ok(t).decode(t, &res)
		if len(res.ResolveEscalation.UserErrors) != 0 {
			t.Fatalf("resolveEscalation: %+v", res.ResolveEscalation.UserErrors)
		}
		c.must(t, link, "startSetup", nil)
		if e := c.lifeEscalationOf(t, id); e == nil || e.ResolvedAt == nil || deref(e.ResolvedBy) != "op" {
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
	day := func(n int) string { return isoDate(now.AddDate(0, 0, n)) }

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
			s := startServing(t, func(cfg *app.Config) {
				cfg.Clock = clock.NewStub(now)
				if tc.window != 0 {
					cfg.OrderWindow = tc.window
				}
				if tc.timeZone != "" {
					cfg.TimeZone = tc.timeZone
				}
			})
			op, err := s.app.Auth.IssueOperator("op", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for i, date := range tc.refused {
				in := orderInput(fmt.Sprintf("OW-R%d", i), "P1")
				in["requestedStartDate"] = date
				var res placeResult
				gqlAt(t, s.base, op, placeOrderMutation, map[string]any{"input": in}).ok(t).decode(t, &res)
				if res.PlaceOrder.Order != nil {
					t.Errorf("start date %s: placed, want refused (its window has closed)", date)
				}
				wizWantCode(t, "placeOrder "+date, res.PlaceOrder.UserErrors, "INVALID", "input", "requestedStartDate")
			}
			if n := countOrdersAt(t, s, op); n != 0 {
				t.Errorf("%d orders stored after refusals", n)
			}
			for i, date := range tc.accepted {
				in := orderInput(fmt.Sprintf("OW-A%d", i), "P1")
				in["requestedStartDate"] = date
				var res placeResult
				gqlAt(t, s.base, op, placeOrderMutation, map[string]any{"input": in}).ok(t).decode(t, &res)
				if len(res.PlaceOrder.UserErrors) != 0 || res.PlaceOrder.Order == nil {
					t.Errorf("start date %s: userErrors %+v, want accepted", date, res.PlaceOrder.UserErrors)
					continue
				}
				// An accepted order's window is still open: the job that
				// closes it waits for the window's end.
				closing := jobsOf(t, s.app, "close_window", res.PlaceOrder.Order.ID)
				if len(closing) != 1 || closing[0].State != rivertype.JobStateScheduled || !closing[0].ScheduledAt.After(now) {
					t.Errorf("start date %s: want one close_window job scheduled after %s: %s", date, now.Format(time.RFC3339), jobStates(closing))
				}
			}
		})
	}
}

// --- 8. next names the settings the order needs ---------------------------------------------------

func TestLifeNextNamesTheSettingsTheOrderNeeds(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)

	// toServices places an order of services and takes it to SERVICES.
	toServices := func(t *testing.T, ext, account string, services ...string) (string, string, *lifeSessionView) {
		t.Helper()
		id := c.place(t, ext, account, func(in map[string]any) {
			var list []any
			for _, k := range services {
				list = append(list, map[string]any{"kind": k, "quantity": 2})
			}
			in["services"] = list
		})
		link := c.link(t, id, "ana@"+strings.ToLower(account)+".example")
		c.partnerToConfirm(t, link, "it@"+strings.ToLower(ext)+".example")
		c.confirmToServices(t, link)
		s := c.lifeSession(t, link)
		return id, link, &s
	}
	// wantNext checks next, and that WRONG_STEP messages name it and no
	// other settings call.
	wantNext := func(t *testing.T, id, link string, s *lifeSessionView, next, notNext string) {
		t.Helper()
		if s.Step != "SERVICES" || s.Next != next {
			t.Errorf("step %s next %s, want SERVICES and %s", s.Step, s.Next, next)
		}
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"chooseRole", wizVars("role", "PARTNER")},
			{"setPartnerPassword", wizVars("password", wizPassword)},
			{"confirmOrgs", nil},
		} {
			e := c.lifeRefuse(t, link, id, tc.op, tc.vars, "WRONG_STEP")
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
		c.must(t, link, "saveCallSettings", wizCallSettingsVars())
		got := c.lifeSession(t, link)
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
func lifeSubscribe(t *testing.T, ctx context.Context, s *serving, token, orderID string) <-chan lifeDraftEvent {
	t.Helper()
	conn := dialGraphQLWS(t, ctx, s, "")
	t.Cleanup(func() { conn.CloseNow() })
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: init}); err != nil {
		t.Fatal(err)
	}
	var ack wsMessage
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %+v %v", ack, err)
	}
	sub, _ := json.Marshal(map[string]any{"query": lifeDraftSubscription, "variables": map[string]any{"id": orderID}})
	if err := wsjson.Write(ctx, conn, wsMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
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
			var m wsMessage
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				emit(lifeDraftEvent{err: err})
				return
			}
			switch m.Type {
			case "ping":
				_ = wsjson.Write(ctx, conn, wsMessage{Type: "pong"})
			case "next":
				var p struct {
					Data *struct {
						OrderStatusChanged struct {
							Status  string  `json:"status"`
							Step    string  `json:"step"`
							DraftID *string `json:"draftId"`
						} `json:"orderStatusChanged"`
					} `json:"data"`
					Errors []gqlError `json:"errors"`
				}
				if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 || p.Data == nil {
					if !emit(lifeDraftEvent{err: fmt.Errorf("next: %s", m.Payload)}) {
						return
					}
					continue
				}
				ev := p.Data.OrderStatusChanged
				if !emit(lifeDraftEvent{status: ev.Status, step: ev.Step, draftID: deref(ev.DraftID)}) {
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
	c, srv := wizServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := c.place(t, "TT-1", "P1", nil)
	link := c.link(t, id, "ana@p1.example")

	// Tab A opens the link and answers two steps with its draftId.
	a := c.lifeMust(t, link, "startSetup", nil)
	if a.DraftID == "" {
		t.Fatal("startSetup answered no draftId")
	}
	if s := c.lifeMust(t, link, "chooseRole", lifeWithDraft(wizVars("role", "PARTNER"), a.DraftID)); s.DraftID != a.DraftID {
		t.Errorf("chooseRole changed the draftId %s → %s", a.DraftID, s.DraftID)
	}
	c.lifeMust(t, link, "assignSetup", lifeWithDraft(wizInput("assignee", "SELF"), a.DraftID))

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
	b := c.lifeMust(t, link, "startSetup", nil)
	if b.DraftID == "" || b.DraftID == a.DraftID {
		t.Fatalf("the second startSetup's draftId %q, want a new one (the first was %q)", b.DraftID, a.DraftID)
	}
	if b.Step != "ROLE" || b.Role != nil {
		t.Fatalf("the second tab: step %s role %v, want a fresh draft at ROLE", b.Step, b.Role)
	}
	if s := c.lifeSession(t, link); s.DraftID != b.DraftID {
		t.Errorf("setup.draftId = %s, want the new %s", s.DraftID, b.DraftID)
	}

	t.Run("the listening tab hears the restart", func(t *testing.T) {
		seen := lifeWaitDraft(t, tabA, b.DraftID, 10*time.Second)
		if last := seen[len(seen)-1]; last.status != "IN_SETUP" || last.step != "ROLE" {
			t.Errorf("the restart's event %+v, want IN_SETUP/ROLE", last)
		}
	})

	t.Run("an operator's subscriber gets no draftId", func(t *testing.T) {
		ops := lifeSubscribe(t, ctx, srv, c.op, id)
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
			{"chooseRole", wizVars("role", "CUSTOMER")},
			{"assignSetup", wizInput("assignee", "SELF")},
			{"confirmPartnerOrg", wizPartnerOrgVars("Tab A Org")},
			{"reportUnrecognizedOrganization", wizInput("organization", "PARTNER")},
			{"confirmOrgs", nil},
			{"saveCallSettings", wizCallSettingsVars()},
			{"provision", nil},
		} {
			t.Run(tc.op, func(t *testing.T) {
				e := c.lifeRefuse(t, link, id, tc.op, lifeWithDraft(tc.vars, a.DraftID), "DRAFT_RESTARTED")
				if e.Message == "" {
					t.Error("DRAFT_RESTARTED without a message")
				}
			})
		}
	})

	t.Run("the current tab goes on, with or without draftId", func(t *testing.T) {
		s := c.lifeMust(t, link, "chooseRole", lifeWithDraft(wizVars("role", "PARTNER"), b.DraftID))
		if s.Step != "ASSIGNMENT" || s.DraftID != b.DraftID {
			t.Errorf("chooseRole with the current draftId: step %s draftId %s", s.Step, s.DraftID)
		}
		s = c.lifeMust(t, link, "assignSetup", wizInput("assignee", "SELF"))
		if s.Step != "PARTNER_ORG" {
			t.Errorf("assignSetup without draftId: step %s, want PARTNER_ORG", s.Step)
		}
	})

	// A third opening gives yet another draft.
	if third := c.lifeMust(t, link, "startSetup", nil); third.DraftID == a.DraftID || third.DraftID == b.DraftID {
		t.Errorf("the third startSetup reused a draftId: %s", third.DraftID)
	}
}

// --- 11. the steps of this setup ----------------------------------------------------------------------

func TestLifeStepsOfTheSetup(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)

	t.Run("partner path with a new partner organization", func(t *testing.T) {
		id := c.place(t, "ST-1", "P1", nil)
		link := c.link(t, id, "admin@p1.example")
		want := lifePartnerNewSteps
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"startSetup", nil},
			{"chooseRole", wizVars("role", "PARTNER")},
			{"assignSetup", wizInput("assignee", "SELF")},
			{"confirmPartnerOrg", wizPartnerOrgVars("Partner Org")},
			{"setCustomerAdmin", wizVars("email", "it@acme.example")},
			{"confirmCustomerOrg", wizInput()},
			{"confirmOrgs", nil},
			{"setPartnerPassword", wizVars("password", wizPassword)},
			{"startSetup", nil}, // reopened once confirmed
			{"saveCallSettings", wizCallSettingsVars()},
			{"saveEnterpriseSettings", wizVars("subdomain", "acme")},
			{"startSetup", nil},
		} {
			s := c.lifeMust(t, link, tc.op, tc.vars)
			lifeWantSteps(t, tc.op+" at "+s.Step, *s, want)
			lifeWantSteps(t, "setup after "+tc.op, c.lifeSession(t, link), want)
		}
		c.mustProvision(t, link, nil)
		lifeWantSteps(t, "setup after provision", c.lifeSession(t, link), want)
	})

	t.Run("a partner's second order reviews its existing organization", func(t *testing.T) {
		id := c.place(t, "ST-2", "P1", func(in map[string]any) {
			in["customer"].(map[string]any)["name"] = "Globex d.o.o."
		})
		link := c.link(t, id, "someone@p1.example")
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"startSetup", nil},
			{"chooseRole", wizVars("role", "PARTNER")},
			{"assignSetup", wizInput("assignee", "SELF")},
			{"confirmPartnerOrg", wizInput()},
			{"setCustomerAdmin", wizVars("email", "it@globex.example")},
			{"confirmCustomerOrg", wizInput()},
			{"confirmOrgs", nil},
			{"startSetup", nil},
		} {
			s := c.lifeMust(t, link, tc.op, tc.vars)
			lifeWantSteps(t, tc.op+" at "+s.Step, *s, lifePartnerExistingSteps)
		}
	})

	t.Run("customer path", func(t *testing.T) {
		id := c.place(t, "ST-3", "P2", func(in map[string]any) {
			in["customer"].(map[string]any)["name"] = "Initech d.o.o."
		})
		link := c.link(t, id, "it@initech.example")
		c.lifeMust(t, link, "startSetup", nil)
		for _, tc := range []struct {
			op   string
			vars map[string]any
		}{
			{"chooseRole", wizVars("role", "CUSTOMER")},
			{"assignSetup", wizInput("assignee", "SELF")},
			{"setCustomerAdmin", wizVars("email", "it@initech.example")},
			{"confirmCustomerOrg", wizInput()},
			{"confirmOrgs", nil},
			{"startSetup", nil},
			{"saveCallSettings", wizCallSettingsVars()},
			{"saveEnterpriseSettings", wizVars("subdomain", "initech")},
		} {
			s := c.lifeMust(t, link, tc.op, tc.vars)
			lifeWantSteps(t, tc.op+" at "+s.Step, *s, lifeCustomerSteps)
		}
		c.mustProvision(t, link, nil)
		lifeWantSteps(t, "setup after provision", c.lifeSession(t, link), lifeCustomerSteps)
	})
}

// --- 12. customerAdminEmail after the confirmation ----------------------------------------------------

func TestLifeCustomerAdminEmailAfterConfirmation(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	for _, tc := range []struct {
		name, ext, account, holder, admin string
	}{
		{"a new customer organization", "CA-1", "P1", "admin@p1.example", "it@acme.example"},
		// The second order maps to the organization of the first.
		{"an existing customer organization", "CA-2", "P1", "other@p1.example", "it@acme.example"},
		{"another partner's new customer", "CA-3", "P2", "admin@p2.example", "boss@globex.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := c.place(t, tc.ext, tc.account, nil)
			link := c.link(t, id, tc.holder)
			c.partnerToConfirm(t, link, tc.admin)
			check := func(what string, got *string) {
				t.Helper()
				if deref(got) != tc.admin {
					t.Errorf("%s: customerAdminEmail %q, want the customer administrator %s (not the holder %s)",
						what, deref(got), tc.admin, tc.holder)
				}
			}
			check("confirmOrgs", c.lifeMust(t, link, "confirmOrgs", nil).CustomerAdminEmail)
			s := c.lifeSession(t, link)
			check("setup after confirmOrgs", s.CustomerAdminEmail)
			if s.Step == "PASSWORD" {
				c.must(t, link, "setPartnerPassword", wizVars("password", wizPassword))
			}
			check("setup at SERVICES", c.lifeSession(t, link).CustomerAdminEmail)
			check("startSetup at SERVICES", c.lifeMust(t, link, "startSetup", nil).CustomerAdminEmail)
		})
	}
}

// --- the test clock -------------------------------------------------------------------------------

const lifeAdvanceClockMutation = `mutation($by: String!) { advanceClock(by: $by) { now userErrors { field message code } } }`

type lifeAdvanceResult struct {
	AdvanceClock struct {
		Now        *string     `json:"now"`
		UserErrors []userError `json:"userErrors"`
	} `json:"advanceClock"`
}

// lifeAdvance moves the test clock by `by` with an operator token fresh on
// the clock (tokens expire on the test clock's time) and returns the new
// time.
func lifeAdvance(t *testing.T, s *serving, by string) time.Time {
	t.Helper()
	return lifeAdvanceAt(t, s.base, lifeOperator(t, s), by)
}

// lifeAdvanceAt moves the test clock of the server at base with the
// operator token op.
func lifeAdvanceAt(t *testing.T, base, op, by string) time.Time {
	t.Helper()
	var res lifeAdvanceResult
	gqlAt(t, base, op, lifeAdvanceClockMutation, map[string]any{"by": by}).ok(t).decode(t, &res)
	if len(res.AdvanceClock.UserErrors) != 0 || res.AdvanceClock.Now == nil {
		t.Fatalf("advanceClock(%s): %+v", by, res.AdvanceClock)
	}
	now, err := time.Parse(time.RFC3339, *res.AdvanceClock.Now)
	if err != nil {
		t.Fatalf("advanceClock.now %q: %v", *res.AdvanceClock.Now, err)
	}
	return now
}

// lifeOperator issues an operator token valid an hour from the app's
// clock's now.
func lifeOperator(t *testing.T, s *serving) string {
	t.Helper()
	tok, err := s.app.Auth.IssueOperator("op", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func lifeStatusAt(t *testing.T, s *serving, id string) (string, *lifeEscalation) {
	t.Helper()
	var data struct {
		Order *struct {
			Status     string          `json:"status"`
			Escalation *lifeEscalation `json:"escalation"`
		} `json:"order"`
	}
	gqlAt(t, s.base, lifeOperator(t, s), lifeOrderEscalationQuery, map[string]any{"id": id}).ok(t).decode(t, &data)
	if data.Order == nil {
		t.Fatalf("order %s not found", id)
	}
	return data.Order.Status, data.Order.Escalation
}

func TestLifeTestClockRunsTheDueJobs(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	s := startServing(t, func(cfg *app.Config) {
		cfg.Dev = true
		cfg.TestClock = true
		cfg.SMTPURL = sink.URL()
		cfg.CustomerSuccessEmail = successEmail
		cfg.JobPollInterval = 50 * time.Millisecond
		cfg.SetupLinkTTL = 48 * time.Hour
	})
	start := time.Now().UTC().AddDate(0, 0, 3)
	in := orderInput("TC-1", "P1")
	in["requestedStartDate"] = isoDate(start)
	in["provisioningContactEmail"] = contactEmail
	var placed placeResult
	gqlAt(t, s.base, lifeOperator(t, s), placeOrderMutation, map[string]any{"input": in}).ok(t).decode(t, &placed)
	if placed.PlaceOrder.Order == nil {
		t.Fatalf("placeOrder: %+v", placed.PlaceOrder.UserErrors)
	}
	id := placed.PlaceOrder.Order.ID
	holds(t, "nothing sent before the start date", 500*time.Millisecond, func() (bool, string) {
		return sink.Count() == 0, sink.Summary()
	})

	before := time.Now()
	now := lifeAdvance(t, s, "72h")
	if lo, hi := before.Add(72*time.Hour-time.Second), time.Now().Add(72*time.Hour+time.Second); now.Before(lo) || now.After(hi) {
		t.Errorf("advanceClock(72h).now = %s, want about 72h from the wall clock", now)
	}

	// The start date has come: the setup email goes out.
	token := setupToken(t, parseMail(t, waitTo(t, sink, contactEmail, 1)[0]), s.base)
	testkit.Eventually(t, "order LINK_SENT", mailWait, func() (bool, string) {
		st, _ := lifeStatusAt(t, s, id)
		return st == "LINK_SENT", "status " + st
	})
	if _, esc := lifeStatusAt(t, s, id); esc != nil {
		t.Fatalf("an escalation before a day has passed: %+v", esc)
	}

	// A day after the start date without setup: an escalation opens.
	lifeAdvance(t, s, "25h")
	testkit.Eventually(t, "an escalation", mailWait, func() (bool, string) {
		_, esc := lifeStatusAt(t, s, id)
		return esc != nil, "no escalation"
	})
	if _, esc := lifeStatusAt(t, s, id); esc.ResolvedAt != nil {
		t.Errorf("the new escalation is resolved: %+v", esc)
	}
	cs := parseMail(t, waitTo(t, sink, successEmail, 1)[0])
	if !strings.Contains(cs.Subject, "TC-1") {
		t.Errorf("escalation mail subject %q does not name the order", cs.Subject)
	}

	// The link still works; opening it starts setup and closes the
	// escalation.
	var v linkViewer
	gqlAt(t, s.base, token, linkViewerQuery, nil).ok(t).decode(t, &v)
	var started struct {
		StartSetup lifePayload `json:"startSetup"`
	}
	gqlAt(t, s.base, token, lifeMutations["startSetup"]+lifePayloadFragment, nil).ok(t).decode(t, &started)
	if p := started.StartSetup; len(p.UserErrors) != 0 || p.Setup == nil || p.Setup.Order.Status != "IN_SETUP" {
		t.Fatalf("startSetup: %+v", p)
	}
	st, esc := lifeStatusAt(t, s, id)
	if st != "IN_SETUP" || esc == nil || esc.ResolvedAt == nil || deref(esc.ResolvedBy) != "onramp: setup started" {
		t.Errorf("after startSetup: status %s, escalation %+v; want IN_SETUP and the escalation closed by \"onramp: setup started\"", st, esc)
	}

	// Link expiry follows the clock: 48 hours after it was issued.
	lifeAdvance(t, s, "49h")
	gqlAt(t, s.base, token, linkViewerQuery, nil).wantError(t, "UNAUTHENTICATED", "EXPIRED")
	// A day before the link expired its holder was reminded, once.
	msgs := waitTo(t, sink, contactEmail, 2)
	if n := len(sink.To(contactEmail)); n != 2 {
		t.Errorf("the contact received %d messages, want the setup email and one reminder", n)
	}
	if r := parseMail(t, msgs[1]); !strings.Contains(r.Subject, "Reminder") || !strings.Contains(r.Subject, "expires") {
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
		c := wizEnv(t)
		var res lifeAdvanceResult
		c.gql(t, c.op, lifeAdvanceClockMutation, map[string]any{"by": "24h"}).ok(t).decode(t, &res)
		if ue := res.AdvanceClock.UserErrors; len(ue) != 1 || ue[0].Code != "TEST_CLOCK_OFF" || res.AdvanceClock.Now != nil {
			t.Errorf("advanceClock without the test clock: %+v, want TEST_CLOCK_OFF", res.AdvanceClock)
		}
	})

	t.Run("with the test clock", func(t *testing.T) {
		s := startServing(t, func(cfg *app.Config) {
			cfg.Dev = true
			cfg.TestClock = true
		})
		op := lifeOperator(t, s)
		for _, by := range []string{"soon", "", "-1h", "0s", "100000h"} {
			var res lifeAdvanceResult
			gqlAt(t, s.base, op, lifeAdvanceClockMutation, map[string]any{"by": by}).ok(t).decode(t, &res)
			if res.AdvanceClock.Now != nil {
				t.Errorf("advanceClock(%q) moved the clock to %s", by, *res.AdvanceClock.Now)
			}
			wizWantCode(t, fmt.Sprintf("advanceClock(%q)", by), res.AdvanceClock.UserErrors, "INVALID", "by")
		}

		var placed placeResult
		gqlAt(t, s.base, op, placeOrderMutation, map[string]any{"input": orderInput("TCR-1", "P1")}).ok(t).decode(t, &placed)
		if placed.PlaceOrder.Order == nil {
			t.Fatalf("placeOrder: %+v", placed.PlaceOrder.UserErrors)
		}
		link, err := s.app.Auth.IssueSetupLink(store.System(context.Background()), gid.ID(placed.PlaceOrder.Order.ID), "ana@p1.example")
		if err != nil {
			t.Fatal(err)
		}
		integ, err := s.app.Auth.IssueIntegration("P1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, token, code, reason string }{
			{"integration", integ, "FORBIDDEN", ""},
			{"setup link", link, "FORBIDDEN", ""},
			{"no token", "", "UNAUTHENTICATED", "MISSING"},
		} {
			gqlAt(t, s.base, tc.token, lifeAdvanceClockMutation, map[string]any{"by": "24h"}).wantError(t, tc.code, tc.reason)
		}
		if d := time.Until(s.app.Orders.Now()); d > time.Minute || d < -time.Minute {
			t.Errorf("refused advances moved the clock by %s", d)
		}
	})
}

// TestLifeTestClockIsKeptInTheDatabase restarts a server with the test
// clock on the same database: the time it was moved to is kept, and
// operator tokens are signed from it.
func TestLifeTestClockIsKeptInTheDatabase(t *testing.T) {
	t.Parallel()
	loc := newDBLocation(t)
	testClock := func(cfg *app.Config) {
		cfg.Clock = nil
		cfg.Dev = true
		cfg.TestClock = true
	}
	first := startMailApp(t, loc, nil, testClock)
	moved := lifeAdvanceAt(t, first.base, first.operator(t), "240h")
	first.stop(t)

	second := startMailApp(t, loc, nil, testClock)
	now := second.app.Orders.Now()
	if d := now.Sub(moved); d < 0 || d > time.Minute {
		t.Errorf("after a restart the clock reads %s, want about %s (the advanced time)", now, moved)
	}
	// A token signed on the test clock works on the test clock.
	var v struct {
		Viewer struct {
			Kind string `json:"kind"`
		} `json:"viewer"`
	}
	second.gql(t, second.operator(t), `{ viewer { kind } }`, nil).ok(t).decode(t, &v)
	if v.Viewer.Kind != "OPERATOR" {
		t.Errorf("viewer.kind = %q, want OPERATOR", v.Viewer.Kind)
	}
	if again := lifeAdvanceAt(t, second.base, second.operator(t), "1h"); again.Sub(moved) < time.Hour {
		t.Errorf("a second advance reads %s, want at least an hour after %s", again, moved)
	}
}
