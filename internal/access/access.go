// Package access is the customer's consent: a partner that claims an
// existing customer organization asks its administrator, who approves,
// denies or later withdraws the partner's right to manage it; what a caller
// may see of an organization follows from it (Disclosed); and a partner
// that manages the customer continues a setup from its workspace.
//
// It owns the partner_accesses table and the management relation between
// organizations. It may import the stores, auth, lifecycle, mail, orders
// and accounts (a person's language); the wizard (internal/setup) imports
// it, never the reverse.
package access

import (
	"context"
	"strings"
	"sync"
	"time"

	"onramp/internal/mail/kind"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/partneraccess"
	"onramp/ent/predicate"
	"onramp/ent/user"
	"onramp/internal/accounts"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/mail"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Service runs the consent.
type Service struct {
	Store  *store.Store
	Orders *orders.Service
	Life   *lifecycle.Engine
	Auth   *auth.Authority
}

// Codes of the consent's userErrors.
const (
	CodeAlreadyApproved = "ALREADY_APPROVED"
	CodeAlreadyDenied   = "ALREADY_DENIED"
	CodeNotApproved     = "NOT_APPROVED"
)

// Expired is the state a pending request shows once it can no longer
// be answered (the stored state stays PENDING).
const Expired = "EXPIRED"

// State is where a request stands as callers see it: its stored
// state, or EXPIRED for a pending one past its time.
func State(pa *ent.PartnerAccess, now time.Time) string {
	if pa.State == partneraccess.StatePENDING && !now.Before(pa.ExpiresAt) {
		return Expired
	}
	return string(pa.State)
}

func (s *Service) now() time.Time { return s.Life.Now() }

// Manages reports whether the partner organization partnerOrg (by id), or
// the partner organization of account (when partnerOrg is empty), has an
// active management relation to org.
func Manages(ctx context.Context, client *ent.Client, org gid.ID, partnerOrg gid.ID, account string) (bool, error) {
	q := client.Organization.Query().Where(organization.ID(org))
	if partnerOrg != "" {
		q.Where(organization.HasManagersWith(organization.ID(partnerOrg)))
	} else {
		q.Where(organization.HasManagersWith(organization.AccountID(account)))
	}
	return q.Exist(store.System(ctx))
}

// MailCooldown is how long after an access-request email about one partner
// and organization the next one waits: asks within it are recorded, not
// mailed, so a partner that asks again and again cannot flood the
// administrator.
const MailCooldown = 24 * time.Hour

// Request asks the administrator of an existing customer organization
// whether the partner of order o may manage it, in the transaction of the
// confirmation c: a PENDING request (a request of the same partner still
// open is asked again instead of repeated), and an email with its decision
// link unless the administrator was emailed about this partner and
// organization less than MailCooldown ago. Every ask is recorded (askedAt);
// mailedAt tells when the administrator was last emailed.
func (s *Service) Request(ctx context.Context, c *lifecycle.Change, o *ent.Order, partner, customer *ent.Organization, admin string) error {
	client := ent.FromContext(ctx)
	sys := store.System(ctx)
	now := s.now()
	pair := []predicate.PartnerAccess{partneraccess.CustomerOrgID(customer.ID), partneraccess.PartnerOrgID(partner.ID)}
	// The pair's requests are serialized here: two confirmations at once
	// must not both find the cool-down over and both mail.
	if err := s.Store.LockKey(ctx, "access:"+string(partner.ID)+":"+string(customer.ID)); err != nil {
		return err
	}
	var lastMail *time.Time
	mailed, err := client.PartnerAccess.Query().Where(append(pair, partneraccess.MailedAtNotNil())...).
		Order(ent.Desc(partneraccess.FieldMailedAt)).First(sys)
	switch {
	case err == nil:
		lastMail = mailed.MailedAt
	case !ent.IsNotFound(err):
		return err
	}
	mail := lastMail == nil || now.Sub(*lastMail) >= MailCooldown
	pa, err := client.PartnerAccess.Query().Where(append(pair,
		partneraccess.StateEQ(partneraccess.StatePENDING), partneraccess.ExpiresAtGT(now))...).First(sys)
	switch {
	case err == nil:
		c.Audit["partnerAccess"] = "already requested"
		if !mail {
			return client.PartnerAccess.UpdateOne(pa).SetAskedAt(now).Exec(sys)
		}
		// Asked again after the cool-down: the administrator is reminded
		// with a new decision link, which replaces the first.
	case ent.IsNotFound(err):
		pa, err = client.PartnerAccess.Create().
			SetPartnerOrgID(partner.ID).SetPartnerAccountID(o.PartnerAccountID).
			SetCustomerOrgID(customer.ID).SetOrderID(o.ID).SetAdminEmail(admin).
			SetExpiresAt(now.Add(auth.AccessDecisionTTL)).SetAskedAt(now).SetNillableMailedAt(lastMail).
			Save(sys)
		if err != nil {
			return err
		}
		c.Audit["partnerAccess"] = pa.ID
	default:
		return err
	}
	if !mail {
		c.Audit["partnerAccessMail"] = "not sent: the administrator was emailed about this partner within a day"
		return nil
	}
	if err := client.PartnerAccess.UpdateOne(pa).SetAskedAt(now).SetMailedAt(now).Exec(sys); err != nil {
		return err
	}
	token, exp, err := s.Auth.IssueAccessToken(ctx, pa.ID, pa.AdminEmail, auth.ActDecide)
	if err != nil {
		return err
	}
	c.Audit["partnerAccessAskedOf"] = pa.AdminEmail
	return s.accessMail(ctx, kind.AccessRequest, o, partner, customer, pa.AdminEmail, token, exp)
}

// accessMail puts a consent email in the outbox. It is not the order's
// message: cancelling the order does not withdraw a question about the
// organization.
func (s *Service) accessMail(ctx context.Context, kind mail.Kind, o *ent.Order, partner, customer *ent.Organization, to, token string, exp time.Time) error {
	d := mail.Data{
		Product: string(o.Product), PartnerName: partner.Name, PartnerAccountID: o.PartnerAccountID,
		CustomerName: customer.Name, ExternalID: o.ExternalID, AdminEmail: to,
		Link:        s.Orders.Settings.LinkTo("/access", token),
		LinkExpires: s.Orders.Settings.LinkExpiry(exp),
	}
	// The administrator's own language: mail about their organization's
	// access is mail about their account.
	lang, err := accounts.LanguageOf(ctx, ent.FromContext(ctx), to, string(o.Language))
	if err != nil {
		return err
	}
	_, err = s.Orders.Outbox.Send(ctx, mail.Draft{Kind: kind, To: to, Lang: lang, Data: d})
	return err
}

// Access reads the request of the presented partner-access token.
func (s *Service) Access(ctx context.Context) (*ent.PartnerAccess, error) {
	v, err := auth.Require(ctx, viewer.PartnerAccess)
	if err != nil {
		return nil, err
	}
	pa, err := s.Store.Client.PartnerAccess.Get(ctx, v.AccessID)
	if ent.IsNotFound(err) {
		return nil, auth.NotFound("partner access request")
	}
	return pa, err
}

// ApproveAccess approves the request of the presented token: the partner's
// management relation becomes active, and the administrator gets a
// confirmation with a link to withdraw it.
func (s *Service) ApproveAccess(ctx context.Context) (*ent.PartnerAccess, error) {
	return s.decide(ctx, lifecycle.ApprovePartnerAccess, partneraccess.StateAPPROVED)
}

// DenyAccess denies the request of the presented token.
func (s *Service) DenyAccess(ctx context.Context) (*ent.PartnerAccess, error) {
	return s.decide(ctx, lifecycle.DenyPartnerAccess, partneraccess.StateDENIED)
}

func (s *Service) decide(ctx context.Context, action lifecycle.Action, to partneraccess.State) (*ent.PartnerAccess, error) {
	v, err := auth.Require(ctx, viewer.PartnerAccess)
	if err != nil {
		return nil, err
	}
	if v.Act != auth.ActDecide {
		return nil, auth.Forbidden("This link withdraws an access; it cannot approve or deny one.")
	}
	return s.changeAccess(ctx, v.AccessID, action, func(ctx context.Context, pa *ent.PartnerAccess, c *lifecycle.Change) error {
		switch pa.State {
		case partneraccess.StateAPPROVED:
			return validate.Fail(CodeAlreadyApproved, "", "You approved this request on %s; use the link of the confirmation email to withdraw it.", pa.DecidedAt.Format("2006-01-02"))
		case partneraccess.StateDENIED:
			return validate.Fail(CodeAlreadyDenied, "", "You denied this request on %s. The partner can ask again with a new order.", pa.DecidedAt.Format("2006-01-02"))
		case partneraccess.StatePENDING, partneraccess.StateREVOKED:
			// Pending: decided below. Revoked: its tokens were revoked with
			// it, so changeAccess refused the ticket already.
		}
		if c.Order.Status == order.StatusCANCELLED {
			// Read under the order's lock: a cancellation and an approval
			// cannot cross.
			return validate.Fail(lifecycle.CodeOrderCancelled, "",
				"The order that asked for this access was cancelled: there is nothing to approve or deny. The partner can ask again with a new order.")
		}
		client := ent.FromContext(ctx)
		sys := store.System(ctx)
		if err := client.PartnerAccess.UpdateOne(pa).SetState(to).SetDecidedAt(s.now()).Exec(sys); err != nil {
			return err
		}
		if to != partneraccess.StateAPPROVED {
			return nil
		}
		if err := s.activate(ctx, pa); err != nil {
			return err
		}
		token, exp, err := s.Auth.IssueAccessToken(ctx, pa.ID, pa.AdminEmail, auth.ActWithdraw)
		if err != nil {
			return err
		}
		partner, customer, err := accessOrgs(ctx, pa)
		if err != nil {
			return err
		}
		return s.accessMail(ctx, kind.AccessApproved, c.Order, partner, customer, pa.AdminEmail, token, exp)
	})
}

// RevokeAccess withdraws an access: with the withdrawal link's token (id
// nil), its approved request; an operator, any request by id, approved or
// pending. The relation ends and every token of the request stops working.
func (s *Service) RevokeAccess(ctx context.Context, id *gid.ID) (*ent.PartnerAccess, error) {
	v, err := auth.Require(ctx, viewer.PartnerAccess, viewer.Operator)
	if err != nil {
		return nil, err
	}
	var target gid.ID
	switch {
	case v.Is(viewer.Operator) && id == nil:
		return nil, validate.Fail(validate.CodeInvalid, "id", "Name the partner access to revoke.")
	case v.Is(viewer.Operator):
		target = *id
	case v.Act != auth.ActWithdraw:
		return nil, auth.Forbidden("This link approves or denies a request; withdraw an approved access with the link of the confirmation email.")
	case id != nil && *id != v.AccessID:
		return nil, auth.NotFound("partner access request")
	default:
		target = v.AccessID
	}
	return s.changeAccess(ctx, target, lifecycle.RevokePartnerAccess, func(ctx context.Context, pa *ent.PartnerAccess, c *lifecycle.Change) error {
		ok := pa.State == partneraccess.StateAPPROVED || v.Is(viewer.Operator) && pa.State == partneraccess.StatePENDING
		if !ok {
			return validate.Fail(CodeNotApproved, "", "This partner access is %s, not approved: there is nothing to withdraw.", strings.ToLower(State(pa, s.now())))
		}
		client := ent.FromContext(ctx)
		sys := store.System(ctx)
		if err := client.PartnerAccess.UpdateOne(pa).SetState(partneraccess.StateREVOKED).
			SetRevokedAt(s.now()).SetRevokedBy(v.Subject).Exec(sys); err != nil {
			return err
		}
		c.Audit = map[string]any{"revokedBy": v.Subject}
		if err := auth.RevokeTickets(ctx, string(pa.ID)); err != nil {
			return err
		}
		return client.Organization.UpdateOneID(pa.PartnerOrgID).RemoveManagedCustomerIDs(pa.CustomerOrgID).Exec(sys)
	})
}

// changeAccess runs a change of a request as its order's action (the
// order is where it is locked, recorded and heard of): the request is read
// again under the order's lock, and the token's ticket checked again.
func (s *Service) changeAccess(ctx context.Context, id gid.ID, action lifecycle.Action, fn func(ctx context.Context, pa *ent.PartnerAccess, c *lifecycle.Change) error) (*ent.PartnerAccess, error) {
	v := viewer.FromContext(ctx)
	pa, err := s.Store.Client.PartnerAccess.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, auth.NotFound("partner access request")
	}
	if err != nil {
		return nil, err
	}
	// The customer acts on an order outside any scope a token of its kind
	// reads: the command reads it as Onramp, for the caller it checked.
	_, err = s.Life.Apply(store.System(ctx), pa.OrderID, lifecycle.Command{
		Action:  action,
		Changes: map[string]any{"partnerAccess": id, "customerOrg": pa.CustomerOrgID, "partnerOrg": pa.PartnerOrgID},
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			client := ent.FromContext(ctx)
			sys := store.System(ctx)
			if v.Is(viewer.PartnerAccess) {
				t, err := client.Ticket.Get(sys, v.TicketID)
				if err != nil {
					return err
				}
				if err := s.Auth.TicketRefusal(t); err != nil {
					return err
				}
			}
			locked, err := client.PartnerAccess.Get(sys, id)
			if err != nil {
				return err
			}
			return fn(ctx, locked, c)
		},
	})
	if err != nil {
		return nil, err
	}
	return s.Store.Client.PartnerAccess.Get(store.System(ctx), id)
}

// activate writes the partner's management relation of an approved
// request.
func (s *Service) activate(ctx context.Context, pa *ent.PartnerAccess) error {
	client := ent.FromContext(ctx)
	ok, err := Manages(ctx, client, pa.CustomerOrgID, pa.PartnerOrgID, "")
	if err != nil || ok {
		return err
	}
	return client.Organization.UpdateOneID(pa.PartnerOrgID).AddManagedCustomerIDs(pa.CustomerOrgID).Exec(store.System(ctx))
}

func accessOrgs(ctx context.Context, pa *ent.PartnerAccess) (partner, customer *ent.Organization, err error) {
	client := ent.FromContext(ctx)
	sys := store.System(ctx)
	if partner, err = client.Organization.Get(sys, pa.PartnerOrgID); err != nil {
		return nil, nil, err
	}
	customer, err = client.Organization.Get(sys, pa.CustomerOrgID)
	return partner, customer, err
}

// Disclosed reports whether the caller of ctx sees all of an organization
// (its address, meetings site and relations) or only its name, country and
// email domain: operators, the organization's own partner session, a
// partner that manages it (it created it in its own setup, or the customer
// approved), and a setup link of an order that created it or held by one of
// its users see all of it. The scope rules decide whether the caller sees
// the organization at all. Within a request (WithDisclosures) each
// organization is decided once.
func Disclosed(ctx context.Context, client *ent.Client, org *ent.Organization) (bool, error) {
	return DisclosedIn(ctx, client, org, nil)
}

// DisclosedIn is Disclosed for a setup link whose order the caller has
// already read (nil: read it).
func DisclosedIn(ctx context.Context, client *ent.Client, org *ent.Organization, o *ent.Order) (bool, error) {
	v := viewer.FromContext(ctx)
	switch {
	case v == nil || v.Is(viewer.Operator):
		return true, nil
	case org.Kind == organization.KindPARTNER:
		return true, nil // the scope shows a partner organization only to its own
	}
	memo, _ := ctx.Value(disclosuresKey{}).(*disclosures)
	if ok, known := memo.get(org.ID); known {
		return ok, nil
	}
	ok, err := decideDisclosure(ctx, client, v, org, o)
	if err == nil {
		memo.put(org.ID, ok)
	}
	return ok, err
}

func decideDisclosure(ctx context.Context, client *ent.Client, v *viewer.Viewer, org *ent.Organization, o *ent.Order) (bool, error) {
	sys := store.System(ctx)
	switch {
	case v.Is(viewer.Partner):
		return Manages(ctx, client, org.ID, v.OrganizationID, "")
	case v.Is(viewer.Integration):
		return Manages(ctx, client, org.ID, "", v.PartnerAccountID)
	case v.Is(viewer.SetupLink):
		if o == nil || o.ID != v.OrderID {
			var err error
			if o, err = client.Order.Get(sys, v.OrderID); err != nil {
				return false, err
			}
		}
		if o.CreatedCustomerOrg && o.CustomerOrgID == org.ID {
			return true, nil
		}
		member, err := client.User.Query().Where(user.Email(v.Email), user.OrganizationID(org.ID)).Exist(sys)
		if err != nil || member {
			return member, err
		}
		return Manages(ctx, client, org.ID, "", o.PartnerAccountID)
	}
	return false, nil
}

type disclosuresKey struct{}

// disclosures remembers, for one request, who may see all of which
// organization (a nil one remembers nothing).
type disclosures struct {
	mu sync.Mutex
	m  map[gid.ID]bool
}

func (d *disclosures) get(id gid.ID) (ok, known bool) {
	if d == nil {
		return false, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ok, known = d.m[id]
	return ok, known
}

func (d *disclosures) put(id gid.ID, ok bool) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.m[id] = ok
}

// WithDisclosures returns ctx remembering Disclosed's answers for one
// operation (a query, a mutation's answer, one subscription event): an
// approval or withdrawal committed meanwhile counts from the next one.
func WithDisclosures(ctx context.Context) context.Context {
	return context.WithValue(ctx, disclosuresKey{}, &disclosures{m: map[gid.ID]bool{}})
}

// Of is the consent request made for an order, if any.
func Of(ctx context.Context, client *ent.Client, o *ent.Order) (*ent.PartnerAccess, error) {
	pa, err := client.PartnerAccess.Query().Where(partneraccess.OrderID(o.ID)).
		Order(ent.Desc(partneraccess.FieldCreatedAt)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return pa, err
}

// continue-setup refusals.
const (
	CodeHandedToCustomer = "HANDED_TO_CUSTOMER"
	CodeAccessPending    = "ACCESS_PENDING"
	CodeAccessDenied     = "ACCESS_DENIED"
)

// notManaged is the refusal of a partner that does not manage a customer
// organization: denied (or withdrawn) when its latest request says so,
// else pending.
func notManaged(ctx context.Context, customerOrg, partnerOrg gid.ID) error {
	last, err := ent.FromContext(ctx).PartnerAccess.Query().
		Where(partneraccess.CustomerOrgID(customerOrg), partneraccess.PartnerOrgID(partnerOrg)).
		Order(ent.Desc(partneraccess.FieldCreatedAt)).First(store.System(ctx))
	if err != nil && !ent.IsNotFound(err) {
		return err
	}
	if last != nil && (last.State == partneraccess.StateDENIED || last.State == partneraccess.StateREVOKED) {
		return validate.Fail(CodeAccessDenied, "", "The customer organization's administrator declined your access to it (or withdrew it); the setup goes on through the link of the person who confirmed the organizations.")
	}
	return validate.Fail(CodeAccessPending, "", "The customer organization has not approved your access yet; the setup goes on through the link of the person who confirmed the organizations.")
}

// ContinueSetup issues the signed-in partner administrator a setup link of
// its own for an order of its account, so that it finishes the setup in the
// wizard where the order stands (before the organizations are confirmed: at
// ROLE, with a new draft). The previous link becomes REPLACED. Never for an
// order handed to the customer, nor for a customer organization the partner
// does not manage.
func (s *Service) ContinueSetup(ctx context.Context, id gid.ID) (string, *ent.Order, error) {
	v, err := auth.Require(ctx, viewer.Partner)
	if err != nil {
		return "", nil, err
	}
	var token string
	o, err := s.Life.Apply(ctx, id, lifecycle.Command{
		Action: lifecycle.ContinueSetup,
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			o := c.Order
			if o.HandedToCustomer || o.Role != nil && *o.Role == order.RoleCUSTOMER {
				return validate.Fail(CodeHandedToCustomer, "", "This setup was handed to the customer, who finishes it; a partner cannot continue it.")
			}
			if lifecycle.Confirmed(o.Status) {
				ok, err := Manages(ctx, ent.FromContext(ctx), o.CustomerOrgID, v.OrganizationID, "")
				if err != nil {
					return err
				}
				if !ok {
					return notManaged(ctx, o.CustomerOrgID, v.OrganizationID)
				}
			} else {
				c.Step = order.StepROLE
			}
			c.Audit = map[string]any{"to": v.Email}
			var err error
			token, err = s.Auth.IssueSetupLink(ctx, o.ID, v.Email)
			return err
		},
	})
	if err != nil {
		return "", nil, err
	}
	return token, o, nil
}

// SetupURL is the wizard's address for a setup link's token.
func (s *Service) SetupURL(token string) string {
	return s.Orders.Settings.LinkTo("/setup", token)
}
