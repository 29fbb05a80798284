// Package accounts is the partner administrators' accounts: sign-in,
// sign-out, the password rules, changing a password and resetting a
// forgotten one by email.
//
// It owns the users' password hashes and the partner sessions' start and
// end (tokens themselves are internal/auth's). It may import the stores,
// auth, mail and orders (for the outbox and the link settings); the wizard
// (internal/setup) uses its password rules, never the reverse.
package accounts

import (
	"context"

	"onramp/internal/mail/kind"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/organization"
	"onramp/ent/predicate"
	"onramp/ent/user"
	"onramp/internal/audit"
	"onramp/internal/auth"
	"onramp/internal/mail"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Service runs the partner accounts.
type Service struct {
	Store  *store.Store
	Orders *orders.Service
	Auth   *auth.Authority
}

// CodeInvalidCredentials refuses a wrong email or password.
const CodeInvalidCredentials = "INVALID_CREDENTIALS" //nolint:gosec // an error code, not a credential

// PasswordResetArgs is the job that mails a password-reset link, if the
// email is a partner administrator's. The request only queues it, the same
// one insert whether or not the account exists, so the answer and its time
// tell nothing.
type PasswordResetArgs struct {
	Email string `json:"email"`
	Lang  string `json:"lang"`
}

// Kind implements river.JobArgs.
func (PasswordResetArgs) Kind() string { return "password_reset" }

// PasswordResetWorker runs PasswordResetArgs.
type PasswordResetWorker struct {
	river.WorkerDefaults[PasswordResetArgs]
	// Accounts is set once the service is built.
	Accounts *Service
}

// Work implements river.Worker.
func (w *PasswordResetWorker) Work(ctx context.Context, job *river.Job[PasswordResetArgs]) error {
	return w.Accounts.mailPasswordReset(store.System(ctx), job.Args)
}

// RequestPasswordReset queues the mailing of a password-reset link to
// email. It answers the same whether or not the account exists; the
// throttles (per email and client address) are the resolver's.
func (s *Service) RequestPasswordReset(ctx context.Context, email, lang string) error {
	addr, ok := validate.Email(email)
	if !ok {
		return validate.Fail(validate.CodeInvalid, "email", "Enter a valid email address.")
	}
	if lang != "sr" {
		lang = "en"
	}
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		return s.Orders.Queue.Enqueue(ctx, PasswordResetArgs{Email: addr, Lang: lang}, nil)
	})
}

// mailPasswordReset issues a reset link for a partner administrator (the
// earlier ones become REPLACED) and puts its email in the outbox, in one
// transaction; an email of no partner administrator gets nothing.
func (s *Service) mailPasswordReset(ctx context.Context, a PasswordResetArgs) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		u, err := client.User.Query().Where(user.Email(a.Email)).WithOrganization().Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if u.Edges.Organization.Kind != organization.KindPARTNER {
			return nil
		}
		token, exp, err := s.Auth.IssuePasswordReset(ctx, u)
		if err != nil {
			return err
		}
		_, err = s.Orders.Outbox.Send(ctx, mail.Draft{Kind: kind.PasswordReset, To: u.Email, Lang: Language(u, a.Lang), Data: mail.Data{
			PartnerName:  u.Edges.Organization.Name,
			ContactEmail: u.Email,
			Link:         s.Orders.Settings.LinkTo("/reset-password", token),
			LinkExpires:  s.Orders.Settings.LinkExpiry(exp),
		}})
		return err
	})
}

// ResetPassword sets a new password with a password-reset token (used
// once), ends every session of the user and answers a new one.
func (s *Service) ResetPassword(ctx context.Context, password string) (string, error) {
	v, err := auth.Require(ctx, viewer.PasswordReset)
	if err != nil {
		return "", err
	}
	return s.setPassword(ctx, v, password, auth.SessionPasswordReset, func(ctx context.Context, _ *ent.User) error {
		return s.Auth.UseTicket(ctx, v)
	})
}

// ChangePassword changes the signed-in administrator's password: current
// must be right. Every earlier session of the user, this one too, ends;
// it answers a new session. The current password is checked before the
// transaction (hashing holds no lock), and the transaction writes only if
// the password is still the one checked.
func (s *Service) ChangePassword(ctx context.Context, current, password string) (string, error) {
	v, err := auth.Require(ctx, viewer.Partner)
	if err != nil {
		return "", err
	}
	u, err := s.Store.Client.User.Get(store.System(ctx), v.UserID)
	if ent.IsNotFound(err) {
		return "", auth.NotFound("user")
	}
	if err != nil {
		return "", err
	}
	if u.PasswordHash == "" || !checkPassword(current, u.PasswordHash) {
		return "", validate.Fail(CodeInvalidCredentials, "current", "The current password is wrong.")
	}
	checked := u.PasswordHash
	return s.setPassword(ctx, v, password, auth.SessionPasswordChanged, func(ctx context.Context, u *ent.User) error {
		if u.PasswordHash != checked {
			return validate.Fail(CodeInvalidCredentials, "current", "The password was changed meanwhile; sign in again.")
		}
		return nil
	})
}

// setPassword checks the new password, lets check refuse, then in one
// transaction stores the hash, ends the user's sessions and reset links,
// records it, tells the user by email and starts a new session.
func (s *Service) setPassword(ctx context.Context, v *viewer.Viewer, password, why string, check func(ctx context.Context, u *ent.User) error) (string, error) {
	if msg := PasswordProblem(password, v.Email); msg != "" {
		return "", validate.Fail(CodeWeakPassword, "password", "%s", msg)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	var token string
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		sys := store.System(ctx)
		u, err := client.User.Query().Where(user.ID(v.UserID)).WithOrganization().Only(sys)
		if ent.IsNotFound(err) {
			return auth.NotFound("user")
		}
		if err != nil {
			return err
		}
		if u.Edges.Organization.Kind != organization.KindPARTNER {
			return auth.Forbidden("Only partner administrators have a password.")
		}
		if err := check(ctx, u); err != nil {
			return err
		}
		if err := client.User.UpdateOne(u).SetPasswordHash(hash).Exec(sys); err != nil {
			return err
		}
		ended, err := s.Auth.EndSessions(ctx, u.ID, "", why)
		if err != nil {
			return err
		}
		// A reset link mailed before this change must not undo it.
		if err := auth.RevokeTickets(ctx, string(u.ID)); err != nil {
			return err
		}
		if err := audit.Record(ctx, client, "", why, map[string]any{"user": u.ID, "sessionsEnded": ended}); err != nil {
			return err
		}
		if _, err := s.Orders.Outbox.Send(ctx, mail.Draft{Kind: kind.PasswordChanged, To: u.Email, Lang: Language(u, "en"), Data: mail.Data{
			PartnerName: u.Edges.Organization.Name, ContactEmail: u.Email,
		}}); err != nil {
			return err
		}
		token, err = s.Auth.IssuePartnerSession(ctx, u, u.Edges.Organization)
		return err
	})
	return token, err
}

// SignOut ends the presented partner session, at once on every replica.
func (s *Service) SignOut(ctx context.Context) error {
	v, err := auth.Require(ctx, viewer.Partner)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Auth.EndSessions(ctx, v.UserID, v.SessionID, auth.SessionSignedOut); err != nil {
			return err
		}
		return audit.Record(ctx, ent.FromContext(ctx), "", auth.SessionSignedOut, map[string]any{"user": v.UserID, "session": v.SessionID})
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

var dummyHash, _ = HashPassword("onramp-timing-equalizer")

// Language is the language of mail about u's account: u's own, else
// fallback (a person recorded before languages were, not yet migrated).
func Language(u *ent.User, fallback string) string {
	if u != nil && u.Language != "" {
		return u.Language
	}
	return fallback
}

// LanguageOf is Language of the user with email, or fallback when there
// is none.
func LanguageOf(ctx context.Context, client *ent.Client, email, fallback string) (string, error) {
	u, err := client.User.Query().Where(user.Email(email)).Only(store.System(ctx))
	if ent.IsNotFound(err) {
		return fallback, nil
	}
	if err != nil {
		return "", err
	}
	return Language(u, fallback), nil
}

// person selects the user a token speaks for: a partner session's
// administrator, a partner-access link's customer administrator; false
// for any other token.
func person(v *viewer.Viewer) (predicate.User, bool) {
	switch {
	case v.Is(viewer.Partner):
		return user.ID(v.UserID), true
	case v.Is(viewer.PartnerAccess):
		return user.Email(v.Email), true
	}
	return nil, false
}

// LanguageOfViewer is the language of the person a token speaks for: a
// partner session's administrator, a partner-access link's customer
// administrator; "" for any other token (or a person without one).
func LanguageOfViewer(ctx context.Context, client *ent.Client, v *viewer.Viewer) (string, error) {
	who, ok := person(v)
	if !ok {
		return "", nil
	}
	u, err := client.User.Query().Where(who).Only(store.System(ctx))
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return u.Language, nil
}

// SetLanguage sets the caller's language for mail about their account: a
// partner administrator's (a partner session), or the customer
// administrator's whom a partner-access link was mailed to (the access
// page's language switch). It answers the language stored.
func (s *Service) SetLanguage(ctx context.Context, lang string) (string, error) {
	if lang != "en" && lang != "sr" {
		return "", validate.Fail(validate.CodeInvalid, "language", "The language must be en or sr.")
	}
	v, err := auth.Require(ctx, viewer.Partner, viewer.PartnerAccess)
	if err != nil {
		return "", err
	}
	who, _ := person(v)
	n, err := s.Store.Client.User.Update().Where(who).SetLanguage(lang).Save(store.System(ctx))
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", validate.Fail(CodeNoAccount, "", "No account is recorded for %s.", v.Email)
	}
	return lang, nil
}

// CodeNoAccount answers setLanguage for an address with no account.
const CodeNoAccount = "NO_ACCOUNT"
