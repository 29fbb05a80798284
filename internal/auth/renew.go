package auth

import (
	"context"

	"github.com/golang-jwt/jwt/v5"

	"onramp/ent"
	"onramp/ent/setuplink"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// LinkOf reads the link of a setup-link token whatever its expiry: its
// signature, issuer, kind and claims must be valid, only its time may have
// passed. It lets the holder of an expired link ask for a new one; it
// grants nothing else.
func (a *Authority) LinkOf(ctx context.Context, raw string) (*ent.SetupLink, error) {
	if raw == "" || len(raw) > maxTokenBytes {
		return nil, errInvalid
	}
	c := &Claims{}
	// The signature (and kid, typ) are verified by keyFor and the parser;
	// the claims are checked here, all but the time.
	if _, err := jwt.ParseWithClaims(raw, c, a.keyFor,
		jwt.WithValidMethods([]string{algorithm}), jwt.WithoutClaimsValidation()); err != nil {
		return nil, errInvalid
	}
	if c.Issuer != Issuer || kindOf(c) != viewer.SetupLink || !claimsComplete(c) || c.ExpiresAt == nil {
		return nil, errInvalid
	}
	link, err := a.client.SetupLink.Query().Where(setuplink.TokenHash(LinkHash(c.ID))).Only(store.System(ctx))
	switch {
	case ent.IsNotFound(err):
		return nil, errInvalid
	case err != nil:
		return nil, err
	case link.OrderID != c.Order:
		return nil, errInvalid
	}
	return link, nil
}
