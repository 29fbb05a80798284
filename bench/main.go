// Command bench measures a live Onramp server on this machine. It seeds a
// fresh SQLite file (by default with 1,000,000 orders), runs `onramp serve`
// on it as a child process with the bench routes on (ONRAMP_BENCH_ROUTES=1),
// loads it over loopback HTTP and websockets, and prints one table whose
// figures are medians over several runs. GraphQL figures are set beside a
// plain handler of the same process that answers a JSON body of the same
// size, measured in the same run, so the ratios hold on a busy machine where
// absolute figures do not. The `setup` and `orders` cases are also set
// beside their static twin (bench/twin): a gqlgen server of the same version
// and settings answering the same documents byte for byte from memory, run
// as a child process and loaded in alternating runs; the fan-out beside a
// raw coder/websocket broadcast of the same message from the twin. Each
// figure that has a target prints it and whether it is met.
//
//	make bench
//	go run ./bench [-bin bin/onramp] [-orders 1000000] [-subscribers 10000]
//	               [-workers 32] [-duration 2s] [-runs 5] [-profile DIR]
//	               [-postgres URL] [-only NAME]
//
// The last rows of the first table (bench/webhooks.go) run complete flows on
// a second server in dev mode, on the same file, without and with one
// webhook endpoint subscribed to every event (alternating runs), and count
// the deliveries to a receiver in the bench process.
//
// A second table measures the production set-up on PostgreSQL: complete
// flows with one replica and with two, and a change's delay to subscribers
// on the other replica beside the same replica (bench/replicas.go).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/testkit"
)

type config struct {
	bin                   string
	workers, flowWorkers  int
	runs                  int
	duration              time.Duration
	orders                int
	subscribers           int
	subscriptionWithOrder bool
	profileDir            string
	keep                  bool
	only                  string
	postgresURL           string
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/onramp", "the onramp binary to run (make bench builds it)")
	flag.IntVar(&c.workers, "workers", 32, "concurrent clients of the HTTP cases")
	flag.IntVar(&c.flowWorkers, "flow-workers", 8, "concurrent complete wizard flows")
	flag.IntVar(&c.runs, "runs", 5, "runs per case; figures are medians")
	flag.DurationVar(&c.duration, "duration", 2*time.Second, "length of one run")
	flag.IntVar(&c.orders, "orders", 1_000_000, "orders seeded into the database before the server starts")
	flag.IntVar(&c.subscribers, "subscribers", 10_000, "websocket subscribers of one order in the fan-out case")
	flag.BoolVar(&c.subscriptionWithOrder, "subscription-order", false, "subscribers also select the event's order { id status } (a database read per subscriber and event)")
	flag.StringVar(&c.profileDir, "profile", "", "save a CPU profile of the server for each case (first run) into this directory")
	flag.StringVar(&c.only, "only", "", "run only the HTTP cases whose name contains this (with their plain and twin), \"flows\", \"fanout\" or \"webhooks\" (both databases), and print no table (for A/B runs and profiles)")
	flag.BoolVar(&c.keep, "keep", false, "keep the data directory (and the server's log)")
	c.postgresURL = os.Getenv("ONRAMP_TEST_POSTGRES_URL")
	if c.postgresURL == "" {
		c.postgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	flag.StringVar(&c.postgresURL, "postgres", c.postgresURL, "PostgreSQL server of the replica figures (a database is created on it and dropped)")
	flag.Parse()
	ctx := context.Background()
	sqliteFlows, err := run(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if c.only == "webhooks" {
		if err := postgresLatency(ctx, c); err != nil {
			fmt.Fprintln(os.Stderr, "bench: PostgreSQL webhook latency:", err)
			os.Exit(1)
		}
		return
	}
	if c.only != "" {
		return
	}
	if err := replicaFigures(ctx, c, sqliteFlows); err != nil {
		fmt.Fprintln(os.Stderr, "bench: replicas:", err)
		os.Exit(1)
	}
}

// row is one line of the table.
type row struct {
	name   string
	rate   string
	p50    string
	p99    string
	ratio  string
	twin   string
	target string
	met    string
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// run measures the SQLite server and prints the first table; it returns
// the complete flows' figures, which the PostgreSQL table is set beside.
func run(ctx context.Context, c config) (result, error) {
	dir, err := os.MkdirTemp("", "onramp-bench-")
	if err != nil {
		return result{}, err
	}
	if c.keep {
		fmt.Fprintln(os.Stderr, "data directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	// The bench opens the same SQLite file as the server (as `onramp token`
	// does): it migrates it, seeds it, and signs tokens with its keys.
	st, err := store.Open(ctx, dir, "")
	if err != nil {
		return result{}, err
	}
	defer st.Close()
	authority, err := auth.New(ctx, st.Client, auth.Config{SetupLinkTTL: 30 * 24 * time.Hour})
	if err != nil {
		return result{}, err
	}
	op, _ := authority.IssueOperator("bench", 2*time.Hour)
	integ, _ := authority.IssueIntegration("P1", 2*time.Hour)
	start := time.Now()
	if err := seedOrders(ctx, st.DB, c.orders); err != nil {
		return result{}, err
	}
	seeded := time.Since(start)
	fmt.Fprintf(os.Stderr, "seeded %d orders in %s\n", c.orders, seeded.Round(time.Millisecond))

	srv, err := startServer(ctx, c.bin, dir, "")
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	rssIdle, err := srv.rss()
	if err != nil {
		return result{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.workers * 2}}
	b := &bench{c: c, client: client, base: srv.base, st: st, auth: authority, op: op, integ: integ}

	// Setup links, one per client of the step case, one for the setup query.
	links := make([]string, c.workers+1)
	for i := range links {
		if _, links[i], err = b.orderWithLink("L", i, "P1"); err != nil {
			return result{}, err
		}
	}
	setupQ := gqlBody(`{ setup { step email next role order { id status externalID } } }`, nil)
	// 25 fields of the served schema in 3 levels: the session (11 and its
	// order), the order (10 and its subscription), the subscription (2).
	setup25Q := gqlBody(`{ setup { step steps draftId email role assignee customerAdminEmail missingSettings existingSite next readOnly
		order { id externalID status step product requestedStartDate partnerName customerName customerCountry createdAt
			subscription { id status } } } }`, nil)
	// The newest 50 orders, as an operator's list shows them. totalCount
	// is a count of every order in the caller's scope, so it has a case of
	// its own.
	const ordersPage = `{ orders(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) {
		%s
		edges { cursor node { id externalID status step requestedStartDate partnerName customerName customerCountry createdAt
			subscription { id status services { kind quantity } } } }
		pageInfo { endCursor hasNextPage } } }`
	ordersQ := gqlBody(fmt.Sprintf(ordersPage, ""), nil)
	ordersCountQ := gqlBody(fmt.Sprintf(ordersPage, "totalCount"), nil)
	setupLink := links[c.workers]
	setupSize, err := b.size(setupLink, setupQ)
	if err != nil {
		return result{}, err
	}
	setup25, err := b.post(setupLink, setup25Q)
	if err != nil {
		return result{}, err
	}
	pageSize, err := b.size(op, ordersQ)
	if err != nil {
		return result{}, err
	}

	// The static twin serves the real answers' data; it must answer every
	// document of the cases byte for byte as the real server does.
	countedPage, err := b.post(op, ordersCountQ)
	if err != nil {
		return result{}, err
	}
	answers := map[string]json.RawMessage{}
	if answers["setup"], err = dataOf(setup25, "setup"); err != nil {
		return result{}, err
	}
	if answers["orders"], err = dataOf(countedPage, "orders"); err != nil {
		return result{}, err
	}
	twin, err := startTwin(ctx, dir, answers)
	if err != nil {
		return result{}, err
	}
	defer twin.stop()
	if err := sameAnswers(client, srv.base, twin.base, []twinCheck{
		{"setup", setupLink, setupQ}, {"setup (25 fields)", setupLink, setup25Q},
		{"orders", op, ordersQ}, {"orders with totalCount", op, ordersCountQ},
	}); err != nil {
		return result{}, err
	}

	steps := [][]byte{
		gqlBody(`mutation { chooseRole(role: PARTNER) { setup { step } userErrors { code message } } }`, nil),
		gqlBody(`mutation { assignSetup(input: {assignee: SELF}) { setup { step } userErrors { code message } } }`, nil),
		gqlBody(`mutation { confirmPartnerOrg(input: {name: "Bench Partner", country: "RS", address: {line1: "Main 1", city: "Beograd", postalCode: "11000"}}) { setup { step } userErrors { code message } } }`, nil),
	}
	noUserErrors := func(body []byte) error {
		if bytes.Contains(body, []byte(`"errors"`)) || !bytes.Contains(body, []byte(`"userErrors":[]`)) {
			return fmt.Errorf("%s", body)
		}
		return nil
	}
	var placed atomic.Int64
	// Each case names the case its ratio to plain is taken against, and
	// whether it has a twin; targets are checked on the medians.
	cases := []benchCase{
		{httpCase: httpCase{name: fmt.Sprintf("(a) plain handler, %d-byte JSON", setupSize), get: fmt.Sprintf("/bench/plain?bytes=%d", setupSize)}, plain: -1},
		{httpCase: httpCase{name: "(b) setup query, 6 fields (setup link)", request: func(int, int) (string, []byte) { return setupLink, setupQ }},
			plain: 0, twin: true},
		{httpCase: httpCase{name: fmt.Sprintf("(a) plain handler, %d-byte JSON", len(setup25)), get: fmt.Sprintf("/bench/plain?bytes=%d", len(setup25))}, plain: -1},
		{httpCase: httpCase{name: "(b) setup query, 25 fields in 3 levels", request: func(int, int) (string, []byte) { return setupLink, setup25Q }},
			plain: 2, twin: true, minTwin: 1.0, minPlain: 0.25},
		{httpCase: httpCase{name: fmt.Sprintf("(a) plain handler, %d-byte JSON", pageSize), get: fmt.Sprintf("/bench/plain?bytes=%d", pageSize)}, plain: -1},
		{httpCase: httpCase{name: fmt.Sprintf("(c) orders page of 50 of %d (operator)", c.orders), request: func(int, int) (string, []byte) { return op, ordersQ }},
			plain: 4, twin: true, minTwin: 0.7},
		{httpCase: httpCase{name: "    the same page with totalCount", request: func(int, int) (string, []byte) { return op, ordersCountQ }},
			plain: 4, twin: true, of: 5, minOf: 0.5},
		// Each client answers its own link's steps in a cycle: chooseRole,
		// assignSetup, confirmPartnerOrg, then chooseRole again (an earlier
		// step may be answered again before CONFIRM).
		{httpCase: httpCase{name: "(d) wizard step mutations", check: noUserErrors,
			request: func(w, i int) (string, []byte) { return links[w], steps[i%len(steps)] }},
			plain: 0, minPlain: 0.10},
		{httpCase: httpCase{name: "    placeOrder (integration)", check: noUserErrors,
			request: func(int, int) (string, []byte) {
				return integ, placeBody(fmt.Sprintf("B-%d-%d", time.Now().UnixNano(), placed.Add(1)), "P1")
			}},
			plain: -1},
	}
	results := make([]result, len(cases))
	twinResults := make([]result, len(cases))
	for ci, bc := range cases {
		if c.only != "" && !slices.ContainsFunc(cases, func(o benchCase) bool {
			return strings.Contains(o.name, c.only) && (o.name == bc.name || o.plain == ci || o.of == ci && o.minOf > 0)
		}) {
			continue
		}
		var rs, ts []result
		// Runs alternate between the server and its twin, so both see the
		// same machine.
		for r := range c.runs {
			var wait func() error
			if c.profileDir != "" && r == 0 {
				wait = profile(client, srv.base, c.profileDir, bc.name, c.duration)
			}
			res, err := load(client, srv.base, bc.httpCase, c.workers, c.duration)
			if err != nil {
				return result{}, fmt.Errorf("%s: %w", bc.name, err)
			}
			if wait != nil {
				if err := wait(); err != nil {
					return result{}, fmt.Errorf("profile %s: %w", bc.name, err)
				}
			}
			rs = append(rs, res)
			if bc.twin {
				res, err := load(client, twin.base, bc.httpCase, c.workers, c.duration)
				if err != nil {
					return result{}, fmt.Errorf("%s (twin): %w", bc.name, err)
				}
				ts = append(ts, res)
			}
		}
		results[ci] = median(rs)
		fmt.Fprintf(os.Stderr, "%-45s %8.0f/s  p50 %s  p99 %s\n", bc.name, results[ci].rate, ms(results[ci].p50), ms(results[ci].p99))
		if bc.twin {
			twinResults[ci] = median(ts)
			fmt.Fprintf(os.Stderr, "%-45s %8.0f/s  p50 %s  p99 %s\n", "    twin", twinResults[ci].rate, ms(twinResults[ci].p50), ms(twinResults[ci].p99))
		}
	}

	if c.only == "webhooks" {
		twin.stop()
		srv.stop()
		return result{}, b.onlyWebhooks(ctx, dir)
	}
	if c.only != "" {
		return result{}, b.onlyRest(srv, twin)
	}

	flowRate, err := b.flowRuns("flows")
	if err != nil {
		return result{}, fmt.Errorf("complete flows: %w", err)
	}
	fmt.Fprintf(os.Stderr, "complete flows: %.1f/s\n", flowRate.rate)

	fan, event, rssFan, err := b.fanout(srv)
	if err != nil {
		return result{}, fmt.Errorf("fan-out: %w", err)
	}
	// The raw broadcast writes the very message the subscribers got.
	msg, _ := json.Marshal(testkit.WSMessage{ID: "1", Type: "next", Payload: event})
	raw, err := b.rawFanout(twin, msg, c.subscribers)
	if err != nil {
		return result{}, fmt.Errorf("raw broadcast: %w", err)
	}
	twin.stop()

	// The webhook rows need a server in dev mode (see webhookFigures): the
	// first one stops, and one in dev mode starts on the same file.
	srv.stop()
	hookOff, hookOn, hooks, err := b.webhookFigures(ctx, dir)
	if err != nil {
		return result{}, fmt.Errorf("webhooks: %w", err)
	}
	steady, err := b.steadyLatencyOn(ctx, dir, "")
	if err != nil {
		return result{}, fmt.Errorf("webhook latency: %w", err)
	}

	rows := []row{}
	for i, bc := range cases {
		r := results[i]
		rw := row{name: bc.name, rate: fmt.Sprintf("%.0f req/s", r.rate), p50: ms(r.p50), p99: ms(r.p99)}
		var targets []target
		if bc.plain < 0 {
			rw.ratio = "1"
		} else {
			v := r.rate / results[bc.plain].rate
			rw.ratio = fmt.Sprintf("%.3f", v)
			if bc.minPlain > 0 {
				targets = append(targets, target{"plain", v, bc.minPlain})
			}
		}
		if bc.twin {
			v := r.rate / twinResults[i].rate
			rw.twin = fmt.Sprintf("%.3f (%.0f req/s)", v, twinResults[i].rate)
			if bc.minTwin > 0 {
				targets = append(targets, target{"twin", v, bc.minTwin})
			}
		}
		if bc.minOf > 0 {
			targets = append(targets, target{"the page without", r.rate / results[bc.of].rate, bc.minOf})
		}
		rw.target, rw.met = targets2(targets)
		rows = append(rows, rw)
	}
	flowT, flowMet := targets2([]target{{"flows/s", flowRate.rate, 150}})
	hookT, hookMet := targets2([]target{{"pace", hooks.pace, 0.95}, {"ms p99", float64(hooks.p99) / float64(time.Millisecond), -2000}})
	fanT, fanMet := targets2([]target{{"× raw", float64(fan.last) / float64(raw.last), -1.5}})
	rssT, rssMet := targets2([]target{{"MiB", mib(rssFan), -400}})
	rows = append(rows,
		row{name: fmt.Sprintf("(e) complete flows (existing partner org, %d concurrent)", c.flowWorkers),
			rate: fmt.Sprintf("%.1f flows/s", flowRate.rate), p50: ms(flowRate.p50), p99: ms(flowRate.p99), target: flowT, met: flowMet},
		row{name: fmt.Sprintf("(f) fan-out: mutation to last of %d subscribers", c.subscribers),
			rate: "last " + ms(fan.last), p50: ms(fan.p50), p99: ms(fan.p99),
			twin: fmt.Sprintf("%.2f × raw", float64(fan.last)/float64(raw.last)), target: fanT, met: fanMet},
		row{name: fmt.Sprintf("    raw websocket broadcast of the same message to %d sockets (twin)", c.subscribers),
			rate: "last " + ms(raw.last), p50: ms(raw.p50), p99: ms(raw.p99)},
		row{name: "(g) server RSS idle / under (f)",
			rate: fmt.Sprintf("%.0f MiB / %.0f MiB", mib(rssIdle), mib(rssFan)), target: rssT, met: rssMet},
		row{name: fmt.Sprintf("(j) complete flows, dev-mode server, no webhook endpoint (%d concurrent)", c.flowWorkers),
			rate: fmt.Sprintf("%.1f flows/s", hookOff.rate), p50: ms(hookOff.p50), p99: ms(hookOff.p99), ratio: "1"},
		row{name: "    the same, one endpoint subscribed to every event",
			rate: fmt.Sprintf("%.1f flows/s", hookOn.rate), p50: ms(hookOn.p50), p99: ms(hookOn.p99),
			ratio: fmt.Sprintf("%.3f", hookOn.rate/hookOff.rate)},
		row{name: "(k) webhook deliveries during (j), event → receiver delay",
			rate: fmt.Sprintf("%.0f events/s (%.0f/s made)", hooks.delivered, hooks.produced), p50: ms(hooks.p50), p99: ms(hooks.p99),
			ratio: fmt.Sprintf("pace %.3f", hooks.pace), target: hookT, met: hookMet},
		row{name: "    a run's events, from its start to the last arrival",
			rate: fmt.Sprintf("%.0f events/s (%d events, %d POSTs; last %s after the flows)", hooks.overall, hooks.events, hooks.posts, hooks.drain.Round(100*time.Millisecond))},
		latencyRow("(l)", steady),
	)

	fmt.Printf("Onramp bench %s: SQLite, %d seeded orders (seeded in %s), %d HTTP clients, %d runs of %s per case (medians)\n\n",
		time.Now().Format("2006-01-02"), c.orders, seeded.Round(time.Second), c.workers, c.runs, c.duration)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\trate\tp50\tp99\tratio to plain\tratio to twin\ttarget\tmet")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.rate, r.p50, r.p99, r.ratio, r.twin, r.target, r.met)
	}
	return flowRate, tw.Flush()
}

// latencyRow is the row of a steady-load latency case, with its targets.
func latencyRow(label string, l latencyResult) row {
	t, met := targets2([]target{
		{"ms p50", float64(l.p50) / float64(time.Millisecond), -300},
		{"ms p99", float64(l.p99) / float64(time.Millisecond), -1000},
	})
	return row{name: fmt.Sprintf("%s webhook delay at a steady %d events/s, event → receiver", label, steadyRate),
		rate: fmt.Sprintf("%d events, max %s", l.events, ms(l.max)), p50: ms(l.p50), p99: ms(l.p99), target: t, met: met}
}

// onlyWebhooks runs the webhook rows (j), (k) and (l) on SQLite, for
// -only webhooks; main adds PostgreSQL's (l).
func (b *bench) onlyWebhooks(ctx context.Context, dir string) error {
	off, on, hooks, err := b.webhookFigures(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "flows %.1f/s without an endpoint, %.1f/s with; deliveries %.0f/s of %.0f/s made, pace %.3f, p50 %s p99 %s\n",
		off.rate, on.rate, hooks.delivered, hooks.produced, hooks.pace, ms(hooks.p50), ms(hooks.p99))
	_, err = b.steadyLatencyOn(ctx, dir, "")
	return err
}

// onlyRest runs the flows or the fan-out when -only names them.
func (b *bench) onlyRest(srv, twin *child) error {
	if strings.Contains("flows", b.c.only) { //nolint:gocritic // -only "" runs every case
		r, err := b.flowRuns("flows")
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "complete flows: %.1f/s p50 %s p99 %s\n", r.rate, ms(r.p50), ms(r.p99))
	}
	if strings.Contains("fanout", b.c.only) { //nolint:gocritic // -only "" runs every case
		fan, event, rss, err := b.fanout(srv)
		if err != nil {
			return err
		}
		msg, _ := json.Marshal(testkit.WSMessage{ID: "1", Type: "next", Payload: event})
		raw, err := b.rawFanout(twin, msg, b.c.subscribers)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "fan-out last %s, raw %s (%.2f × raw), RSS %.0f MiB\n", ms(fan.last), ms(raw.last),
			float64(fan.last)/float64(raw.last), mib(rss))
	}
	return nil
}

// benchCase is an HTTP case with what its figures are set beside.
type benchCase struct {
	httpCase
	// plain is the index of the plain case of the same size (-1: none,
	// or the case is one).
	plain int
	// twin: the case also runs against the static twin.
	twin bool
	// of is the index of a case this one is a ratio of (minOf > 0).
	of int
	// Targets: lowest ratios to twin, plain and case of (0: none).
	minTwin, minPlain, minOf float64
}

// target is one ratio and its bound: at least min, or at most -min when
// min is negative.
type target struct {
	what     string
	v, bound float64
}

// targets2 prints targets and whether all are met.
func targets2(ts []target) (string, string) {
	if len(ts) == 0 {
		return "", ""
	}
	var desc []string
	met := "yes"
	for _, t := range ts {
		if t.bound < 0 {
			desc = append(desc, fmt.Sprintf("≤ %g %s", -t.bound, t.what))
			if t.v > -t.bound {
				met = "NO"
			}
			continue
		}
		desc = append(desc, fmt.Sprintf("≥ %g of %s", t.bound, t.what))
		if t.what == "flows/s" {
			desc[len(desc)-1] = fmt.Sprintf("≥ %g flows/s", t.bound)
		}
		if t.v < t.bound {
			met = "NO"
		}
	}
	return strings.Join(desc, ", "), met
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// bench is what the cases share.
type bench struct {
	c      config
	client *http.Client
	base   string
	st     *store.Store
	auth   *auth.Authority
	op     string
	integ  string
	// prepared runs the first flow, which creates the flows' partner
	// organization, once.
	prepared sync.Once
}

func gqlBody(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

func placeBody(externalID, account string) []byte {
	return gqlBody(`mutation($in: PlaceOrderInput!){ placeOrder(input:$in){ order{ id } userErrors{ code message } } }`,
		map[string]any{"in": map[string]any{
			// A week ahead: no setup email falls due while the bench runs.
			"externalId": externalID, "product": "A_WX",
			"requestedStartDate":       time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02"),
			"provisioningContactEmail": "setup@partner.example",
			"partner":                  map[string]any{"name": "Partner " + account, "accountId": account},
			"customer": map[string]any{"name": "Acme", "country": "RS",
				"address": map[string]any{"line1": "Main 1", "city": "Beograd", "postalCode": "11000"}},
			"services": []map[string]any{{"kind": "MEETINGS", "quantity": 10}, {"kind": "CALLING", "quantity": 5}},
		}})
}

// post sends a prepared body through the tests' shared client; an answer
// with errors is an error.
func (b *bench) post(token string, body []byte) ([]byte, error) {
	c := testkit.Client{URL: b.base, HTTP: b.client, Header: forwardedFor(token)}
	r, out, err := c.PostBody(context.Background(), token, body)
	if err == nil && (r.Status != http.StatusOK || len(r.Errors) > 0) {
		err = fmt.Errorf("status %d: %s", r.Status, out)
	}
	return out, err
}

// forwardedFor is the X-Forwarded-For of a caller: the servers trust the
// bench as their load balancer (ONRAMP_TRUSTED_PROXIES), and each token
// (each flow's setup link, each integration) comes from an address of its
// own in the benchmarking range 198.18.0.0/15, as real callers come from
// theirs. Without it every flow shares one address, and the per-address
// throttles (thirty subdomain checks a minute) refuse the flows.
func forwardedFor(token string) http.Header {
	h := fnv.New32a()
	_, _ = h.Write([]byte(token))
	n := h.Sum32()
	return http.Header{"X-Forwarded-For": {fmt.Sprintf("198.%d.%d.%d", 18+(n>>16)&1, (n>>8)&0xff, n&0xff)}}
}

// size is the length of the answer to body.
func (b *bench) size(token string, body []byte) (int, error) {
	out, err := b.post(token, body)
	return len(out), err
}

// orderWithLink places an order over the API and issues a setup link for
// it, as `onramp token setup` does.
func (b *bench) orderWithLink(prefix string, i int, account string) (gid.ID, string, error) {
	out, err := b.post(b.op, placeBody(fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), i), account))
	if err != nil {
		return "", "", err
	}
	var resp struct {
		Data struct {
			PlaceOrder struct {
				Order struct{ ID gid.ID }
			}
		}
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.Data.PlaceOrder.Order.ID == "" {
		return "", "", fmt.Errorf("placeOrder: %w %s", err, out)
	}
	id := resp.Data.PlaceOrder.Order.ID
	link, err := b.auth.IssueSetupLink(store.System(context.Background()), id, "setup@partner.example")
	return id, link, err
}

var flowSeq atomic.Int64

// flowSteps are the wizard's calls from opening the link to provision, for
// a partner whose organization exists (so no password step).
func flowSteps(i int64) [][]byte {
	qs := []string{
		`mutation { startSetup { userErrors { code message } } }`,
		`mutation { chooseRole(role: PARTNER) { userErrors { code message } } }`,
		`mutation { assignSetup(input: {assignee: SELF}) { userErrors { code message } } }`,
		`mutation { confirmPartnerOrg(input: {name: "Flows Partner", country: "RS", address: {line1: "a", city: "b", postalCode: "1"}}) { userErrors { code message } } }`,
		fmt.Sprintf(`mutation { setCustomerAdmin(email: "admin%d@customer%d.example") { userErrors { code message } } }`, i, i),
		`mutation { confirmCustomerOrg(input: {}) { userErrors { code message } } }`,
		`mutation { confirmOrgs { setup { step } userErrors { code message } } }`,
		`mutation { setPartnerPassword(password: "flows partner password") { userErrors { code message } } }`,
		`mutation { saveCallSettings(input: {timeZone: "Europe/Belgrade", announcementLanguage: "sr_RS", emailLanguage: "sr_RS", locationName: "HQ", address: {line1: "a", city: "b", postalCode: "1"}}) { userErrors { code message } } }`,
		fmt.Sprintf(`mutation { saveEnterpriseSettings(subdomain: "flow%d") { userErrors { code message } } }`, i),
		`mutation { provision { order { status } userErrors { code message } } }`,
	}
	out := make([][]byte, len(qs))
	for j, q := range qs {
		out[j] = gqlBody(q, nil)
	}
	return out
}

// flow places an order over the API, issues its link, and runs the wizard
// to provisioned. The password step answers WRONG_STEP once the partner
// organization exists, which is expected.
func (b *bench) flow() error {
	i := flowSeq.Add(1)
	_, link, err := b.orderWithLink("F", int(i), "FLOWS")
	if err != nil {
		return err
	}
	for _, body := range flowSteps(i) {
		out, err := b.post(link, body)
		if err != nil {
			return err
		}
		if bytes.Contains(out, []byte(`"code"`)) && !bytes.Contains(out, []byte(`"code":"WRONG_STEP"`)) {
			return fmt.Errorf("%s: %s", body, out)
		}
	}
	return nil
}

// flows runs complete flows for d with n concurrent clients; the rate is
// flows a second, the latencies those of whole flows.
func (b *bench) flows(n int, d time.Duration) (result, error) {
	var err error
	// The first flow creates the partner organization (and sets its
	// password); the measured ones find it existing.
	b.prepared.Do(func() { err = b.flow() })
	if err != nil {
		return result{}, err
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		lats   []time.Duration
		failed atomic.Value
	)
	deadline := time.Now().Add(d)
	for range n {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				start := time.Now()
				if err := b.flow(); err != nil {
					failed.Store(err)
					return
				}
				mu.Lock()
				lats = append(lats, time.Since(start))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return result{}, err
	}
	if len(lats) == 0 {
		return result{}, errors.New("no flow completed")
	}
	return summarize(lats, d), nil
}

// flowRuns runs complete flows c.runs times (a CPU profile of the first
// run saved as name when asked) and returns the median run.
func (b *bench) flowRuns(name string) (result, error) {
	rs := make([]result, 0, b.c.runs)
	for r := range b.c.runs {
		var wait func() error
		if b.c.profileDir != "" && r == 0 {
			wait = profile(b.client, b.base, b.c.profileDir, name, b.c.duration)
		}
		res, err := b.flows(b.c.flowWorkers, b.c.duration)
		if err != nil {
			return result{}, err
		}
		if wait != nil {
			if err := wait(); err != nil {
				return result{}, err
			}
		}
		rs = append(rs, res)
	}
	return median(rs), nil
}

// fanout subscribes c.subscribers websockets (operator token) to one order,
// then changes the order's step c.runs times through its setup link and
// times each change's delivery to every subscriber. It returns the medians
// over the changes and the server's largest RSS meanwhile.
func (b *bench) fanout(srv *child) (fanoutResult, json.RawMessage, int64, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, link, err := b.orderWithLink("W", 0, "P1")
	if err != nil {
		return fanoutResult{}, nil, 0, err
	}
	query := `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status step at } }`
	if b.c.subscriptionWithOrder {
		query = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status step at order { id status } } }`
	}
	wsClient := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext}}
	started := time.Now()
	subs, err := connectAll(ctx, wsClient, b.base, b.op, query, string(id), b.c.subscribers)
	if err != nil {
		return fanoutResult{}, nil, 0, err
	}
	defer closeAll(subs)
	fmt.Fprintf(os.Stderr, "%d subscribers connected in %s\n", len(subs), time.Since(started).Round(time.Millisecond))
	var peak int64
	sample := func() {
		if r, err := srv.rss(); err == nil && r > peak {
			peak = r
		}
	}
	sample()
	if b.c.profileDir != "" {
		// What the subscribers hold: the server's heap and goroutines.
		for _, p := range []string{"heap", "goroutine", "heap?debug=1"} {
			if err := saveProfile(b.client, b.base, b.c.profileDir, p); err != nil {
				return fanoutResult{}, nil, 0, err
			}
		}
	}
	mutations := [][]byte{
		gqlBody(`mutation { chooseRole(role: PARTNER) { userErrors { code message } } }`, nil),
		gqlBody(`mutation { startSetup { userErrors { code message } } }`, nil),
	}
	var (
		rs    []fanoutResult
		event json.RawMessage
	)
	for r := range b.c.runs {
		time.Sleep(500 * time.Millisecond) // let the previous round settle
		var wait func() error
		if b.c.profileDir != "" && r == 0 {
			wait = profile(b.client, b.base, b.c.profileDir, "fanout", time.Second)
			time.Sleep(100 * time.Millisecond)
		}
		res, payload, err := deliver(subs, func() error {
			out, err := b.post(link, mutations[r%len(mutations)])
			if err == nil && bytes.Contains(out, []byte(`"code"`)) {
				err = fmt.Errorf("%s", out)
			}
			return err
		}, 60*time.Second)
		if err != nil {
			return fanoutResult{}, nil, 0, err
		}
		sample()
		if wait != nil {
			if err := wait(); err != nil {
				return fanoutResult{}, nil, 0, err
			}
		}
		rs = append(rs, res)
		event = payload
		fmt.Fprintf(os.Stderr, "fan-out round %d: last %s p50 %s p99 %s\n", r+1, ms(res.last), ms(res.p50), ms(res.p99))
	}
	return medianFanout(rs), event, peak, nil
}
