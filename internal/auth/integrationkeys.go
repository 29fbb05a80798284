package auth

import (
	"context"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"onramp/ent"
	"onramp/ent/integrationkey"
	"onramp/internal/events"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// IntegrationKeyTTL is the lifetime of an integration key's token; a
// partner revokes it sooner.
const IntegrationKeyTTL = 3 * 365 * 24 * time.Hour

// keyUseInterval is how often a key's last use is written at most.
const keyUseInterval = time.Minute

// keyActive refuses an integration key that was revoked (or is gone); it
// reads the database on every request, so a revocation takes effect at
// once on every replica. Its last use is recorded at most once a minute.
func (a *Authority) keyActive(ctx context.Context, id gid.ID) error {
	sys := store.System(ctx)
	k, err := a.client.IntegrationKey.Get(sys, id)
	switch {
	case ent.IsNotFound(err):
		return errRevoked
	case err != nil:
		return err
	case k.RevokedAt != nil:
		return errRevoked
	}
	now := a.now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= keyUseInterval {
		// Best effort: a lost race or a failure only delays the record.
		_ = a.client.IntegrationKey.Update().
			Where(integrationkey.ID(id), integrationkey.Or(integrationkey.LastUsedAtIsNil(), integrationkey.LastUsedAtLT(now.Add(-keyUseInterval)))).
			SetLastUsedAt(now).Exec(sys)
	}
	return nil
}

// keyOwner is the partner account whose keys the caller manages: a partner
// session its own, an operator the one it names. Integrations manage none.
func keyOwner(ctx context.Context, account *string) (*viewer.Viewer, string, error) {
	v, err := Require(ctx, viewer.Partner, viewer.Operator)
	if err != nil {
		return nil, "", err
	}
	if v.Is(viewer.Partner) {
		if account != nil && *account != v.PartnerAccountID {
			return nil, "", Forbidden("A partner session manages the keys of its own partner account only.")
		}
		return v, v.PartnerAccountID, nil
	}
	if account == nil || !validate.Identifier(*account) {
		return nil, "", validate.Fail(validate.CodeInvalid, "partnerAccountId", "Name the partner account the key is for.")
	}
	return v, *account, nil
}

// CreateIntegrationKey issues a named integration key and answers its token,
// shown this once.
func (a *Authority) CreateIntegrationKey(ctx context.Context, name string, account *string) (*ent.IntegrationKey, string, error) {
	v, acct, err := keyOwner(ctx, account)
	if err != nil {
		return nil, "", err
	}
	name, ok := validate.Text(name, true, 100)
	if !ok {
		return nil, "", validate.Fail(validate.CodeInvalid, "name", "Name the key: 1 to 100 characters, without control characters.")
	}
	by := v.Email
	if by == "" {
		by = v.Subject
	}
	now := a.now()
	k, err := a.client.IntegrationKey.Create().
		SetPartnerAccountID(acct).SetName(name).SetCreatedBy(by).
		SetCreatedAt(now).SetUpdatedAt(now).SetExpiresAt(now.Add(IntegrationKeyTTL)).
		Save(store.System(ctx))
	if err != nil {
		return nil, "", err
	}
	// A key whose token could not be signed stays unusable: no token names it.
	token, err := a.sign(viewer.Integration, Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "integration:" + acct},
		Account:          acct,
		Key:              k.ID,
	}, IntegrationKeyTTL)
	if err != nil {
		return nil, "", err
	}
	return k, token, nil
}

// IntegrationKeys lists the caller's keys, newest first (operators: all).
func (a *Authority) IntegrationKeys(ctx context.Context) ([]*ent.IntegrationKey, error) {
	if _, err := Require(ctx, viewer.Partner, viewer.Operator); err != nil {
		return nil, err
	}
	return a.client.IntegrationKey.Query().
		Order(ent.Desc(integrationkey.FieldCreatedAt), ent.Desc(integrationkey.FieldID)).
		Limit(200).All(ctx)
}

// RevokeIntegrationKey stops a key at once, on every replica; revoking it
// again answers the same.
func (a *Authority) RevokeIntegrationKey(ctx context.Context, id gid.ID) (*ent.IntegrationKey, error) {
	if _, err := Require(ctx, viewer.Partner, viewer.Operator); err != nil {
		return nil, err
	}
	k, err := a.client.IntegrationKey.Get(ctx, id) // in the caller's scope
	if ent.IsNotFound(err) {
		return nil, NotFound("integration key")
	}
	if err != nil {
		return nil, err
	}
	if k.RevokedAt != nil {
		return k, nil
	}
	k, err = a.client.IntegrationKey.UpdateOne(k).SetRevokedAt(a.now()).Save(store.System(ctx))
	if err != nil {
		return nil, err
	}
	// Sockets opened with the key close on every replica.
	a.revoke(ctx, events.Revocation{Kind: events.RevokedKey, ID: string(k.ID), Until: k.ExpiresAt})
	return k, nil
}
