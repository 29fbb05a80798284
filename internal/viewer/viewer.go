// Package viewer carries the verified caller of a request through its
// context. It knows nothing of tokens or the database: internal/auth fills it
// in, and the scoping rules in ent/schema read it.
package viewer

import (
	"context"
	"time"

	"onramp/internal/gid"
)

// Kind says which kind of token the caller presented.
type Kind string

// The token kinds of PRODUCT.md.
const (
	SetupLink   Kind = "SETUP_LINK"
	Partner     Kind = "PARTNER"
	Integration Kind = "INTEGRATION"
	Operator    Kind = "OPERATOR"
	// PartnerAccess is the token of a partner-access email link: a customer
	// organization's administrator approves, denies or withdraws one
	// partner's access with it, and may do nothing else.
	PartnerAccess Kind = "PARTNER_ACCESS"
	// PasswordReset is the token of a password-reset email link: it may
	// only set that user's password, once.
	PasswordReset Kind = "PASSWORD_RESET"
)

// Viewer is the verified caller.
type Viewer struct {
	Kind Kind
	// TokenID is the token's "jti".
	TokenID string
	// Subject is the token's "sub", for the audit trail.
	Subject string
	// Email of a setup-link holder or a partner administrator.
	Email string
	// OrderID scopes a setup link.
	OrderID gid.ID
	// PartnerAccountID scopes an integration token and a partner session.
	PartnerAccountID string
	// OrganizationID is a partner session's partner organization.
	OrganizationID gid.ID
	// UserID is a partner session's user.
	UserID gid.ID
	// SessionID is a partner session's row (sign-out and password changes
	// revoke it).
	SessionID gid.ID
	// KeyID is the integration key an integration token was issued as
	// (none for the command line's tokens).
	KeyID gid.ID
	// AccessID is a partner-access token's request, and Act what the token
	// may do with it ("decide" or "withdraw").
	AccessID gid.ID
	Act      string
	// TicketID is the stored single-use row of a partner-access or
	// password-reset token.
	TicketID gid.ID
	// ExpiresAt is when the token stops working.
	ExpiresAt time.Time
}

// Is reports whether v is a viewer of kind k; a nil viewer is of no kind.
func (v *Viewer) Is(k Kind) bool { return v != nil && v.Kind == k }

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer of ctx, or nil when the caller presented no
// valid token.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}
