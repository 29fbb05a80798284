package app_test

// Tests of the setup wizard over real HTTP (and websockets): every step's
// happy path, every refusal with its code and nothing changed, the token
// kinds, the hand-offs, concurrency, live status and the audit trail.
// Every package-level name here starts with "wiz" (or TestWizard) so that it
// cannot collide with the other test files of the package.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/riverqueue/river"

	"onramp/ent/auditevent"
	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/ent/setuplink"
	"onramp/ent/subscription"
	"onramp/ent/user"
	"onramp/internal/app"
	"onramp/internal/gid"
	"onramp/internal/store"
)

// --- a client of one running app ------------------------------------------------------

// wizClient talks GraphQL to one running app: a newEnv's httptest server or
// a startServing's listener.
type wizClient struct {
	app  *app.App
	base string
	op   string
	http *http.Client
}

func wizEnv(t *testing.T) *wizClient {
	t.Helper()
	e := newEnv(t)
	return &wizClient{app: e.app, base: e.srv.URL, op: e.op, http: e.srv.Client()}
}

func wizServe(t *testing.T) (*wizClient, *serving) {
	t.Helper()
	s := startServing(t, nil)
	op, err := s.app.Auth.IssueOperator("op", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &wizClient{app: s.app, base: s.base, op: op, http: &http.Client{Timeout: time.Minute}}, s
}

// post sends one GraphQL request; it may be called from any goroutine.
func (c *wizClient) post(token, query string, vars map[string]any) (response, error) {
	var out response
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return out, err
	}
	req, err := http.NewRequest(http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("decode response (HTTP %d) %q: %w", res.StatusCode, raw, err)
	}
	out.Status = res.StatusCode
	return out, nil
}

func (c *wizClient) gql(t *testing.T, token, query string, vars map[string]any) response {
	t.Helper()
	r, err := c.post(token, query, vars)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	return r
}

// --- the wizard's operations ---------------------------------------------------------------

const wizSessionFragment = `
fragment wizSession on SetupSession {
  step role assignee email next readOnly customerAdminEmail missingSettings
  partnerOrg { id existing name country }
  customerOrg { id existing name country }
  customerOrgCandidates { name emailDomain createdAt }
  # The edges of the order load after the call's transaction committed.
  order { id status step subscription { id } }
}`

const wizPayloadFragment = `
fragment wizPayload on SetupPayload { setup { ...wizSession } handedOffTo userErrors { field message code } }` +
	wizSessionFragment

// wizMutations are the wizard's mutations that answer a SetupPayload.
var wizMutations = map[string]string{
	"startSetup":                     `mutation { startSetup { ...wizPayload } }`,
	"chooseRole":                     `mutation($role: SetupRole!) { chooseRole(role: $role) { ...wizPayload } }`,
	"assignSetup":                    `mutation($input: AssignSetupInput!) { assignSetup(input: $input) { ...wizPayload } }`,
	"confirmPartnerOrg":              `mutation($input: PartnerOrgInput!) { confirmPartnerOrg(input: $input) { ...wizPayload } }`,
	"setCustomerAdmin":               `mutation($email: String!) { setCustomerAdmin(email: $email) { ...wizPayload } }`,
	"confirmCustomerOrg":             `mutation($input: CustomerOrgInput!) { confirmCustomerOrg(input: $input) { ...wizPayload } }`,
	"reportUnrecognizedOrganization": `mutation($input: ReportOrganizationInput!) { reportUnrecognizedOrganization(input: $input) { ...wizPayload } }`,
	"confirmOrgs":                    `mutation { confirmOrgs { ...wizPayload } }`,
	"setPartnerPassword":             `mutation($password: String!) { setPartnerPassword(password: $password) { ...wizPayload } }`,
	"saveCallSettings":               `mutation($input: CallSettingsInput!) { saveCallSettings(input: $input) { ...wizPayload } }`,
	"saveEnterpriseSettings":         `mutation($subdomain: String!) { saveEnterpriseSettings(subdomain: $subdomain) { ...wizPayload } }`,
}

const wizProvisionMutation = `mutation($key: String) { provision(idempotencyKey: $key) {
  order { id status step }
  subscription { id status activatedAt billingStartedAt siteSubdomain
    callSettings { country timeZone announcementLanguage emailLanguage locationName } }
  userErrors { field message code }
} }`

const wizSetupQuery = `{ setup { ...wizSession } }` + wizSessionFragment

const wizCheckSubdomainQuery = `query($s: String!) { checkSubdomain(subdomain: $s) { available reason } }`

const wizSignInMutation = `mutation($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token userErrors { field message code } } }`

const wizReleaseHoldMutation = `mutation($id: ID!, $note: String) {
  releaseHold(orderId: $id, note: $note) { order { id status step holdReason } userErrors { field message code } } }`

const wizOrderQuery = `query($id: ID!) { order(id: $id) {
  id status step role handedToCustomer holdReason confirmedByEmail
  partnerOrg { id name kind managedCustomers { id } }
  customerOrg { id name kind subdomain managers { id } }
  subscription { status billingStartedAt siteSubdomain }
} }`

const wizNodeQuery = `query($id: ID!) { node(id: $id) { id ... on Organization { name kind } } }`

// wizPassword passes the policy for every email used here.
const wizPassword = "Tri-Kratka-Reci-2026!"

type wizOrg struct {
	ID       *string `json:"id"`
	Existing bool    `json:"existing"`
	Name     string  `json:"name"`
	Country  string  `json:"country"`
}

type wizSession struct {
	Step                  string   `json:"step"`
	Role                  *string  `json:"role"`
	Assignee              *string  `json:"assignee"`
	Email                 string   `json:"email"`
	Next                  string   `json:"next"`
	ReadOnly              bool     `json:"readOnly"`
	CustomerAdminEmail    *string  `json:"customerAdminEmail"`
	MissingSettings       []string `json:"missingSettings"`
	PartnerOrg            *wizOrg  `json:"partnerOrg"`
	CustomerOrg           *wizOrg  `json:"customerOrg"`
	CustomerOrgCandidates []struct {
		Name        string `json:"name"`
		EmailDomain string `json:"emailDomain"`
		CreatedAt   string `json:"createdAt"`
	} `json:"customerOrgCandidates"`
	Order struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Step   string `json:"step"`
	} `json:"order"`
}

type wizPayload struct {
	Setup       *wizSession `json:"setup"`
	HandedOffTo *string     `json:"handedOffTo"`
	UserErrors  []userError `json:"userErrors"`
}

type wizSubscription struct {
	ID               string  `json:"id"`
	Status           string  `json:"status"`
	ActivatedAt      *string `json:"activatedAt"`
	BillingStartedAt *string `json:"billingStartedAt"`
	SiteSubdomain    *string `json:"siteSubdomain"`
	CallSettings     *struct {
		Country              string `json:"country"`
		TimeZone             string `json:"timeZone"`
		AnnouncementLanguage string `json:"announcementLanguage"`
		EmailLanguage        string `json:"emailLanguage"`
		LocationName         string `json:"locationName"`
	} `json:"callSettings"`
}

type wizProvisionPayload struct {
	Order *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Step   string `json:"step"`
	} `json:"order"`
	Subscription *wizSubscription `json:"subscription"`
	UserErrors   []userError      `json:"userErrors"`
}

type wizOrgRef struct {
	ID               string      `json:"id"`
	Name             string      `json:"name"`
	Kind             string      `json:"kind"`
	Subdomain        *string     `json:"subdomain"`
	ManagedCustomers []wizIDOnly `json:"managedCustomers"`
	Managers         []wizIDOnly `json:"managers"`
}

type wizIDOnly struct {
	ID string `json:"id"`
}

type wizOrderView struct {
	ID               string     `json:"id"`
	Status           string     `json:"status"`
	Step             string     `json:"step"`
	Role             *string    `json:"role"`
	HandedToCustomer bool       `json:"handedToCustomer"`
	HoldReason       *string    `json:"holdReason"`
	ConfirmedByEmail *string    `json:"confirmedByEmail"`
	PartnerOrg       *wizOrgRef `json:"partnerOrg"`
	CustomerOrg      *wizOrgRef `json:"customerOrg"`
	Subscription     *struct {
		Status           string  `json:"status"`
		BillingStartedAt *string `json:"billingStartedAt"`
		SiteSubdomain    *string `json:"siteSubdomain"`
	} `json:"subscription"`
}

// call runs a wizard mutation and returns the raw response.
func (c *wizClient) call(t *testing.T, token, op string, vars map[string]any) response {
	t.Helper()
	q, ok := wizMutations[op]
	if !ok {
		t.Fatalf("unknown wizard mutation %s", op)
	}
	return c.gql(t, token, q+wizPayloadFragment, vars)
}

// wiz runs a wizard mutation that must not fail at the top level.
func (c *wizClient) wiz(t *testing.T, token, op string, vars map[string]any) wizPayload {
	t.Helper()
	var data map[string]wizPayload
	c.call(t, token, op, vars).ok(t).decode(t, &data)
	p, ok := data[op]
	if !ok {
		t.Fatalf("%s: no payload in the response", op)
	}
	return p
}

// must runs a wizard mutation that must succeed and returns the session.
func (c *wizClient) must(t *testing.T, token, op string, vars map[string]any) *wizSession {
	t.Helper()
	p := c.wiz(t, token, op, vars)
	if len(p.UserErrors) > 0 || p.Setup == nil {
		t.Fatalf("%s: userErrors %+v, setup %v", op, p.UserErrors, p.Setup)
	}
	return p.Setup
}

func (c *wizClient) provision(t *testing.T, token string, vars map[string]any) wizProvisionPayload {
	t.Helper()
	var data struct {
		Provision wizProvisionPayload `json:"provision"`
	}
	c.gql(t, token, wizProvisionMutation, vars).ok(t).decode(t, &data)
	return data.Provision
}

// mustProvision provisions and checks the result is PROVISIONED with
// billing started.
func (c *wizClient) mustProvision(t *testing.T, token string, vars map[string]any) wizProvisionPayload {
	t.Helper()
	p := c.provision(t, token, vars)
	if len(p.UserErrors) > 0 {
		t.Fatalf("provision: userErrors %+v", p.UserErrors)
	}
	if p.Order == nil || p.Order.Status != "PROVISIONED" || p.Order.Step != "DONE" {
		t.Fatalf("provision: order %+v, want PROVISIONED/DONE", p.Order)
	}
	if p.Subscription == nil || p.Subscription.Status != "ACTIVE" || p.Subscription.BillingStartedAt == nil ||
		p.Subscription.ActivatedAt == nil {
		t.Fatalf("provision: subscription %+v, want ACTIVE with activatedAt and billingStartedAt", p.Subscription)
	}
	return p
}

func (c *wizClient) session(t *testing.T, token string) wizSession {
	t.Helper()
	var data struct {
		Setup wizSession `json:"setup"`
	}
	c.gql(t, token, wizSetupQuery, nil).ok(t).decode(t, &data)
	return data.Setup
}

func (c *wizClient) order(t *testing.T, token, id string) *wizOrderView {
	t.Helper()
	var data struct {
		Order *wizOrderView `json:"order"`
	}
	c.gql(t, token, wizOrderQuery, map[string]any{"id": id}).ok(t).decode(t, &data)
	return data.Order
}

// node reads node(id) as token and returns the id it answered ("" = null).
func (c *wizClient) node(t *testing.T, token, id string) string {
	t.Helper()
	var data struct {
		Node *struct {
			ID string `json:"id"`
		} `json:"node"`
	}
	c.gql(t, token, wizNodeQuery, map[string]any{"id": id}).ok(t).decode(t, &data)
	if data.Node == nil {
		return ""
	}
	return data.Node.ID
}

func (c *wizClient) checkSubdomain(t *testing.T, token, name string) (bool, string) {
	t.Helper()
	var data struct {
		CheckSubdomain struct {
			Available bool    `json:"available"`
			Reason    *string `json:"reason"`
		} `json:"checkSubdomain"`
	}
	c.gql(t, token, wizCheckSubdomainQuery, map[string]any{"s": name}).ok(t).decode(t, &data)
	return data.CheckSubdomain.Available, deref(data.CheckSubdomain.Reason)
}

func (c *wizClient) signIn(t *testing.T, email, password string) (string, []userError) {
	t.Helper()
	var data struct {
		SignIn struct {
			Token      *string     `json:"token"`
			UserErrors []userError `json:"userErrors"`
		} `json:"signIn"`
	}
	c.gql(t, "", wizSignInMutation, map[string]any{"email": email, "password": password}).ok(t).decode(t, &data)
	return deref(data.SignIn.Token), data.SignIn.UserErrors
}

func (c *wizClient) mustSignIn(t *testing.T, email, password string) string {
	t.Helper()
	tok, errs := c.signIn(t, email, password)
	if tok == "" || len(errs) > 0 {
		t.Fatalf("signIn(%s): token %q, userErrors %+v", email, tok, errs)
	}
	return tok
}

// place places an order (operator) and returns its id; edit may change the
// input first.
func (c *wizClient) place(t *testing.T, ext, account string, edit func(map[string]any)) string {
	t.Helper()
	in := orderInput(ext, account)
	if edit != nil {
		edit(in)
	}
	var res placeResult
	c.gql(t, c.op, placeOrderMutation, map[string]any{"input": in}).ok(t).decode(t, &res)
	if len(res.PlaceOrder.UserErrors) > 0 || res.PlaceOrder.Order == nil {
		t.Fatalf("placeOrder: userErrors %+v", res.PlaceOrder.UserErrors)
	}
	return res.PlaceOrder.Order.ID
}

// link issues a setup link for the order (the order's other links become
// REPLACED).
func (c *wizClient) link(t *testing.T, orderID, email string) string {
	t.Helper()
	tok, err := c.app.Auth.IssueSetupLink(store.System(context.Background()), gid.ID(orderID), email)
	if err != nil {
		t.Fatalf("IssueSetupLink: %v", err)
	}
	return tok
}

var wizLinkPattern = regexp.MustCompile(`(https?://[^\s"<>]+)/setup\?token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)`)

// mailedLink reads the token of the one message of kind sent to to for the
// order from the outbox (the app's jobs are not running, or have no mail
// system, so the body is still there).
func (c *wizClient) mailedLink(t *testing.T, orderID string, kind message.Kind, to string) string {
	t.Helper()
	msgs, err := c.app.Store.Client.Message.Query().
		Where(message.OrderID(gid.ID(orderID)), message.KindEQ(kind), message.To(to)).
		All(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("want one %s message to %s, found %d", kind, to, len(msgs))
	}
	m := wizLinkPattern.FindStringSubmatch(msgs[0].TextBody)
	if m == nil {
		t.Fatalf("no setup link in the %s message to %s:\n%s", kind, to, msgs[0].TextBody)
	}
	if m[1] != strings.TrimRight(c.app.Config.PublicURL, "/") {
		t.Errorf("the link starts with %s, want the public URL %s", m[1], c.app.Config.PublicURL)
	}
	return m[2]
}

// --- inputs --------------------------------------------------------------------------------------

func wizAddress() map[string]any {
	return map[string]any{"line1": "Knez Mihailova 10", "city": "Beograd", "postalCode": "11000"}
}

func wizPartnerOrgVars(name string) map[string]any {
	return map[string]any{"input": map[string]any{"name": name, "country": "RS", "address": wizAddress()}}
}

func wizCallSettingsVars() map[string]any {
	return map[string]any{"input": map[string]any{
		"timeZone":             "Europe/Belgrade",
		"announcementLanguage": "sr_RS",
		"emailLanguage":        "en_US",
		"locationName":         "Headquarters",
		"address":              wizAddress(),
	}}
}

func wizVars(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func wizInput(kv ...any) map[string]any { return map[string]any{"input": wizVars(kv...)} }

// --- flows -----------------------------------------------------------------------------------------

// partnerToConfirm takes a fresh link along the partner's path (SELF) to
// CONFIRM, with customerAdmin as the customer administrator.
func (c *wizClient) partnerToConfirm(t *testing.T, link, customerAdmin string) *wizSession {
	t.Helper()
	c.must(t, link, "startSetup", nil)
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("Partner Org"))
	c.must(t, link, "setCustomerAdmin", wizVars("email", customerAdmin))
	s := c.must(t, link, "confirmCustomerOrg", wizInput())
	if s.Step != "CONFIRM" {
		t.Fatalf("after confirmCustomerOrg: step %s, want CONFIRM", s.Step)
	}
	return s
}

// confirmToServices confirms the organizations and, for a new partner
// organization, sets its password.
func (c *wizClient) confirmToServices(t *testing.T, link string) *wizSession {
	t.Helper()
	s := c.must(t, link, "confirmOrgs", nil)
	if s.Step == "PASSWORD" {
		s = c.must(t, link, "setPartnerPassword", wizVars("password", wizPassword))
	}
	if s.Step != "SERVICES" || s.Order.Status != "ORGS_CONFIRMED" {
		t.Fatalf("after confirmOrgs: %s/%s, want ORGS_CONFIRMED/SERVICES", s.Order.Status, s.Step)
	}
	return s
}

// saveSettings saves the call settings and claims subdomain.
func (c *wizClient) saveSettings(t *testing.T, link, subdomain string) *wizSession {
	t.Helper()
	c.must(t, link, "saveCallSettings", wizCallSettingsVars())
	s := c.must(t, link, "saveEnterpriseSettings", wizVars("subdomain", subdomain))
	if s.Step != "PROVISION" {
		t.Fatalf("after the settings: step %s, want PROVISION", s.Step)
	}
	return s
}

// wizDone is an order taken to PROVISIONED by its partner.
type wizDone struct {
	orderID, link               string
	partnerOrgID, customerOrgID string
	partnerAdmin, customerAdmin string
	billingStartedAt, subdomain string
}

// provisioned places an order of account and takes it to PROVISIONED along
// the partner's path, with partnerAdmin holding the link.
func (c *wizClient) provisioned(t *testing.T, ext, account, partnerAdmin, customerAdmin, subdomain string) wizDone {
	t.Helper()
	id := c.place(t, ext, account, nil)
	link := c.link(t, id, partnerAdmin)
	c.partnerToConfirm(t, link, customerAdmin)
	s := c.confirmToServices(t, link)
	c.saveSettings(t, link, subdomain)
	p := c.mustProvision(t, link, nil)
	return wizDone{
		orderID: id, link: link, partnerOrgID: deref(s.PartnerOrg.ID), customerOrgID: deref(s.CustomerOrg.ID),
		partnerAdmin: partnerAdmin, customerAdmin: customerAdmin,
		billingStartedAt: deref(p.Subscription.BillingStartedAt), subdomain: subdomain,
	}
}

// --- assertions ------------------------------------------------------------------------------------

// wizWantCode finds the userError with code (and field path, when given).
func wizWantCode(t *testing.T, what string, errs []userError, code string, field ...string) userError {
	t.Helper()
	for _, e := range errs {
		if e.Code == code && (field == nil || slices.Equal(e.Field, field)) {
			if e.Message == "" {
				t.Errorf("%s: userError %s has no message", what, code)
			}
			assertNoLeak(t, e.Message)
			return e
		}
	}
	t.Fatalf("%s: userErrors %+v, want code %s with field %v", what, errs, code, field)
	return userError{}
}

// world describes everything a wizard call could change: the order's row,
// the session the link shows, and counts of every table the wizard writes.
// A refused call must leave it as it was.
func (c *wizClient) world(t *testing.T, orderID, token string) string {
	t.Helper()
	ctx := store.System(context.Background())
	cl := c.app.Store.Client
	count := func(n int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		return n
	}
	w := map[string]any{
		"organizations": count(cl.Organization.Query().Count(ctx)),
		"subdomains":    count(cl.Organization.Query().Where(organization.SubdomainNotNil()).Count(ctx)),
		"managed":       count(cl.Organization.Query().Where(organization.HasManagers()).Count(ctx)),
		"users":         count(cl.User.Query().Count(ctx)),
		"passwords":     count(cl.User.Query().Where(user.PasswordHashNEQ("")).Count(ctx)),
		"messages":      count(cl.Message.Query().Count(ctx)),
		"links":         count(cl.SetupLink.Query().Count(ctx)),
		"activeLinks":   count(cl.SetupLink.Query().Where(setuplink.StateEQ(setuplink.StateACTIVE)).Count(ctx)),
		"audit":         count(cl.AuditEvent.Query().Count(ctx)),
		"settings":      count(cl.ServiceSetting.Query().Count(ctx)),
		"billing":       count(cl.Subscription.Query().Where(subscription.BillingStartedAtNotNil()).Count(ctx)),
	}
	o, err := cl.Order.Get(ctx, gid.ID(orderID))
	if err != nil {
		t.Fatal(err)
	}
	role := ""
	if o.Role != nil {
		role = string(*o.Role)
	}
	w["order"] = fmt.Sprintf("status=%s step=%s role=%s handed=%v created=%v hold=%q by=%q partner=%s customer=%s updated=%s",
		o.Status, o.Step, role, o.HandedToCustomer, o.CreatedPartnerOrg, deref(o.HoldReason), o.ConfirmedByEmail,
		o.PartnerOrgID, o.CustomerOrgID, o.UpdatedAt.UTC().Format(time.RFC3339Nano))
	if token != "" {
		r := c.gql(t, token, wizSetupQuery, nil)
		if len(r.Errors) > 0 {
			w["setup"] = fmt.Sprintf("errors %+v", r.Errors)
		} else {
			w["setup"] = string(r.Data)
		}
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// refuse runs a wizard mutation (or provision) that must be refused with
// code (and a userError on field, when given) and change nothing.
func (c *wizClient) refuse(t *testing.T, token, orderID, op string, vars map[string]any, code string, field ...string) []userError {
	t.Helper()
	before := c.world(t, orderID, token)
	var errs []userError
	if op == "provision" {
		p := c.provision(t, token, vars)
		if p.Order != nil || p.Subscription != nil {
			t.Errorf("refused provision answered order %+v, subscription %+v", p.Order, p.Subscription)
		}
		errs = p.UserErrors
	} else {
		p := c.wiz(t, token, op, vars)
		if p.Setup != nil || p.HandedOffTo != nil {
			t.Errorf("refused %s answered setup %+v, handedOffTo %v", op, p.Setup, p.HandedOffTo)
		}
		errs = p.UserErrors
	}
	wizWantCode(t, op, errs, code, field...)
	if after := c.world(t, orderID, token); after != before {
		t.Errorf("refused %s (%s) changed something:\nbefore: %s\nafter:  %s", op, code, before, after)
	}
	return errs
}

func wizStrings(p *string) string { return deref(p) }

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
	if ok, reason := c.checkSubdomain(t, link, "acme-site"); ok || reason != "SUBDOMAIN_TAKEN" {
		t.Errorf("checkSubdomain after the claim = %v %q, want SUBDOMAIN_TAKEN", ok, reason)
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

// --- refusals ----------------------------------------------------------------------------------------

func TestWizardWrongStep(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	id := c.place(t, "W-1", "P1", nil)
	link := c.link(t, id, "ana@p1.example")

	// A fresh order: only startSetup and chooseRole fit.
	e := c.refuse(t, link, id, "confirmOrgs", nil, "WRONG_STEP")
	if !strings.Contains(e[0].Message, "ROLE") || !strings.Contains(e[0].Message, "chooseRole") {
		t.Errorf("WRONG_STEP message %q should name the step and the mutation that come next", e[0].Message)
	}
	if o := c.order(t, c.op, id); o.Status != "PLACED" || o.Step != "ROLE" {
		t.Errorf("a refused call moved the order to %s/%s", o.Status, o.Step)
	}
	c.refuse(t, link, id, "provision", nil, "WRONG_STEP")
	c.refuse(t, link, id, "assignSetup", wizInput("assignee", "SELF"), "WRONG_STEP")
	c.refuse(t, link, id, "setPartnerPassword", wizVars("password", wizPassword), "WRONG_STEP")
	c.refuse(t, link, id, "saveCallSettings", wizCallSettingsVars(), "WRONG_STEP")
	c.refuse(t, link, id, "saveEnterpriseSettings", wizVars("subdomain", "acme"), "WRONG_STEP")
	c.refuse(t, link, id, "reportUnrecognizedOrganization", wizInput("organization", "PARTNER"), "WRONG_STEP")

	c.must(t, link, "startSetup", nil)
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	// No skipping ahead.
	c.refuse(t, link, id, "setCustomerAdmin", wizVars("email", "it@acme.example"), "WRONG_STEP")
	c.refuse(t, link, id, "confirmCustomerOrg", wizInput(), "WRONG_STEP")
	c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("P1 Org"))
	c.must(t, link, "setCustomerAdmin", wizVars("email", "it@acme.example"))
	s := c.must(t, link, "confirmCustomerOrg", wizInput())
	if s.Step != "CONFIRM" {
		t.Fatalf("step %s, want CONFIRM", s.Step)
	}
	// The password comes after confirmOrgs.
	e = c.refuse(t, link, id, "setPartnerPassword", wizVars("password", wizPassword), "WRONG_STEP")
	if !strings.Contains(e[0].Message, "confirmOrgs") {
		t.Errorf("WRONG_STEP message %q should name confirmOrgs", e[0].Message)
	}
	c.refuse(t, link, id, "saveEnterpriseSettings", wizVars("subdomain", "acme"), "WRONG_STEP")
	c.refuse(t, link, id, "provision", nil, "WRONG_STEP")

	t.Run("back to an earlier step drops the answers after it", func(t *testing.T) {
		s := c.must(t, link, "chooseRole", wizVars("role", "CUSTOMER"))
		if s.Step != "ASSIGNMENT" || wizStrings(s.Role) != "CUSTOMER" || s.Assignee != nil || s.PartnerOrg != nil {
			t.Fatalf("back to chooseRole: %+v", s)
		}
		// The customer's administrator defaults to the link's own email.
		if wizStrings(s.CustomerAdminEmail) != "ana@p1.example" || s.CustomerOrg != nil {
			t.Errorf("customer path: admin %q, customer org %+v", wizStrings(s.CustomerAdminEmail), s.CustomerOrg)
		}
		c.refuse(t, link, id, "confirmPartnerOrg", wizPartnerOrgVars("x"), "WRONG_STEP")
		s = c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
		if s.Step != "CUSTOMER_ADMIN" {
			t.Fatalf("customer path after SELF: step %s, want CUSTOMER_ADMIN (no partner org step)", s.Step)
		}
		// The table lets an earlier step be answered, but the customer's
		// path has no partner org step at all.
		c.refuse(t, link, id, "confirmPartnerOrg", wizPartnerOrgVars("x"), "WRONG_STEP")

		// And back to the partner's path, answered again up to CONFIRM.
		s = c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
		if s.Step != "ASSIGNMENT" || s.CustomerAdminEmail != nil {
			t.Fatalf("back to PARTNER: %+v", s)
		}
		c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
		c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("P1 Org"))
		c.must(t, link, "setCustomerAdmin", wizVars("email", "first@acme.example"))
		c.must(t, link, "confirmCustomerOrg", wizInput())
		// setCustomerAdmin again from CONFIRM goes back to CUSTOMER_ORG.
		s = c.must(t, link, "setCustomerAdmin", wizVars("email", "it@acme.example"))
		if s.Step != "CUSTOMER_ORG" || wizStrings(s.CustomerAdminEmail) != "it@acme.example" {
			t.Fatalf("setCustomerAdmin from CONFIRM: %+v", s)
		}
		c.must(t, link, "confirmCustomerOrg", wizInput())
	})

	t.Run("startSetup starts afresh before confirmOrgs", func(t *testing.T) {
		s := c.must(t, link, "startSetup", nil)
		if s.Step != "ROLE" || s.Role != nil || s.Assignee != nil || s.CustomerAdminEmail != nil {
			t.Fatalf("startSetup: %+v, want an empty draft at ROLE", s)
		}
		c.refuse(t, link, id, "confirmOrgs", nil, "WRONG_STEP")
		c.partnerToConfirm(t, link, "it@acme.example")
	})

	t.Run("no going back after confirmOrgs", func(t *testing.T) {
		s := c.must(t, link, "confirmOrgs", nil)
		if s.Step != "PASSWORD" {
			t.Fatalf("confirmOrgs: step %s", s.Step)
		}
		c.refuse(t, link, id, "chooseRole", wizVars("role", "PARTNER"), "WRONG_STEP")
		c.refuse(t, link, id, "assignSetup", wizInput("assignee", "SELF"), "WRONG_STEP")
		c.refuse(t, link, id, "confirmPartnerOrg", wizPartnerOrgVars("x"), "WRONG_STEP")
		c.refuse(t, link, id, "setCustomerAdmin", wizVars("email", "other@acme.example"), "WRONG_STEP")
		c.refuse(t, link, id, "confirmCustomerOrg", wizInput(), "WRONG_STEP")
		c.refuse(t, link, id, "confirmOrgs", nil, "WRONG_STEP")
		c.refuse(t, link, id, "reportUnrecognizedOrganization", wizInput("organization", "CUSTOMER"), "WRONG_STEP")
		// Before the password: no settings, no provision.
		c.refuse(t, link, id, "saveCallSettings", wizCallSettingsVars(), "WRONG_STEP")
		c.refuse(t, link, id, "provision", nil, "WRONG_STEP")
		// startSetup resumes where setup stands.
		if s := c.must(t, link, "startSetup", nil); s.Step != "PASSWORD" || s.Order.Status != "ORGS_CONFIRMED" {
			t.Errorf("startSetup after confirmOrgs: %s/%s, want ORGS_CONFIRMED/PASSWORD", s.Order.Status, s.Step)
		}
	})
}

func TestWizardInvalidInput(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	id := c.place(t, "I-1", "P1", nil)
	const me = "ana@p1.example"
	link := c.link(t, id, me)
	c.must(t, link, "startSetup", nil)
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))

	inputEmail := []string{"input", "email"}
	c.refuse(t, link, id, "assignSetup", wizInput("assignee", "COLLEAGUE"), "INVALID", inputEmail...)
	c.refuse(t, link, id, "assignSetup", wizInput("assignee", "COLLEAGUE", "email", "not-an-email"), "INVALID", inputEmail...)
	c.refuse(t, link, id, "assignSetup", wizInput("assignee", "COLLEAGUE", "email", "Ana <ana@p1.example>"), "INVALID", inputEmail...)
	c.refuse(t, link, id, "assignSetup", wizInput("assignee", "COLLEAGUE", "email", " ANA@p1.example "), "INVALID", inputEmail...)
	c.refuse(t, link, id, "assignSetup", wizInput("assignee", "CUSTOMER", "email", "@acme.example"), "INVALID", inputEmail...)

	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	errs := c.refuse(t, link, id, "confirmPartnerOrg", wizInput("name", " ", "country", "XX",
		"address", map[string]any{"line1": "", "city": "Beograd", "postalCode": strings.Repeat("1", 21)}),
		"INVALID", "input", "name")
	wizWantCode(t, "confirmPartnerOrg", errs, "INVALID", "input", "country")
	wizWantCode(t, "confirmPartnerOrg", errs, "INVALID", "input", "address", "line1")
	wizWantCode(t, "confirmPartnerOrg", errs, "INVALID", "input", "address", "postalCode")
	if len(errs) != 4 {
		t.Errorf("confirmPartnerOrg: %d userErrors, want all 4 problems at once: %+v", len(errs), errs)
	}
	c.refuse(t, link, id, "confirmPartnerOrg", wizInput("name", "P1 Org", "country", "RS"), "INVALID", "input", "address")
	c.refuse(t, link, id, "confirmPartnerOrg", wizInput("name", strings.Repeat("x", 201), "address", wizAddress()), "INVALID", "input", "name")
	c.refuse(t, link, id, "reportUnrecognizedOrganization",
		wizInput("organization", "PARTNER", "note", strings.Repeat("n", 2001)), "INVALID", "input", "note")
	c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("P1 Org"))

	for _, bad := range []string{"", "nope", "a b@acme.example", "it@acme", "it@@acme.example", strings.Repeat("a", 250) + "@acme.example"} {
		c.refuse(t, link, id, "setCustomerAdmin", wizVars("email", bad), "INVALID", "email")
	}
	c.must(t, link, "setCustomerAdmin", wizVars("email", "it@acme.example"))
	c.refuse(t, link, id, "confirmCustomerOrg", wizInput("country", "ZZ"), "INVALID", "input", "country")
	c.refuse(t, link, id, "confirmCustomerOrg", wizInput("name", strings.Repeat("x", 201)), "INVALID", "input", "name")
	c.refuse(t, link, id, "confirmCustomerOrg", wizInput("address", map[string]any{"line1": "x", "city": "", "postalCode": "1"}),
		"INVALID", "input", "address", "city")
	c.must(t, link, "confirmCustomerOrg", wizInput("name", "Acme Renamed"))
	c.confirmToServices(t, link)

	errs = c.refuse(t, link, id, "saveCallSettings", map[string]any{"input": map[string]any{
		"timeZone": "Mars/Olympus_Mons", "announcementLanguage": "xx_XX", "emailLanguage": "",
		"locationName": " ", "address": map[string]any{"line1": "", "city": "", "postalCode": ""},
	}}, "INVALID", "input", "timeZone")
	for _, f := range [][]string{
		{"input", "announcementLanguage"}, {"input", "emailLanguage"}, {"input", "locationName"},
		{"input", "address", "line1"}, {"input", "address", "city"}, {"input", "address", "postalCode"},
	} {
		wizWantCode(t, "saveCallSettings", errs, "INVALID", f...)
	}
	for _, tz := range []string{"", "Local", "Belgrade", "../../etc/passwd", "Europe/Nowhere"} {
		v := wizCallSettingsVars()
		v["input"].(map[string]any)["timeZone"] = tz
		c.refuse(t, link, id, "saveCallSettings", v, "INVALID", "input", "timeZone")
	}
	c.refuse(t, link, id, "provision", wizVars("key", strings.Repeat("k", 201)), "INVALID", "idempotencyKey")
	c.saveSettings(t, link, "acme")
	c.mustProvision(t, link, wizVars("key", strings.Repeat("k", 200)))
}

// TestWizardExistingOrganizations covers the administrator email rules: an
// email of a partner org is refused, one of a customer org makes that org the
// existing one, and a partner's second order reviews its existing org.
func TestWizardExistingOrganizations(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	first := c.provisioned(t, "E-1", "P1", "admin@p1.example", "it@acme.example", "acme")

	t.Run("an email of a partner organization is refused", func(t *testing.T) {
		id := c.place(t, "E-2", "P2", nil)
		link := c.link(t, id, "contact@p2.example")
		c.must(t, link, "startSetup", nil)
		c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
		c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
		c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("P2 Org"))
		e := c.refuse(t, link, id, "setCustomerAdmin", wizVars("email", "Admin@P1.example"), "EMAIL_IN_PARTNER_ORG", "email")
		if !strings.Contains(e[0].Message, "partner organization") {
			t.Errorf("EMAIL_IN_PARTNER_ORG message %q should say why", e[0].Message)
		}

		t.Run("an email of a customer organization makes it the existing one", func(t *testing.T) {
			s := c.must(t, link, "setCustomerAdmin", wizVars("email", "IT@acme.example"))
			if s.Step != "CUSTOMER_ORG" || s.CustomerOrg == nil || !s.CustomerOrg.Existing ||
				wizStrings(s.CustomerOrg.ID) != first.customerOrgID || s.CustomerOrg.Name != "Acme d.o.o." {
				t.Fatalf("setCustomerAdmin(existing admin): step %s, customer org %+v, want existing %s",
					s.Step, s.CustomerOrg, first.customerOrgID)
			}
			if len(s.CustomerOrgCandidates) != 0 {
				t.Errorf("candidates %+v next to an exact match", s.CustomerOrgCandidates)
			}
			// The details of an existing org are checked, not changed.
			s = c.must(t, link, "confirmCustomerOrg", wizInput("name", "Renamed", "country", "DE"))
			if s.Step != "CONFIRM" || s.CustomerOrg == nil || !s.CustomerOrg.Existing || s.CustomerOrg.Name != "Acme d.o.o." {
				t.Fatalf("confirmCustomerOrg(existing): %+v", s)
			}
			usersBefore, _ := c.app.Store.Client.User.Query().Count(ctx)
			s = c.must(t, link, "confirmOrgs", nil)
			if s.Order.Status != "ORGS_CONFIRMED" || s.Step != "PASSWORD" {
				t.Fatalf("confirmOrgs: %s/%s", s.Order.Status, s.Step)
			}
			o := c.order(t, c.op, id)
			if o.CustomerOrg == nil || o.CustomerOrg.ID != first.customerOrgID || o.CustomerOrg.Name != "Acme d.o.o." {
				t.Errorf("order.customerOrg = %+v, want the existing %s unchanged", o.CustomerOrg, first.customerOrgID)
			}
			if o.CustomerOrg != nil && len(o.CustomerOrg.Managers) != 2 {
				t.Errorf("customer org managers = %+v, want both partners", o.CustomerOrg.Managers)
			}
			// Only the new partner's administrator was added.
			if n, _ := c.app.Store.Client.User.Query().Count(ctx); n != usersBefore+1 {
				t.Errorf("users %d → %d, want one new (the partner admin)", usersBefore, n)
			}
		})
	})

	t.Run("a second order of a partner reviews its existing org", func(t *testing.T) {
		id := c.place(t, "E-3", "P1", nil)
		link := c.link(t, id, "someone@p1.example")
		c.must(t, link, "startSetup", nil)
		s := c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
		if s.PartnerOrg == nil || !s.PartnerOrg.Existing || wizStrings(s.PartnerOrg.ID) != first.partnerOrgID {
			t.Errorf("partner org to review = %+v, want existing %s", s.PartnerOrg, first.partnerOrgID)
		}
		c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
		// Details are ignored: the existing org is reviewed, not changed.
		s = c.must(t, link, "confirmPartnerOrg", wizInput("name", "Another Name"))
		if s.PartnerOrg == nil || !s.PartnerOrg.Existing || s.PartnerOrg.Name != "Partner Org" {
			t.Errorf("confirmPartnerOrg(existing) = %+v", s.PartnerOrg)
		}
		// A new admin email whose company name matches: a candidate, with
		// limited disclosure.
		s = c.must(t, link, "setCustomerAdmin", wizVars("email", "boss@acme-group.example"))
		if s.CustomerOrg == nil || s.CustomerOrg.Existing {
			t.Errorf("customer org = %+v, want a new one", s.CustomerOrg)
		}
		if len(s.CustomerOrgCandidates) != 1 || s.CustomerOrgCandidates[0].Name != "Acme d.o.o." ||
			s.CustomerOrgCandidates[0].EmailDomain != "acme.example" || s.CustomerOrgCandidates[0].CreatedAt == "" {
			t.Errorf("candidates = %+v, want Acme d.o.o. (acme.example)", s.CustomerOrgCandidates)
		}
		c.must(t, link, "confirmCustomerOrg", wizInput())
		orgsBefore, _ := c.app.Store.Client.Organization.Query().Where(organization.AccountID("P1")).Count(ctx)
		s = c.must(t, link, "confirmOrgs", nil)
		// No password step: the partner org was not created by this order.
		if s.Order.Status != "ORGS_CONFIRMED" || s.Step != "SERVICES" {
			t.Fatalf("confirmOrgs: %s/%s, want ORGS_CONFIRMED/SERVICES", s.Order.Status, s.Step)
		}
		if n, _ := c.app.Store.Client.Organization.Query().Where(organization.AccountID("P1")).Count(ctx); n != orgsBefore || n != 1 {
			t.Errorf("P1 has %d partner orgs, want still 1", n)
		}
		c.refuse(t, link, id, "setPartnerPassword", wizVars("password", wizPassword), "WRONG_STEP")
		// The first admin's password still works.
		c.mustSignIn(t, first.partnerAdmin, wizPassword)
	})

	t.Run("the link holder cannot also be the customer administrator", func(t *testing.T) {
		id := c.place(t, "E-4", "P3", nil)
		link := c.link(t, id, "both@p3.example")
		c.must(t, link, "startSetup", nil)
		c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
		c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
		c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("Partner Org"))
		// Refused where it is entered, with a pointer to the field, not only
		// at Confirm.
		c.refuse(t, link, id, "setCustomerAdmin", wizVars("email", "both@p3.example"), "EMAIL_IN_PARTNER_ORG", "email")
		if s := c.session(t, link); s.Step != "CUSTOMER_ADMIN" {
			t.Errorf("after the refusal the step is %s, want CUSTOMER_ADMIN", s.Step)
		}
		if n, _ := c.app.Store.Client.Organization.Query().Where(organization.AccountID("P3")).Count(ctx); n != 0 {
			t.Errorf("a refused confirmOrgs left %d partner orgs of P3", n)
		}
	})
}

func TestWizardSubdomains(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	id1 := c.place(t, "S-1", "P1", nil)
	l1 := c.link(t, id1, "ana@p1.example")
	c.partnerToConfirm(t, l1, "it@one.example")
	c.confirmToServices(t, l1)

	for _, tc := range []struct{ name, code string }{
		{"-bad", "SUBDOMAIN_INVALID"},
		{"bad-", "SUBDOMAIN_INVALID"},
		{"ba_d", "SUBDOMAIN_INVALID"},
		{"café", "SUBDOMAIN_INVALID"},
		{strings.Repeat("a", 64), "SUBDOMAIN_INVALID"},
		{"", "SUBDOMAIN_INVALID"},
		{"www", "SUBDOMAIN_RESERVED"},
		{"Admin", "SUBDOMAIN_RESERVED"},
	} {
		if ok, reason := c.checkSubdomain(t, l1, tc.name); ok || reason != tc.code {
			t.Errorf("checkSubdomain(%q) = %v %q, want %s", tc.name, ok, reason, tc.code)
		}
		e := c.refuse(t, l1, id1, "saveEnterpriseSettings", wizVars("subdomain", tc.name), tc.code, "subdomain")
		if tc.code == "SUBDOMAIN_INVALID" && !strings.Contains(e[0].Message, "Invalid subdomain name") {
			t.Errorf("message %q, want \"Invalid subdomain name…\"", e[0].Message)
		}
		if tc.code == "SUBDOMAIN_RESERVED" && !strings.Contains(e[0].Message, "Not available") {
			t.Errorf("message %q, want \"Not available…\"", e[0].Message)
		}
	}

	// Provision before the settings names what is missing.
	e := c.refuse(t, l1, id1, "provision", nil, "MISSING_SETTINGS")
	if !strings.Contains(e[0].Message, "CALLING") || !strings.Contains(e[0].Message, "MEETINGS") {
		t.Errorf("MISSING_SETTINGS message %q should name CALLING and MEETINGS", e[0].Message)
	}
	s := c.must(t, l1, "saveEnterpriseSettings", wizVars("subdomain", " First-Site "))
	if s.Step != "SERVICES" || !slices.Equal(s.MissingSettings, []string{"CALLING"}) {
		t.Fatalf("saveEnterpriseSettings: step %s, missing %v", s.Step, s.MissingSettings)
	}
	e = c.refuse(t, l1, id1, "provision", wizVars("key", "k1"), "MISSING_SETTINGS")
	if !strings.Contains(e[0].Message, "CALLING") || strings.Contains(e[0].Message, "MEETINGS") {
		t.Errorf("MISSING_SETTINGS message %q should name only CALLING", e[0].Message)
	}
	// Saving the same name again is fine.
	c.must(t, l1, "saveEnterpriseSettings", wizVars("subdomain", "first-site"))

	t.Run("a name another organization holds is taken", func(t *testing.T) {
		id2 := c.place(t, "S-2", "P2", nil)
		l2 := c.link(t, id2, "bob@p2.example")
		c.partnerToConfirm(t, l2, "it@two.example")
		c.confirmToServices(t, l2)
		if ok, reason := c.checkSubdomain(t, l2, "FIRST-SITE"); ok || reason != "SUBDOMAIN_TAKEN" {
			t.Errorf("checkSubdomain(FIRST-SITE) = %v %q, want SUBDOMAIN_TAKEN", ok, reason)
		}
		e := c.refuse(t, l2, id2, "saveEnterpriseSettings", wizVars("subdomain", "FIRST-SITE"), "SUBDOMAIN_TAKEN", "subdomain")
		if !strings.Contains(e[0].Message, "Not available") {
			t.Errorf("message %q, want \"Not available…\"", e[0].Message)
		}
		c.must(t, l2, "saveEnterpriseSettings", wizVars("subdomain", "second-site"))
	})

	t.Run("settings of a service not purchased", func(t *testing.T) {
		id3 := c.place(t, "S-3", "P1", func(in map[string]any) {
			in["services"] = []any{map[string]any{"kind": "MEETINGS", "quantity": 3}}
		})
		l3 := c.link(t, id3, "ana@p1.example")
		c.partnerToConfirm(t, l3, "it@three.example")
		s := c.confirmToServices(t, l3)
		if !slices.Equal(s.MissingSettings, []string{"MEETINGS"}) {
			t.Errorf("missingSettings = %v, want [MEETINGS]", s.MissingSettings)
		}
		c.refuse(t, l3, id3, "saveCallSettings", wizCallSettingsVars(), "NOT_PURCHASED")
		s = c.must(t, l3, "saveEnterpriseSettings", wizVars("subdomain", "third-site"))
		if s.Step != "PROVISION" {
			t.Fatalf("step %s, want PROVISION (meetings was all it bought)", s.Step)
		}
		p := c.mustProvision(t, l3, nil)
		if p.Subscription.CallSettings != nil {
			t.Errorf("callSettings %+v for an order without calling", p.Subscription.CallSettings)
		}
	})

	if n, _ := c.app.Store.Client.Organization.Query().Where(organization.SubdomainNotNil()).Count(ctx); n != 3 {
		t.Errorf("%d organizations with a subdomain, want 3", n)
	}
}

func TestWizardProvisionTwiceAndAfterwards(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	d := c.provisioned(t, "D-1", "P1", "ana@p1.example", "it@acme.example", "acme")

	for i, vars := range []map[string]any{nil, wizVars("key", "another-tab"), wizVars("key", "another-tab")} {
		p := c.mustProvision(t, d.link, vars)
		if got := deref(p.Subscription.BillingStartedAt); got != d.billingStartedAt {
			t.Errorf("provision #%d: billingStartedAt %s, want the first %s", i+2, got, d.billingStartedAt)
		}
	}
	if n, _ := c.app.Store.Client.AuditEvent.Query().
		Where(auditevent.OrderID(gid.ID(d.orderID)), auditevent.Action("provision")).Count(ctx); n != 1 {
		t.Errorf("%d provision audit events, want 1", n)
	}
	jobs, err := c.app.Jobs.Client().JobList(context.Background(), river.NewJobListParams().Kinds("billing_start"))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Jobs) != 1 {
		t.Errorf("%d billing_start jobs, want 1", len(jobs.Jobs))
	}

	// Every other wizard mutation is refused, and changes nothing.
	for op, vars := range map[string]map[string]any{
		"chooseRole":                     wizVars("role", "PARTNER"),
		"assignSetup":                    wizInput("assignee", "SELF"),
		"confirmPartnerOrg":              wizPartnerOrgVars("x"),
		"setCustomerAdmin":               wizVars("email", "x@acme.example"),
		"confirmCustomerOrg":             wizInput(),
		"reportUnrecognizedOrganization": wizInput("organization", "CUSTOMER"),
		"confirmOrgs":                    nil,
		"setPartnerPassword":             wizVars("password", wizPassword),
		"saveCallSettings":               wizCallSettingsVars(),
		"saveEnterpriseSettings":         wizVars("subdomain", "acme"),
	} {
		c.refuse(t, d.link, d.orderID, op, vars, "ALREADY_PROVISIONED")
	}
	// Opening the link again (startSetup) changes nothing: it either shows
	// the finished order or is refused like the other mutations.
	if p := c.wiz(t, d.link, "startSetup", nil); len(p.UserErrors) > 0 {
		wizWantCode(t, "startSetup after provision", p.UserErrors, "ALREADY_PROVISIONED")
	} else if p.Setup == nil || p.Setup.Step != "DONE" || p.Setup.Order.Status != "PROVISIONED" || !p.Setup.ReadOnly {
		t.Errorf("startSetup after provision: %+v", p.Setup)
	}
	if o := c.order(t, c.op, d.orderID); o.Status != "PROVISIONED" || o.Step != "DONE" {
		t.Errorf("after startSetup: %s/%s, want PROVISIONED/DONE", o.Status, o.Step)
	}
	if o := c.order(t, d.link, d.orderID); o == nil || o.Status != "PROVISIONED" || o.Subscription == nil ||
		deref(o.Subscription.BillingStartedAt) != d.billingStartedAt {
		t.Errorf("the link reads its order: %+v", o)
	}
}

func TestWizardOnHold(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	id := c.place(t, "H-1", "P1", nil)
	if o := c.order(t, c.op, id); o.HoldReason != nil {
		t.Fatalf("an order never on hold has holdReason %q, want null", *o.HoldReason)
	}
	link := c.link(t, id, "ana@p1.example")
	c.must(t, link, "startSetup", nil)
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	s := c.must(t, link, "reportUnrecognizedOrganization", wizInput("organization", "PARTNER", "note", "Never heard of them"))
	if s.Order.Status != "ON_HOLD" {
		t.Fatalf("reportUnrecognizedOrganization: status %s, want ON_HOLD", s.Order.Status)
	}
	o := c.order(t, c.op, id)
	if o.Status != "ON_HOLD" || !strings.Contains(wizStrings(o.HoldReason), "Never heard of them") ||
		!strings.Contains(wizStrings(o.HoldReason), "ana@p1.example") {
		t.Errorf("operator sees %s, hold reason %q", o.Status, wizStrings(o.HoldReason))
	}
	// The link still reads.
	if got := c.session(t, link); got.Order.Status != "ON_HOLD" {
		t.Errorf("setup while on hold: %+v", got)
	}
	for op, vars := range map[string]map[string]any{
		"startSetup":                     nil,
		"chooseRole":                     wizVars("role", "PARTNER"),
		"confirmPartnerOrg":              wizPartnerOrgVars("x"),
		"reportUnrecognizedOrganization": wizInput("organization", "PARTNER"),
		"confirmOrgs":                    nil,
		"saveCallSettings":               wizCallSettingsVars(),
		"provision":                      nil,
	} {
		c.refuse(t, link, id, op, vars, "ON_HOLD")
	}

	release := func(t *testing.T, token string) response {
		t.Helper()
		return c.gql(t, token, wizReleaseHoldMutation, map[string]any{"id": id, "note": "checked with the partner"})
	}
	t.Run("only operators release a hold", func(t *testing.T) {
		other := c.provisioned(t, "H-0", "P1", "admin@p1.example", "it@other.example", "other")
		partner := c.mustSignIn(t, other.partnerAdmin, wizPassword)
		before := c.world(t, id, link)
		release(t, link).wantError(t, "FORBIDDEN", "")
		release(t, partner).wantError(t, "FORBIDDEN", "")
		integ, err := c.app.Auth.IssueIntegration("P1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		release(t, integ).wantError(t, "FORBIDDEN", "")
		release(t, "").wantError(t, "UNAUTHENTICATED", "MISSING")
		if after := c.world(t, id, link); after != before {
			t.Errorf("a refused releaseHold changed something:\nbefore: %s\nafter:  %s", before, after)
		}
	})

	var data struct {
		ReleaseHold struct {
			Order      *wizOrderView `json:"order"`
			UserErrors []userError   `json:"userErrors"`
		} `json:"releaseHold"`
	}
	release(t, c.op).ok(t).decode(t, &data)
	if r := data.ReleaseHold; len(r.UserErrors) > 0 || r.Order == nil || r.Order.Status != "IN_SETUP" ||
		r.Order.Step != "ROLE" || r.Order.HoldReason != nil {
		t.Fatalf("releaseHold: %+v (order %+v), want IN_SETUP at ROLE with no hold reason (null)", r, r.Order)
	}
	data.ReleaseHold.UserErrors = nil
	release(t, c.op).ok(t).decode(t, &data)
	wizWantCode(t, "releaseHold again", data.ReleaseHold.UserErrors, "NOT_ON_HOLD")

	// The link goes on from ROLE with an empty draft.
	if got := c.session(t, link); got.Step != "ROLE" || got.Role != nil || got.Order.Status != "IN_SETUP" {
		t.Fatalf("setup after release: %+v", got)
	}
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("P1 Org"))
	c.must(t, link, "setCustomerAdmin", wizVars("email", "it@acme.example"))

	// The customer org can be reported too.
	s = c.must(t, link, "reportUnrecognizedOrganization", wizInput("organization", "CUSTOMER"))
	if s.Order.Status != "ON_HOLD" {
		t.Fatalf("report at CUSTOMER_ORG: status %s", s.Order.Status)
	}
	c.refuse(t, link, id, "confirmCustomerOrg", wizInput(), "ON_HOLD")
}

// --- token kinds ------------------------------------------------------------------------------------

func TestWizardTokenKinds(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	done := c.provisioned(t, "K-1", "P1", "admin@p1.example", "it@acme.example", "acme")
	partner := c.mustSignIn(t, done.partnerAdmin, wizPassword)
	integ, err := c.app.Auth.IssueIntegration("P1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id := c.place(t, "K-2", "P1", nil)
	link := c.link(t, id, "contact@p1.example")
	c.must(t, link, "startSetup", nil)

	vars := map[string]map[string]any{
		"startSetup":                     nil,
		"chooseRole":                     wizVars("role", "PARTNER"),
		"assignSetup":                    wizInput("assignee", "SELF"),
		"confirmPartnerOrg":              wizPartnerOrgVars("x"),
		"setCustomerAdmin":               wizVars("email", "x@acme.example"),
		"confirmCustomerOrg":             wizInput(),
		"reportUnrecognizedOrganization": wizInput("organization", "PARTNER"),
		"confirmOrgs":                    nil,
		"setPartnerPassword":             wizVars("password", wizPassword),
		"saveCallSettings":               wizCallSettingsVars(),
		"saveEnterpriseSettings":         wizVars("subdomain", "acme"),
	}
	type opCase struct {
		name, query string
		vars        map[string]any
	}
	var ops []opCase
	for op, v := range vars {
		ops = append(ops, opCase{op, wizMutations[op] + wizPayloadFragment, v})
	}
	ops = append(ops, opCase{"provision", wizProvisionMutation, nil}, opCase{"setup", wizSetupQuery, nil})
	slices.SortFunc(ops, func(a, b opCase) int { return strings.Compare(a.name, b.name) })

	for _, tc := range []struct{ name, token, code, reason string }{
		{"integration", integ, "FORBIDDEN", ""},
		{"operator", c.op, "FORBIDDEN", ""},
		{"partner session", partner, "FORBIDDEN", ""},
		{"no token", "", "UNAUTHENTICATED", "MISSING"},
		{"garbage token", "not-a-jwt", "UNAUTHENTICATED", "INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.world(t, id, link)
			for _, op := range ops {
				r := c.gql(t, tc.token, op.query, op.vars)
				if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.code || r.Errors[0].Extensions.Reason != tc.reason {
					t.Errorf("%s: errors %+v, want one %s %s", op.name, r.Errors, tc.code, tc.reason)
					continue
				}
				assertNoLeak(t, r.Errors[0].Message)
				if r.hasData() {
					t.Errorf("%s: a refused call answered data %s", op.name, r.Data)
				}
			}
			if after := c.world(t, id, link); after != before {
				t.Errorf("refused calls changed something:\nbefore: %s\nafter:  %s", before, after)
			}
		})
	}

	t.Run("checkSubdomain", func(t *testing.T) {
		for _, tc := range []struct{ name, token string }{
			{"setup link", link}, {"partner session", partner}, {"operator", c.op},
		} {
			if ok, reason := c.checkSubdomain(t, tc.token, "acme"); ok || reason != "SUBDOMAIN_TAKEN" {
				t.Errorf("%s: checkSubdomain(acme) = %v %q, want SUBDOMAIN_TAKEN", tc.name, ok, reason)
			}
			if ok, _ := c.checkSubdomain(t, tc.token, "free-name"); !ok {
				t.Errorf("%s: checkSubdomain(free-name) not available", tc.name)
			}
		}
		q := map[string]any{"s": "acme"}
		c.gql(t, integ, wizCheckSubdomainQuery, q).wantError(t, "FORBIDDEN", "")
		c.gql(t, "", wizCheckSubdomainQuery, q).wantError(t, "UNAUTHENTICATED", "MISSING")
	})
}

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

// --- concurrency ------------------------------------------------------------------------------------

// wizRace runs f(i) for i < n at once (after a common start) and waits.
func wizRace(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

func TestWizardConcurrentProvisionBillsOnce(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	id := c.place(t, "CP-1", "P1", nil)
	link := c.link(t, id, "ana@p1.example")
	c.partnerToConfirm(t, link, "it@acme.example")
	c.confirmToServices(t, link)
	c.saveSettings(t, link, "acme")

	const n = 50
	results := make([]wizProvisionPayload, n)
	errs := make([]error, n)
	wizRace(n, func(i int) {
		var vars map[string]any
		if i%2 == 1 { // with and without an idempotency key, all different
			vars = wizVars("key", fmt.Sprintf("tab-%d", i))
		}
		r, err := c.post(link, wizProvisionMutation, vars)
		switch {
		case err != nil:
			errs[i] = err
		case len(r.Errors) > 0:
			errs[i] = fmt.Errorf("errors %+v", r.Errors)
		default:
			var data struct {
				Provision wizProvisionPayload `json:"provision"`
			}
			errs[i] = json.Unmarshal(r.Data, &data)
			results[i] = data.Provision
		}
	})
	billing := map[string]int{}
	for i, p := range results {
		if errs[i] != nil {
			t.Errorf("call %d: %v", i, errs[i])
			continue
		}
		if len(p.UserErrors) > 0 || p.Order == nil || p.Order.Status != "PROVISIONED" || p.Order.Step != "DONE" ||
			p.Subscription == nil || p.Subscription.Status != "ACTIVE" || p.Subscription.BillingStartedAt == nil {
			t.Errorf("call %d: %+v", i, p)
			continue
		}
		billing[*p.Subscription.BillingStartedAt]++
	}
	if len(billing) != 1 {
		t.Errorf("billingStartedAt values across %d calls: %v, want one", n, billing)
	}

	jobs, err := c.app.Jobs.Client().JobList(context.Background(), river.NewJobListParams().Kinds("billing_start"))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Jobs) != 1 {
		t.Errorf("%d billing_start jobs, want 1", len(jobs.Jobs))
	}
	if k, _ := c.app.Store.Client.AuditEvent.Query().
		Where(auditevent.OrderID(gid.ID(id)), auditevent.Action("provision")).Count(ctx); k != 1 {
		t.Errorf("%d provision audit events, want 1", k)
	}
	if k, _ := c.app.Store.Client.Message.Query().
		Where(message.OrderID(gid.ID(id)), message.KindEQ(message.KindSERVICES_ACTIVE)).Count(ctx); k != 1 {
		t.Errorf("%d \"services active\" emails, want 1", k)
	}
	if k, _ := c.app.Store.Client.Subscription.Query().Where(subscription.BillingStartedAtNotNil()).Count(ctx); k != 1 {
		t.Errorf("%d subscriptions billing, want 1", k)
	}
}

func TestWizardConcurrentConfirmOrgsOneWinner(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	for round := range 3 {
		shared := fmt.Sprintf("shared%d@newco.example", round)
		accounts := [2]string{fmt.Sprintf("RX%d", round), fmt.Sprintf("RY%d", round)}
		var ids, links [2]string
		for i := range 2 {
			ids[i] = c.place(t, fmt.Sprintf("R%d-%d", round, i), accounts[i], nil)
			links[i] = c.link(t, ids[i], fmt.Sprintf("admin%d@%s.example", round, strings.ToLower(accounts[i])))
			c.partnerToConfirm(t, links[i], shared)
		}
		var payloads [2]wizPayload
		var errs [2]error
		wizRace(2, func(i int) {
			r, err := c.post(links[i], wizMutations["confirmOrgs"]+wizPayloadFragment, nil)
			switch {
			case err != nil:
				errs[i] = err
			case len(r.Errors) > 0:
				errs[i] = fmt.Errorf("errors %+v", r.Errors)
			default:
				var data struct {
					ConfirmOrgs wizPayload `json:"confirmOrgs"`
				}
				errs[i] = json.Unmarshal(r.Data, &data)
				payloads[i] = data.ConfirmOrgs
			}
		})
		winner := -1
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("round %d, order %d: %v", round, i, errs[i])
			}
			if p := payloads[i]; len(p.UserErrors) == 0 && p.Setup != nil && p.Setup.Order.Status == "ORGS_CONFIRMED" {
				if winner >= 0 {
					t.Fatalf("round %d: both orders confirmed the same new administrator email", round)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no order won: %+v", round, payloads)
		}
		loser := 1 - winner
		lp := payloads[loser]
		if lp.Setup != nil || len(lp.UserErrors) != 1 ||
			(lp.UserErrors[0].Code != "ORG_TAKEN" && lp.UserErrors[0].Code != "EMAIL_IN_OTHER_ORG") {
			t.Fatalf("round %d: loser got %+v, want one userError ORG_TAKEN or EMAIL_IN_OTHER_ORG", round, lp)
		}
		if o := c.order(t, c.op, ids[loser]); o.Status != "IN_SETUP" || o.Step != "CONFIRM" || o.CustomerOrg != nil || o.PartnerOrg != nil {
			t.Errorf("round %d: loser's order %+v, want unconfirmed at CONFIRM", round, o)
		}
		if k, _ := c.app.Store.Client.Organization.Query().Where(organization.AccountID(accounts[loser])).Count(ctx); k != 0 {
			t.Errorf("round %d: the loser's partner org was written (%d)", round, k)
		}
		users, err := c.app.Store.Client.User.Query().Where(user.Email(shared)).All(ctx)
		if err != nil || len(users) != 1 {
			t.Fatalf("round %d: users with %s: %d (%v), want 1", round, shared, len(users), err)
		}
		winnerCustomer := c.order(t, c.op, ids[winner]).CustomerOrg
		if winnerCustomer == nil || string(users[0].OrganizationID) != winnerCustomer.ID {
			t.Errorf("round %d: %s belongs to %s, want the winner's customer org %+v", round, shared, users[0].OrganizationID, winnerCustomer)
		}
		// The loser goes on: the email now names an existing customer org.
		s := c.must(t, links[loser], "setCustomerAdmin", wizVars("email", shared))
		if s.CustomerOrg == nil || !s.CustomerOrg.Existing || wizStrings(s.CustomerOrg.ID) != winnerCustomer.ID {
			t.Fatalf("round %d: loser's setCustomerAdmin: %+v", round, s.CustomerOrg)
		}
		c.must(t, links[loser], "confirmCustomerOrg", wizInput())
		if s := c.must(t, links[loser], "confirmOrgs", nil); s.Order.Status != "ORGS_CONFIRMED" {
			t.Errorf("round %d: loser's second confirmOrgs: %s", round, s.Order.Status)
		}
	}
}

// TestWizardConcurrentFirstOrdersOfOnePartner races the first two orders of
// one partner account, each creating the partner organization: the unique
// account id lets one win; the other reviews the existing org afterwards.
func TestWizardConcurrentFirstOrdersOfOnePartner(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	var ids, links [2]string
	for i := range 2 {
		ids[i] = c.place(t, fmt.Sprintf("FP-%d", i), "PS", nil)
		links[i] = c.link(t, ids[i], fmt.Sprintf("admin%d@ps.example", i))
		c.partnerToConfirm(t, links[i], fmt.Sprintf("it%d@cust.example", i))
	}
	var payloads [2]wizPayload
	var errs [2]error
	wizRace(2, func(i int) {
		r, err := c.post(links[i], wizMutations["confirmOrgs"]+wizPayloadFragment, nil)
		switch {
		case err != nil:
			errs[i] = err
		case len(r.Errors) > 0:
			errs[i] = fmt.Errorf("errors %+v", r.Errors)
		default:
			var data struct {
				ConfirmOrgs wizPayload `json:"confirmOrgs"`
			}
			errs[i] = json.Unmarshal(r.Data, &data)
			payloads[i] = data.ConfirmOrgs
		}
	})
	winner := -1
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("order %d: %v", i, errs[i])
		}
		if len(payloads[i].UserErrors) == 0 {
			if winner >= 0 {
				t.Fatal("both orders created the partner organization")
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no order won: %+v", payloads)
	}
	loser := 1 - winner
	wizWantCode(t, "the loser's confirmOrgs", payloads[loser].UserErrors, "ORG_TAKEN")
	if k, _ := c.app.Store.Client.Organization.Query().Where(organization.AccountID("PS")).Count(ctx); k != 1 {
		t.Errorf("%d partner orgs of PS, want 1", k)
	}
	if k, _ := c.app.Store.Client.User.Query().Where(user.Email(fmt.Sprintf("it%d@cust.example", loser))).Count(ctx); k != 0 {
		t.Errorf("the loser's customer administrator was written")
	}
	// The loser goes back to the partner org step: now the existing one.
	s := c.must(t, links[loser], "confirmPartnerOrg", wizInput())
	if s.PartnerOrg == nil || !s.PartnerOrg.Existing {
		t.Fatalf("the loser's partner org after the race: %+v", s.PartnerOrg)
	}
	c.must(t, links[loser], "setCustomerAdmin", wizVars("email", fmt.Sprintf("it%d@cust.example", loser)))
	c.must(t, links[loser], "confirmCustomerOrg", wizInput())
	if s := c.must(t, links[loser], "confirmOrgs", nil); s.Order.Status != "ORGS_CONFIRMED" || s.Step != "SERVICES" {
		t.Errorf("the loser's second confirmOrgs: %s/%s, want ORGS_CONFIRMED/SERVICES", s.Order.Status, s.Step)
	}
}

func TestWizardConcurrentSubdomainClaims(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	for round := range 3 {
		name := fmt.Sprintf("race-%d", round)
		var ids, links [2]string
		for i := range 2 {
			ids[i] = c.place(t, fmt.Sprintf("SR%d-%d", round, i), "P1", nil)
			links[i] = c.link(t, ids[i], "ana@p1.example")
			c.partnerToConfirm(t, links[i], fmt.Sprintf("it%d-%d@cust.example", round, i))
			c.confirmToServices(t, links[i])
		}
		var payloads [2]wizPayload
		var errs [2]error
		wizRace(2, func(i int) {
			r, err := c.post(links[i], wizMutations["saveEnterpriseSettings"]+wizPayloadFragment, wizVars("subdomain", name))
			switch {
			case err != nil:
				errs[i] = err
			case len(r.Errors) > 0:
				errs[i] = fmt.Errorf("errors %+v", r.Errors)
			default:
				var data struct {
					SaveEnterpriseSettings wizPayload `json:"saveEnterpriseSettings"`
				}
				errs[i] = json.Unmarshal(r.Data, &data)
				payloads[i] = data.SaveEnterpriseSettings
			}
		})
		winner := -1
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("round %d, order %d: %v", round, i, errs[i])
			}
			if len(payloads[i].UserErrors) == 0 && payloads[i].Setup != nil {
				if winner >= 0 {
					t.Fatalf("round %d: both orders claimed %s", round, name)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no order claimed %s: %+v", round, name, payloads)
		}
		loser := 1 - winner
		lp := payloads[loser]
		if lp.Setup != nil || len(lp.UserErrors) != 1 || lp.UserErrors[0].Code != "SUBDOMAIN_TAKEN" ||
			!slices.Equal(lp.UserErrors[0].Field, []string{"subdomain"}) {
			t.Fatalf("round %d: loser got %+v, want SUBDOMAIN_TAKEN on subdomain", round, lp)
		}
		if k, _ := c.app.Store.Client.Organization.Query().Where(organization.Subdomain(name)).Count(ctx); k != 1 {
			t.Errorf("round %d: %d organizations hold %s", round, k, name)
		}
		if o := c.order(t, c.op, ids[loser]); o.CustomerOrg == nil || o.CustomerOrg.Subdomain != nil {
			t.Errorf("round %d: the loser's customer org %+v, want no subdomain", round, o.CustomerOrg)
		}
		if s := c.session(t, links[loser]); !slices.Contains(s.MissingSettings, "MEETINGS") {
			t.Errorf("round %d: the loser's meeting settings were saved: missing %v", round, s.MissingSettings)
		}
		c.must(t, links[loser], "saveEnterpriseSettings", wizVars("subdomain", name+"-b"))
	}
}

// --- live status over a websocket -------------------------------------------------------------

type wizEvent struct {
	status, step string
	complete     bool
	err          error
}

func (e wizEvent) String() string {
	switch {
	case e.err != nil:
		return "error: " + e.err.Error()
	case e.complete:
		return "complete"
	}
	return e.status + "/" + e.step
}

const wizStatusSubscription = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status step at order { id } } }`

// wizSubscribe opens a websocket with token, subscribes to the order's
// status and returns what arrives, in order, until the socket ends.
func wizSubscribe(t *testing.T, ctx context.Context, s *serving, token, orderID string) (*websocket.Conn, <-chan wizEvent) {
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
	sub, _ := json.Marshal(map[string]any{"query": wizStatusSubscription, "variables": map[string]any{"id": orderID}})
	if err := wsjson.Write(ctx, conn, wsMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		t.Fatal(err)
	}
	events := make(chan wizEvent, 256)
	emit := func(e wizEvent) bool {
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
				emit(wizEvent{err: err})
				return
			}
			switch m.Type {
			case "ping":
				_ = wsjson.Write(ctx, conn, wsMessage{Type: "pong"})
			case "next":
				var p struct {
					Data *struct {
						OrderStatusChanged struct {
							Status string `json:"status"`
							Step   string `json:"step"`
							Order  struct {
								ID string `json:"id"`
							} `json:"order"`
						} `json:"orderStatusChanged"`
					} `json:"data"`
					Errors []gqlError `json:"errors"`
				}
				if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 || p.Data == nil {
					if !emit(wizEvent{err: fmt.Errorf("next: %s", m.Payload)}) {
						return
					}
					continue
				}
				ev := p.Data.OrderStatusChanged
				if ev.Order.ID != orderID {
					emit(wizEvent{err: fmt.Errorf("event of order %s, want %s", ev.Order.ID, orderID)})
					continue
				}
				if !emit(wizEvent{status: ev.Status, step: ev.Step}) {
					return
				}
			case "error":
				if !emit(wizEvent{err: fmt.Errorf("error: %s", m.Payload)}) {
					return
				}
			case "complete":
				if !emit(wizEvent{complete: true}) {
					return
				}
			}
		}
	}()
	return conn, events
}

// wizNext waits for the next event.
func wizNext(t *testing.T, events <-chan wizEvent, d time.Duration) wizEvent {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return e
	case <-time.After(d):
		t.Fatalf("no event within %s", d)
	}
	return wizEvent{}
}

// wizCollect gathers status events until one equals last.
func wizCollect(t *testing.T, events <-chan wizEvent, last string, d time.Duration) []string {
	t.Helper()
	var got []string
	deadline := time.After(d)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the subscription ended after %v", got)
			}
			if e.err != nil || e.complete {
				t.Fatalf("after %v: %s", got, e)
			}
			got = append(got, e.String())
			if e.String() == last {
				return got
			}
		case <-deadline:
			t.Fatalf("no %s within %s; got %v", last, d, got)
		}
	}
}

var wizStatusRank = map[string]int{"PLACED": 0, "LINK_SENT": 0, "IN_SETUP": 1, "ORGS_CONFIRMED": 2, "PROVISIONED": 3}

func TestWizardLiveStatusOverWebsocket(t *testing.T) {
	t.Parallel()
	c, s := wizServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := c.place(t, "WS-1", "P1", nil)
	link := c.link(t, id, "ana@p1.example")

	_, events := wizSubscribe(t, ctx, s, link, id)
	first := wizNext(t, events, 10*time.Second)
	if first.String() != "PLACED/ROLE" {
		t.Fatalf("first event %s, want the current state PLACED/ROLE", first)
	}

	// Out of scope: another partner's integration gets no event.
	t.Run("another partner's integration cannot watch", func(t *testing.T) {
		integ, err := s.app.Auth.IssueIntegration("P2", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, other := wizSubscribe(t, ctx, s, integ, id)
		e := wizNext(t, other, 10*time.Second)
		if e.err == nil {
			t.Fatalf("an out-of-scope subscriber received %s", e)
		}
		if strings.Contains(e.err.Error(), "orderStatusChanged\":{") {
			t.Errorf("an out-of-scope subscriber received data: %v", e.err)
		}
		if !strings.Contains(e.err.Error(), `"code":"NOT_FOUND"`) {
			t.Errorf("out-of-scope subscriber: %v, want a NOT_FOUND error (as for an order that does not exist)", e.err)
		}
	})

	c.must(t, link, "startSetup", nil)
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("P1 Org"))
	c.must(t, link, "setCustomerAdmin", wizVars("email", "it@acme.example"))
	c.must(t, link, "confirmCustomerOrg", wizInput())
	c.must(t, link, "confirmOrgs", nil)

	// An operator who starts watching now gets the current state first.
	_, opEvents := wizSubscribe(t, ctx, s, c.op, id)
	if e := wizNext(t, opEvents, 10*time.Second); e.String() != "ORGS_CONFIRMED/PASSWORD" {
		t.Fatalf("operator's first event %s, want ORGS_CONFIRMED/PASSWORD", e)
	}

	// A refused call is rolled back and publishes nothing.
	c.refuse(t, link, id, "setPartnerPassword", wizVars("password", "short"), "WEAK_PASSWORD", "password")
	c.must(t, link, "setPartnerPassword", wizVars("password", wizPassword))
	c.must(t, link, "saveCallSettings", wizCallSettingsVars()) // SERVICES → SERVICES: no change to tell
	c.must(t, link, "saveEnterpriseSettings", wizVars("subdomain", "acme"))
	c.mustProvision(t, link, nil)

	got := append([]string{first.String()}, wizCollect(t, events, "PROVISIONED/DONE", 20*time.Second)...)
	want := []string{
		"PLACED/ROLE",
		"IN_SETUP/ROLE",
		"IN_SETUP/ASSIGNMENT",
		"IN_SETUP/PARTNER_ORG",
		"IN_SETUP/CUSTOMER_ADMIN",
		"IN_SETUP/CUSTOMER_ORG",
		"IN_SETUP/CONFIRM",
		"ORGS_CONFIRMED/PASSWORD",
		"ORGS_CONFIRMED/SERVICES",
		"ORGS_CONFIRMED/PROVISION",
		"PROVISIONED/DONE",
	}
	// The statuses never go back, and every step reached is seen.
	rank := -1
	for _, g := range got {
		st, _, _ := strings.Cut(g, "/")
		r, ok := wizStatusRank[st]
		if !ok || r < rank {
			t.Errorf("status %s out of order in %v", st, got)
		}
		rank = r
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("the subscriber never saw %s: %v", w, got)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got %v\nwant %v", got, want)
	}

	opGot := wizCollect(t, opEvents, "PROVISIONED/DONE", 20*time.Second)
	if want := []string{"ORGS_CONFIRMED/SERVICES", "ORGS_CONFIRMED/PROVISION", "PROVISIONED/DONE"}; !slices.Equal(opGot, want) {
		t.Errorf("operator's events after the first:\n got %v\nwant %v", opGot, want)
	}
}

func TestWizardHandOffClosesTheOldLinksSocket(t *testing.T) {
	t.Parallel()
	c, s := wizServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := c.place(t, "WSC-1", "P1", nil)
	l1 := c.link(t, id, "ana@p1.example")
	c.must(t, l1, "startSetup", nil)
	c.must(t, l1, "chooseRole", wizVars("role", "PARTNER"))

	_, events := wizSubscribe(t, ctx, s, l1, id)
	if e := wizNext(t, events, 10*time.Second); e.String() != "IN_SETUP/ASSIGNMENT" {
		t.Fatalf("first event %s, want IN_SETUP/ASSIGNMENT", e)
	}
	p := c.wiz(t, l1, "assignSetup", wizInput("assignee", "COLLEAGUE", "email", "colleague@p1.example"))
	if wizStrings(p.HandedOffTo) != "colleague@p1.example" {
		t.Fatalf("assignSetup COLLEAGUE: %+v", p)
	}
	handedOff := time.Now()
	const bound = 5 * time.Second
	deadline := time.After(bound)
	for closed := false; !closed; {
		select {
		case e, ok := <-events:
			switch {
			case !ok:
				t.Fatal("the event stream ended without the socket's error")
			case e.complete:
				// The subscription may end before the socket closes.
			case e.err != nil:
				if st := websocket.CloseStatus(e.err); st == -1 {
					t.Fatalf("the socket ended without a close frame: %v", e.err)
				}
				closed = true
			default:
				t.Errorf("the replaced link's subscriber received %s after the hand-off", e)
			}
		case <-deadline:
			t.Fatalf("the old link's socket is still open %s after the hand-off", bound)
		}
	}
	t.Logf("socket closed %s after the hand-off", time.Since(handedOff).Round(time.Millisecond))

	// A new socket with the old link is refused at connection_init.
	conn := dialGraphQLWS(t, ctx, s, "")
	defer conn.CloseNow()
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + l1})
	if err := wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: init}); err != nil {
		t.Fatal(err)
	}
	var m wsMessage
	if err := wsjson.Read(ctx, conn, &m); websocket.CloseStatus(err) != 4403 {
		t.Fatalf("the replaced link's connection_init: %+v %v, want close 4403", m, err)
	}
}

// --- audit trail ---------------------------------------------------------------------------------

func TestWizardAuditTrail(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	id := c.place(t, "A-1", "P1", nil)
	const email = "ana@p1.example"
	link := c.link(t, id, email)
	c.partnerToConfirm(t, link, "it@acme.example")
	c.must(t, link, "confirmOrgs", nil)
	c.refuse(t, link, id, "setPartnerPassword", wizVars("password", "short"), "WEAK_PASSWORD", "password")
	c.must(t, link, "setPartnerPassword", wizVars("password", wizPassword))
	c.saveSettings(t, link, "acme")
	c.mustProvision(t, link, nil)
	c.mustProvision(t, link, nil) // a repeat changes nothing, so it is not a step

	const q = `query($id: ID!) { order(id: $id) { auditEvents(first: 50) { totalCount
	  edges { node { action actorKind actor at tokenID changes } } } } }`
	type event struct {
		Action    string         `json:"action"`
		ActorKind string         `json:"actorKind"`
		Actor     string         `json:"actor"`
		At        time.Time      `json:"at"`
		TokenID   *string        `json:"tokenID"`
		Changes   map[string]any `json:"changes"`
	}
	read := func(t *testing.T, token string) (int, []event) {
		t.Helper()
		var data struct {
			Order *struct {
				AuditEvents struct {
					TotalCount int `json:"totalCount"`
					Edges      []struct {
						Node event `json:"node"`
					} `json:"edges"`
				} `json:"auditEvents"`
			} `json:"order"`
		}
		c.gql(t, token, q, map[string]any{"id": id}).ok(t).decode(t, &data)
		if data.Order == nil {
			t.Fatalf("order(%s) is null for this token", id)
		}
		var out []event
		for _, e := range data.Order.AuditEvents.Edges {
			out = append(out, e.Node)
		}
		return data.Order.AuditEvents.TotalCount, out
	}

	total, events := read(t, c.op)
	if total != len(events) {
		t.Errorf("totalCount %d, %d edges", total, len(events))
	}
	var wizard []string
	for i, e := range events {
		if i > 0 && e.At.Before(events[i-1].At) {
			t.Errorf("event %d (%s at %s) comes before event %d (%s)", i, e.Action, e.At, i-1, events[i-1].Action)
		}
		if e.ActorKind != "SETUP_LINK" {
			continue
		}
		wizard = append(wizard, e.Action)
		if e.Actor != email || deref(e.TokenID) == "" {
			t.Errorf("%s: actor %q token %q, want %s and the link's token id", e.Action, e.Actor, deref(e.TokenID), email)
		}
		if b, _ := json.Marshal(e.Changes); strings.Contains(string(b), wizPassword) || strings.Contains(string(b), "argon2") {
			t.Errorf("%s: the audit trail holds the password: %s", e.Action, b)
		}
		switch e.Action {
		case "chooseRole":
			if e.Changes["role"] != "PARTNER" || e.Changes["step"] != "ASSIGNMENT" {
				t.Errorf("chooseRole changes %v", e.Changes)
			}
		case "confirmOrgs":
			if e.Changes["status"] != "ORGS_CONFIRMED" || e.Changes["step"] != "PASSWORD" {
				t.Errorf("confirmOrgs changes %v", e.Changes)
			}
		case "provision":
			if e.Changes["status"] != "PROVISIONED" || e.Changes["step"] != "DONE" {
				t.Errorf("provision changes %v", e.Changes)
			}
		}
	}
	want := []string{"startSetup", "chooseRole", "assignSetup", "confirmPartnerOrg", "setCustomerAdmin",
		"confirmCustomerOrg", "confirmOrgs", "setPartnerPassword", "saveCallSettings", "saveEnterpriseSettings", "provision"}
	if !slices.Equal(wizard, want) {
		t.Errorf("the link's audit trail:\n got %v\nwant %v", wizard, want)
	}
	if len(events) == 0 || events[0].Action != "ORDER_PLACED" || events[0].ActorKind != "OPERATOR" {
		t.Errorf("the first event should be the operator's ORDER_PLACED: %+v", events)
	}

	for _, tc := range []struct{ name, token string }{
		{"setup link", link},
		{"integration", func() string { tok, _ := c.app.Auth.IssueIntegration("P1", time.Hour); return tok }()},
		{"partner session", c.mustSignIn(t, email, wizPassword)},
	} {
		t.Run(tc.name+" reads an empty trail", func(t *testing.T) {
			total, events := read(t, tc.token)
			if total != 0 || len(events) != 0 {
				t.Errorf("%d events (totalCount %d), want none", len(events), total)
			}
		})
	}
}

// TestWizardReplacedLinkCannotWriteAfterHandOff races a hand-off against
// other calls of the same link (a second tab): once the hand-off has
// committed, no call of the old link may change the order, even one that
// was authenticated a moment before. A race, so a few rounds.
func TestWizardReplacedLinkCannotWriteAfterHandOff(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	late, wrongStep := 0, 0
	for round := range 5 {
		id := c.place(t, fmt.Sprintf("RL-%d", round), "P1", nil)
		l1 := c.link(t, id, "contact@p1.example")
		c.must(t, l1, "startSetup", nil)
		c.must(t, l1, "chooseRole", wizVars("role", "PARTNER"))

		const n = 30
		results := make([]response, n+1)
		errs := make([]error, n+1)
		wizRace(n+1, func(i int) {
			if i == n/2 {
				results[i], errs[i] = c.post(l1, wizMutations["assignSetup"]+wizPayloadFragment,
					wizInput("assignee", "COLLEAGUE", "email", "colleague@p1.example"))
				return
			}
			results[i], errs[i] = c.post(l1, wizMutations["chooseRole"]+wizPayloadFragment, wizVars("role", "PARTNER"))
		})
		for i, r := range results {
			switch {
			case errs[i] != nil:
				t.Fatalf("round %d, call %d: %v", round, i, errs[i])
			case len(r.Errors) > 0 && (r.Errors[0].Extensions.Code != "UNAUTHENTICATED" || r.Errors[0].Extensions.Reason != "REPLACED"):
				t.Errorf("round %d, call %d: errors %+v, want none or UNAUTHENTICATED REPLACED", round, i, r.Errors)
			}
		}
		if len(results[n/2].Errors) > 0 {
			t.Fatalf("round %d: the hand-off failed: %+v", round, results[n/2].Errors)
		}

		events, err := c.app.Store.Client.AuditEvent.Query().
			Where(auditevent.OrderID(gid.ID(id))).Order(auditevent.ByID()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		handedOff := false
		for _, e := range events {
			switch {
			case e.Action == "assignSetup":
				handedOff = true
			case handedOff && e.Actor == "contact@p1.example":
				late++
			}
		}
		o, err := c.app.Store.Client.Order.Get(ctx, gid.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		l2 := c.mailedLink(t, id, message.KindHANDOFF_COLLEAGUE, "colleague@p1.example")
		if s := c.session(t, l2); o.Step != "ROLE" || s.Step != "ROLE" {
			wrongStep++
		}
	}
	if late > 0 {
		t.Errorf("the replaced link wrote %d audited changes after its hand-off had committed", late)
	}
	if wrongStep > 0 {
		t.Errorf("in %d of 5 rounds the colleague's new link did not start at ROLE: the old link moved the order on", wrongStep)
	}
}
