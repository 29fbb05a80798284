package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/internal/app"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
)

// startReplica runs an App on the PostgreSQL database at databaseURL, as one
// `onramp serve` of several behind a load balancer: its own data directory,
// listener and Run loop, nothing shared but the database.
func startReplica(t *testing.T, databaseURL string) (*serving, *testEnv) {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir, cfg.DatabaseURL = t.TempDir(), databaseURL
	cfg.Dev = true // the dev mailbox delivers, so setup emails get sent
	cfg.JobPollInterval = 100 * time.Millisecond
	cfg.ShutdownTimeout = 5 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://" + ln.Addr().String()
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("replica: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{app: a, base: cfg.PublicURL, stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- a.Run(ctx, ln) }()
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-s.done //nolint:errcheck // how Run ended after its cancel is not this test's question
	})
	e := &testEnv{t: t, app: a, srv: srv, logs: &testkit.SyncBuffer{}}
	e.op = e.operatorToken(time.Hour)
	return s, e
}

// TestTwoReplicasBehaveAsOne starts two replicas on one PostgreSQL database
// (on either test run: replicas exist only with PostgreSQL): a token signed
// by one works on the other, a subscriber on A hears a change made through
// B, and a link replaced on A is refused on B at once.
func TestTwoReplicasBehaveAsOne(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	sa, a := startReplica(t, dbURL)
	_, b := startReplica(t, dbURL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// B signs the operator token used on A: keys live in the database.
	o := b.mustPlace(t, orderInput("REPL-1", "acct-repl"))
	b.gql(t, a.op, `{ viewer { kind } }`, nil).ok(t)

	_, got := wizSubscribe(t, ctx, sa, b.op, o.ID)
	first := <-got
	if first.err != nil || first.status != o.Status {
		t.Fatalf("first event on A = %v, want the current status %s", first, o.Status)
	}
	var res cancelResult
	b.gql(t, b.op, cancelMutation, map[string]any{"id": o.ID, "reason": "Replica test."}).ok(t).decode(t, &res)
	if ue := res.CancelOrder.UserErrors; len(ue) > 0 {
		t.Fatalf("cancelOrder on B: userErrors %+v", ue)
	}
	select {
	case e := <-got:
		if e.err != nil || e.status != "CANCELLED" {
			t.Fatalf("A's subscriber got %v, want CANCELLED", e)
		}
	case <-ctx.Done():
		t.Fatal("A's subscriber never heard of the cancel made through B")
	}

	// A link issued on A works on B; once A replaces it, B refuses it.
	o2 := a.mustPlace(t, orderInput("REPL-2", "acct-repl"))
	link := a.setupLink(o2.ID, o2.ProvisioningContactEmail)
	b.gql(t, link, `{ viewer { kind } }`, nil).ok(t)
	_ = a.setupLink(o2.ID, o2.ProvisioningContactEmail)
	b.gql(t, link, `{ viewer { kind } }`, nil).wantError(t, "UNAUTHENTICATED", "REPLACED")
}

// TestJobsRunOnceAcrossReplicas places orders due today through two
// replicas that both work jobs: every order gets exactly one setup email.
func TestJobsRunOnceAcrossReplicas(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	_, a := startReplica(t, dbURL)
	_, b := startReplica(t, dbURL)
	const n = 20
	ids := make([]string, n)
	for i := range n {
		e := a
		if i%2 == 1 {
			e = b
		}
		in := orderInput(fmt.Sprintf("ONCE-%d", i), "acct-once")
		in["requestedStartDate"] = isoDate(today()) // due now
		ids[i] = e.mustPlace(t, in).ID
	}
	ctx := store.System(context.Background())
	deadline := time.Now().Add(60 * time.Second)
	for {
		sent, err := a.app.Store.Client.Message.Query().
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
		got, err := a.app.Store.Client.Message.Query().
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
	_, a := startReplica(t, dbURL)
	_, b := startReplica(t, dbURL)
	ctx := store.System(context.Background())
	org, err := a.app.Store.Client.Organization.Create().SetKind(organization.KindPARTNER).
		SetName("Replica Partner").SetAccountID("acct-ses").SetCountry("RS").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.app.Store.Client.User.Create().SetEmail("admin@ses.example").SetOrganizationID(org.ID).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one, err := a.app.Auth.IssuePartnerSession(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	two, err := b.app.Auth.IssuePartnerSession(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*testEnv{a, b} {
		for _, tok := range []string{one, two} {
			r.gql(t, tok, `{ viewer { kind email } }`, nil).ok(t)
		}
	}
	a.gql(t, one, `mutation { signOut { signedOut } }`, nil).ok(t)
	b.gql(t, one, `{ viewer { kind } }`, nil).wantError(t, "UNAUTHENTICATED", "REVOKED")
	b.gql(t, one, `{ orders(first: 1) { edges { node { id } } } }`, nil).wantError(t, "UNAUTHENTICATED", "REVOKED")
	b.gql(t, two, `{ viewer { kind } }`, nil).ok(t)
	a.gql(t, two, `{ viewer { kind } }`, nil).ok(t)
}
