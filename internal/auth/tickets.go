package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"onramp/ent"
	"onramp/ent/partnersession"
	"onramp/ent/ticket"
	"onramp/internal/events"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// What a partner-access token may do with its request.
const (
	// ActDecide approves or denies a pending request (the request email's
	// link).
	ActDecide = "decide"
	// ActWithdraw revokes an approved access (the approval confirmation's
	// link).
	ActWithdraw = "withdraw"
)

// Lifetimes of the mailed links.
const (
	AccessDecisionTTL   = 14 * 24 * time.Hour
	AccessWithdrawalTTL = 5 * 365 * 24 * time.Hour // valid while the access lasts
	PasswordResetTTL    = time.Hour
)

// IssueAccessToken issues a partner-access token for one request, mailed to
// email, in the transaction of ctx. The request's earlier tokens of the
// same purpose stop working (REPLACED).
func (a *Authority) IssueAccessToken(ctx context.Context, access gid.ID, email, act string) (string, time.Time, error) {
	kind, ttl := ticket.KindACCESS_DECISION, AccessDecisionTTL
	if act == ActWithdraw {
		kind, ttl = ticket.KindACCESS_WITHDRAWAL, AccessWithdrawalTTL
	}
	return a.issueTicket(ctx, viewer.PartnerAccess, kind, string(access), Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: email},
		Email:            email, Access: access, Act: act,
	}, ttl)
}

// IssuePasswordReset issues a password-reset token for a user, in the
// transaction of ctx, and answers when it expires; the user's earlier reset
// links stop working (REPLACED).
func (a *Authority) IssuePasswordReset(ctx context.Context, u *ent.User) (string, time.Time, error) {
	return a.issueTicket(ctx, viewer.PasswordReset, ticket.KindPASSWORD_RESET, string(u.ID), Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: string(u.ID)},
		Email:            u.Email, User: u.ID,
	}, PasswordResetTTL)
}

func (a *Authority) issueTicket(ctx context.Context, kind viewer.Kind, tk ticket.Kind, subject string, c Claims, ttl time.Duration) (string, time.Time, error) {
	token, err := a.sign(kind, c, ttl)
	if err != nil {
		return "", time.Time{}, err
	}
	claims, err := a.parse(token)
	if err != nil {
		return "", time.Time{}, err
	}
	client := store.Tx(ctx)
	if client == nil {
		client = a.client
	}
	sys := store.System(ctx)
	if err := client.Ticket.Update().
		Where(ticket.Subject(subject), ticket.KindEQ(tk), ticket.StateEQ(ticket.StateACTIVE)).
		SetState(ticket.StateREPLACED).Exec(sys); err != nil {
		return "", time.Time{}, err
	}
	exp := claims.ExpiresAt.Time
	if err := client.Ticket.Create().SetKind(tk).SetTokenHash(LinkHash(claims.ID)).
		SetSubject(subject).SetEmail(c.Email).SetExpiresAt(exp).Exec(sys); err != nil {
		return "", time.Time{}, err
	}
	return token, exp, nil
}

// activeTicket reads the stored row of a mailed link's token: a token whose
// row is gone, of another kind or subject is INVALID; a used one, or one
// whose subject ended, REVOKED; one a newer link replaced, REPLACED.
func (a *Authority) activeTicket(ctx context.Context, c *Claims, kind viewer.Kind) (*ent.Ticket, error) {
	t, err := a.client.Ticket.Query().Where(ticket.TokenHash(LinkHash(c.ID))).Only(store.System(ctx))
	switch {
	case ent.IsNotFound(err):
		return nil, errInvalid
	case err != nil:
		return nil, err
	}
	want, subject := ticket.KindPASSWORD_RESET, string(c.User)
	if kind == viewer.PartnerAccess {
		want, subject = ticket.KindACCESS_DECISION, string(c.Access)
		if c.Act == ActWithdraw {
			want = ticket.KindACCESS_WITHDRAWAL
		}
	}
	if t.Kind != want || t.Subject != subject {
		return nil, errInvalid
	}
	return t, a.TicketRefusal(t)
}

// TicketRefusal says why a mailed link's token no longer works (nil when it
// does). Callers that use the ticket check it again under their own
// transaction.
func (a *Authority) TicketRefusal(t *ent.Ticket) error {
	switch t.State {
	case ticket.StateUSED:
		return errTicketUsed
	case ticket.StateREPLACED:
		return errTicketReplaced
	case ticket.StateREVOKED:
		return errTicketRevoked
	case ticket.StateACTIVE: // until its time runs out, below
	}
	if !a.now().Before(t.ExpiresAt) {
		return errExpired
	}
	return nil
}

// UseTicket marks the viewer's ticket used, in the transaction of ctx, once:
// of two concurrent uses exactly one succeeds; the other gets the refusal
// the ticket now has.
func (a *Authority) UseTicket(ctx context.Context, v *viewer.Viewer) error {
	client := ent.FromContext(ctx)
	sys := store.System(ctx)
	n, err := client.Ticket.Update().
		Where(ticket.ID(v.TicketID), ticket.StateEQ(ticket.StateACTIVE), ticket.ExpiresAtGT(a.now())).
		SetState(ticket.StateUSED).SetUsedAt(a.now()).Save(sys)
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	t, err := client.Ticket.Get(sys, v.TicketID)
	if err != nil {
		return err
	}
	if err := a.TicketRefusal(t); err != nil {
		return err
	}
	return fmt.Errorf("auth: ticket %s could not be used", v.TicketID)
}

// RevokeTickets ends every working token of a subject (a partner access
// that was revoked), in the transaction of ctx.
func RevokeTickets(ctx context.Context, subject string) error {
	return ent.FromContext(ctx).Ticket.Update().
		Where(ticket.Subject(subject), ticket.StateEQ(ticket.StateACTIVE)).
		SetState(ticket.StateREVOKED).Exec(store.System(ctx))
}

// SessionActive refuses a partner session that was ended (signed out, or
// the password changed or reset) or whose row is gone. It reads the
// database on every call, so the end takes effect at once on every
// replica.
func (a *Authority) SessionActive(ctx context.Context, v *viewer.Viewer) error {
	s, err := a.client.PartnerSession.Get(store.System(ctx), v.SessionID)
	switch {
	case ent.IsNotFound(err):
		return errInvalid
	case err != nil:
		return err
	case s.UserID != v.UserID:
		return errInvalid
	case s.RevokedAt != nil:
		return errSessionEnded
	}
	return nil
}

// Why a partner session ended.
const (
	SessionSignedOut       = "SIGNED_OUT"
	SessionPasswordChanged = "PASSWORD_CHANGED"
	SessionPasswordReset   = "PASSWORD_RESET"
)

// EndSessions ends a user's partner sessions, in the transaction of ctx:
// one (sid) or, when sid is empty, every one still open. It answers how
// many it ended.
func (a *Authority) EndSessions(ctx context.Context, user, sid gid.ID, why string) (int, error) {
	client, sys := ent.FromContext(ctx), store.System(ctx)
	q := client.PartnerSession.Update().
		Where(partnersession.UserID(user), partnersession.RevokedAtIsNil())
	if sid != "" {
		q.Where(partnersession.ID(sid))
	}
	// Whole microseconds: PostgreSQL keeps no finer, and the read below
	// compares with what was stored.
	now := a.now().Truncate(time.Microsecond)
	n, err := q.SetRevokedAt(now).SetRevokedWhy(why).Save(sys)
	if err != nil || n == 0 {
		return n, err
	}
	// Read back what this update ended (the same instant and reason), so
	// that a session that started while it ran is ended and told too.
	ended, err := client.PartnerSession.Query().
		Where(partnersession.UserID(user), partnersession.RevokedAt(now), partnersession.RevokedWhy(why)).
		All(sys)
	if err != nil {
		return 0, err
	}
	rs := make([]events.Revocation, len(ended))
	for i, s := range ended {
		rs[i] = events.Revocation{Kind: events.RevokedSession, ID: string(s.ID), Until: s.ExpiresAt}
	}
	// Sockets opened with an ended session close on every replica.
	a.revoke(ctx, rs...)
	return n, nil
}
