package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"onramp/internal/app"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
)

// testEnv is one running Onramp on a fresh SQLite file, reached over real
// HTTP.
type testEnv struct {
	t   *testing.T
	app *app.App
	srv *httptest.Server
	// op is an operator token, for setting up and counting.
	op string
	// logs holds what the app logged, shown when the test fails.
	logs *testkit.SyncBuffer
}

// newEnv starts the app on a fresh data directory (dev mode off) behind an
// httptest server; both close when the test ends.
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	logs := &testkit.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := app.Defaults()
	// A fresh SQLite file in the test's directory; with
	// ONRAMP_TEST_DATABASE=postgres, a fresh PostgreSQL database instead.
	cfg.DataDir, cfg.DatabaseURL = storetest.Location(t)
	cfg.PublicURL = "http://127.0.0.1"
	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := a.Close(); err != nil {
			t.Errorf("close app: %v", err)
		}
		if t.Failed() {
			t.Logf("app log:\n%s", logs.String())
		}
	})
	e := &testEnv{t: t, app: a, srv: srv, logs: logs}
	e.op = e.operatorToken(time.Hour)
	return e
}

func (e *testEnv) operatorToken(ttl time.Duration) string {
	e.t.Helper()
	tok, err := e.app.Auth.IssueOperator("op", ttl)
	if err != nil {
		e.t.Fatalf("IssueOperator: %v", err)
	}
	return tok
}

func (e *testEnv) integrationToken(account string) string {
	e.t.Helper()
	tok, err := e.app.Auth.IssueIntegration(account, time.Hour)
	if err != nil {
		e.t.Fatalf("IssueIntegration(%q): %v", account, err)
	}
	return tok
}

func (e *testEnv) setupLink(orderID, email string) string {
	e.t.Helper()
	tok, err := e.app.Auth.IssueSetupLink(store.System(context.Background()), gid.ID(orderID), email)
	if err != nil {
		e.t.Fatalf("IssueSetupLink(%s): %v", orderID, err)
	}
	return tok
}

// gqlError is one entry of a GraphQL response's "errors".
type gqlError = testkit.Error

// response is an answer of the tests' shared client (testkit.Client), with
// the assertions these tests make on it.
type response testkit.Response

// hasData reports whether data is present and not null.
func (r response) hasData() bool {
	return len(r.Data) > 0 && string(r.Data) != "null"
}

// decode unmarshals the data into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if !r.hasData() {
		t.Fatalf("response has no data; errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// gql POSTs a GraphQL request; token "" sends no Authorization header.
func (e *testEnv) gql(t *testing.T, token, query string, vars map[string]any) response {
	t.Helper()
	return gqlAt(t, e.srv.URL, token, query, vars)
}

// gqlAt POSTs a GraphQL request to the server at base through the shared
// client, failing the test on a transport failure.
func gqlAt(t *testing.T, base, token, query string, vars map[string]any) response {
	t.Helper()
	c := testkit.Client{URL: base}
	r, err := c.Post(context.Background(), token, query, vars)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	return response(r)
}

// ok fails the test when the response carries errors or no data.
func (r response) ok(t *testing.T) response {
	t.Helper()
	if len(r.Errors) > 0 || !r.hasData() {
		t.Fatalf("unexpected errors (HTTP %d): %+v; data %s", r.Status, r.Errors, r.Data)
	}
	return r
}

// wantError asserts exactly one top-level error with code (and reason, when
// not empty), and checks its message leaks nothing internal.
func (r response) wantError(t *testing.T, code, reason string) gqlError {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want exactly one error with code %s, got %d: %+v (data %s)", code, len(r.Errors), r.Errors, r.Data)
	}
	got := r.Errors[0]
	if got.Extensions.Code != code {
		t.Errorf("extensions.code = %q, want %q (message %q)", got.Extensions.Code, code, got.Message)
	}
	if got.Extensions.Reason != reason {
		t.Errorf("extensions.reason = %q, want %q (message %q)", got.Extensions.Reason, reason, got.Message)
	}
	assertNoLeak(t, got.Message)
	return got
}

// assertNoLeak fails when an error message shows internals.
func assertNoLeak(t *testing.T, msg string) {
	t.Helper()
	lower := strings.ToLower(msg)
	for _, bad := range []string{"sql", "ent:", "goroutine", ".go:", "/work/", "panic", "msgpack", "base64", "runtime error"} {
		if strings.Contains(lower, bad) {
			t.Errorf("error message leaks internals (%q): %q", bad, msg)
		}
	}
}

// --- orders -----------------------------------------------------------------

const placeOrderMutation = `mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id externalID partnerAccountID customerCountry provisioningContactEmail status }
    userErrors { field message code }
  }
}`

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

type orderView struct {
	ID                       string `json:"id"`
	ExternalID               string `json:"externalID"`
	PartnerAccountID         string `json:"partnerAccountID"`
	CustomerCountry          string `json:"customerCountry"`
	ProvisioningContactEmail string `json:"provisioningContactEmail"`
	Status                   string `json:"status"`
}

type placeResult struct {
	PlaceOrder struct {
		Order      *orderView  `json:"order"`
		UserErrors []userError `json:"userErrors"`
	} `json:"placeOrder"`
}

// today is the UTC date the server validates start dates against.
func today() time.Time { return time.Now().UTC() }

func isoDate(t time.Time) string { return t.Format("2006-01-02") }

// orderInput returns a valid placeOrder input for a partner account.
func orderInput(externalID, account string) map[string]any {
	return map[string]any{
		"externalId":               externalID,
		"product":                  "A_WX",
		"requestedStartDate":       isoDate(today().AddDate(0, 0, 7)),
		"provisioningContactEmail": "provisioning@partner.example",
		"partner":                  map[string]any{"name": "Partner " + account, "accountId": account},
		"customer": map[string]any{
			"name":    "Acme d.o.o.",
			"country": "RS",
			"address": map[string]any{
				"line1":      "Bulevar 1",
				"city":       "Beograd",
				"postalCode": "11000",
			},
		},
		"services": []any{
			map[string]any{"kind": "MEETINGS", "quantity": 10},
			map[string]any{"kind": "CALLING", "quantity": 5},
		},
	}
}

// place runs placeOrder with token and returns the raw response.
func (e *testEnv) place(t *testing.T, token string, input map[string]any) response {
	t.Helper()
	return e.gql(t, token, placeOrderMutation, map[string]any{"input": input})
}

// mustPlace places an order with the operator token and returns it.
func (e *testEnv) mustPlace(t *testing.T, input map[string]any) orderView {
	t.Helper()
	var res placeResult
	e.place(t, e.op, input).ok(t).decode(t, &res)
	if len(res.PlaceOrder.UserErrors) > 0 || res.PlaceOrder.Order == nil {
		t.Fatalf("placeOrder: userErrors %+v", res.PlaceOrder.UserErrors)
	}
	return *res.PlaceOrder.Order
}

// storedExternalIDs lists every stored order as "account/externalId", read
// with the operator token.
func (e *testEnv) storedExternalIDs(t *testing.T) []string {
	t.Helper()
	var res struct {
		Orders struct {
			TotalCount int `json:"totalCount"`
			Edges      []struct {
				Node orderView `json:"node"`
			} `json:"edges"`
		} `json:"orders"`
	}
	e.gql(t, e.op, `{ orders(first: 100) { totalCount edges { node { externalID partnerAccountID } } } }`, nil).ok(t).decode(t, &res)
	out := make([]string, 0, len(res.Orders.Edges))
	for _, ed := range res.Orders.Edges {
		out = append(out, ed.Node.PartnerAccountID+"/"+ed.Node.ExternalID)
	}
	if len(out) != res.Orders.TotalCount {
		t.Fatalf("orders: %d edges but totalCount %d", len(out), res.Orders.TotalCount)
	}
	slices.Sort(out)
	return out
}

// countOrders returns how many orders are stored (operator's view).
func (e *testEnv) countOrders(t *testing.T) int {
	t.Helper()
	return len(e.storedExternalIDs(t))
}

// --- tokens -------------------------------------------------------------------

// jwtParts splits a compact JWT.
func jwtParts(t *testing.T, tok string) (header, payload, sig string) {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("not a compact JWT: %q", tok)
	}
	return p[0], p[1], p[2]
}

// jwtHeader decodes the header of a compact JWT.
func jwtHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	h, _, _ := jwtParts(t, tok)
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("decode header: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode header: %v", err)
	}
	return m
}

// tamper flips one character in the middle of the signature (the last
// character may only carry padding bits, which lenient base64 ignores).
func tamper(t *testing.T, tok string) string {
	t.Helper()
	h, p, s := jwtParts(t, tok)
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return fmt.Sprintf("%s.%s.%s", h, p, b)
}
