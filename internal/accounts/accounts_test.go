package accounts_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/internal/accounts"
	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

const password = "Correct-Horse-Battery-42"

// instance is a full instance (jobs not started) on a fresh database with
// a partner administrator (admin@p1.example, with password) and a customer
// user (it@acme.example).
func instance(t *testing.T) *app.App {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir, cfg.DatabaseURL = storetest.Location(t)
	cfg.Clock = clock.NewStub(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	ctx := store.System(context.Background())
	c := a.Store.Client
	hash, err := accounts.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	partner := c.Organization.Create().SetKind(organization.KindPARTNER).SetName("Partner One").
		SetAccountID("P1").SetCountry("RS").SaveX(ctx)
	c.User.Create().SetEmail("admin@p1.example").SetOrganizationID(partner.ID).SetPasswordHash(hash).SaveX(ctx)
	customer := c.Organization.Create().SetKind(organization.KindCUSTOMER).SetName("Acme").
		SetCountry("RS").SaveX(ctx)
	c.User.Create().SetEmail("it@acme.example").SetOrganizationID(customer.ID).SaveX(ctx)
	return a
}

func resetMails(t *testing.T, a *app.App, to string) []*ent.Message {
	t.Helper()
	ms, err := a.Store.Client.Message.Query().
		Where(message.KindEQ(message.KindPASSWORD_RESET), message.To(to)).
		All(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// The reset job mails a link to a partner administrator only: a customer's
// user and an unknown address get nothing, and the request answers the
// same for each.
func TestPasswordResetWorkerMailsPartnerAdministratorsOnly(t *testing.T) {
	a := instance(t)
	w := &accounts.PasswordResetWorker{Accounts: a.Accounts}
	for _, email := range []string{"admin@p1.example", "it@acme.example", "nobody@p1.example"} {
		job := &river.Job[accounts.PasswordResetArgs]{Args: accounts.PasswordResetArgs{Email: email, Lang: "en"}}
		if err := w.Work(context.Background(), job); err != nil {
			t.Fatalf("reset job for %s: %v", email, err)
		}
	}
	ms := resetMails(t, a, "admin@p1.example")
	if len(ms) != 1 {
		t.Fatalf("%d reset emails to the partner administrator, want 1", len(ms))
	}
	if want := strings.TrimRight(a.Config.PublicURL, "/") + "/reset-password?token="; !strings.Contains(ms[0].TextBody, want) {
		t.Errorf("the reset email has no link starting %s:\n%s", want, ms[0].TextBody)
	}
	for _, to := range []string{"it@acme.example", "nobody@p1.example"} {
		if n := len(resetMails(t, a, to)); n != 0 {
			t.Errorf("%d reset emails to %s, want none", n, to)
		}
	}
}

// RequestPasswordReset refuses a malformed address and queues nothing.
func TestRequestPasswordResetRefusesAMalformedAddress(t *testing.T) {
	a := instance(t)
	err := a.Accounts.RequestPasswordReset(context.Background(), "not an address", "en")
	var f *validate.Failure
	if !errors.As(err, &f) || f.Problems[0].Code != validate.CodeInvalid {
		t.Fatalf("RequestPasswordReset(malformed) = %v, want an INVALID userError", err)
	}
}

// SignIn: the right password starts a session; a wrong password, an
// unknown or malformed address and a customer's user look the same.
func TestSignIn(t *testing.T) {
	a := instance(t)
	ctx := context.Background()
	token, err := a.Accounts.SignIn(ctx, "admin@p1.example", password)
	if err != nil || token == "" {
		t.Fatalf("SignIn(right password) = %q, %v", token, err)
	}
	v, err := a.Auth.Verify(ctx, token)
	if err != nil || v.Kind != viewer.Partner || v.Email != "admin@p1.example" {
		t.Fatalf("the session token verifies as %+v, %v; want the partner administrator", v, err)
	}
	for _, c := range []struct{ email, password string }{
		{"admin@p1.example", "Wrong-Horse-Battery-42"},
		{"nobody@p1.example", password},
		{"it@acme.example", password},
		{"not an address", password},
	} {
		_, err := a.Accounts.SignIn(ctx, c.email, c.password)
		var f *validate.Failure
		if !errors.As(err, &f) || f.Problems[0].Code != accounts.CodeInvalidCredentials {
			t.Errorf("SignIn(%q, %q) = %v, want INVALID_CREDENTIALS", c.email, c.password, err)
		}
	}
}
