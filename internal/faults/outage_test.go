package faults_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"onramp/ent/message"
	"onramp/ent/order"
	"onramp/internal/gid"
	"onramp/internal/mail/smtptest"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
)

// TestSMTPOutage runs the server with an SMTP server that is not there yet:
// every delivery fails and is retried; once the SMTP server comes, every
// email arrives, once, and its order moves on.
func TestSMTPOutage(t *testing.T) {
	dataDir, dbURL := storetest.Location(t)
	smtpAddr := freeAddr(t) // nobody listens here until the outage ends
	s := newServer(t, "onramp", dataDir, dbURL, "ONRAMP_SMTP_URL=smtp://"+smtpAddr)
	s.start()
	op := s.operator()
	const n = 5
	ids := make([]string, n)
	for i := range ids {
		id, err := s.place(op, orderInput(fmt.Sprintf("SMTP-%d", i), fmt.Sprintf("acct-smtp-%d", i), contact(i)))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	st, err := store.Open(context.Background(), dataDir, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Every delivery has failed at least once, and is waiting for a retry.
	testkit.Eventually(t, "every delivery failed once", 30*time.Second, func() (bool, string) {
		var failed int
		err := st.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'deliver_message'
			AND attempt >= 1 AND state IN ('retryable', 'available', 'scheduled')`).Scan(&failed)
		return err == nil && failed == n, fmt.Sprintf("%d of %d failed and waiting (%v)", failed, n, err)
	})
	sys := store.System(context.Background())
	if sent, err := st.Client.Message.Query().Where(message.StatusEQ(message.StatusSENT)).Count(sys); err != nil || sent > 0 {
		t.Fatalf("%d messages marked sent with no SMTP server (%v)", sent, err)
	}

	sink := smtptest.Start(t, smtpAddr)
	for i := range ids {
		testkit.Eventually(t, "the email to "+contact(i), 60*time.Second, func() (bool, string) {
			return len(sink.To(contact(i))) > 0, sink.Summary()
		})
	}
	time.Sleep(3 * time.Second) // time for a second copy, were one coming
	for i, id := range ids {
		if got := len(sink.To(contact(i))); got != 1 {
			t.Errorf("%s got %d emails, want 1", contact(i), got)
		}
		o, err := st.Client.Order.Get(sys, gid.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != order.StatusLINK_SENT {
			t.Errorf("order %s is %s after its email went out, want LINK_SENT", id, o.Status)
		}
	}
}

func contact(i int) string { return fmt.Sprintf("contact%d@smtp.example", i) }

// TestPostgresRestart restarts the PostgreSQL server under a running onramp
// (a server of the test's own, never the shared one). During the outage
// requests fail fast with the generic INTERNAL error and /readyz says 503;
// after it, the same process serves again, and a websocket subscriber that
// stayed connected hears a change made after the outage.
func TestPostgresRestart(t *testing.T) {
	pg := startOwnPostgres(t)
	s := newServer(t, "onramp", t.TempDir(), pg.url)
	s.start()
	op := s.operator()
	id, err := s.place(op, orderInput("PGR-1", "acct-pgr", "contact@pgr.example"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	events, err := s.subscribe(ctx, op, id)
	if err != nil {
		t.Fatal(err)
	}
	if st := nextStatus(t, events, 10*time.Second); st != "PLACED" {
		t.Fatalf("first event %s, want PLACED", st)
	}

	link := s.cli("token", "setup", "--order", id)
	if i := strings.Index(link, "token="); i >= 0 {
		link = link[i+len("token="):]
	}

	pg.stop()
	orderQuery := `query($id: ID!) { order(id: $id) { id status } }`
	for _, c := range []struct {
		name, token, query string
		vars               map[string]any
	}{
		{"a query", op, orderQuery, map[string]any{"id": id}},
		{"a mutation", op, placeOrderMutation, map[string]any{"input": orderInput("PGR-2", "acct-pgr", "contact@pgr.example")}},
		// A link's state is read on every request: the outage must not
		// pass for a bad link, which the wizard would tell the person.
		{"the wizard with its link", link, sessionQuery, nil},
	} {
		t0 := time.Now()
		r, err := s.gql(c.token, c.query, c.vars)
		took := time.Since(t0)
		if err != nil {
			t.Fatalf("%s during the outage: no GraphQL answer: %v", c.name, err)
		}
		if len(r.Errors) == 0 || r.Errors[0].Extensions.Code != "INTERNAL" {
			t.Fatalf("%s during the outage answered %+v %s, want the INTERNAL error", c.name, r.Errors, r.Data)
		}
		msg := strings.ToLower(r.Errors[0].Message)
		for _, leak := range []string{"dial", "connect", "postgres", "sql", "127.0.0.1"} {
			if strings.Contains(msg, leak) {
				t.Errorf("%s: the error %q tells of the database (%q)", c.name, r.Errors[0].Message, leak)
			}
		}
		if took > 10*time.Second {
			t.Errorf("%s took %s to fail during the outage", c.name, took)
		}
	}
	if code, body := s.get("/readyz"); code != 503 {
		t.Errorf("/readyz during the outage = %d %q, want 503", code, body)
	}

	pg.start()
	testkit.Eventually(t, "ready again after the outage", 60*time.Second, func() (bool, string) {
		code, body := s.get("/readyz")
		return code == 200, fmt.Sprintf("%d %s", code, body)
	})
	// Every request after readiness returns succeeds, on the same process.
	for i := range 20 {
		if _, err := s.place(op, orderInput(fmt.Sprintf("PGR-AFTER-%d", i), "acct-pgr", "contact@pgr.example")); err != nil {
			t.Fatalf("placeOrder %d after the outage: %v", i, err)
		}
	}
	var res struct {
		CancelOrder struct{ UserErrors []userError } `json:"cancelOrder"`
	}
	s.must(op, `mutation($id: ID!) { cancelOrder(orderId: $id, reason: "After the outage.") { userErrors { field message code } } }`,
		map[string]any{"id": id}, &res)
	if len(res.CancelOrder.UserErrors) > 0 {
		t.Fatalf("cancelOrder: %+v", res.CancelOrder.UserErrors)
	}
	if st := nextStatus(t, events, 30*time.Second); st != "CANCELLED" {
		t.Fatalf("the subscriber heard %s, want CANCELLED", st)
	}
	if pg.restarts != 1 || !s.running() {
		t.Fatalf("want one PostgreSQL restart under one onramp process")
	}
}

// ownPostgres is a PostgreSQL server of the test's own: initdb into a
// temporary folder, run as the postgres user when the test runs as root.
type ownPostgres struct {
	t        *testing.T
	bin      string
	dir      string
	port     string
	url      string
	restarts int
}

func startOwnPostgres(t *testing.T) *ownPostgres {
	t.Helper()
	ctls, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(ctls) == 0 {
		t.Fatal("this test starts a PostgreSQL server of its own and needs initdb and pg_ctl " +
			"(Debian's postgresql package, under /usr/lib/postgresql/*/bin); none were found")
	}
	sort.Strings(ctls)
	dir, err := os.MkdirTemp("", "onramp-pg-") //nolint:usetesting // chowned to the postgres user, who cannot enter t.TempDir's root-only parent
	if err != nil {
		t.Fatal(err)
	}
	p := &ownPostgres{t: t, bin: filepath.Dir(ctls[len(ctls)-1]), dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, this test runs PostgreSQL as the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = p.run("pg_ctl", "-D", p.data(), "-m", "immediate", "-w", "stop")
		_ = os.RemoveAll(dir)
	})
	if err := p.run("initdb", "-D", p.data(), "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		t.Fatal(err)
	}
	_, p.port, _ = strings.Cut(freeAddr(t), ":")
	p.launch()
	admin, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:"+p.port+"/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE onramp"); err != nil {
		t.Fatalf("create the database: %v", err)
	}
	p.url = "postgres://postgres@127.0.0.1:" + p.port + "/onramp?sslmode=disable"
	return p
}

func (p *ownPostgres) data() string { return filepath.Join(p.dir, "data") }

// run runs one of PostgreSQL's programs, as postgres when we are root.
func (p *ownPostgres) run(prog string, args ...string) error {
	path := filepath.Join(p.bin, prog)
	cmd := exec.Command(path, args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, out)
	}
	return nil
}

func (p *ownPostgres) launch() {
	p.t.Helper()
	opts := "-p " + p.port + " -c listen_addresses=127.0.0.1 -k " + p.dir + " -c fsync=off"
	if err := p.run("pg_ctl", "-D", p.data(), "-l", filepath.Join(p.dir, "log"), "-o", opts, "-w", "start"); err != nil {
		p.t.Fatal(err)
	}
}

// stop shuts the server down the way an operator's restart does: fast
// (connections are cut, committed work is kept).
func (p *ownPostgres) stop() {
	p.t.Helper()
	if err := p.run("pg_ctl", "-D", p.data(), "-m", "fast", "-w", "stop"); err != nil {
		p.t.Fatal(err)
	}
}

func (p *ownPostgres) start() {
	p.t.Helper()
	p.launch()
	p.restarts++
}
