package app_test

// The wizard tests' client: one running app, the wizard's operations and
// their answers, inputs, whole flows and the assertions the tests share.
// Every package-level name of the wizard tests starts with "wiz" (or
// TestWizard) so that it cannot collide with the other test files of the
// package.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/ent/setuplink"
	"onramp/ent/subscription"
	"onramp/ent/user"
	"onramp/internal/app"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/testkit"
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

// post sends one GraphQL request through the shared client; it may be
// called from any goroutine.
func (c *wizClient) post(token, query string, vars map[string]any) (response, error) {
	client := testkit.Client{URL: c.base, HTTP: c.http}
	r, err := client.Post(context.Background(), token, query, vars)
	return response(r), err
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

const wizCheckSubdomainQuery = `query($s: String!) { checkSubdomain(subdomain: $s) { available reason suggestions } }`

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
	ok, reason, _ := c.checkSubdomainSuggesting(t, token, name)
	return ok, reason
}

// checkSubdomainSuggesting is checkSubdomain with its suggestions.
func (c *wizClient) checkSubdomainSuggesting(t *testing.T, token, name string) (bool, string, []string) {
	t.Helper()
	var data struct {
		CheckSubdomain struct {
			Available   bool     `json:"available"`
			Reason      *string  `json:"reason"`
			Suggestions []string `json:"suggestions"`
		} `json:"checkSubdomain"`
	}
	c.gql(t, token, wizCheckSubdomainQuery, map[string]any{"s": name}).ok(t).decode(t, &data)
	return data.CheckSubdomain.Available, deref(data.CheckSubdomain.Reason), data.CheckSubdomain.Suggestions
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

// mailedLink reads the token of the one message of kind sent to the address to, for the
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
