package setup

import (
	"context"

	"onramp/internal/mail/kind"

	"onramp/ent/order"
	"onramp/ent/schema/schematype"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/validate"
)

// StartSetup opens the wizard: the link's draft starts afresh, under a new
// draft id ("the information is not saved"; a tab still on the old draft is
// told), and, before the organizations are confirmed, the wizard starts at
// ROLE. After that it resumes where setup stands.
func (s *Service) StartSetup(ctx context.Context) (*Session, error) {
	return s.do(ctx, Call{Action: lifecycle.StartSetup}, func(ctx context.Context, st *state) error {
		st.draft = schematype.Draft{ID: newDraftID()}
		if lifecycle.Drafting(st.order.Status) {
			st.goTo(order.StepROLE)
		}
		return nil
	})
}

// ChooseRole answers "I am a partner" or "I am the customer".
func (s *Service) ChooseRole(ctx context.Context, r order.Role, draftID *gid.ID) (*Session, error) {
	role := string(r)
	call := Call{Action: lifecycle.ChooseRole, Changes: map[string]any{"role": role}, DraftID: draftID}
	return s.do(ctx, call, func(ctx context.Context, st *state) error {
		if role != RolePartner && role != RoleCustomer {
			return validate.Fail(validate.CodeInvalid, "role", "Role must be PARTNER or CUSTOMER.")
		}
		if role == RolePartner && st.order.HandedToCustomer {
			return validate.Fail(CodeRoleNotAllowed, "role", "This setup was handed to the customer: choose the customer role.")
		}
		st.draft = schematype.Draft{ID: st.draft.ID, Role: role}
		st.goTo(order.StepASSIGNMENT)
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
func (s *Service) AssignSetup(ctx context.Context, in AssignInput, draftID *gid.ID) (_ *Session, handedOffTo string, _ error) {
	var handedOff bool
	call := Call{Action: lifecycle.AssignSetup, Changes: map[string]any{"assignee": in.Assignee}, DraftID: draftID}
	st, err := s.run(ctx, call, func(ctx context.Context, st *state) error {
		switch in.Assignee {
		case AssignSelf:
			st.draft = schematype.Draft{ID: st.draft.ID, Role: st.draft.Role, Assignee: string(AssignSelf)}
			if st.draft.Role == RoleCustomer {
				st.goTo(order.StepCUSTOMER_ADMIN)
			} else {
				st.goTo(order.StepPARTNER_ORG)
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
		message := kind.HandoffColleague
		if in.Assignee == AssignCustomer {
			message = kind.HandoffCustomer
			st.change.Update.SetHandedToCustomer(true)
		}
		// The new link replaces this one; its holder starts at ROLE.
		if err := s.Orders.SendLink(ctx, st.order, email, message, st.v.Email); err != nil {
			return err
		}
		st.draft = schematype.Draft{}
		st.goTo(order.StepROLE)
		st.change.Audit = map[string]any{"to": email}
		handedOff, handedOffTo = true, email
		return nil
	})
	switch {
	case err != nil:
		return nil, "", err
	case handedOff:
		// This link no longer works: there is no session to show.
		return nil, handedOffTo, nil
	}
	sess, err := s.session(ctx, st)
	return sess, "", err
}
