package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"onramp/internal/auth"
	"onramp/internal/store"
)

// replicaSubscribers is how many websockets on replica A hear each change
// in the latency case.
const replicaSubscribers = 100

// replicaFigures measures the production set-up: one PostgreSQL database
// (a fresh one on the server at c.postgresURL, dropped afterwards) with one
// replica, then two. It prints complete flows a second with one replica and
// with two (the clients split between them), and the time from a change
// made through replica B to its delivery to subscribers on replica A, beside
// the same change made through A.
func replicaFigures(ctx context.Context, c config, sqliteFlows result) error {
	dbURL, drop, err := createDatabase(c.postgresURL)
	if err != nil {
		return err
	}
	defer drop()
	st, err := store.Open(ctx, "", dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	authority, err := auth.New(ctx, st.Client, auth.Config{SetupLinkTTL: 30 * 24 * time.Hour})
	if err != nil {
		return err
	}
	op, _ := authority.IssueOperator("bench", 2*time.Hour)
	// Each replica's directory holds only its log; removed at the end
	// unless -keep (deferred before the replicas' stops, so it runs after
	// them).
	var dirs []string
	defer func() {
		for _, d := range dirs {
			if c.keep {
				fmt.Fprintln(os.Stderr, "replica directory:", d)
			} else {
				_ = os.RemoveAll(d)
			}
		}
	}()
	replica := func() (*child, *bench, error) {
		dir, err := os.MkdirTemp("", "onramp-bench-replica-")
		if err != nil {
			return nil, nil, err
		}
		dirs = append(dirs, dir)
		srv, err := startServer(ctx, c.bin, dir, dbURL)
		if err != nil {
			return nil, nil, err
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.workers * 2}}
		return srv, &bench{c: c, client: client, base: srv.base, st: st, auth: authority, op: op}, nil
	}
	srvA, a, err := replica()
	if err != nil {
		return err
	}
	defer srvA.stop()

	oneR, err := a.flowRuns("flows postgres")
	if err != nil {
		return fmt.Errorf("flows on one replica: %w", err)
	}
	srvB, b, err := replica()
	if err != nil {
		return err
	}
	defer srvB.stop()
	two := make([]result, 0, c.runs)
	for range c.runs {
		r, err := splitFlows([]*bench{a, b}, c.flowWorkers, c.duration)
		if err != nil {
			return fmt.Errorf("flows on two replicas: %w", err)
		}
		two = append(two, r)
	}
	twoR := median(two)
	fmt.Fprintf(os.Stderr, "flows on PostgreSQL: one replica %.1f/s, two %.1f/s\n", oneR.rate, twoR.rate)

	same, cross, err := changeLatency(ctx, a, b)
	if err != nil {
		return err
	}
	// The replicas run outside dev mode, where no endpoint on this machine
	// can be reached: the latency case stops them and starts one in dev
	// mode on the same database.
	srvA.stop()
	srvB.stop()
	latDir, err := os.MkdirTemp("", "onramp-bench-replica-")
	if err != nil {
		return err
	}
	dirs = append(dirs, latDir)
	steady, err := a.steadyLatencyOn(ctx, latDir, dbURL)
	if err != nil {
		return fmt.Errorf("webhook latency: %w", err)
	}

	fmt.Printf("\nReplicas on PostgreSQL (a fresh database on %s), %d runs of %s (medians)\n\n",
		redact(c.postgresURL), c.runs, c.duration)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\trate\tp50\tp99\tratio\ttarget\tmet")
	pgT, pgMet := targets2([]target{{"SQLite's (e)", oneR.rate / sqliteFlows.rate, 0.8}})
	fmt.Fprintf(tw, "(h) complete flows, one replica, %d concurrent\t%.1f flows/s\t%s\t%s\t1 (%.2f of SQLite's %.1f flows/s)\t%s\t%s\n",
		c.flowWorkers, oneR.rate, ms(oneR.p50), ms(oneR.p99), oneR.rate/sqliteFlows.rate, sqliteFlows.rate, pgT, pgMet)
	fmt.Fprintf(tw, "    two replicas, %d concurrent on each\t%.1f flows/s\t%s\t%s\t%.2f\n",
		max(1, c.flowWorkers/2), twoR.rate, ms(twoR.p50), ms(twoR.p99), twoR.rate/oneR.rate)
	fmt.Fprintf(tw, "(i) change through A to %d subscribers on A\t\t%s\t%s\t1\n",
		replicaSubscribers, ms(same.p50), ms(same.p99))
	fmt.Fprintf(tw, "    change through B to the same subscribers on A\t\t%s\t%s\t%.2f\n",
		ms(cross.p50), ms(cross.p99), float64(cross.p50)/float64(same.p50))
	l := latencyRow("(l)", steady)
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t%s\t%s\n", l.name, l.rate, l.p50, l.p99, l.target, l.met)
	return tw.Flush()
}

// splitFlows runs n concurrent flows for d, split evenly between the
// replicas; the rate is the sum, the latencies those of all flows.
func splitFlows(replicas []*bench, n int, d time.Duration) (result, error) {
	results := make([]result, len(replicas))
	errs := make([]error, len(replicas))
	var wg sync.WaitGroup
	for i, r := range replicas {
		wg.Go(func() {
			results[i], errs[i] = r.flows(max(1, n/len(replicas)), d)
		})
	}
	wg.Wait()
	var sum result
	for i, r := range results {
		if errs[i] != nil {
			return result{}, errs[i]
		}
		sum.rate += r.rate
		sum.p50 = max(sum.p50, r.p50) // the slower replica's
		sum.p99 = max(sum.p99, r.p99)
	}
	return sum, nil
}

// changeLatency subscribes replicaSubscribers websockets on a to one order
// and changes the order's step through a, then through b, c.runs × 4 times
// each; it returns the medians over the changes of each way.
func changeLatency(ctx context.Context, a, b *bench) (same, cross fanoutResult, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	id, link, err := a.orderWithLink("R", 0, "P1")
	if err != nil {
		return same, cross, err
	}
	wsClient := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext}}
	subs, err := connectAll(ctx, wsClient, a.base, a.op,
		`subscription($id: ID!) { orderStatusChanged(orderId: $id) { status step at } }`, string(id), replicaSubscribers)
	if err != nil {
		return same, cross, err
	}
	defer closeAll(subs)
	mutations := [][]byte{
		gqlBody(`mutation { chooseRole(role: PARTNER) { userErrors { code message } } }`, nil),
		gqlBody(`mutation { startSetup { userErrors { code message } } }`, nil),
	}
	var sameRs, crossRs []fanoutResult
	k := 0 // the mutations alternate, so each one changes the step
	for range a.c.runs * 4 {
		for _, via := range []*bench{a, b} {
			time.Sleep(50 * time.Millisecond)
			body := mutations[k%len(mutations)]
			k++
			res, _, err := deliver(subs, func() error {
				_, err := via.post(link, body)
				return err
			}, 30*time.Second)
			if err != nil {
				return same, cross, err
			}
			if via == a {
				sameRs = append(sameRs, res)
			} else {
				crossRs = append(crossRs, res)
			}
		}
	}
	return medianFanout(sameRs), medianFanout(crossRs), nil
}

// createDatabase creates a fresh database on the server at base and returns
// its URL and a func that drops it.
func createDatabase(base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "onramp_bench_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		return "", nil, fmt.Errorf("the replica figures need a PostgreSQL server that may create databases at %s (-postgres, ONRAMP_TEST_POSTGRES_URL): %w",
			redact(base), err)
	}
	u, _ := url.Parse(base)
	u.Path = "/" + name
	drop := func() {
		if admin, err := sql.Open("pgx", base); err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			_ = admin.Close()
		}
	}
	return u.String(), drop, nil
}

// redact hides a URL's password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a malformed URL)"
	}
	return u.Redacted()
}

// postgresLatency is the PostgreSQL (l) alone, for -only webhooks.
func postgresLatency(ctx context.Context, c config) error {
	dbURL, drop, err := createDatabase(c.postgresURL)
	if err != nil {
		return err
	}
	defer drop()
	st, err := store.Open(ctx, "", dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	authority, err := auth.New(ctx, st.Client, auth.Config{SetupLinkTTL: 30 * 24 * time.Hour})
	if err != nil {
		return err
	}
	op, _ := authority.IssueOperator("bench", 2*time.Hour)
	dir, err := os.MkdirTemp("", "onramp-bench-replica-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{c: c, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, st: st, auth: authority, op: op}
	_, err = b.steadyLatencyOn(ctx, dir, dbURL)
	return err
}
