package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	"onramp/ent"
	"onramp/ent/signingkey"
	"onramp/internal/store"
)

// Tokens are signed with Ed25519 (JWT "EdDSA"), the only algorithm accepted.
const algorithm = "EdDSA"

// kidPattern is the form of every key id this server makes. A "kid" header of
// any other form is refused before it reaches a map or a query.
var kidPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

type keyRing struct {
	signKID  string
	signKey  ed25519.PrivateKey
	verifier map[string]ed25519.PublicKey
}

// loadKeys reads every key; when no key may sign, it creates one. Keys live
// in the database so every replica signs and verifies alike.
func loadKeys(ctx context.Context, client *ent.Client) (*keyRing, error) {
	ctx = store.System(ctx)
	rows, err := client.SigningKey.Query().Order(ent.Desc(signingkey.FieldCreatedAt), ent.Desc(signingkey.FieldKid)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read signing keys: %w", err)
	}
	ring := &keyRing{verifier: make(map[string]ed25519.PublicKey, len(rows))}
	for _, k := range rows {
		if k.Algorithm != algorithm || len(k.PublicKey) != ed25519.PublicKeySize {
			continue
		}
		ring.verifier[k.Kid] = ed25519.PublicKey(k.PublicKey)
		if ring.signKey == nil && k.RetiredAt == nil && len(k.PrivateKey) == ed25519.PrivateKeySize {
			ring.signKID, ring.signKey = k.Kid, ed25519.PrivateKey(k.PrivateKey)
		}
	}
	if ring.signKey != nil {
		return ring, nil
	}
	if _, err := createKey(ctx, client); err != nil {
		return nil, err
	}
	return loadKeys(ctx, client)
}

func createKey(ctx context.Context, client *ent.Client) (string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	kid := hex.EncodeToString(b)
	err = client.SigningKey.Create().
		SetKid(kid).SetAlgorithm(algorithm).
		SetPrivateKey(priv).SetPublicKey(pub).
		Exec(store.System(ctx))
	if err != nil {
		return "", fmt.Errorf("store signing key: %w", err)
	}
	return kid, nil
}

// RotateKeys retires the signing keys in use and creates a new one. Retired
// keys keep verifying the tokens they signed until those expire.
func RotateKeys(ctx context.Context, client *ent.Client) (string, error) {
	ctx = store.System(ctx)
	if err := client.SigningKey.Update().
		Where(signingkey.RetiredAtIsNil()).
		SetRetiredAt(time.Now()).
		Exec(ctx); err != nil {
		return "", err
	}
	return createKey(ctx, client)
}
