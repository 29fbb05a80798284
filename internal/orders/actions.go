package orders

import (
	"context"

	"onramp/internal/mail/kind"

	"onramp/ent"
	"onramp/ent/escalation"
	"onramp/ent/order"
	"onramp/ent/setuplink"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Codes of userErrors about an order's state (the table's refusals are in
// lifecycle).
const (
	CodeOrderCancelled     = lifecycle.CodeOrderCancelled
	CodeAlreadyProvisioned = lifecycle.CodeAlreadyProvisioned
	CodeOrgsConfirmed      = "ORGS_CONFIRMED"
	CodeAlreadyResolved    = "ALREADY_RESOLVED"
)

// holder is who holds an order's setup now: once the organizations are
// confirmed, the person who confirmed them; before, whoever received the
// newest link (the provisioning contact, or the colleague or customer the
// setup was handed to); before any link, the provisioning contact. linked
// says whether any link was ever issued for o (its holder has heard of it).
func holder(ctx context.Context, o *ent.Order) (email string, linked bool, err error) {
	if lifecycle.Confirmed(o.Status) && o.ConfirmedByEmail != "" {
		return o.ConfirmedByEmail, true, nil // confirmed through a link
	}
	l, err := ent.FromContext(ctx).SetupLink.Query().
		Where(setuplink.OrderID(o.ID)).
		Order(ent.Desc(setuplink.FieldCreatedAt), ent.Desc(setuplink.FieldID)).
		First(store.System(ctx))
	if ent.IsNotFound(err) {
		return o.ProvisioningContactEmail, false, nil
	}
	if err != nil {
		return "", false, err
	}
	return l.Email, true, nil
}

// ResendSetupLink sends a fresh setup link to the setup's current holder
// (once per idempotency key, when one is given);
// the previous one becomes REPLACED and, before the organizations are
// confirmed, the new one starts at the ROLE step. Until then email changes
// the provisioning contact and the link goes there; afterwards the link
// goes to the person who confirmed them.
func (s *Service) ResendSetupLink(ctx context.Context, id gid.ID, email, idempotencyKey *string) (*ent.Order, error) {
	if _, err := auth.Require(ctx, viewer.Operator, viewer.Integration, viewer.Partner); err != nil {
		return nil, err
	}
	return s.applyOnce(ctx, id, idempotencyKey, lifecycle.Command{
		Action: lifecycle.ResendSetupLink,
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			o := c.Order
			confirmed := lifecycle.Confirmed(o.Status)
			to, _, err := holder(ctx, o)
			if err != nil {
				return err
			}
			if email != nil {
				addr, ok := validate.Email(*email)
				switch {
				case !ok:
					return validate.Fail(validate.CodeInvalid, "email", "Not a valid email address.")
				case confirmed && addr != o.ConfirmedByEmail:
					return validate.Fail(CodeOrgsConfirmed, "email",
						"The organizations are confirmed; the link goes to the person who confirmed them.")
				case !confirmed:
					c.Update.SetProvisioningContactEmail(addr)
					o.ProvisioningContactEmail = addr
				}
				to = addr
			}
			if !confirmed {
				c.Step = order.StepROLE
			}
			c.Audit = map[string]any{"to": to}
			return s.SendLink(ctx, o, to, kind.SetupLink, "")
		},
	}, emailArgument(email))
}

// emailArgument is resend's email as its idempotency digest sees it:
// normalized, and absent unlike any address.
func emailArgument(email *string) string {
	if email == nil {
		return "absent"
	}
	if addr, ok := validate.Email(*email); ok {
		return "=" + addr
	}
	return "=" + *email
}

// Cancel cancels an order before it is provisioned: its links and queued
// messages are cancelled and nothing more is sent (lifecycle.Apply). A
// retry under the same idempotency key answers the first result.
func (s *Service) Cancel(ctx context.Context, id gid.ID, reason string, idempotencyKey *string) (*ent.Order, error) {
	if _, err := auth.Require(ctx, viewer.Operator, viewer.Integration, viewer.Partner); err != nil {
		return nil, err
	}
	reason, ok := validate.Text(reason, false, validate.ReasonMax)
	if !ok {
		return nil, validate.Fail(validate.CodeInvalid, "reason", "Reason may be at most %d characters, without control characters.", validate.ReasonMax)
	}
	return s.applyOnce(ctx, id, idempotencyKey, lifecycle.Command{
		Action:  lifecycle.CancelOrder,
		Changes: map[string]any{"reason": reason},
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			c.Status = order.StatusCANCELLED
			return nil
		},
	}, reason)
}

// ResolveEscalation closes an escalation (operators).
func (s *Service) ResolveEscalation(ctx context.Context, id gid.ID, note string) (*ent.Escalation, error) {
	v, err := auth.Require(ctx, viewer.Operator)
	if err != nil {
		return nil, err
	}
	note, ok := validate.Text(note, false, validate.NoteMax)
	if !ok {
		return nil, validate.Fail(validate.CodeInvalid, "note", "Note may be at most %d characters, without control characters.", validate.NoteMax)
	}
	esc, err := s.Store.Client.Escalation.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, auth.NotFound("escalation")
	}
	if err != nil {
		return nil, err
	}
	_, err = s.Life.Apply(ctx, esc.OrderID, lifecycle.Command{
		Action:  lifecycle.ResolveEscalation,
		Changes: map[string]any{"escalation": id, "note": note},
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			n, err := ent.FromContext(ctx).Escalation.Update().
				Where(escalation.ID(id), escalation.ResolvedAtIsNil()).
				SetResolvedAt(s.now()).SetResolvedBy(v.Subject).SetNote(note).
				Save(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				return validate.Fail(CodeAlreadyResolved, "", "This escalation is already resolved.")
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	return s.Store.Client.Escalation.Get(ctx, id)
}

// IssueLink issues a fresh setup link for an order, as `onramp token setup`
// does for local trials: to email, or to the setup's current holder. The
// previous link becomes REPLACED; before the organizations are confirmed
// the new one starts at ROLE. A cancelled order gets none.
func (s *Service) IssueLink(ctx context.Context, id gid.ID, email string) (string, error) {
	var token string
	_, err := s.Life.Apply(store.System(ctx), id, lifecycle.Command{
		Action: lifecycle.IssueLink,
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			to := email
			if to == "" {
				var err error
				if to, _, err = holder(ctx, c.Order); err != nil {
					return err
				}
			} else if addr, ok := validate.Email(to); ok {
				to = addr
			} else {
				return validate.Fail(validate.CodeInvalid, "email", "Not a valid email address: %q.", email)
			}
			if lifecycle.Drafting(c.Order.Status) {
				c.Step = order.StepROLE
			}
			c.Audit = map[string]any{"to": to}
			var err error
			token, err = s.Links.IssueSetupLink(ctx, c.Order.ID, to)
			return err
		},
	})
	return token, err
}
