package setup

import (
	"context"
	"errors"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/user"
	"onramp/internal/accounts"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/validate"
)

// SetPartnerPassword sets the password of a newly created partner
// organization's administrator (the link's holder who confirmed it).
func (s *Service) SetPartnerPassword(ctx context.Context, password string, draftID *gid.ID) (*Session, error) {
	return s.do(ctx, Call{Action: lifecycle.SetPartnerPassword, DraftID: draftID}, func(ctx context.Context, st *state) error {
		if !st.order.CreatedPartnerOrg {
			return validate.Fail(CodeWrongStep, "", "Only a newly created partner organization gets a password here.")
		}
		if msg := accounts.PasswordProblem(password, st.v.Email); msg != "" {
			return validate.Fail(accounts.CodeWeakPassword, "password", "%s", msg)
		}
		hash, err := accounts.HashPassword(password)
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
		st.goTo(order.StepSERVICES)
		return nil
	})
}
