package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/golang-jwt/jwt/v5"

	"onramp/ent"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/viewer"
)

// countedAuthority is an Authority whose every database statement is
// counted, on a store of its own.
func countedAuthority(t testing.TB) (*store.Store, *auth.Authority, *atomic.Int64) {
	t.Helper()
	st := storetest.Open(t)
	n := &atomic.Int64{}
	client := ent.NewClient(ent.Driver(storetest.CountingDriver{Driver: entsql.OpenDB(st.Dialect, st.DB), N: n}))
	a, err := auth.New(context.Background(), client, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return st, a, n
}

// forgeKid signs operator claims with a foreign key under the given kid.
func forgeKid(t testing.TB, kid any) string {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "onramp", "aud": []string{"onramp:operator"}, "sub": "op", "jti": "0123456789abcdef",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = kid
	tok.Header["typ"] = "operator+jwt"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKidIsCheckedByFormFirst: a "kid" that is not of the form the server
// makes is refused before any lookup (no statement reaches the database,
// even when the key ring is due for a reload), while an unknown kid of the
// right form does look (which shows the counter sees a lookup). A fresh
// Authority has never reloaded its ring, so every try below is one that
// would reload if the kid got that far.
func TestKidIsCheckedByFormFirst(t *testing.T) {
	_, a, n := countedAuthority(t)
	ctx := context.Background()
	for _, kid := range []any{
		"../../x", "../../../../etc/passwd", "/dev/zero", "x' OR '1'='1", "0123456789abcdef/../x",
		"0123456789ABCDEF", "0123456789abcdef\x00", "0123456789abcdef\n", "%2e%2e%2fx", "", 42, nil,
		[]string{"0123456789abcdef"}, strings.Repeat("0", 17),
	} {
		before := n.Load()
		_, err := a.Verify(ctx, forgeKid(t, kid))
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Code != auth.CodeUnauthenticated || ae.Reason != auth.ReasonInvalid {
			t.Errorf("kid %q: %v, want UNAUTHENTICATED INVALID", kid, err)
		}
		if d := n.Load() - before; d != 0 {
			t.Errorf("kid %q: %d database statements, want none", kid, d)
		}
	}
	time.Sleep(1100 * time.Millisecond) // past the reload interval
	before := n.Load()
	if _, err := a.Verify(ctx, forgeKid(t, "0123456789abcdef")); err == nil {
		t.Fatal("a token signed by a foreign key under an unknown kid verified")
	}
	if n.Load() == before {
		t.Fatal("an unknown, well-formed kid caused no lookup: the counter does not see the database")
	}
}

// FuzzVerify feeds Verify tokens of every shape, starting from real tokens
// of each kind: it never panics, a refusal is UNAUTHENTICATED with a reason
// and a message, and whatever verifies is one of the tokens the server
// issued (same id and kind): no edit of a token makes another caller.
func FuzzVerify(f *testing.F) {
	st, a, _ := countedAuthority(f)
	ctx := context.Background()
	o := placeOrder(f, st)
	acc := "P1"
	org := &ent.Organization{ID: gid.New(gid.Organization), AccountID: &acc}
	usr := &ent.User{ID: gid.New(gid.User), Email: "admin@p1.example"}

	issued := map[string]viewer.Kind{} // token id -> kind
	add := func(tok string, err error) {
		f.Helper()
		if err != nil {
			f.Fatal(err)
		}
		v, err := a.Verify(ctx, tok)
		if err != nil {
			f.Fatalf("a fresh token does not verify: %v", err)
		}
		issued[v.TokenID] = v.Kind
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + "..")
		f.Add(tok + "=")
		f.Add(strings.ToUpper(tok))
	}
	add(a.IssueOperator("op", time.Hour))
	add(a.IssueIntegration("P1", time.Hour))
	add(a.IssuePartnerSession(ctx, usr, org))
	reset, _, err := a.IssuePasswordReset(ctx, usr)
	add(reset, err)
	for _, act := range []string{auth.ActDecide, auth.ActWithdraw} {
		tok, _, err := a.IssueAccessToken(ctx, gid.New(gid.PartnerAccess), "admin@c1.example", act)
		add(tok, err)
	}
	add(a.IssueSetupLink(store.System(ctx), o.ID, "setup@partner.example"))
	for _, s := range []string{
		"", "x", "a.b.c", "..", "....", "Bearer x", strings.Repeat("a", 4097),
		base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"operator+jwt"}`)) + ".e30.",
		base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","kid":"../../x","typ":"operator+jwt"}`)) + ".e30.AAAA",
		base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"0123456789abcdef"}`)) + ".e30.AAAA",
		forgeKid(f, "../../x"), forgeKid(f, 7),
	} {
		f.Add(s)
	}
	reasons := map[string]bool{auth.ReasonMissing: true, auth.ReasonInvalid: true, auth.ReasonExpired: true,
		auth.ReasonReplaced: true, auth.ReasonCancelled: true}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := a.Verify(ctx, raw)
		if err != nil {
			var ae *auth.Error
			if !errors.As(err, &ae) || ae.Code != auth.CodeUnauthenticated || !reasons[ae.Reason] || ae.Message == "" {
				t.Fatalf("Verify(%q) = %v: not a clear UNAUTHENTICATED refusal", raw, err)
			}
			if raw == "" && ae.Reason != auth.ReasonMissing {
				t.Fatalf("an empty token: reason %s, want MISSING", ae.Reason)
			}
			return
		}
		kind, ok := issued[v.TokenID]
		if !ok || kind != v.Kind {
			t.Fatalf("Verify(%q) made a caller the server never issued: %+v", raw, v)
		}
	})
}
