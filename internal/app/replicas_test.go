package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit/apptest"
)

// startReplica runs an App on the PostgreSQL database at databaseURL, as one
// `onramp serve` of several behind a load balancer: its own data directory,
// listener and Run loop, nothing shared but the database.
func startReplica(t *testing.T, databaseURL string) *apptest.Server {
	t.Helper()
	return apptest.Start(t, apptest.Options{
		Location: &apptest.Location{Dir: t.TempDir(), URL: databaseURL},
		Configure: func(cfg *app.Config) {
			cfg.Dev = true // the dev mailbox delivers, so setup emails get sent
			cfg.JobPollInterval = 100 * time.Millisecond
		},
	})
}

// TestTwoReplicasBehaveAsOne starts two replicas on one PostgreSQL database
// (on either test run: replicas exist only with PostgreSQL): a token signed
// by one works on the other, a subscriber on A hears a change made through
// B, and a link replaced on A is refused on B at once.
func TestTwoReplicasBehaveAsOne(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	a := startReplica(t, dbURL)
	sa := a
	b := startReplica(t, dbURL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// B signs the operator token used on A: keys live in the database.
	o := b.MustPlace(t, apptest.OrderInput("REPL-1", "acct-repl"))
	b.GQL(t, a.Op, `{ viewer { kind } }`, nil).OK(t)

	_, got := sa.SubscribeStatus(t, ctx, b.Op, o.ID)
	first := <-got
	if first.Err != nil || first.Status != o.Status {
		t.Fatalf("first event on A = %v, want the current status %s", first, o.Status)
	}
	var res apptest.CancelResult
	b.GQL(t, b.Op, apptest.CancelMutation, map[string]any{"id": o.ID, "reason": "Replica test."}).OK(t).Decode(t, &res)
	if ue := res.CancelOrder.UserErrors; len(ue) > 0 {
		t.Fatalf("cancelOrder on B: userErrors %+v", ue)
	}
	select {
	case e := <-got:
		if e.Err != nil || e.Status != "CANCELLED" {
			t.Fatalf("A's subscriber got %v, want CANCELLED", e)
		}
	case <-ctx.Done():
		t.Fatal("A's subscriber never heard of the cancel made through B")
	}

	// A link issued on A works on B; once A replaces it, B refuses it.
	o2 := a.MustPlace(t, apptest.OrderInput("REPL-2", "acct-repl"))
	link := a.SetupLink(t, o2.ID, o2.ProvisioningContactEmail)
	b.GQL(t, link, `{ viewer { kind } }`, nil).OK(t)
	_ = a.SetupLink(t, o2.ID, o2.ProvisioningContactEmail)
	b.GQL(t, link, `{ viewer { kind } }`, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
}

// TestJobsRunOnceAcrossReplicas places orders due today through two
// replicas that both work jobs: every order gets exactly one setup email.
func TestJobsRunOnceAcrossReplicas(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	a := startReplica(t, dbURL)
	b := startReplica(t, dbURL)
	const n = 20
	ids := make([]string, n)
	for i := range n {
		e := a
		if i%2 == 1 {
			e = b
		}
		in := apptest.OrderInput(fmt.Sprintf("ONCE-%d", i), "acct-once")
		in["requestedStartDate"] = apptest.ISODate(apptest.Today()) // due now
		ids[i] = e.MustPlace(t, in).ID
	}
	ctx := store.System(context.Background())
	deadline := time.Now().Add(60 * time.Second)
	for {
		sent, err := a.App.Store.Client.Message.Query().
			Where(message.KindEQ(message.KindSETUP_LINK), message.StatusEQ(message.StatusSENT)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sent >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Let any duplicate job finish too before counting.
	time.Sleep(2 * time.Second)
	for _, id := range ids {
		got, err := a.App.Store.Client.Message.Query().
			Where(message.OrderIDEQ(gid.ID(id)), message.KindEQ(message.KindSETUP_LINK)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Status != message.StatusSENT {
			t.Fatalf("order %s has %d setup emails (%v), want exactly one sent", id, len(got), got)
		}
	}
}

// TestPartnerSessionEndsOnEveryReplica: a partner session signed out
// through one replica is refused by the other at once (REVOKED), while the
// same user's other session goes on working on both.
func TestPartnerSessionEndsOnEveryReplica(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	a := startReplica(t, dbURL)
	b := startReplica(t, dbURL)
	ctx := store.System(context.Background())
	org, err := a.App.Store.Client.Organization.Create().SetKind(organization.KindPARTNER).
		SetName("Replica Partner").SetAccountID("acct-ses").SetCountry("RS").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.App.Store.Client.User.Create().SetEmail("admin@ses.example").SetOrganizationID(org.ID).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one, err := a.App.Auth.IssuePartnerSession(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	two, err := b.App.Auth.IssuePartnerSession(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*apptest.Server{a, b} {
		for _, tok := range []string{one, two} {
			r.GQL(t, tok, `{ viewer { kind email } }`, nil).OK(t)
		}
	}
	a.GQL(t, one, `mutation { signOut { signedOut } }`, nil).OK(t)
	b.GQL(t, one, `{ viewer { kind } }`, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
	b.GQL(t, one, `{ orders(first: 1) { edges { node { id } } } }`, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
	b.GQL(t, two, `{ viewer { kind } }`, nil).OK(t)
	a.GQL(t, two, `{ viewer { kind } }`, nil).OK(t)
}

// TestReplicasShareTheThrottles: wrong passwords for one email made on two
// replicas count together (the throttles live in the database on
// PostgreSQL), so two replicas allow the five free ones, not ten.
func TestReplicasShareTheThrottles(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	clk := clock.NewStub(apptest.MailEpoch) // one clock: the delays cannot pass unseen
	replica := func() *apptest.Server {
		return apptest.Start(t, apptest.Options{
			Location: &apptest.Location{Dir: t.TempDir(), URL: dbURL}, Clock: clk, HandlerOnly: true,
		})
	}
	a, b := replica(), replica()
	for i, r := range []*apptest.Server{a, b, a, b, a} {
		if _, codes := signInAnswer(t, r, "ana@shared.example", fmt.Sprintf("wrong-password-%d", i)); !slices.Equal(codes, []string{"INVALID_CREDENTIALS"}) {
			t.Fatalf("wrong password %d: codes %v", i, codes)
		}
	}
	for name, r := range map[string]*apptest.Server{"A": a, "B": b} {
		if _, codes := signInAnswer(t, r, "ana@shared.example", "wrong-password-x"); !slices.Equal(codes, []string{"TOO_MANY_ATTEMPTS"}) {
			t.Errorf("the sixth wrong password, on %s: codes %v, want TOO_MANY_ATTEMPTS (five were made on the two replicas)", name, codes)
		}
	}
	clk.Advance(1100 * time.Millisecond) // the first delay is a second, on both
	if _, codes := signInAnswer(t, b, "ana@shared.example", "wrong-password-y"); !slices.Equal(codes, []string{"INVALID_CREDENTIALS"}) {
		t.Errorf("after the delay, on B: codes %v", codes)
	}
}
