package auth_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"onramp/ent/organization"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// claimsOf reads a token's claims without verifying it (the test re-signs
// them under another kind).
func claimsOf(t *testing.T, tok string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMailedLinkTokensStayApart: the tokens of mailed links (partner
// access, password reset) and partner sessions are bound to their stored
// rows: re-signed as another kind, another purpose or without their row
// they are INVALID; used, replaced or ended they say so.
func TestMailedLinkTokensStayApart(t *testing.T) {
	st, a := open(t)
	ctx := store.System(context.Background())
	k, err := st.Client.SigningKey.Query().Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.PrivateKey(k.PrivateKey)
	acc := "P1"
	org, err := st.Client.Organization.Create().SetKind(organization.KindPARTNER).SetName("P").
		SetAccountID(acc).SetCountry("RS").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.Client.User.Create().SetEmail("admin@p1.example").SetOrganizationID(org.ID).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	access := gid.New(gid.PartnerAccess)

	reset, _, err := a.IssuePasswordReset(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	decide, _, err := a.IssueAccessToken(ctx, access, "it@acme.example", auth.ActDecide)
	if err != nil {
		t.Fatal(err)
	}
	session, err := a.IssuePartnerSession(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	for tok, kind := range map[string]viewer.Kind{reset: viewer.PasswordReset, decide: viewer.PartnerAccess, session: viewer.Partner} {
		if v, err := a.Verify(ctx, tok); err != nil || v.Kind != kind {
			t.Fatalf("a fresh %s token: %v, %v", kind, v, err)
		}
	}

	resign := func(tok, aud, typ string, edit func(jwt.MapClaims)) string {
		c := claimsOf(t, tok)
		c["aud"] = aud
		if edit != nil {
			edit(c)
		}
		return forge(t, key, map[string]any{"kid": k.Kid, "typ": typ}, c)
	}
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"a reset token as partner access", resign(reset, "onramp:partner-access", "partner-access+jwt", func(c jwt.MapClaims) {
			c["pac"], c["act"] = string(access), auth.ActDecide
		})},
		{"a decision token as a withdrawal", resign(decide, "onramp:partner-access", "partner-access+jwt", func(c jwt.MapClaims) {
			c["act"] = auth.ActWithdraw
		})},
		{"a decision token for another request", resign(decide, "onramp:partner-access", "partner-access+jwt", func(c jwt.MapClaims) {
			c["pac"] = string(gid.New(gid.PartnerAccess))
		})},
		{"a decision token as a partner session", resign(decide, "onramp:partner", "partner+jwt", func(c jwt.MapClaims) {
			c["acc"], c["org"], c["uid"], c["sid"] = acc, string(org.ID), string(u.ID), "ses_x"
		})},
		{"a reset token as a partner session", resign(reset, "onramp:partner", "partner+jwt", func(c jwt.MapClaims) {
			c["acc"], c["org"], c["sid"] = acc, string(org.ID), string(gid.New(gid.PartnerSession))
		})},
		{"a partner session without its row", resign(session, "onramp:partner", "partner+jwt", func(c jwt.MapClaims) {
			c["sid"] = string(gid.New(gid.PartnerSession))
		})},
		{"a partner session without a session id", resign(session, "onramp:partner", "partner+jwt", func(c jwt.MapClaims) {
			delete(c, "sid")
		})},
		{"a reset token of another user", resign(reset, "onramp:password-reset", "password-reset+jwt", func(c jwt.MapClaims) {
			c["uid"] = string(gid.New(gid.User))
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Verify(ctx, tc.token)
			if got := reason(t, err); got != auth.ReasonInvalid {
				t.Fatalf("reason = %s, want INVALID", got)
			}
		})
	}

	// Used once; replaced by a newer one; ended.
	v, err := a.Verify(ctx, reset)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(ctx, func(ctx context.Context) error { return a.UseTicket(ctx, v) }); err != nil {
		t.Fatal(err)
	}
	_, err = a.Verify(ctx, reset)
	if got := reason(t, err); got != auth.ReasonRevoked || !strings.Contains(err.Error(), "already used") {
		t.Errorf("a used reset link: %s (%v), want REVOKED saying it was used", got, err)
	}
	if err := st.InTx(ctx, func(ctx context.Context) error { return a.UseTicket(ctx, v) }); reason(t, err) != auth.ReasonRevoked {
		t.Errorf("a second use: %v", err)
	}
	again, _, err := a.IssueAccessToken(ctx, access, "it@acme.example", auth.ActDecide)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, decide); reason(t, err) != auth.ReasonReplaced {
		t.Errorf("a replaced decision link: %v", err)
	}
	if _, err := a.Verify(ctx, again); err != nil {
		t.Errorf("the newer decision link: %v", err)
	}
	sv, err := a.Verify(ctx, session)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(ctx, func(ctx context.Context) error {
		n, err := a.EndSessions(ctx, u.ID, sv.SessionID, auth.SessionSignedOut)
		if err == nil && n != 1 {
			t.Errorf("EndSessions ended %d sessions, want 1", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, session); reason(t, err) != auth.ReasonRevoked {
		t.Errorf("an ended session: %v", err)
	}
}

// TestPruneDeletesOnlyRowsOfExpiredTokens: a day after its token expired,
// a session or ticket row goes; live ones (and their tokens) stay.
func TestPruneDeletesOnlyRowsOfExpiredTokens(t *testing.T) {
	st, _ := open(t)
	ctx := store.System(context.Background())
	now := time.Now()
	a, err := auth.New(ctx, st.Client, auth.Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.Client.Organization.Create().SetKind(organization.KindPARTNER).SetName("P").
		SetAccountID("P1").SetCountry("RS").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.Client.User.Create().SetEmail("admin@p1.example").SetOrganizationID(org.ID).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	oldSession, _ := a.IssuePartnerSession(ctx, u, org) // 12 hours
	oldReset, _, _ := a.IssuePasswordReset(ctx, u)      // 1 hour
	withdraw, _, err := a.IssueAccessToken(ctx, gid.New(gid.PartnerAccess), "it@acme.example", auth.ActWithdraw)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(37 * time.Hour) // the session and the reset link expired over a day ago
	fresh, err := a.IssuePartnerSession(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	sessions, tickets, err := a.Prune(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sessions != 1 || tickets != 1 {
		t.Errorf("pruned %d sessions and %d tickets, want 1 and 1", sessions, tickets)
	}
	for _, tok := range []string{fresh, withdraw} {
		if _, err := a.Verify(ctx, tok); err != nil {
			t.Errorf("a live token after pruning: %v", err)
		}
	}
	for _, tok := range []string{oldSession, oldReset} {
		if _, err := a.Verify(ctx, tok); reason(t, err) != auth.ReasonExpired {
			t.Errorf("a pruned token: %v, want EXPIRED", err)
		}
	}
}
