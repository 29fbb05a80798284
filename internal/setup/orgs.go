package setup

import (
	"context"
	"strings"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/schema/schematype"
	"onramp/ent/user"
	"onramp/internal/access"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/validate"
)

// OrgInput is the details of an organization to create.
type OrgInput struct {
	Name    *string
	Country *string
	Address *schematype.Address
}

// partnerOrg is the partner organization of the order's account, if it
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
func (s *Service) ConfirmPartnerOrg(ctx context.Context, in OrgInput, draftID *gid.ID) (*Session, error) {
	return s.do(ctx, Call{Action: lifecycle.ConfirmPartnerOrg, DraftID: draftID}, func(ctx context.Context, st *state) error {
		if st.draft.Role != RolePartner {
			return validate.Fail(CodeWrongStep, "", "The customer's path has no partner organization step. %s",
				lifecycle.WrongStep(st.order.Status, order.StepCUSTOMER_ADMIN, nil))
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
		d := st.draft
		st.draft = schematype.Draft{ID: d.ID, Role: d.Role, Assignee: d.Assignee, PartnerOrg: draft}
		st.goTo(order.StepCUSTOMER_ADMIN)
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
		if d.Name, ok = validate.Text(*in.Name, true, validate.NameMax); !ok {
			p.Add(validate.CodeInvalid, "input.name", "Organization name is required, at most %d characters.", validate.NameMax)
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
// organization only: an email of a partner organization is refused, and so
// is the address of the new partner organization's administrator-to-be
// (the link's holder); an email of a customer organization makes that the
// existing organization to check.
func (s *Service) SetCustomerAdmin(ctx context.Context, email string, draftID *gid.ID) (*Session, error) {
	return s.do(ctx, Call{Action: lifecycle.SetCustomerAdmin, DraftID: draftID}, func(ctx context.Context, st *state) error {
		addr, ok := validate.Email(email)
		if !ok {
			return validate.Fail(validate.CodeInvalid, "email", "Enter a valid email address.")
		}
		d := st.draft
		if d.Role == RolePartner && d.PartnerOrg != nil && d.PartnerOrg.ExistingID == "" && addr == st.v.Email {
			return validate.Fail(CodeEmailInPartnerOrg, "email",
				"This is your address, which becomes the new partner organization's administrator. A user can belong to only one organization: enter the customer's administrator.")
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
		st.goTo(order.StepCUSTOMER_ORG)
		return nil
	})
}

// ConfirmCustomerOrg confirms a new customer organization's details (the
// order's customer by default) or the check of the existing one.
func (s *Service) ConfirmCustomerOrg(ctx context.Context, in OrgInput, draftID *gid.ID) (*Session, error) {
	return s.do(ctx, Call{Action: lifecycle.ConfirmCustomerOrg, DraftID: draftID}, func(ctx context.Context, st *state) error {
		if st.draft.CustomerAdminEmail == "" {
			return validate.Fail(CodeWrongStep, "", "%s", lifecycle.WrongStep(st.order.Status, order.StepCUSTOMER_ADMIN, nil))
		}
		if st.draft.CustomerOrg == nil || st.draft.CustomerOrg.ExistingID == "" {
			addr := st.order.CustomerAddress
			d, err := orgDetails(in, st.order.CustomerName, st.order.CustomerCountry, &addr)
			if err != nil {
				return err
			}
			st.draft.CustomerOrg = d
		}
		st.goTo(order.StepCONFIRM)
		return nil
	})
}

// ConfirmOrgs writes everything in one transaction: the organizations that
// are new, their administrators, the partner's management relation (role
// PARTNER and not handed to the customer), and the order's mapping. Two
// orders racing for one new administrator email or partner account: the
// database's unique indexes let one win; the other gets a userError.
func (s *Service) ConfirmOrgs(ctx context.Context, draftID *gid.ID) (*Session, error) {
	return s.do(ctx, Call{Action: lifecycle.ConfirmOrgs, DraftID: draftID}, func(ctx context.Context, st *state) error {
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
	upd := st.change.Update.
		SetRole(order.Role(d.Role)).
		SetConfirmedByEmail(st.v.Email).
		SetCustomerAdminEmail(d.CustomerAdminEmail)
	st.change.Status = order.StatusORGS_CONFIRMED
	st.goTo(order.StepSERVICES)

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
				err = s.createUser(ctx, st.v.Email, partner.ID, string(o.Language))
				upd.SetCreatedPartnerOrg(true)
				st.goTo(order.StepPASSWORD)
			}
		}
		if err != nil {
			return err
		}
		upd.SetPartnerOrgID(partner.ID)
	}

	var customer *ent.Organization
	var err error
	created := d.CustomerOrg.ExistingID == ""
	if !created {
		customer, err = client.Organization.Get(sys, gid.ID(d.CustomerOrg.ExistingID))
	} else {
		customer, err = client.Organization.Create().
			SetKind(organization.KindCUSTOMER).
			SetName(d.CustomerOrg.Name).SetCountry(d.CustomerOrg.Country).SetAddress(d.CustomerOrg.Address).
			SetEmailDomain(domainOf(d.CustomerAdminEmail)).
			Save(sys)
		if err == nil {
			err = s.createUser(ctx, d.CustomerAdminEmail, customer.ID, string(o.Language))
			// Its administrator is welcomed (the row's notice).
			st.change.Audit = map[string]any{"newCustomerOrg": customer.ID}
			upd.SetCreatedCustomerOrg(true)
		}
	}
	if err != nil {
		return err
	}
	upd.SetCustomerOrgID(customer.ID)
	if partner != nil && !o.HandedToCustomer {
		managed, err := access.Manages(ctx, client, customer.ID, partner.ID, "")
		switch {
		case err != nil:
			return err
		case managed:
		case created:
			// The partner created it in its own setup: it manages it.
			if err := client.Organization.UpdateOne(partner).AddManagedCustomerIDs(customer.ID).Exec(sys); err != nil {
				return err
			}
		default:
			// Someone else's organization: its administrator decides.
			if st.change.Audit == nil {
				st.change.Audit = map[string]any{}
			}
			if err := s.Access.Request(ctx, st.change, st.order, partner, customer, d.CustomerAdminEmail); err != nil {
				return err
			}
		}
	}
	// An existing customer organization with a meetings site keeps it: the
	// order's meeting settings are that site.
	return adoptExistingSite(ctx, o, customer)
}

// createUser adds a user to an organization, in the language of the order
// that creates it, refusing an email that already belongs to another one.
func (s *Service) createUser(ctx context.Context, email string, org gid.ID, lang string) error {
	sys := store.System(ctx)
	client := ent.FromContext(ctx)
	u, err := client.User.Query().Where(user.Email(email)).Only(sys)
	switch {
	case ent.IsNotFound(err):
		return client.User.Create().SetEmail(email).SetOrganizationID(org).SetLanguage(lang).Exec(sys)
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
