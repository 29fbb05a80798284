package apptest

// The wizard's operations and their answers, inputs, whole flows and the
// assertions the wizard's tests share.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/ent/setuplink"
	"onramp/ent/subscription"
	"onramp/ent/user"
	"onramp/internal/gid"
	"onramp/internal/store"
)

// SessionFragment is the setup session every wizard call answers.
const SessionFragment = `
fragment wizSession on SetupSession {
  step steps next draftId existingSite role assignee email readOnly customerAdminEmail missingSettings
  partnerOrg { id existing name country }
  customerOrg { id existing name country subdomain }
  customerOrgCandidates { name emailDomain createdAt }
  # The edges of the order load after the call's transaction committed.
  order { id status step provisioningContactEmail handedToCustomer subscription { id } }
}`

// PayloadFragment is what every wizard mutation answers.
const PayloadFragment = `
fragment wizPayload on SetupPayload { setup { ...wizSession } handedOffTo userErrors { field message code } }` +
	SessionFragment

// Mutations are the wizard's mutations that answer a SetupPayload, each
// (but startSetup) with the optional draftId.
var Mutations = map[string]string{
	"startSetup":                     `mutation { startSetup { ...wizPayload } }`,
	"chooseRole":                     `mutation($role: SetupRole!, $draftId: ID) { chooseRole(role: $role, draftId: $draftId) { ...wizPayload } }`,
	"assignSetup":                    `mutation($input: AssignSetupInput!, $draftId: ID) { assignSetup(input: $input, draftId: $draftId) { ...wizPayload } }`,
	"confirmPartnerOrg":              `mutation($input: PartnerOrgInput!, $draftId: ID) { confirmPartnerOrg(input: $input, draftId: $draftId) { ...wizPayload } }`,
	"setCustomerAdmin":               `mutation($email: String!, $draftId: ID) { setCustomerAdmin(email: $email, draftId: $draftId) { ...wizPayload } }`,
	"confirmCustomerOrg":             `mutation($input: CustomerOrgInput!, $draftId: ID) { confirmCustomerOrg(input: $input, draftId: $draftId) { ...wizPayload } }`,
	"reportUnrecognizedOrganization": `mutation($input: ReportOrganizationInput!, $draftId: ID) { reportUnrecognizedOrganization(input: $input, draftId: $draftId) { ...wizPayload } }`,
	"confirmOrgs":                    `mutation($draftId: ID) { confirmOrgs(draftId: $draftId) { ...wizPayload } }`,
	"setPartnerPassword":             `mutation($password: String!, $draftId: ID) { setPartnerPassword(password: $password, draftId: $draftId) { ...wizPayload } }`,
	"saveCallSettings":               `mutation($input: CallSettingsInput!, $draftId: ID) { saveCallSettings(input: $input, draftId: $draftId) { ...wizPayload } }`,
	"saveEnterpriseSettings":         `mutation($subdomain: String!, $draftId: ID) { saveEnterpriseSettings(subdomain: $subdomain, draftId: $draftId) { ...wizPayload } }`,
}

// ProvisionMutation provisions, with an optional idempotency key and
// draftId.
const ProvisionMutation = `mutation($key: String, $draftId: ID) { provision(idempotencyKey: $key, draftId: $draftId) {
  order { id status step }
  subscription { id status activatedAt billingStartedAt siteSubdomain
    callSettings { country timeZone announcementLanguage emailLanguage locationName } }
  userErrors { field message code }
} }`

// SetupQuery reads the session of the link token.
const SetupQuery = `{ setup { ...wizSession } }` + SessionFragment

// CheckSubdomainQuery asks whether a site subdomain is available.
const CheckSubdomainQuery = `query($s: String!) { checkSubdomain(subdomain: $s) { available reason suggestions } }`

// SignInMutation signs a partner user in.
const SignInMutation = `mutation($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token userErrors { field message code } } }`

// ReleaseHoldMutation releases an order from hold (operator).
const ReleaseHoldMutation = `mutation($id: ID!, $note: String) {
  releaseHold(orderId: $id, note: $note) { order { id status step holdReason } userErrors { field message code } } }`

// OrderQuery reads an order with its organizations and subscription.
const OrderQuery = `query($id: ID!) { order(id: $id) {
  id status step role handedToCustomer holdReason confirmedByEmail
  partnerOrg { id name kind managedCustomers { id } }
  customerOrg { id name kind subdomain managers { id } }
  subscription { status billingStartedAt siteSubdomain }
} }`

// NodeQuery reads node(id), as an organization when it is one.
const NodeQuery = `query($id: ID!) { node(id: $id) { id ... on Organization { name kind } } }`

// Password passes the policy for every email used here.
const Password = "Tri-Kratka-Reci-2026!"

// SetupOrg is an organization as the session shows it.
type SetupOrg struct {
	ID        *string `json:"id"`
	Existing  bool    `json:"existing"`
	Name      string  `json:"name"`
	Country   string  `json:"country"`
	Subdomain *string `json:"subdomain"`
}

// SetupSession is the session as SessionFragment reads it.
type SetupSession struct {
	Step                  string    `json:"step"`
	Steps                 []string  `json:"steps"`
	DraftID               string    `json:"draftId"`
	ExistingSite          *string   `json:"existingSite"`
	Role                  *string   `json:"role"`
	Assignee              *string   `json:"assignee"`
	Email                 string    `json:"email"`
	Next                  string    `json:"next"`
	ReadOnly              bool      `json:"readOnly"`
	CustomerAdminEmail    *string   `json:"customerAdminEmail"`
	MissingSettings       []string  `json:"missingSettings"`
	PartnerOrg            *SetupOrg `json:"partnerOrg"`
	CustomerOrg           *SetupOrg `json:"customerOrg"`
	CustomerOrgCandidates []struct {
		Name        string `json:"name"`
		EmailDomain string `json:"emailDomain"`
		CreatedAt   string `json:"createdAt"`
	} `json:"customerOrgCandidates"`
	Order struct {
		ID                       string `json:"id"`
		Status                   string `json:"status"`
		Step                     string `json:"step"`
		ProvisioningContactEmail string `json:"provisioningContactEmail"`
		HandedToCustomer         bool   `json:"handedToCustomer"`
	} `json:"order"`
}

// SetupPayload is a wizard mutation's answer.
type SetupPayload struct {
	Setup       *SetupSession `json:"setup"`
	HandedOffTo *string       `json:"handedOffTo"`
	UserErrors  []UserError   `json:"UserErrors"`
}

// SubscriptionView is the subscription provision answers.
type SubscriptionView struct {
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

// ProvisionPayload is provision's answer.
type ProvisionPayload struct {
	Order *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Step   string `json:"step"`
	} `json:"order"`
	Subscription *SubscriptionView `json:"subscription"`
	UserErrors   []UserError       `json:"UserErrors"`
}

// OrgRef is an organization as OrderQuery reads it.
type OrgRef struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Kind             string   `json:"kind"`
	Subdomain        *string  `json:"subdomain"`
	ManagedCustomers []IDOnly `json:"managedCustomers"`
	Managers         []IDOnly `json:"managers"`
}

// IDOnly is a node of which only the id is read.
type IDOnly struct {
	ID string `json:"id"`
}

// WizardOrder is the order as OrderQuery reads it.
type WizardOrder struct {
	ID               string  `json:"id"`
	Status           string  `json:"status"`
	Step             string  `json:"step"`
	Role             *string `json:"role"`
	HandedToCustomer bool    `json:"handedToCustomer"`
	HoldReason       *string `json:"holdReason"`
	ConfirmedByEmail *string `json:"confirmedByEmail"`
	PartnerOrg       *OrgRef `json:"partnerOrg"`
	CustomerOrg      *OrgRef `json:"customerOrg"`
	Subscription     *struct {
		Status           string  `json:"status"`
		BillingStartedAt *string `json:"billingStartedAt"`
		SiteSubdomain    *string `json:"siteSubdomain"`
	} `json:"subscription"`
}

// Call runs a wizard mutation (or provision) and returns the raw response.
func (c *Server) Call(t testing.TB, token, op string, vars map[string]any) Response {
	t.Helper()
	if op == "provision" {
		return c.GQL(t, token, ProvisionMutation, vars)
	}
	q, ok := Mutations[op]
	if !ok {
		t.Fatalf("unknown wizard mutation %s", op)
	}
	return c.GQL(t, token, q+PayloadFragment, vars)
}

// Wiz runs a wizard mutation that must not fail at the top level.
func (c *Server) Wiz(t testing.TB, token, op string, vars map[string]any) SetupPayload {
	t.Helper()
	var data map[string]SetupPayload
	c.Call(t, token, op, vars).OK(t).Decode(t, &data)
	p, ok := data[op]
	if !ok {
		t.Fatalf("%s: no payload in the response", op)
	}
	return p
}

// Must runs a wizard mutation that must succeed and returns the session.
func (c *Server) Must(t testing.TB, token, op string, vars map[string]any) *SetupSession {
	t.Helper()
	p := c.Wiz(t, token, op, vars)
	if len(p.UserErrors) > 0 || p.Setup == nil {
		t.Fatalf("%s: UserErrors %+v, setup %v", op, p.UserErrors, p.Setup)
	}
	return p.Setup
}

// Provision runs provision with token and returns its payload.
func (c *Server) Provision(t testing.TB, token string, vars map[string]any) ProvisionPayload {
	t.Helper()
	var data struct {
		Provision ProvisionPayload `json:"provision"`
	}
	c.GQL(t, token, ProvisionMutation, vars).OK(t).Decode(t, &data)
	return data.Provision
}

// MustProvision provisions and checks the result is PROVISIONED with
// billing started.
func (c *Server) MustProvision(t testing.TB, token string, vars map[string]any) ProvisionPayload {
	t.Helper()
	p := c.Provision(t, token, vars)
	if len(p.UserErrors) > 0 {
		t.Fatalf("provision: UserErrors %+v", p.UserErrors)
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

// Session reads the setup session the link token shows.
func (c *Server) Session(t testing.TB, token string) SetupSession {
	t.Helper()
	var data struct {
		Setup SetupSession `json:"setup"`
	}
	c.GQL(t, token, SetupQuery, nil).OK(t).Decode(t, &data)
	return data.Setup
}

// Order reads the order id as token (nil when it may not see it).
func (c *Server) Order(t testing.TB, token, id string) *WizardOrder {
	t.Helper()
	var data struct {
		Order *WizardOrder `json:"order"`
	}
	c.GQL(t, token, OrderQuery, map[string]any{"id": id}).OK(t).Decode(t, &data)
	return data.Order
}

// Node reads node(id) as token and returns the id it answered ("" = null).
func (c *Server) Node(t testing.TB, token, id string) string {
	t.Helper()
	var data struct {
		Node *struct {
			ID string `json:"id"`
		} `json:"node"`
	}
	c.GQL(t, token, NodeQuery, map[string]any{"id": id}).OK(t).Decode(t, &data)
	if data.Node == nil {
		return ""
	}
	return data.Node.ID
}

// CheckSubdomain asks whether name is available, and why not.
func (c *Server) CheckSubdomain(t testing.TB, token, name string) (bool, string) {
	t.Helper()
	ok, reason, _ := c.CheckSubdomainSuggesting(t, token, name)
	return ok, reason
}

// CheckSubdomainSuggesting is CheckSubdomain with its suggestions.
func (c *Server) CheckSubdomainSuggesting(t testing.TB, token, name string) (bool, string, []string) {
	t.Helper()
	var data struct {
		CheckSubdomain struct {
			Available   bool     `json:"available"`
			Reason      *string  `json:"reason"`
			Suggestions []string `json:"suggestions"`
		} `json:"checkSubdomain"`
	}
	c.GQL(t, token, CheckSubdomainQuery, map[string]any{"s": name}).OK(t).Decode(t, &data)
	return data.CheckSubdomain.Available, Deref(data.CheckSubdomain.Reason), data.CheckSubdomain.Suggestions
}

// SignIn signs a partner user in: the session token, or the userErrors.
func (c *Server) SignIn(t testing.TB, email, password string) (string, []UserError) {
	t.Helper()
	var data struct {
		SignIn struct {
			Token      *string     `json:"token"`
			UserErrors []UserError `json:"UserErrors"`
		} `json:"signIn"`
	}
	c.GQL(t, "", SignInMutation, map[string]any{"email": email, "password": password}).OK(t).Decode(t, &data)
	return Deref(data.SignIn.Token), data.SignIn.UserErrors
}

// MustSignIn signs in and fails the test unless a token came back.
func (c *Server) MustSignIn(t testing.TB, email, password string) string {
	t.Helper()
	tok, errs := c.SignIn(t, email, password)
	if tok == "" || len(errs) > 0 {
		t.Fatalf("signIn(%s): token %q, UserErrors %+v", email, tok, errs)
	}
	return tok
}

// NewOrder places an order (operator) and returns its id; edit may change the
// input first.
func (c *Server) NewOrder(t testing.TB, ext, account string, edit func(map[string]any)) string {
	t.Helper()
	in := OrderInput(ext, account)
	if edit != nil {
		edit(in)
	}
	return c.PlaceOrder(t, c.Op, in).ID
}

// Link issues a setup link of the order for email (the order's other links
// become REPLACED).
func (c *Server) Link(t testing.TB, orderID, email string) string {
	t.Helper()
	return c.SetupLink(t, orderID, email)
}

// LinkPattern finds a setup link (the public URL and the token) in a message.
var LinkPattern = regexp.MustCompile(`(https?://[^\s"<>]+)/setup\?token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)`)

// MailedLink reads the token of the one message of kind sent to the address to, for the
// order from the outbox (the app's jobs are not running, or have no mail
// system, so the body is still there).
func (c *Server) MailedLink(t testing.TB, orderID string, kind message.Kind, to string) string {
	t.Helper()
	msgs, err := c.App.Store.Client.Message.Query().
		Where(message.OrderID(gid.ID(orderID)), message.KindEQ(kind), message.To(to)).
		All(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("want one %s message to %s, found %d", kind, to, len(msgs))
	}
	m := LinkPattern.FindStringSubmatch(msgs[0].TextBody)
	if m == nil {
		t.Fatalf("no setup link in the %s message to %s:\n%s", kind, to, msgs[0].TextBody)
	}
	if m[1] != strings.TrimRight(c.App.Config.PublicURL, "/") {
		t.Errorf("the link starts with %s, want the public URL %s", m[1], c.App.Config.PublicURL)
	}
	return m[2]
}

// --- inputs --------------------------------------------------------------------------------------

// Address is a valid postal address in Belgrade.
func Address() map[string]any {
	return map[string]any{"line1": "Knez Mihailova 10", "city": "Beograd", "postalCode": "11000"}
}

// PartnerOrgVars are confirmPartnerOrg's variables for a partner organization called name.
func PartnerOrgVars(name string) map[string]any {
	return map[string]any{"input": map[string]any{"name": name, "country": "RS", "address": Address()}}
}

// CallSettingsVars are saveCallSettings's variables with every setting given.
func CallSettingsVars() map[string]any {
	return map[string]any{"input": map[string]any{
		"timeZone":             "Europe/Belgrade",
		"announcementLanguage": "sr_RS",
		"emailLanguage":        "en_US",
		"locationName":         "Headquarters",
		"address":              Address(),
	}}
}

// Vars builds variables from name, value pairs.
func Vars(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// WithDraft adds a draftId to a call's variables.
func WithDraft(vars map[string]any, draftID string) map[string]any {
	out := map[string]any{"draftId": draftID}
	maps.Copy(out, vars)
	return out
}

// Input is Vars wrapped as the $input variable.
func Input(kv ...any) map[string]any { return map[string]any{"input": Vars(kv...)} }

// --- flows -----------------------------------------------------------------------------------------

// PartnerToConfirm takes a fresh link along the partner's path (SELF) to
// CONFIRM, with customerAdmin as the customer administrator.
func (c *Server) PartnerToConfirm(t testing.TB, link, customerAdmin string) *SetupSession {
	t.Helper()
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", Vars("role", "PARTNER"))
	c.Must(t, link, "assignSetup", Input("assignee", "SELF"))
	c.Must(t, link, "confirmPartnerOrg", PartnerOrgVars("Partner Org"))
	c.Must(t, link, "setCustomerAdmin", Vars("email", customerAdmin))
	s := c.Must(t, link, "confirmCustomerOrg", Input())
	if s.Step != "CONFIRM" {
		t.Fatalf("after confirmCustomerOrg: step %s, want CONFIRM", s.Step)
	}
	return s
}

// ConfirmToServices confirms the organizations and, for a new partner
// organization, sets its password.
func (c *Server) ConfirmToServices(t testing.TB, link string) *SetupSession {
	t.Helper()
	s := c.Must(t, link, "confirmOrgs", nil)
	if s.Step == "PASSWORD" {
		s = c.Must(t, link, "setPartnerPassword", Vars("password", Password))
	}
	if s.Step != "SERVICES" || s.Order.Status != "ORGS_CONFIRMED" {
		t.Fatalf("after confirmOrgs: %s/%s, want ORGS_CONFIRMED/SERVICES", s.Order.Status, s.Step)
	}
	return s
}

// SaveSettings saves the call settings and claims subdomain.
func (c *Server) SaveSettings(t testing.TB, link, subdomain string) *SetupSession {
	t.Helper()
	c.Must(t, link, "saveCallSettings", CallSettingsVars())
	s := c.Must(t, link, "saveEnterpriseSettings", Vars("subdomain", subdomain))
	if s.Step != "PROVISION" {
		t.Fatalf("after the settings: step %s, want PROVISION", s.Step)
	}
	return s
}

// Done is an order taken to PROVISIONED by its partner.
type Done struct {
	OrderID, Link               string
	PartnerOrgID, CustomerOrgID string
	PartnerAdmin, CustomerAdmin string
	BillingStartedAt, Subdomain string
}

// Provisioned places an order of account and takes it to PROVISIONED along
// the partner's path, with partnerAdmin holding the link.
func (c *Server) Provisioned(t testing.TB, ext, account, partnerAdmin, customerAdmin, subdomain string) Done {
	t.Helper()
	id := c.NewOrder(t, ext, account, nil)
	link := c.Link(t, id, partnerAdmin)
	c.PartnerToConfirm(t, link, customerAdmin)
	s := c.ConfirmToServices(t, link)
	c.SaveSettings(t, link, subdomain)
	p := c.MustProvision(t, link, nil)
	return Done{
		OrderID: id, Link: link, PartnerOrgID: Deref(s.PartnerOrg.ID), CustomerOrgID: Deref(s.CustomerOrg.ID),
		PartnerAdmin: partnerAdmin, CustomerAdmin: customerAdmin,
		BillingStartedAt: Deref(p.Subscription.BillingStartedAt), Subdomain: subdomain,
	}
}

// --- assertions ------------------------------------------------------------------------------------

// World describes everything a wizard call could change: the order's row,
// the session the link shows, and counts of every table the wizard writes.
// A refused call must leave it as it was.
func (c *Server) World(t testing.TB, orderID, token string) string {
	t.Helper()
	ctx := store.System(context.Background())
	cl := c.App.Store.Client
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
		o.Status, o.Step, role, o.HandedToCustomer, o.CreatedPartnerOrg, Deref(o.HoldReason), o.ConfirmedByEmail,
		o.PartnerOrgID, o.CustomerOrgID, o.UpdatedAt.UTC().Format(time.RFC3339Nano))
	if token != "" {
		r := c.GQL(t, token, SetupQuery, nil)
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

// Refuse runs a wizard mutation (or provision) that must be refused with
// code (and a userError on field, when given) and change nothing.
func (c *Server) Refuse(t testing.TB, token, orderID, op string, vars map[string]any, code string, field ...string) []UserError {
	t.Helper()
	before := c.World(t, orderID, token)
	var errs []UserError
	if op == "provision" {
		p := c.Provision(t, token, vars)
		if p.Order != nil || p.Subscription != nil {
			t.Errorf("refused provision answered order %+v, subscription %+v", p.Order, p.Subscription)
		}
		errs = p.UserErrors
	} else {
		p := c.Wiz(t, token, op, vars)
		if p.Setup != nil || p.HandedOffTo != nil {
			t.Errorf("refused %s answered setup %+v, handedOffTo %v", op, p.Setup, p.HandedOffTo)
		}
		errs = p.UserErrors
	}
	WantCode(t, op, errs, code, field...)
	if after := c.World(t, orderID, token); after != before {
		t.Errorf("refused %s (%s) changed something:\nbefore: %s\nafter:  %s", op, code, before, after)
	}
	return errs
}
