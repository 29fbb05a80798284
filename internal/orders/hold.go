package orders

import (
	"context"

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
