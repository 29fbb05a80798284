package setup

import (
	"context"
	"strings"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/setuplink"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// ReportInput is reportUnrecognizedOrganization's input.
type ReportInput struct {
	Organization order.Role
	Note         *string
}

// ReportUnrecognizedOrganization puts the order on hold for an operator:
// the person does not recognize an existing organization.
func (s *Service) ReportUnrecognizedOrganization(ctx context.Context, in ReportInput, draftID *gid.ID) (*Session, error) {
	note := ""
	if in.Note != nil {
		note = *in.Note
	}
	call := Call{Action: lifecycle.ReportUnrecognized, DraftID: draftID,
		Changes: map[string]any{"organization": in.Organization, "note": note}}
	return s.do(ctx, call, func(ctx context.Context, st *state) error {
		n, ok := validate.Text(note, false, validate.NoteMax)
		if !ok {
			return validate.Fail(validate.CodeInvalid, "input.note", "Note may be at most %d characters.", validate.NoteMax)
		}
		if order.RoleValidator(in.Organization) != nil {
			return validate.Fail(validate.CodeInvalid, "input.organization", "Organization must be PARTNER or CUSTOMER.")
		}
		reason := "The " + strings.ToLower(string(in.Organization)) + " organization was not recognized by " + st.v.Email + "."
		if n != "" {
			reason += " Note: " + n
		}
		st.change.Status = order.StatusON_HOLD
		st.change.Update.SetHoldReason(reason)
		return nil
	})
}

// ReleaseHold lets setup go on after an operator reviewed an order on hold:
// the link works again, starting at ROLE with an empty draft.
func (s *Service) ReleaseHold(ctx context.Context, id gid.ID, note string) (*ent.Order, error) {
	if _, err := auth.Require(ctx, viewer.Operator); err != nil {
		return nil, err
	}
	note, ok := validate.Text(note, false, validate.NoteMax)
	if !ok {
		return nil, validate.Fail(validate.CodeInvalid, "note", "Note may be at most %d characters, without control characters.", validate.NoteMax)
	}
	return s.Life.Apply(ctx, id, lifecycle.Command{
		Action:  lifecycle.ReleaseHold,
		Changes: map[string]any{"note": note},
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			c.Status, c.Step = order.StatusIN_SETUP, order.StepROLE
			c.Update.ClearHoldReason()
			return ent.FromContext(ctx).SetupLink.Update().
				Where(setuplink.OrderID(id), setuplink.StateEQ(setuplink.StateACTIVE)).
				ClearDraft().Exec(store.System(ctx))
		},
	})
}
