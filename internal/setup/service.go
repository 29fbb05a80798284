package setup

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/schema/schematype"
	"onramp/ent/servicesetting"
	"onramp/ent/setuplink"
	"onramp/ent/subscription"
	"onramp/ent/user"
	"onramp/internal/audit"
	"onramp/internal/auth"
	"onramp/internal/billing"
	"onramp/internal/gid"
	"onramp/internal/mail"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Codes of the wizard's userErrors.
const (
	CodeWrongStep          = "WRONG_STEP"
	CodeOnHold             = "ON_HOLD"
	CodeAlreadyProvisioned = orders.CodeAlreadyProvisioned
	CodeEmailInPartnerOrg  = "EMAIL_IN_PARTNER_ORG"
	CodeEmailInOtherOrg    = "EMAIL_IN_OTHER_ORG"
	CodeOrgTaken           = "ORG_TAKEN"
	CodeMissingSettings    = "MISSING_SETTINGS"
	CodeNotPurchased       = "NOT_PURCHASED"
	CodeRoleNotAllowed     = "ROLE_NOT_ALLOWED"
	CodeSiteExists         = "SITE_EXISTS"
	CodeInvalidCredentials = "INVALID_CREDENTIALS"
)

// Roles, as stored in the draft.
const (
	RolePartner  = string(order.RolePARTNER)
	RoleCustomer = string(order.RoleCUSTOMER)
)

// Assignee is who sets up (the GraphQL SetupAssignee).
type Assignee string

// The assignees.
const (
	AssignSelf      Assignee = "SELF"
	AssignColleague Assignee = "COLLEAGUE"
	AssignCustomer  Assignee = "CUSTOMER"
)

// Service runs the wizard.
type Service struct {
	Store  *store.Store
	Orders *orders.Service
	Auth   *auth.Authority
}

// state is what one wizard call works on: the order (locked for the
// transaction), the caller's link and its draft.
type state struct {
	v     *viewer.Viewer
	order *ent.Order
	link  *ent.SetupLink
	draft schematype.Draft
	// step is where the order goes when the call succeeds.
	step order.Step
	// noop: the call changed nothing (a repeated provision).
	noop bool
}

// Session reads the wizard's state for the link of ctx.
func (s *Service) Session(ctx context.Context) (*Session, error) {
	v, err := auth.Require(ctx, viewer.SetupLink)
	if err != nil {
		return nil, err
	}
	o, err := s.Store.Client.Order.Get(ctx, v.OrderID)
	if ent.IsNotFound(err) {
		return nil, auth.NotFound("order")
	}
	if err != nil {
		return nil, err
	}
	// A read-only call answers from the link as this request's
	// authentication read it, a moment ago.
	link := auth.RequestLink(ctx)
	if link == nil || link.TokenHash != auth.LinkHash(v.TokenID) {
		if link, err = readLink(ctx, s.Store.Client, v); err != nil {
			return nil, err
		}
	}
	return s.session(ctx, newState(v, o, link))
}

// readLink reads the viewer's link.
func readLink(ctx context.Context, client *ent.Client, v *viewer.Viewer) (*ent.SetupLink, error) {
	return client.SetupLink.Query().
		Where(setuplink.TokenHash(auth.LinkHash(v.TokenID))).
		Only(store.System(ctx))
}

func newState(v *viewer.Viewer, o *ent.Order, link *ent.SetupLink) *state {
	return &state{v: v, order: o, link: link, draft: link.Draft, step: o.Step}
}

// lock locks the viewer's order for the transaction (orders.Lock) and reads
// the wizard's state.
func (s *Service) lock(ctx context.Context, v *viewer.Viewer) (*state, error) {
	o, err := orders.Lock(ctx, v.OrderID)
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, auth.NotFound("order")
		}
		return nil, err
	}
	link, err := readLink(ctx, ent.FromContext(ctx), v)
	if err != nil {
		return nil, err
	}
	st := newState(v, o, link)
	// The link was active when the request was authenticated; a hand-off,
	// resend or cancellation may have committed since. Under the order's
	// lock its state is settled.
	if err := s.Auth.LinkRefusal(st.link); err != nil {
		return nil, err
	}
	return st, nil
}

// do runs one wizard call: in a transaction, with the order locked, after
// checking the order's state and the step. fn changes st; do then saves the
// draft and the step, writes the audit event and publishes the change after
// commit. A userError rolls everything back. It answers the session as the
// call committed it (no second read of the order and link after the commit).
func (s *Service) do(ctx context.Context, action Action, changes map[string]any, fn func(ctx context.Context, st *state) error) (*Session, error) {
	st, err := s.run(ctx, action, changes, fn)
	if err != nil {
		return nil, err
	}
	return s.session(ctx, st)
}

// run is do without building the session, for calls that answer something
// else (provision, a hand-off). It returns the committed state: the order as
// saved and the draft as written.
func (s *Service) run(ctx context.Context, action Action, changes map[string]any, fn func(ctx context.Context, st *state) error) (*state, error) {
	v, err := auth.Require(ctx, viewer.SetupLink)
	if err != nil {
		return nil, err
	}
	var committed *state
	joined := ent.TxFromContext(ctx) != nil
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		st, err := s.lock(ctx, v)
		if err != nil {
			return err
		}
		committed = st
		switch {
		case st.order.Status == order.StatusON_HOLD:
			return validate.Fail(CodeOnHold, "", "This order is on hold until an operator reviews it.")
		case st.order.Status == order.StatusPROVISIONED && action != Provision:
			return validate.Fail(CodeAlreadyProvisioned, "", "This order is already provisioned.")
		case !allowed(action, st.order.Step):
			return validate.Fail(CodeWrongStep, "", "%s", wrongStep(st.order.Step))
		}
		before := st.order
		if err := markStarted(ctx, st); err != nil {
			return err
		}
		if err := fn(ctx, st); err != nil {
			return err
		}
		if st.noop {
			return nil
		}
		return s.save(ctx, st, before, action, changes)
	})
	if err != nil {
		return nil, err
	}
	if !joined {
		// The entities were read in the now committed transaction: their
		// edges (order.subscription, …) must load through the client.
		committed.order = committed.order.Unwrap()
		committed.link = committed.link.Unwrap()
	}
	return committed, nil
}

// save writes the draft and the order's step (and IN_SETUP on the first
// answer), records the call, and publishes the change after commit.
func (s *Service) save(ctx context.Context, st *state, before *ent.Order, action Action, changes map[string]any) error {
	client := ent.FromContext(ctx)
	if err := client.SetupLink.UpdateOne(st.link).SetDraft(st.draft).Exec(store.System(ctx)); err != nil {
		return err
	}
	o, err := client.Order.UpdateOneID(st.order.ID).SetStep(st.step).Save(ctx)
	if err != nil {
		return err
	}
	if changes == nil {
		changes = map[string]any{}
	}
	if o.Step != before.Step {
		changes["step"] = o.Step
	}
	if o.Status != before.Status {
		changes["status"] = o.Status
	}
	if err := audit.Record(ctx, client, o.ID, string(action), changes); err != nil {
		return err
	}
	s.Orders.Changed(ctx, o)
	st.order = o
	return nil
}

// markStarted moves an order whose setup had not started to IN_SETUP.
func markStarted(ctx context.Context, st *state) error {
	if st.order.Status != order.StatusPLACED && st.order.Status != order.StatusLINK_SENT {
		return nil
	}
	return ent.FromContext(ctx).Order.UpdateOneID(st.order.ID).SetStatus(order.StatusIN_SETUP).Exec(ctx)
}

// StartSetup opens the wizard: the link's draft starts afresh ("the
// information is not saved") and, before the organizations are confirmed,
// the wizard starts at ROLE. After that it resumes where setup stands.
func (s *Service) StartSetup(ctx context.Context) (*Session, error) {
	return s.do(ctx, StartSetup, nil, func(ctx context.Context, st *state) error {
		if st.order.Status == order.StatusORGS_CONFIRMED {
			st.noop = true // setup continues in the service settings
			return nil
		}
		st.draft = schematype.Draft{}
		st.step = order.StepROLE
		return nil
	})
}

// ChooseRole answers "I am a partner" or "I am the customer".
func (s *Service) ChooseRole(ctx context.Context, r order.Role) (*Session, error) {
	role := string(r)
	return s.do(ctx, ChooseRole, map[string]any{"role": role}, func(ctx context.Context, st *state) error {
		if role != RolePartner && role != RoleCustomer {
			return validate.Fail(validate.CodeInvalid, "role", "Role must be PARTNER or CUSTOMER.")
		}
		if role == RolePartner && st.order.HandedToCustomer {
			return validate.Fail(CodeRoleNotAllowed, "role", "This setup was handed to the customer: choose the customer role.")
		}
		st.draft = schematype.Draft{Role: role}
		st.step = order.StepASSIGNMENT
		return nil
	})
}

// AssignInput is assignSetup's input.
type AssignInput struct {
	Assignee Assignee
	Email    *string
}

// AssignSetup decides who sets up: SELF goes on; COLLEAGUE and CUSTOMER
// send a new link to the email given, and this link stops working at once.
func (s *Service) AssignSetup(ctx context.Context, in AssignInput) (_ *Session, handedOffTo string, _ error) {
	var handedOff bool
	st, err := s.run(ctx, AssignSetup, map[string]any{"assignee": in.Assignee}, func(ctx context.Context, st *state) error {
		if in.Email != nil {
			addr, _ := validate.Email(*in.Email)
			in.Email = &addr
		}
		switch in.Assignee {
		case AssignSelf:
			st.draft = schematype.Draft{Role: st.draft.Role, Assignee: string(AssignSelf)}
			st.step = order.StepPARTNER_ORG
			if st.draft.Role == RoleCustomer {
				st.step = order.StepCUSTOMER_ADMIN
			}
			return nil
		case AssignColleague, AssignCustomer:
		default:
			return validate.Fail(validate.CodeInvalid, "input.assignee", "Assignee must be SELF, COLLEAGUE or CUSTOMER.")
		}
		if in.Assignee == AssignCustomer && st.draft.Role != RolePartner {
			return validate.Fail(CodeRoleNotAllowed, "input.assignee", "Only a partner can hand the setup to the customer.")
		}
		email, ok := "", false
		if in.Email != nil {
			email, ok = validate.Email(*in.Email)
		}
		if !ok {
			return validate.Fail(validate.CodeInvalid, "input.email", "Enter the email address of the person who will set up.")
		}
		if email == st.v.Email {
			return validate.Fail(validate.CodeInvalid, "input.email", "That is your own address: choose \"I will set up\" instead.")
		}
		kind := mail.HandoffColleague
		if in.Assignee == AssignCustomer {
			kind = mail.HandoffCustomer
			if err := ent.FromContext(ctx).Order.UpdateOneID(st.order.ID).SetHandedToCustomer(true).Exec(ctx); err != nil {
				return err
			}
		}
		// The new link replaces this one; its holder starts at ROLE.
		if err := s.Orders.SendLink(ctx, st.order, email, kind, st.v.Email); err != nil {
			return err
		}
		st.draft = schematype.Draft{}
		st.step = order.StepROLE
		handedOff = true
		return nil
	})
	switch {
	case err != nil:
		return nil, "", err
	case handedOff:
		// This link no longer works: there is no session to show.
		return nil, *in.Email, nil
	}
	sess, err := s.session(ctx, st)
	return sess, "", err
}

// OrgInput is the details of an organization to create.
type OrgInput struct {
	Name    *string
	Country *string
	Address *schematype.Address
}

// PartnerOrg is the partner organization of the order's account, if it
// exists.
func (s *Service) partnerOrg(ctx context.Context, o *ent.Order) (*ent.Organization, error) {
	org, err := ent.FromContext(ctx).Organization.Query().
		Where(organization.AccountID(o.PartnerAccountID)).
		Only(store.System(ctx))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return org, err
}

// ConfirmPartnerOrg creates the partner organization's details on the
// account's first order, or confirms the review of the existing one.
func (s *Service) ConfirmPartnerOrg(ctx context.Context, in OrgInput) (*Session, error) {
	return s.do(ctx, ConfirmPartnerOrg, nil, func(ctx context.Context, st *state) error {
		if st.draft.Role != RolePartner {
			return validate.Fail(CodeWrongStep, "", "The customer's path has no partner organization step. %s", wrongStep(order.StepCUSTOMER_ADMIN))
		}
		existing, err := s.partnerOrg(ctx, st.order)
		if err != nil {
			return err
		}
		var draft *schematype.OrgDraft
		if existing != nil {
			draft = &schematype.OrgDraft{ExistingID: string(existing.ID)}
		} else {
			d, err := orgDetails(in, st.order.PartnerName, st.order.CustomerCountry, nil)
			if err != nil {
				return err
			}
			draft = d
		}
		st.draft = schematype.Draft{Role: st.draft.Role, Assignee: st.draft.Assignee, PartnerOrg: draft}
		st.step = order.StepCUSTOMER_ADMIN
		return nil
	})
}

// orgDetails validates the details of a new organization; missing fields
// default to the given name, country and address.
func orgDetails(in OrgInput, name, country string, address *schematype.Address) (*schematype.OrgDraft, error) {
	var p validate.Problems
	d := &schematype.OrgDraft{Name: name, Country: country}
	if address != nil {
		d.Address = *address
	}
	var ok bool
	if in.Name != nil {
		if d.Name, ok = validate.Text(*in.Name, true, 200); !ok {
			p.Add(validate.CodeInvalid, "input.name", "Organization name is required, at most 200 characters.")
		}
	}
	if in.Country != nil {
		if d.Country, ok = validate.Country(*in.Country); !ok {
			p.Add(validate.CodeInvalid, "input.country", "Country must be an ISO 3166-1 alpha-2 code such as RS.")
		}
	}
	if in.Address != nil {
		d.Address = in.Address.Normalize(&p, "input.address")
	} else if address == nil {
		p.Add(validate.CodeInvalid, "input.address", "Enter the organization's address.")
	}
	return d, p.Err()
}

// SetCustomerAdmin names the customer administrator. A user is in one
// organization only: an email of a partner organization is refused; an
// email of a customer organization makes that the existing organization to
// check.
func (s *Service) SetCustomerAdmin(ctx context.Context, email string) (*Session, error) {
	return s.do(ctx, SetCustomerAdmin, nil, func(ctx context.Context, st *state) error {
		addr, ok := validate.Email(email)
		if !ok {
			return validate.Fail(validate.CodeInvalid, "email", "Enter a valid email address.")
		}
		u, err := ent.FromContext(ctx).User.Query().Where(user.Email(addr)).
			WithOrganization().Only(store.System(ctx))
		if err != nil && !ent.IsNotFound(err) {
			return err
		}
		st.draft.CustomerAdminEmail = addr
		st.draft.CustomerOrg = nil
		switch {
		case u == nil:
		case u.Edges.Organization.Kind == organization.KindPARTNER:
			return validate.Fail(CodeEmailInPartnerOrg, "email",
				"This email belongs to a partner organization. A user can belong to only one organization: use another email.")
		default:
			st.draft.CustomerOrg = &schematype.OrgDraft{ExistingID: string(u.OrganizationID)}
		}
		st.step = order.StepCUSTOMER_ORG
		return nil
	})
}

// ConfirmCustomerOrg confirms a new customer organization's details (the
// order's customer by default) or the check of the existing one.
func (s *Service) ConfirmCustomerOrg(ctx context.Context, in OrgInput) (*Session, error) {
	return s.do(ctx, ConfirmCustomerOrg, nil, func(ctx context.Context, st *state) error {
		if st.draft.CustomerAdminEmail == "" {
			return validate.Fail(CodeWrongStep, "", "%s", wrongStep(order.StepCUSTOMER_ADMIN))
		}
		if st.draft.CustomerOrg == nil || st.draft.CustomerOrg.ExistingID == "" {
			addr := st.order.CustomerAddress
			d, err := orgDetails(in, st.order.CustomerName, st.order.CustomerCountry, &addr)
			if err != nil {
				return err
			}
			st.draft.CustomerOrg = d
		}
		st.step = order.StepCONFIRM
		return nil
	})
}

// ReportInput is reportUnrecognizedOrganization's input.
type ReportInput struct {
	Organization order.Role
	Note         *string
}

// ReportUnrecognizedOrganization puts the order on hold for an operator:
// the person does not recognize an existing organization.
func (s *Service) ReportUnrecognizedOrganization(ctx context.Context, in ReportInput) (*Session, error) {
	note := ""
	if in.Note != nil {
		note = *in.Note
	}
	return s.do(ctx, ReportUnrecognized, map[string]any{"organization": in.Organization, "note": note}, func(ctx context.Context, st *state) error {
		n, ok := validate.Text(note, false, 2000)
		if !ok {
			return validate.Fail(validate.CodeInvalid, "input.note", "Note may be at most 2000 characters.")
		}
		if order.RoleValidator(in.Organization) != nil {
			return validate.Fail(validate.CodeInvalid, "input.organization", "Organization must be PARTNER or CUSTOMER.")
		}
		reason := "The " + strings.ToLower(string(in.Organization)) + " organization was not recognized by " + st.v.Email + "."
		if n != "" {
			reason += " Note: " + n
		}
		return ent.FromContext(ctx).Order.UpdateOneID(st.order.ID).
			SetStatus(order.StatusON_HOLD).SetHoldReason(reason).Exec(ctx)
	})
}

// ConfirmOrgs writes everything in one transaction: the organizations that
// are new, their administrators, the partner's management relation (role
// PARTNER and not handed to the customer), and the order's mapping. Two
// orders racing for one new administrator email or partner account: the
// database's unique indexes let one win; the other gets a userError.
func (s *Service) ConfirmOrgs(ctx context.Context) (*Session, error) {
	return s.do(ctx, ConfirmOrgs, nil, func(ctx context.Context, st *state) error {
		d := st.draft
		if d.CustomerOrg == nil || d.CustomerAdminEmail == "" || (d.Role == RolePartner && d.PartnerOrg == nil) {
			return validate.Fail(CodeWrongStep, "", "Some answers are missing; go back through the steps.")
		}
		err := s.confirm(ctx, st)
		if ent.IsConstraintError(err) {
			return validate.Fail(CodeOrgTaken, "",
				"Another setup has just claimed this organization or administrator email. Start again to review the current state.")
		}
		return err
	})
}

func (s *Service) confirm(ctx context.Context, st *state) error {
	client := ent.FromContext(ctx)
	sys := store.System(ctx)
	d, o := st.draft, st.order
	upd := client.Order.UpdateOneID(o.ID).
		SetStatus(order.StatusORGS_CONFIRMED).
		SetRole(order.Role(d.Role)).
		SetConfirmedByEmail(st.v.Email)
	st.step = order.StepSERVICES

	var partner *ent.Organization
	if d.Role == RolePartner {
		var err error
		if d.PartnerOrg.ExistingID != "" {
			partner, err = client.Organization.Get(sys, gid.ID(d.PartnerOrg.ExistingID))
		} else {
			partner, err = client.Organization.Create().
				SetKind(organization.KindPARTNER).SetAccountID(o.PartnerAccountID).
				SetName(d.PartnerOrg.Name).SetCountry(d.PartnerOrg.Country).SetAddress(d.PartnerOrg.Address).
				SetEmailDomain(domainOf(st.v.Email)).
				Save(sys)
			if err == nil {
				// The link's holder who confirms a new partner org becomes
				// its administrator.
				err = s.createUser(ctx, st.v.Email, partner.ID)
				upd.SetCreatedPartnerOrg(true)
				st.step = order.StepPASSWORD
			}
		}
		if err != nil {
			return err
		}
		upd.SetPartnerOrgID(partner.ID)
	}

	var customer *ent.Organization
	var err error
	if d.CustomerOrg.ExistingID != "" {
		customer, err = client.Organization.Get(sys, gid.ID(d.CustomerOrg.ExistingID))
	} else {
		customer, err = client.Organization.Create().
			SetKind(organization.KindCUSTOMER).
			SetName(d.CustomerOrg.Name).SetCountry(d.CustomerOrg.Country).SetAddress(d.CustomerOrg.Address).
			SetEmailDomain(domainOf(d.CustomerAdminEmail)).
			Save(sys)
		if err == nil {
			err = s.createUser(ctx, d.CustomerAdminEmail, customer.ID)
		}
	}
	if err != nil {
		return err
	}
	upd.SetCustomerOrgID(customer.ID)
	if partner != nil && !o.HandedToCustomer {
		managed, err := partner.QueryManagedCustomers().Where(organization.ID(customer.ID)).Exist(sys)
		if err != nil {
			return err
		}
		if !managed {
			if err := client.Organization.UpdateOne(partner).AddManagedCustomerIDs(customer.ID).Exec(sys); err != nil {
				return err
			}
		}
	}
	return upd.Exec(ctx)
}

// createUser adds a user to an organization, refusing an email that
// already belongs to another one.
func (s *Service) createUser(ctx context.Context, email string, org gid.ID) error {
	sys := store.System(ctx)
	client := ent.FromContext(ctx)
	u, err := client.User.Query().Where(user.Email(email)).Only(sys)
	switch {
	case ent.IsNotFound(err):
		return client.User.Create().SetEmail(email).SetOrganizationID(org).Exec(sys)
	case err != nil:
		return err
	case u.OrganizationID != org:
		return validate.Fail(CodeEmailInOtherOrg, "",
			"%s already belongs to another organization. A user can belong to only one organization.", email)
	}
	return nil
}

func domainOf(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}

// SetPartnerPassword sets the password of a newly created partner
// organization's administrator (the link's holder who confirmed it).
func (s *Service) SetPartnerPassword(ctx context.Context, password string) (*Session, error) {
	return s.do(ctx, SetPartnerPassword, nil, func(ctx context.Context, st *state) error {
		if !st.order.CreatedPartnerOrg {
			return validate.Fail(CodeWrongStep, "", "Only a newly created partner organization gets a password here.")
		}
		if msg := passwordProblem(password, st.v.Email); msg != "" {
			return validate.Fail(CodeWeakPassword, "password", "%s", msg)
		}
		hash, err := hashPassword(password)
		if err != nil {
			return err
		}
		n, err := ent.FromContext(ctx).User.Update().
			Where(user.Email(st.order.ConfirmedByEmail), user.OrganizationID(st.order.PartnerOrgID)).
			SetPasswordHash(hash).Save(store.System(ctx))
		if err != nil {
			return err
		}
		if n != 1 {
			return errors.New("setup: the partner administrator is missing")
		}
		st.step = order.StepSERVICES
		return nil
	})
}

// SignIn checks a partner administrator's password and returns a session
// token. Unknown email and wrong password look the same.
func (s *Service) SignIn(ctx context.Context, email, password string) (string, error) {
	addr, _ := validate.Email(email)
	sys := store.System(ctx)
	u, err := s.Store.Client.User.Query().Where(user.Email(addr)).WithOrganization().Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return "", err
	}
	if u == nil || u.PasswordHash == "" || u.Edges.Organization.Kind != organization.KindPARTNER {
		checkPassword(password, dummyHash) // the same work, so timing does not tell
		return "", validate.Fail(CodeInvalidCredentials, "", "Wrong email or password.")
	}
	if !checkPassword(password, u.PasswordHash) {
		return "", validate.Fail(CodeInvalidCredentials, "", "Wrong email or password.")
	}
	return s.Auth.IssuePartnerSession(u, u.Edges.Organization)
}

var dummyHash, _ = hashPassword("onramp-timing-equalizer")

// purchased reports which services the order bought.
func purchased(ctx context.Context, o *ent.Order) (map[schematype.ServiceKind]bool, *ent.Subscription, error) {
	sub, err := ent.FromContext(ctx).Subscription.Query().Where(subscription.OrderID(o.ID)).Only(store.System(ctx))
	if err != nil {
		return nil, nil, err
	}
	m := map[schematype.ServiceKind]bool{}
	for _, l := range sub.Services {
		m[l.Kind] = true
	}
	return m, sub, nil
}

// saveSetting stores the settings of one service, replacing earlier ones.
func saveSetting(ctx context.Context, sub *ent.Subscription, kind schematype.ServiceKind, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return ent.FromContext(ctx).ServiceSetting.Create().
		SetSubscriptionID(sub.ID).SetKind(kind).SetValues(b).
		OnConflictColumns(servicesetting.FieldSubscriptionID, servicesetting.FieldKind).
		UpdateValues().UpdateUpdatedAt().
		Exec(store.System(ctx))
}

// SaveCallSettings saves the calling settings of the default location.
func (s *Service) SaveCallSettings(ctx context.Context, in CallSettingsInput) (*Session, error) {
	return s.do(ctx, SaveCallSettings, map[string]any{"timeZone": in.TimeZone}, func(ctx context.Context, st *state) error {
		bought, sub, err := purchased(ctx, st.order)
		if err != nil {
			return err
		}
		if !bought[schematype.Calling] {
			return validate.Fail(CodeNotPurchased, "", "This order did not purchase calling.")
		}
		cs, err := validateCallSettings(in, st.order.CustomerCountry)
		if err != nil {
			return err
		}
		if err := saveSetting(ctx, sub, schematype.Calling, cs); err != nil {
			return err
		}
		return s.advanceServices(ctx, st)
	})
}

// advanceServices moves SERVICES to PROVISION once every purchased service
// has its settings.
func (s *Service) advanceServices(ctx context.Context, st *state) error {
	missing, err := missingSettings(ctx, st.order)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		st.step = order.StepPROVISION
	} else {
		st.step = order.StepSERVICES
	}
	return nil
}

// missingSettings lists the purchased services still without settings.
func missingSettings(ctx context.Context, o *ent.Order) ([]schematype.ServiceKind, error) {
	bought, sub, err := purchased(ctx, o)
	if err != nil {
		return nil, err
	}
	have, err := sub.QuerySettings().All(store.System(ctx))
	if err != nil {
		return nil, err
	}
	done := map[schematype.ServiceKind]bool{}
	for _, h := range have {
		done[h.Kind] = true
	}
	missing := []schematype.ServiceKind{}
	for _, k := range []schematype.ServiceKind{schematype.Calling, schematype.Meetings} {
		if bought[k] && !done[k] {
			missing = append(missing, k)
		}
	}
	return missing, nil
}

// CheckSubdomain says whether a site subdomain can be taken now. The answer
// is advice: only saving claims the name.
func (s *Service) CheckSubdomain(ctx context.Context, name string) (bool, string, error) {
	if _, err := auth.Require(ctx, viewer.SetupLink, viewer.Partner, viewer.Operator); err != nil {
		return false, "", err
	}
	name, code := NormalizeSubdomain(name)
	if code != "" {
		return false, code, nil
	}
	taken, err := s.Store.Client.Organization.Query().Where(organization.Subdomain(name)).Exist(store.System(ctx))
	if err != nil {
		return false, "", err
	}
	if taken {
		return false, CodeSubdomainTaken, nil
	}
	return true, "", nil
}

// SaveEnterpriseSettings claims the meetings site subdomain for the
// customer organization. The unique index decides between concurrent
// claims; the loser gets SUBDOMAIN_TAKEN.
func (s *Service) SaveEnterpriseSettings(ctx context.Context, subdomain string) (*Session, error) {
	return s.do(ctx, SaveEnterpriseSettings, map[string]any{"subdomain": subdomain}, func(ctx context.Context, st *state) error {
		bought, sub, err := purchased(ctx, st.order)
		if err != nil {
			return err
		}
		if !bought[schematype.Meetings] {
			return validate.Fail(CodeNotPurchased, "", "This order did not purchase meetings.")
		}
		name, code := NormalizeSubdomain(subdomain)
		if code != "" {
			return validate.Fail(code, "subdomain", "%s", subdomainMessages[code])
		}
		client := ent.FromContext(ctx)
		sys := store.System(ctx)
		org, err := client.Organization.Get(sys, st.order.CustomerOrgID)
		if err != nil {
			return err
		}
		switch {
		case org.Subdomain != nil && *org.Subdomain == name:
		case org.Subdomain != nil:
			return validate.Fail(CodeSiteExists, "subdomain",
				"This organization already has the site %q.", *org.Subdomain)
		default:
			taken, err := client.Organization.Query().Where(organization.Subdomain(name)).Exist(sys)
			if err != nil {
				return err
			}
			if taken {
				return validate.Fail(CodeSubdomainTaken, "subdomain", "%s", subdomainMessages[CodeSubdomainTaken])
			}
			err = client.Organization.UpdateOne(org).SetSubdomain(name).Exec(sys)
			if ent.IsConstraintError(err) {
				return validate.Fail(CodeSubdomainTaken, "subdomain", "%s", subdomainMessages[CodeSubdomainTaken])
			}
			if err != nil {
				return err
			}
		}
		if err := saveSetting(ctx, sub, schematype.Meetings, map[string]string{"subdomain": name}); err != nil {
			return err
		}
		return s.advanceServices(ctx, st)
	})
}

// ProvisionResult is what provision answers.
type ProvisionResult struct {
	Order        *ent.Order
	Subscription *ent.Subscription
}

// Provision activates the subscription and starts billing for every
// purchased service, once: the billing start is set by a conditional update
// that only one call can win; every call, repeated or concurrent, with or
// without an idempotency key, answers the same result.
func (s *Service) Provision(ctx context.Context, idempotencyKey *string) (*ProvisionResult, error) {
	changes := map[string]any{}
	if idempotencyKey != nil {
		if len(*idempotencyKey) > 200 {
			return nil, validate.Fail(validate.CodeInvalid, "idempotencyKey", "An idempotency key may be at most 200 characters.")
		}
		changes["idempotencyKey"] = *idempotencyKey
	}
	_, err := s.run(ctx, Provision, changes, func(ctx context.Context, st *state) error {
		if st.order.Status == order.StatusPROVISIONED {
			st.noop = true
			return nil
		}
		missing, err := missingSettings(ctx, st.order)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			names := make([]string, len(missing))
			for i, k := range missing {
				names[i] = string(k)
			}
			return validate.Fail(CodeMissingSettings, "",
				"Save the settings of %s before provisioning.", strings.Join(names, " and "))
		}
		client := ent.FromContext(ctx)
		sys := store.System(ctx)
		now := s.Orders.Now()
		n, err := client.Subscription.Update().
			Where(subscription.OrderID(st.order.ID), subscription.BillingStartedAtIsNil()).
			SetStatus(subscription.StatusACTIVE).SetActivatedAt(now).SetBillingStartedAt(now).
			Save(sys)
		if err != nil || n == 0 {
			return err
		}
		if err := client.Order.UpdateOneID(st.order.ID).SetStatus(order.StatusPROVISIONED).Exec(ctx); err != nil {
			return err
		}
		if err := s.Orders.Lifecycle.Queue.Enqueue(ctx, billing.StartArgs{OrderID: st.order.ID}, nil); err != nil {
			return err
		}
		if err := s.Orders.SendServicesActive(ctx, st.order, st.v.Email); err != nil {
			return err
		}
		st.step = order.StepDONE
		return nil
	})
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	o, err := s.Store.Client.Order.Get(ctx, v.OrderID)
	if err != nil {
		return nil, err
	}
	sub, err := o.QuerySubscription().Only(ctx)
	if err != nil {
		return nil, err
	}
	return &ProvisionResult{Order: o, Subscription: sub}, nil
}

// ReleaseHold lets setup go on after an operator reviewed an order on hold:
// the link works again, starting at ROLE.
func (s *Service) ReleaseHold(ctx context.Context, id gid.ID, note string) (*ent.Order, error) {
	if _, err := auth.Require(ctx, viewer.Operator); err != nil {
		return nil, err
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		o, err := orders.Lock(ctx, id)
		if ent.IsNotFound(err) {
			return auth.NotFound("order")
		}
		if err != nil {
			return err
		}
		if o.Status != order.StatusON_HOLD {
			return validate.Fail("NOT_ON_HOLD", "", "This order is not on hold.")
		}
		o, err = client.Order.UpdateOne(o).
			SetStatus(order.StatusIN_SETUP).SetStep(order.StepROLE).ClearHoldReason().Save(ctx)
		if err != nil {
			return err
		}
		if err := client.SetupLink.Update().
			Where(setuplink.OrderID(id), setuplink.StateEQ(setuplink.StateACTIVE)).
			ClearDraft().Exec(store.System(ctx)); err != nil {
			return err
		}
		if err := audit.Record(ctx, client, id, "HOLD_RELEASED", map[string]any{"note": note}); err != nil {
			return err
		}
		s.Orders.Changed(ctx, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Store.Client.Order.Get(ctx, id)
}
