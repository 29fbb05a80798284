package setup

import (
	"context"
	"errors"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/user"
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
		if msg := passwordProblem(password, st.v.Email); msg != "" {
			return validate.Fail(CodeWeakPassword, "password", "%s", msg)
		}
		hash, err := hashPassword(password)
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

// SignIn checks a partner administrator's password and returns a session
// token. Unknown email and wrong password look the same.
func (s *Service) SignIn(ctx context.Context, email, password string) (string, error) {
	var u *ent.User
	if addr, ok := validate.Email(email); ok { // a malformed email names nobody: no query
		var err error
		u, err = s.Store.Client.User.Query().Where(user.Email(addr)).WithOrganization().Only(store.System(ctx))
		if err != nil && !ent.IsNotFound(err) {
			return "", err
		}
	}
	if u == nil || u.PasswordHash == "" || u.Edges.Organization.Kind != organization.KindPARTNER {
		checkPassword(password, dummyHash) // the same work, so timing does not tell
		return "", validate.Fail(CodeInvalidCredentials, "", "Wrong email or password.")
	}
	if !checkPassword(password, u.PasswordHash) {
		return "", validate.Fail(CodeInvalidCredentials, "", "Wrong email or password.")
	}
	return s.Auth.IssuePartnerSession(ctx, u, u.Edges.Organization)
}

var dummyHash, _ = hashPassword("onramp-timing-equalizer")
