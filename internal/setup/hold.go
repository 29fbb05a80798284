package setup

import (
	"context"
	"strings"

	"onramp/ent/order"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/validate"
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
