package setup

import (
	"context"
	"strings"
	"time"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/schema/schematype"
	"onramp/ent/user"
	"onramp/internal/access"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
)

// Session is what the wizard shows: the order, the step, the answers so far
// and what the person must review.
type Session struct {
	Order *ent.Order
	Step  order.Step
	// Steps are this setup's steps in order, as far as the answers so far
	// tell (lifecycle.StepsOf).
	Steps []order.Step
	// DraftID names the link's current draft; wizard calls send it back.
	DraftID gid.ID
	// Email is the address this link was sent to.
	Email    string
	Role     *order.Role
	Assignee *Assignee
	// PartnerOrg is the partner organization to create (the draft, or a
	// proposal from the order) or the existing one to review.
	PartnerOrg         *OrgView
	CustomerAdminEmail *string
	// CustomerOrg is the customer organization to confirm or check.
	CustomerOrg *OrgView
	// CustomerOrgCandidates are organizations that might be the customer's
	// (same name or email domain), shown with limited disclosure.
	CustomerOrgCandidates []*Candidate
	// MissingSettings lists the purchased services still without settings.
	MissingSettings []schematype.ServiceKind
	// ExistingSite is the customer organization's meetings site from before
	// this order, which the order uses (no meeting settings to save).
	ExistingSite *string
	// Next is the mutation the wizard expects now.
	Next string
	// ReadOnly is true once the order is provisioned.
	ReadOnly bool
}

// OrgView is an organization as the wizard shows it.
type OrgView struct {
	ID       *gid.ID
	Existing bool
	Name     string
	Country  string
	Address  *schematype.Address
	// Subdomain is the organization's meetings site, shown once the
	// organizations are confirmed.
	Subdomain *string
}

// Candidate is an organization that might be the customer's: only its
// name, email domain and creation date are disclosed.
type Candidate struct {
	Name        string
	EmailDomain string
	CreatedAt   time.Time
}

func (s *Service) session(ctx context.Context, st *state) (*Session, error) {
	o := st.order
	sys := store.System(ctx)
	out := &Session{
		Order: o, Step: o.Step, Email: st.v.Email, DraftID: gid.ID(st.draft.ID),
		ReadOnly: o.Status == order.StatusPROVISIONED,
	}
	d := st.draft
	if d.Role != "" {
		r := order.Role(d.Role)
		out.Role = &r
	}
	if d.Assignee != "" {
		a := Assignee(d.Assignee)
		out.Assignee = &a
	}
	if o.Role != nil {
		out.Role = o.Role
	}
	path := lifecycle.Path{HandedToCustomer: o.HandedToCustomer}
	if out.Role != nil {
		path.Role = *out.Role
	}

	if lifecycle.Confirmed(o.Status) {
		path.NewPartnerOrg = o.CreatedPartnerOrg
		out.Steps = lifecycle.StepsOf(path)
		if o.PartnerOrgID != "" {
			org, err := s.Store.Client.Organization.Get(sys, o.PartnerOrgID)
			if err != nil {
				return nil, err
			}
			if out.PartnerOrg, err = s.viewOf(ctx, org, o); err != nil {
				return nil, err
			}
		}
		org, err := s.Store.Client.Organization.Get(sys, o.CustomerOrgID)
		if err != nil {
			return nil, err
		}
		if out.CustomerOrg, err = s.viewOf(ctx, org, o); err != nil {
			return nil, err
		}
		disclosed := out.CustomerOrg.Address != nil
		if disclosed {
			out.CustomerOrg.Subdomain = org.Subdomain
		}
		admin, err := s.customerAdmin(ctx, o)
		if err != nil {
			return nil, err
		}
		out.CustomerAdminEmail = admin
		missing, site, err := settingsState(store.WithClient(ctx, s.Store.Client), o)
		if err != nil {
			return nil, err
		}
		out.MissingSettings = missing
		if site != nil && site.Existing && disclosed {
			// The organization's one site, whatever its name is now (not
			// told to a partner still waiting for the customer's consent).
			out.ExistingSite = org.Subdomain
		}
		out.Next = string(lifecycle.Next(o.Status, o.Step, missing))
		return out, nil
	}
	out.Next = string(lifecycle.Next(o.Status, o.Step, nil))

	if path.Role == order.RolePARTNER || path.Role == "" && !path.HandedToCustomer {
		view, err := s.draftView(ctx, d.PartnerOrg, o)
		if err != nil {
			return nil, err
		}
		if view == nil { // not answered yet: the existing org, or a proposal
			existing, err := s.partnerOrg(store.WithClient(ctx, s.Store.Client), o)
			if err != nil {
				return nil, err
			}
			if existing != nil {
				if view, err = s.viewOf(ctx, existing, o); err != nil {
					return nil, err
				}
			} else {
				view = &OrgView{Name: o.PartnerName, Country: o.CustomerCountry}
			}
		}
		path.NewPartnerOrg = !view.Existing
		if d.Role == RolePartner {
			out.PartnerOrg = view
		}
	}
	out.Steps = lifecycle.StepsOf(path)
	switch {
	case d.CustomerAdminEmail != "":
		out.CustomerAdminEmail = &d.CustomerAdminEmail
	case d.Role == RoleCustomer:
		out.CustomerAdminEmail = &st.v.Email // the customer's own address by default
	}
	if d.CustomerAdminEmail != "" {
		view, err := s.draftView(ctx, d.CustomerOrg, o)
		if err != nil {
			return nil, err
		}
		if view == nil {
			addr := o.CustomerAddress
			view = &OrgView{Name: o.CustomerName, Country: o.CustomerCountry, Address: &addr}
		}
		out.CustomerOrg = view
		if !view.Existing {
			c, err := s.candidates(ctx, o.CustomerName, domainOf(d.CustomerAdminEmail))
			if err != nil {
				return nil, err
			}
			out.CustomerOrgCandidates = c
		}
	}
	return out, nil
}

// customerAdmin is the customer organization's administrator of a
// confirmed order: recorded at confirmation (orders confirmed before it was
// recorded: the organization's first user).
func (s *Service) customerAdmin(ctx context.Context, o *ent.Order) (*string, error) {
	if o.CustomerAdminEmail != nil {
		return o.CustomerAdminEmail, nil
	}
	u, err := s.Store.Client.User.Query().Where(user.OrganizationID(o.CustomerOrgID)).
		Order(ent.Asc(user.FieldCreatedAt)).First(store.System(ctx))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u.Email, nil
}

// draftView shows an answered organization: the existing one it names, or
// the new one's details.
func (s *Service) draftView(ctx context.Context, d *schematype.OrgDraft, o *ent.Order) (*OrgView, error) {
	switch {
	case d == nil:
		return nil, nil
	case d.ExistingID != "":
		org, err := s.Store.Client.Organization.Get(store.System(ctx), gid.ID(d.ExistingID))
		if err != nil {
			return nil, err
		}
		return s.viewOf(ctx, org, o)
	}
	addr := d.Address
	return &OrgView{Name: d.Name, Country: d.Country, Address: &addr}, nil
}

// viewOf shows an existing organization: all of it, or, to a caller who
// may not see all of it (access.Disclosed), its name and country only.
func (s *Service) viewOf(ctx context.Context, org *ent.Organization, o *ent.Order) (*OrgView, error) {
	id := org.ID
	view := &OrgView{ID: &id, Existing: true, Name: org.Name, Country: org.Country}
	ok, err := access.DisclosedIn(ctx, s.Store.Client, org, o)
	if err != nil {
		return nil, err
	}
	if ok {
		addr := org.Address
		view.Address = &addr
	}
	return view, nil
}

// candidates finds customer organizations with the same name or email
// domain, at most five.
func (s *Service) candidates(ctx context.Context, name, domain string) ([]*Candidate, error) {
	orgs, err := s.Store.Client.Organization.Query().
		Where(organization.KindEQ(organization.KindCUSTOMER), organization.Or(
			organization.NameEqualFold(strings.TrimSpace(name)),
			organization.EmailDomain(domain),
		)).
		Order(ent.Asc(organization.FieldCreatedAt)).
		Limit(5).
		All(store.System(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]*Candidate, len(orgs))
	for i, o := range orgs {
		out[i] = &Candidate{Name: o.Name, EmailDomain: o.EmailDomain, CreatedAt: o.CreatedAt}
	}
	return out, nil
}
