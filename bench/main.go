// Command bench measures Onramp on this machine: GraphQL operations against a
// plain handler of the same process that returns a body of the same size, so
// the figures are ratios measured side by side in one run.
//
//	go run ./bench [-workers 32] [-duration 2s] [-runs 5] [-orders 2000]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"onramp/ent/schema/schematype"
	"onramp/internal/app"
	"onramp/internal/date"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

func main() {
	workers := flag.Int("workers", 32, "concurrent clients")
	duration := flag.Duration("duration", 2*time.Second, "length of one run")
	runs := flag.Int("runs", 5, "runs per case; figures are medians")
	nOrders := flag.Int("orders", 2000, "orders placed before the read cases")
	flag.Parse()
	if err := run(*workers, *duration, *runs, *nOrders); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type benchCase struct {
	name string
	// body returns the request body of the i-th request (nil for GET).
	body  func(i int64) []byte
	path  string
	token string
	// tokenFor, when set, picks the i-th request's token.
	tokenFor func(i int64) string
}

type result struct {
	rps      float64
	p50, p99 time.Duration
}

func run(workers int, duration time.Duration, runs, nOrders int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "onramp-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := app.Defaults()
	cfg.DataDir = dir
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	op, _ := a.Auth.IssueOperator("bench", time.Hour)
	integ, _ := a.Auth.IssueIntegration("P1", time.Hour)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	var plainBody atomic.Pointer[[]byte]
	mux := http.NewServeMux()
	mux.Handle("/", a.Handler())
	mux.HandleFunc("/plain", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*plainBody.Load())
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2}}
	post := func(token string, body []byte) ([]byte, error) {
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	placeBody := func(i int64) []byte {
		b, _ := json.Marshal(map[string]any{
			"query": `mutation($in: PlaceOrderInput!){ placeOrder(input:$in){ order{ id } userErrors{ code } } }`,
			"variables": map[string]any{"in": map[string]any{
				"externalId": fmt.Sprintf("B-%d-%d", time.Now().UnixNano(), i), "product": "A_WX",
				"requestedStartDate":       time.Now().UTC().Format("2006-01-02"),
				"provisioningContactEmail": "setup@partner.example",
				"partner":                  map[string]any{"name": "Partner One", "accountId": "P1"},
				"customer":                 map[string]any{"name": "Acme", "country": "RS", "address": map[string]any{"line1": "Main 1", "city": "Beograd", "postalCode": "11000"}},
				"services":                 []map[string]any{{"kind": "MEETINGS", "quantity": 10}},
			}},
		})
		return b
	}
	for i := range nOrders {
		out, err := post(integ, placeBody(int64(i)))
		if err != nil || !bytes.Contains(out, []byte(`"userErrors":[]`)) {
			return fmt.Errorf("seeding orders: %v %s", err, out)
		}
	}

	viewerQ, _ := json.Marshal(map[string]string{"query": `{ viewer { kind partnerAccountId } }`})
	ordersQ, _ := json.Marshal(map[string]string{"query": `{ orders(first: 50) { totalCount edges { node { id externalID status requestedStartDate customerName } } pageInfo { endCursor hasNextPage } } }`})
	sample, err := post(integ, viewerQ)
	if err != nil {
		return err
	}
	plainBody.Store(&sample)

	links, err := setupLinks(ctx, a, 64)
	if err != nil {
		return err
	}
	setupQ, _ := json.Marshal(map[string]string{"query": `{ setup { step email next order { id status } } }`})
	stepQ, _ := json.Marshal(map[string]string{"query": `mutation { chooseRole(role: PARTNER) { setup { step } userErrors { code } } }`})

	cases := []benchCase{
		{name: "plain handler (same-size JSON)", path: "/plain"},
		{name: "viewer query (integration token)", path: "/graphql", token: integ, body: func(int64) []byte { return viewerQ }},
		{name: "setup query (setup link)", path: "/graphql", token: links[0], body: func(int64) []byte { return setupQ }},
		{name: "orders page of 50 (operator)", path: "/graphql", token: op, body: func(int64) []byte { return ordersQ }},
		{name: "wizard step mutation (chooseRole)", path: "/graphql", body: func(int64) []byte { return stepQ },
			tokenFor: func(i int64) string { return links[i%int64(len(links))] }},
		{name: "placeOrder (integration)", path: "/graphql", token: integ, body: placeBody},
	}
	results := make([]result, len(cases))
	for ci, c := range cases {
		var rs []result
		for range runs {
			r, err := load(client, base, c, workers, duration)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			rs = append(rs, r)
		}
		results[ci] = median(rs)
	}

	flowRates := make([]float64, 0, runs)
	for range runs {
		n, err := flows(ctx, a, post, op, 8, duration)
		if err != nil {
			return fmt.Errorf("complete flows: %w", err)
		}
		flowRates = append(flowRates, float64(n)/duration.Seconds())
	}
	slices.Sort(flowRates)

	fmt.Printf("Onramp bench: SQLite, %d orders, %d workers, %d runs of %s each (medians)\n\n", nOrders, workers, runs, duration)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\treq/s\tp50\tp99\tratio to plain")
	for i, c := range cases {
		r := results[i]
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%.3f\n", c.name, r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.rps/results[0].rps)
	}
	tw.Flush()
	fmt.Printf("\ncomplete wizard flows (existing partner org, 8 concurrent): %.1f flows/s (median)\n", flowRates[len(flowRates)/2])
	return nil
}

// load runs one case for d with n concurrent clients.
func load(client *http.Client, base string, c benchCase, n int, d time.Duration) (result, error) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		lats    []time.Duration
		counter atomic.Int64
		failed  atomic.Value
	)
	deadline := time.Now().Add(d)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				i := counter.Add(1)
				var req *http.Request
				if c.body == nil {
					req, _ = http.NewRequest(http.MethodGet, base+c.path, nil)
				} else {
					req, _ = http.NewRequest(http.MethodPost, base+c.path, bytes.NewReader(c.body(i)))
					req.Header.Set("Content-Type", "application/json")
					tok := c.token
					if c.tokenFor != nil {
						tok = c.tokenFor(i)
					}
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) {
					failed.Store(fmt.Errorf("status %d: %s", resp.StatusCode, body))
					return
				}
				local = append(local, time.Since(start))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return result{}, err
	}
	if len(lats) == 0 {
		return result{}, fmt.Errorf("no request completed")
	}
	slices.Sort(lats)
	return result{
		rps: float64(len(lats)) / d.Seconds(),
		p50: lats[len(lats)/2],
		p99: lats[len(lats)*99/100],
	}, nil
}

func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return result{
		rps: pick(func(r result) float64 { return r.rps }),
		p50: time.Duration(pick(func(r result) float64 { return float64(r.p50) })),
		p99: time.Duration(pick(func(r result) float64 { return float64(r.p99) })),
	}
}

// setupLinks places n orders (start date in a week, so no mail goes out)
// and issues a setup link for each.
func setupLinks(ctx context.Context, a *app.App, n int) ([]string, error) {
	opCtx := viewer.NewContext(ctx, &viewer.Viewer{Kind: viewer.Operator, Subject: "bench"})
	links := make([]string, n)
	for i := range links {
		o, err := a.Orders.Place(opCtx, benchOrder(fmt.Sprintf("L-%d-%d", time.Now().UnixNano(), i), "P1", 7))
		if err != nil {
			return nil, err
		}
		if links[i], err = a.Auth.IssueSetupLink(store.System(ctx), o.ID, "setup@partner.example"); err != nil {
			return nil, err
		}
	}
	return links, nil
}

func benchOrder(ext, account string, daysAhead int) orders.PlaceInput {
	return orders.PlaceInput{
		ExternalID: ext, Product: "A_WX",
		RequestedStartDate:       date.Of(time.Now().UTC().AddDate(0, 0, daysAhead)),
		ProvisioningContactEmail: "setup@partner.example",
		Partner:                  orders.PartnerInput{Name: "Bench Partner", AccountID: account},
		Customer: orders.CustomerInput{Name: "Bench Customer", Country: "RS",
			Address: schematype.Address{Line1: "Main 1", City: "Beograd", PostalCode: "11000"}},
		Services: []schematype.PurchasedService{{Kind: schematype.Meetings, Quantity: 10}, {Kind: schematype.Calling, Quantity: 5}},
	}
}

var flowSeq atomic.Int64

// flows runs complete wizard flows over HTTP for d with n concurrent
// clients, for a partner account whose organization exists (no password
// step), and returns how many finished.
func flows(ctx context.Context, a *app.App, post func(token string, body []byte) ([]byte, error), op string, n int, d time.Duration) (int64, error) {
	opCtx := viewer.NewContext(ctx, &viewer.Viewer{Kind: viewer.Operator, Subject: "bench"})
	flow := func() error {
		i := flowSeq.Add(1)
		o, err := a.Orders.Place(opCtx, benchOrder(fmt.Sprintf("F-%d-%d", time.Now().UnixNano(), i), "FLOWS", 7))
		if err != nil {
			return err
		}
		link, err := a.Auth.IssueSetupLink(store.System(ctx), o.ID, "setup@flows.example")
		if err != nil {
			return err
		}
		for _, q := range []string{
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
		} {
			body, _ := json.Marshal(map[string]string{"query": q})
			out, err := post(link, body)
			if err != nil {
				return err
			}
			if bytes.Contains(out, []byte(`"errors"`)) || (bytes.Contains(out, []byte(`"code"`)) && !bytes.Contains(out, []byte(`"code":"WRONG_STEP"`))) {
				return fmt.Errorf("%s: %s", q, out)
			}
		}
		return nil
	}
	// The first flow creates the partner organization (and sets its
	// password); the measured ones find it existing.
	if err := flow(); err != nil {
		return 0, err
	}
	var (
		done   atomic.Int64
		wg     sync.WaitGroup
		failed atomic.Value
	)
	deadline := time.Now().Add(d)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := flow(); err != nil {
					failed.Store(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return 0, err
	}
	return done.Load(), nil
}
