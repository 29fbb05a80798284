package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"onramp/ent"
	"onramp/ent/schema/schematype"
	"onramp/internal/auth"
	"onramp/internal/date"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/viewer"
)

func open(t *testing.T) (*store.Store, *auth.Authority) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	a, err := auth.New(ctx, st.Client, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return st, a
}

func placeOrder(t testing.TB, st *store.Store) *ent.Order {
	t.Helper()
	ctx := store.System(context.Background())
	o, err := st.Client.Order.Create().
		SetExternalID("X-1").SetProduct("A_WX").SetRequestedStartDate(date.Date("2026-11-24")).
		SetProvisioningContactEmail("setup@partner.example").SetPartnerName("P").SetPartnerAccountID("P1").
		SetCustomerName("C").SetCustomerCountry("RS").SetCustomerAddress(schematype.Address{Line1: "a", City: "b", PostalCode: "1"}).
		SetInputDigest("d").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func reason(t *testing.T, err error) string {
	t.Helper()
	var ae *auth.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want *auth.Error, got %v", err)
	}
	if ae.Code != auth.CodeUnauthenticated {
		t.Fatalf("code = %s, want UNAUTHENTICATED", ae.Code)
	}
	return ae.Reason
}

func TestEachKindVerifiesAsItself(t *testing.T) {
	st, a := open(t)
	ctx := context.Background()
	o := placeOrder(t, st)
	op, _ := a.IssueOperator("alice", time.Hour)
	in, _ := a.IssueIntegration("P1", time.Hour)
	link, err := a.IssueSetupLink(store.System(ctx), o.ID, "setup@partner.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		token string
		check func(v *viewer.Viewer) bool
	}{
		{"operator", op, func(v *viewer.Viewer) bool { return v.Kind == viewer.Operator && v.Subject == "alice" }},
		{"integration", in, func(v *viewer.Viewer) bool { return v.Kind == viewer.Integration && v.PartnerAccountID == "P1" }},
		{"setup link", link, func(v *viewer.Viewer) bool {
			return v.Kind == viewer.SetupLink && v.OrderID == o.ID && v.Email == "setup@partner.example"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // the second verification comes from the cache
				v, err := a.Verify(ctx, tc.token)
				if err != nil {
					t.Fatal(err)
				}
				if !tc.check(v) {
					t.Fatalf("unexpected viewer %+v", v)
				}
			}
		})
	}
}

// forge signs claims with key under the given header values.
func forge(t *testing.T, key ed25519.PrivateKey, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	maps.Copy(tok.Header, header)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBadTokensAreRefused(t *testing.T) {
	_, a := open(t)
	ctx := context.Background()
	op, _ := a.IssueOperator("alice", time.Hour)
	parts := strings.Split(op, ".")
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var kid string
	if i := strings.Index(string(header), `"kid":"`); i >= 0 {
		kid = string(header)[i+7 : i+7+16]
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	claims := func(aud string) jwt.MapClaims {
		return jwt.MapClaims{"iss": "onramp", "aud": aud, "sub": "x", "jti": "abc",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "acc": "P1"}
	}
	expired, _ := a.IssueOperator("alice", -time.Hour)
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"operator+jwt"}`)) + "." + parts[1] + "."
	flipped := []byte(op)
	flipped[len(flipped)-5] ^= 1

	for _, tc := range []struct {
		name, token, reason string
	}{
		{"empty", "", auth.ReasonMissing},
		{"garbage", "not.a.token", auth.ReasonInvalid},
		{"tampered signature", string(flipped), auth.ReasonInvalid},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"onramp","aud":"onramp:operator","sub":"mallory","jti":"x","exp":9999999999}`)) + "." + parts[2], auth.ReasonInvalid},
		{"alg none", none, auth.ReasonInvalid},
		{"expired", expired, auth.ReasonExpired},
		{"signed by a foreign key", forge(t, otherKey, map[string]any{"kid": kid, "typ": "operator+jwt"}, claims("onramp:operator")), auth.ReasonInvalid},
		{"kid path traversal", forge(t, otherKey, map[string]any{"kid": "../../etc/passwd", "typ": "operator+jwt"}, claims("onramp:operator")), auth.ReasonInvalid},
		{"oversized", strings.Repeat("a", 5000), auth.ReasonInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Verify(ctx, tc.token)
			if got := reason(t, err); got != tc.reason {
				t.Fatalf("reason = %s, want %s", got, tc.reason)
			}
		})
	}
}

// TestKindsDoNotPassAsEachOther re-signs a valid token's claims with the
// server's own key but a mismatched audience or typ: the kinds must stay apart
// even when the signature is good.
func TestKindsDoNotPassAsEachOther(t *testing.T) {
	st, _ := open(t)
	ctx := context.Background()
	// A second authority on the same database signs with the same key; read
	// the private key to forge mismatches.
	k, err := st.Client.SigningKey.Query().Only(store.System(ctx))
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, st.Client, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	base := func(aud string) jwt.MapClaims {
		return jwt.MapClaims{"iss": "onramp", "aud": aud, "sub": "x", "jti": "abc",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "acc": "P1"}
	}
	key := ed25519.PrivateKey(k.PrivateKey)
	good := forge(t, key, map[string]any{"kid": k.Kid, "typ": "integration+jwt"}, base("onramp:integration"))
	if v, err := a.Verify(ctx, good); err != nil || v.Kind != viewer.Integration {
		t.Fatalf("control token refused: %v", err)
	}
	wrongIss := base("onramp:integration")
	wrongIss["iss"] = "someone-else"
	noExp := base("onramp:integration")
	delete(noExp, "exp")
	noJTI := base("onramp:integration")
	delete(noJTI, "jti")
	for _, tc := range []struct {
		name   string
		header map[string]any
		claims jwt.MapClaims
	}{
		{"integration claims with operator typ", map[string]any{"kid": k.Kid, "typ": "operator+jwt"}, base("onramp:integration")},
		{"operator audience with integration typ", map[string]any{"kid": k.Kid, "typ": "integration+jwt"}, base("onramp:operator")},
		{"unknown audience", map[string]any{"kid": k.Kid, "typ": "operator+jwt"}, base("somewhere")},
		{"two audiences", map[string]any{"kid": k.Kid, "typ": "operator+jwt"}, func() jwt.MapClaims {
			c := base("")
			c["aud"] = []string{"onramp:operator", "onramp:integration"}
			return c
		}()},
		{"wrong issuer", map[string]any{"kid": k.Kid, "typ": "integration+jwt"}, wrongIss},
		{"no expiry", map[string]any{"kid": k.Kid, "typ": "integration+jwt"}, noExp},
		{"no token id", map[string]any{"kid": k.Kid, "typ": "integration+jwt"}, noJTI},
		{"setup link without its order", map[string]any{"kid": k.Kid, "typ": "setup-link+jwt"}, base("onramp:setup-link")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Verify(ctx, forge(t, key, tc.header, tc.claims))
			if got := reason(t, err); got != auth.ReasonInvalid {
				t.Fatalf("reason = %s, want INVALID", got)
			}
		})
	}
}

func TestSetupLinkLifecycle(t *testing.T) {
	st, a := open(t)
	ctx := context.Background()
	sys := store.System(ctx)
	o := placeOrder(t, st)
	first, err := a.IssueSetupLink(sys, o.ID, "setup@partner.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, first); err != nil {
		t.Fatalf("fresh link refused: %v", err)
	}
	second, err := a.IssueSetupLink(sys, o.ID, "colleague@partner.example")
	if err != nil {
		t.Fatal(err)
	}
	// The first link was verified (and cached) before; revocation must still
	// take effect at once.
	if _, err := a.Verify(ctx, first); reason(t, err) != auth.ReasonReplaced {
		t.Fatalf("replaced link: %v", err)
	}
	v, err := a.Verify(ctx, second)
	if err != nil || v.Email != "colleague@partner.example" {
		t.Fatalf("new link: %v %+v", err, v)
	}
	// A link for an order that does not exist cannot be issued.
	if _, err := a.IssueSetupLink(sys, gid.New(gid.Order), "x@y.example"); err == nil {
		t.Fatal("link for a missing order was issued")
	}
}

func TestSetupLinkExpires(t *testing.T) {
	st, _ := open(t)
	ctx := context.Background()
	a, err := auth.New(ctx, st.Client, auth.Config{SetupLinkTTL: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o := placeOrder(t, st)
	link, err := a.IssueSetupLink(store.System(ctx), o.ID, "setup@partner.example")
	if err != nil {
		t.Fatal(err)
	}
	// The JWT carries a 30 s leeway; the stored expiry has none, so the
	// database check reports the expiry once the link's lifetime is over.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, err = a.Verify(ctx, link); err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := reason(t, err); got != auth.ReasonExpired {
		t.Fatalf("reason = %s, want EXPIRED", got)
	}
}

func TestKeysAreSharedAndRotate(t *testing.T) {
	st, a := open(t)
	ctx := context.Background()
	old, _ := a.IssueOperator("alice", time.Hour)
	// A second replica on the same database verifies the first one's tokens.
	b, err := auth.New(ctx, st.Client, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(ctx, old); err != nil {
		t.Fatalf("replica refused a token of the same database: %v", err)
	}
	if _, err := auth.RotateKeys(ctx, st.Client); err != nil {
		t.Fatal(err)
	}
	c, err := auth.New(ctx, st.Client, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := c.IssueOperator("alice", time.Hour)
	if _, err := c.Verify(ctx, old); err != nil {
		t.Fatalf("retired key no longer verifies: %v", err)
	}
	// The first replica has not loaded the new key yet; it picks it up.
	if _, err := a.Verify(ctx, fresh); err != nil {
		t.Fatalf("new key not picked up by a running replica: %v", err)
	}
}
