package faults_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"onramp/internal/mail/smtptest"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
)

// TestTwoReplicaProcesses runs two `onramp serve` processes on one
// PostgreSQL database, as behind a load balancer. Orders placed through
// either get their setup email once. A link signed by A works on B, and
// once A replaces it B refuses it at once. A subscriber on A hears a step
// taken through B. An order cancelled through A has its link refused on B.
func TestTwoReplicaProcesses(t *testing.T) {
	dataDir, dbURL := storetest.PostgresLocation(t)
	sink := smtptest.Start(t, "127.0.0.1:0")
	a := newServer(t, "replica A", dataDir, dbURL, "ONRAMP_SMTP_URL="+sink.URL())
	b := newServer(t, "replica B", t.TempDir(), dbURL, "ONRAMP_SMTP_URL="+sink.URL())
	a.start()
	b.start()
	op := a.operator()

	// Jobs run once across the replicas.
	const n = 10
	ids := make([]string, n)
	for i := range ids {
		r := a
		if i%2 == 1 {
			r = b
		}
		id, err := r.place(op, orderInput(fmt.Sprintf("REPL-%d", i), fmt.Sprintf("acct-repl-%d", i), replContact(i)))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, err := setupLinkFor(ctx, sink, replContact(0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		if _, err := setupLinkFor(ctx, sink, replContact(i)); err != nil {
			t.Fatal(err)
		}
	}

	// A link signed on A works on B; replaced on A, it is refused on B.
	b.must(first, `{ viewer { kind } }`, nil, nil)
	var resend struct {
		ResendSetupLink struct{ UserErrors []userError } `json:"resendSetupLink"`
	}
	a.must(op, `mutation($id: ID!) { resendSetupLink(orderId: $id) { userErrors { field message code } } }`,
		map[string]any{"id": ids[0]}, &resend)
	if len(resend.ResendSetupLink.UserErrors) > 0 {
		t.Fatalf("resendSetupLink on A: %+v", resend.ResendSetupLink.UserErrors)
	}
	wantRefused(t, b, first, "REPLACED")
	testkit.Eventually(t, "the resent link", 60*time.Second, func() (bool, string) {
		return len(sink.To(replContact(0))) == 2, sink.Summary()
	})
	r, err := decode(sink.To(replContact(0))[1])
	if err != nil {
		t.Fatal(err)
	}
	m := linkPattern.FindStringSubmatch(r.Text)
	if m == nil {
		t.Fatalf("no link in the resent email:\n%s", r.Text)
	}
	second := m[1]

	// A subscriber on A hears a step taken through B.
	events, err := a.subscribe(ctx, op, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if st := nextStatus(t, events, 10*time.Second); st != "LINK_SENT" {
		t.Fatalf("first event on A: %s, want LINK_SENT", st)
	}
	if _, err := b.wizardStep(second, progress{Status: "LINK_SENT"}, "repl0"); err != nil {
		t.Fatalf("startSetup on B: %v", err)
	}
	if st := nextStatus(t, events, 10*time.Second); st != "IN_SETUP" {
		t.Fatalf("A's subscriber heard %s, want IN_SETUP", st)
	}

	// Cancelled through A, the order's link is refused on B at once.
	var cancelled struct {
		CancelOrder struct{ UserErrors []userError } `json:"cancelOrder"`
	}
	a.must(op, `mutation($id: ID!) { cancelOrder(orderId: $id, reason: "Replica test.") { userErrors { field message code } } }`,
		map[string]any{"id": ids[0]}, &cancelled)
	if len(cancelled.CancelOrder.UserErrors) > 0 {
		t.Fatalf("cancelOrder on A: %+v", cancelled.CancelOrder.UserErrors)
	}
	wantRefused(t, b, second, "CANCELLED")

	time.Sleep(2 * time.Second) // time for a second copy, were one coming
	for i := 1; i < n; i++ {
		if got := len(sink.To(replContact(i))); got != 1 {
			t.Errorf("%s got %d setup emails from two replicas, want 1", replContact(i), got)
		}
	}
}

func replContact(i int) string { return fmt.Sprintf("contact%d@replicas.example", i) }

// wantRefused checks that s refuses token as UNAUTHENTICATED with reason.
func wantRefused(t *testing.T, s *server, token, reason string) {
	t.Helper()
	r, err := s.gql(token, `{ viewer { kind } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) == 0 || r.Errors[0].Extensions.Code != "UNAUTHENTICATED" || r.Errors[0].Extensions.Reason != reason {
		t.Fatalf("%s answered %+v %s, want UNAUTHENTICATED (%s)", s.name, r.Errors, r.Data, reason)
	}
}
