// Package setup is the setup wizard's commands, by stage: who sets up
// (role.go), the organizations (orgs.go), a report that puts the order on
// hold (hold.go), the service settings (settings.go), provisioning
// (provision.go) and the new partner administrator's password
// (partner.go); and the session a link reads (session.go). Which call is
// allowed when, and where it leads, is the order's life table
// (internal/lifecycle); every call goes through its Apply.
//
// It owns the setup links' drafts and what the wizard writes to orders,
// organizations and subscriptions. It may import the stores, auth,
// lifecycle, orders, the customer's consent (internal/access) and the
// password rules (internal/accounts); nothing but the API imports it.
package setup

import (
	"context"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/schema/schematype"
	"onramp/ent/setuplink"
	"onramp/internal/access"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Codes of the wizard's userErrors (the table's own are in lifecycle).
const (
	CodeWrongStep          = lifecycle.CodeWrongStep
	CodeOnHold             = lifecycle.CodeOnHold
	CodeAlreadyProvisioned = lifecycle.CodeAlreadyProvisioned
	CodeDraftRestarted     = lifecycle.CodeDraftRestarted
	CodeEmailInPartnerOrg  = "EMAIL_IN_PARTNER_ORG"
	CodeEmailInOtherOrg    = "EMAIL_IN_OTHER_ORG"
	CodeOrgTaken           = "ORG_TAKEN"
	CodeMissingSettings    = "MISSING_SETTINGS"
	CodeNotPurchased       = "NOT_PURCHASED"
	CodeRoleNotAllowed     = "ROLE_NOT_ALLOWED"
	CodeSiteExists         = "SITE_EXISTS"
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
	Life   *lifecycle.Engine
	Auth   *auth.Authority
	// Access asks a customer's consent where the partner claims its
	// organization.
	Access *access.Service

	// read holds the orders Session read, until the next write.
	read sessionOrders
}

// state is what one wizard call works on: the order (locked for the
// transaction), the caller's link and its draft.
type state struct {
	v     *viewer.Viewer
	order *ent.Order
	link  *ent.SetupLink
	draft schematype.Draft
	// change is the call's change of the order (lifecycle.Apply's).
	change *lifecycle.Change
}

// Session reads the wizard's state for the link of ctx.
func (s *Service) Session(ctx context.Context) (*Session, error) {
	v, err := auth.Require(ctx, viewer.SetupLink)
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
	o, err := s.read.order(ctx, s.Store, link)
	if ent.IsNotFound(err) {
		return nil, auth.NotFound("order")
	}
	if err != nil {
		return nil, err
	}
	return s.session(ctx, &state{v: v, order: o, link: link, draft: link.Draft})
}

// readLink reads the viewer's link.
func readLink(ctx context.Context, client *ent.Client, v *viewer.Viewer) (*ent.SetupLink, error) {
	return client.SetupLink.Query().
		Where(setuplink.TokenHash(auth.LinkHash(v.TokenID))).
		Only(store.System(ctx))
}

// Call is one wizard call: its action, what the audit trail records of
// it, and the draft it was made from (nil: the caller did not say).
type Call struct {
	Action  lifecycle.Action
	Changes map[string]any
	DraftID *gid.ID
}

// do runs one wizard call and answers the session as the call committed
// it (no second read of the order and link after the commit).
func (s *Service) do(ctx context.Context, call Call, fn func(ctx context.Context, st *state) error) (*Session, error) {
	st, err := s.run(ctx, call, fn)
	if err != nil {
		return nil, err
	}
	return s.session(ctx, st)
}

// run is do without building the session, for calls that answer something
// else (provision, a hand-off). Through lifecycle.Apply: with the order
// locked, the link's state settled and the draft checked, then the table;
// fn changes st (and st.change); run then saves the draft. A userError
// rolls everything back. It returns the committed state.
func (s *Service) run(ctx context.Context, call Call, fn func(ctx context.Context, st *state) error) (*state, error) {
	v, err := auth.Require(ctx, viewer.SetupLink)
	if err != nil {
		return nil, err
	}
	st := &state{v: v}
	joined := ent.TxFromContext(ctx) != nil
	o, err := s.Life.Apply(ctx, v.OrderID, lifecycle.Command{
		Action:  call.Action,
		Changes: call.Changes,
		Authorize: func(ctx context.Context, o *ent.Order) error {
			link, err := readLink(ctx, ent.FromContext(ctx), v)
			if err != nil {
				return err
			}
			st.order, st.link, st.draft = o, link, link.Draft
			// The link was active when the request was authenticated; a
			// hand-off, resend or cancellation may have committed since.
			// Under the order's lock its state is settled.
			if err := s.Auth.LinkRefusal(link); err != nil {
				return err
			}
			// A call made from a draft that another tab (or a release of a
			// hold) has replaced would act on answers its page never
			// showed. An order on hold, provisioned or cancelled answers
			// with the table's own code instead.
			if call.DraftID != nil && string(*call.DraftID) != link.Draft.ID && lifecycle.InProgress(o.Status) {
				return validate.Fail(CodeDraftRestarted, "",
					"This setup was opened again in another tab or window, which started it afresh. Continue there, or start again here.")
			}
			return nil
		},
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			st.change = c
			if err := fn(ctx, st); err != nil {
				return err
			}
			if c.Noop {
				return nil
			}
			c.DraftID = gid.ID(st.draft.ID)
			return ent.FromContext(ctx).SetupLink.UpdateOne(st.link).SetDraft(st.draft).Exec(store.System(ctx))
		},
	})
	if err != nil {
		return nil, err
	}
	st.order = o
	if !joined {
		st.link = st.link.Unwrap()
	}
	return st, nil
}

// goTo moves the call's order to step.
func (st *state) goTo(step order.Step) { st.change.Step = step }

// newDraftID names a new draft.
func newDraftID() string { return string(gid.New(gid.Draft)) }
