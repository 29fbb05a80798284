package accounts_test

// Password reset and change through the API: each ends the user's earlier
// sessions and reset links. Each test runs on SQLite, and on PostgreSQL
// with ONRAMP_TEST_DATABASE=postgres.

import (
	"fmt"
	"testing"
	"time"

	"onramp/internal/testkit/apptest"
)

// TestPasswordResetAndChangeEndEarlierSessions: a reset link (mailed only
// to an existing partner administrator, with the same answer either way)
// sets a new password once and ends every earlier session at once; so does
// a password change; sign-out ends the one session; requests are limited.
func TestPasswordResetAndChangeEndEarlierSessions(t *testing.T) {
	t.Parallel()
	c, sink, clk := apptest.StartWithMail(t)
	c.Provisioned(t, "PR-1", "P1", "admin@pr-p1.example", "it@pr-acme.example", "pracme")
	first := c.MustSignIn(t, "admin@pr-p1.example", apptest.Password)
	second := c.MustSignIn(t, "admin@pr-p1.example", apptest.Password)

	// The same answer whether or not the account exists (and for a
	// customer administrator, who has no password): only the partner
	// administrator gets an email.
	for _, email := range []string{"admin@pr-p1.example", "nobody@pr-p1.example", "it@pr-acme.example"} {
		if ok, errs := c.RequestReset(t, email); !ok || len(errs) > 0 {
			t.Errorf("requestPasswordReset(%s): requested %v, userErrors %+v", email, ok, errs)
		}
	}
	// The same work for each: one queued job, whatever the account.
	if jobs := apptest.JobsOf(t, c.App, "password_reset"); len(jobs) != 3 {
		t.Errorf("%d password_reset jobs for 3 requests, want one each", len(jobs))
	}
	reset, _ := apptest.MailedToken(t, sink, "admin@pr-p1.example", "Choose a new Onramp password", 1, apptest.ResetLinkPattern)
	apptest.WantSubjects(t, sink, "nobody@pr-p1.example")
	for _, s := range apptest.Subjects(t, sink, "it@pr-acme.example") {
		if s == "Choose a new Onramp password" {
			t.Errorf("a customer administrator got a password-reset email")
		}
	}

	// The reset token does nothing else, and no other token resets.
	c.GQL(t, reset, apptest.WhoAmIQuery, nil).OK(t)
	c.GQL(t, reset, apptest.ChangeMutation, map[string]any{"c": apptest.Password, "n": "Novi-Dugacak-Pass-2027"}).WantError(t, "FORBIDDEN", "")
	c.GQL(t, first, apptest.ResetMutation, map[string]any{"p": "Novi-Dugacak-Pass-2027"}).WantError(t, "FORBIDDEN", "")
	apptest.WantCode(t, "a weak password", c.SessionCall(t, reset, apptest.ResetMutation, "resetPassword", map[string]any{"p": "short"}).UserErrors, "WEAK_PASSWORD", "password")

	// Someone guessing at the sign-in page does not hold the reset back.
	throttled := false
	for range 8 {
		if _, errs := c.SignIn(t, "admin@pr-p1.example", "a-wrong-guess-1234"); len(errs) > 0 && errs[0].Code == "TOO_MANY_ATTEMPTS" {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatalf("eight wrong sign-ins were not throttled")
	}
	got := c.SessionCall(t, reset, apptest.ResetMutation, "resetPassword", map[string]any{"p": "Novi-Dugacak-Pass-2027"})
	if len(got.UserErrors) > 0 || got.Token == nil {
		t.Fatalf("resetPassword: %+v", got)
	}
	for _, old := range []string{first, second} {
		c.GQL(t, old, apptest.WhoAmIQuery, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
	}
	c.GQL(t, *got.Token, apptest.WhoAmIQuery, nil).OK(t)
	c.GQL(t, reset, apptest.ResetMutation, map[string]any{"p": "Jos-Jedan-Pass-2028"}).WantError(t, "UNAUTHENTICATED", "REVOKED")
	if _, errs := c.SignIn(t, "admin@pr-p1.example", apptest.Password); len(errs) == 0 {
		t.Errorf("the old password still signs in")
	}
	afterReset := c.MustSignIn(t, "admin@pr-p1.example", "Novi-Dugacak-Pass-2027")
	apptest.MailedSubject(t, sink, "admin@pr-p1.example", "Your Onramp password was changed")

	// Change: the current password must be right; then every earlier
	// session, this one too, ends; the answer is a new one.
	apptest.WantCode(t, "a wrong current password", c.SessionCall(t, afterReset, apptest.ChangeMutation, "changePassword",
		map[string]any{"c": "wrong", "n": "Treci-Dugacak-Pass-2029"}).UserErrors, "INVALID_CREDENTIALS", "current")
	changed := c.SessionCall(t, afterReset, apptest.ChangeMutation, "changePassword", map[string]any{"c": "Novi-Dugacak-Pass-2027", "n": "Treci-Dugacak-Pass-2029"})
	if len(changed.UserErrors) > 0 || changed.Token == nil {
		t.Fatalf("changePassword: %+v", changed)
	}
	for _, old := range []string{afterReset, *got.Token} {
		c.GQL(t, old, apptest.WhoAmIQuery, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
	}
	c.GQL(t, *changed.Token, apptest.WhoAmIQuery, nil).OK(t)

	// Sign-out ends this session only.
	other := c.MustSignIn(t, "admin@pr-p1.example", "Treci-Dugacak-Pass-2029")
	var out struct {
		SignOut struct {
			SignedOut bool `json:"signedOut"`
		} `json:"signOut"`
	}
	c.GQL(t, *changed.Token, apptest.SignOutMutation, nil).OK(t).Decode(t, &out)
	if !out.SignOut.SignedOut {
		t.Errorf("signOut: signedOut false")
	}
	c.GQL(t, *changed.Token, apptest.WhoAmIQuery, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
	c.GQL(t, other, apptest.WhoAmIQuery, nil).OK(t)
	c.GQL(t, c.Op, apptest.SignOutMutation, nil).WantError(t, "FORBIDDEN", "")

	// A newer reset link replaces the older; a link expires after an hour.
	c.RequestReset(t, "admin@pr-p1.example")
	older, _ := apptest.MailedToken(t, sink, "admin@pr-p1.example", "Choose a new Onramp password", 2, apptest.ResetLinkPattern)
	c.RequestReset(t, "admin@pr-p1.example")
	newer, _ := apptest.MailedToken(t, sink, "admin@pr-p1.example", "Choose a new Onramp password", 3, apptest.ResetLinkPattern)
	c.GQL(t, older, apptest.ResetMutation, map[string]any{"p": "Cetvrti-Dugacak-Pass-2030"}).WantError(t, "UNAUTHENTICATED", "REPLACED")
	clk.Advance(61 * time.Minute)
	c.GQL(t, newer, apptest.ResetMutation, map[string]any{"p": "Cetvrti-Dugacak-Pass-2030"}).WantError(t, "UNAUTHENTICATED", "EXPIRED")

	// Limits: three requests an hour per email; the fourth is a userError
	// and mails nothing.
	for range 3 {
		c.RequestReset(t, "admin@pr-p2.example")
	}
	ok, errs := c.RequestReset(t, "admin@pr-p2.example")
	if ok {
		t.Errorf("the fourth request within an hour was accepted")
	}
	apptest.WantCode(t, "a fourth request", errs, "TOO_MANY_ATTEMPTS")
	if jobs := apptest.JobsOf(t, c.App, "password_reset", "admin@pr-p2.example"); len(jobs) != 3 {
		t.Errorf("%d jobs for admin@pr-p2.example, want 3 (the refused request queues none)", len(jobs))
	}
	// And per client address: ten an hour, whatever the emails.
	refused := false
	for i := range 11 {
		ok, errs := c.RequestReset(t, fmt.Sprintf("someone-%d@pr-p3.example", i))
		if !ok {
			apptest.WantCode(t, "a request over the address's limit", errs, "TOO_MANY_ATTEMPTS")
			refused = true
			break
		}
	}
	if !refused {
		t.Errorf("eleven more requests from one address within an hour were all accepted")
	}
}

// TestResetLinkEndsWithAPasswordChange: a reset link asked for before the
// password was changed no longer works after it (it used to: security
// review, finding 10).
func TestResetLinkEndsWithAPasswordChange(t *testing.T) {
	t.Parallel()
	c, sink, _ := apptest.StartWithMail(t)
	c.Provisioned(t, "RC-1", "P1", "admin@rc-p1.example", "it@rc-acme.example", "rcacme")
	session := c.MustSignIn(t, "admin@rc-p1.example", apptest.Password)
	if ok, errs := c.RequestReset(t, "admin@rc-p1.example"); !ok || len(errs) > 0 {
		t.Fatalf("requestPasswordReset: %v %+v", ok, errs)
	}
	reset, _ := apptest.MailedToken(t, sink, "admin@rc-p1.example", "Choose a new Onramp password", 1, apptest.ResetLinkPattern)
	changed := c.SessionCall(t, session, apptest.ChangeMutation, "changePassword", map[string]any{"c": apptest.Password, "n": "Novi-Dugacak-Pass-2027"})
	if len(changed.UserErrors) > 0 || changed.Token == nil {
		t.Fatalf("changePassword: %+v", changed)
	}
	c.GQL(t, reset, apptest.ResetMutation, map[string]any{"p": "Napadacev-Pass-2028"}).WantError(t, "UNAUTHENTICATED", "REVOKED")
	c.MustSignIn(t, "admin@rc-p1.example", "Novi-Dugacak-Pass-2027")
}
