package app_test

// Attacks on the GraphQL endpoint, each aimed at one defence and each
// failing when that defence is removed: query limits refused before
// execution, oversized bodies, CSRF request shapes, websocket origins and
// connection_init, tokens expiring on an open socket, goroutine leaks,
// introspection and suggestions outside dev mode, non-leaking internal
// errors, and hostile "kid" headers. The basic cases of transport_test.go
// (an oversized body with a length, a foreign Origin, 4403 for no or a bad
// token) are not repeated.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/golang-jwt/jwt/v5"

	"onramp/ent/signingkey"
	"onramp/graph"
	"onramp/internal/app"
	"onramp/internal/auth"
	"onramp/internal/clock"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
	"onramp/internal/testkit/apptest"
	"onramp/internal/throttle"
)

// attackPost sends body to /graphql with a content type and the operator's
// token, and returns the status and the decoded answer.
func attackPost(t *testing.T, base, token, contentType string, body io.Reader, contentLength int64) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = contentLength
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, resp.Header, out
}

// errorCodes lists the extensions.code of every error of an answer.
func errorCodes(out map[string]any) []string {
	var codes []string
	errs, _ := out["errors"].([]any)
	for _, e := range errs {
		ext, _ := e.(map[string]any)["extensions"].(map[string]any)
		code, _ := ext["code"].(string)
		codes = append(codes, code)
	}
	return codes
}

func errorMessages(out map[string]any) string {
	var msgs []string
	errs, _ := out["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)["message"].(string)
		msgs = append(msgs, m)
	}
	return strings.Join(msgs, " | ")
}

// placeOnce is one placeOrder selection, the side effect every "refused
// before execution" case carries: had the operation run, an order exists.
const placeOnce = `placeOrder(input: $in) { order { id } }`

// TestAttackLimitsRefuseBeforeExecution sends mutations that would place an
// order but break one limit each: the limit's code comes back, there is no
// data, and no order was placed.
func TestAttackLimitsRefuseBeforeExecution(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true}) // the default limits: complexity 500, depth 12, 5000 tokens

	var aliases strings.Builder
	for i := range 260 {
		fmt.Fprintf(&aliases, " a%d: placeOrder(input: $in) { __typename }", i)
	}
	nested := "id"
	for range 8 {
		nested = "subscription { order { " + nested + " } }"
	}
	tokens := strings.Repeat(" __typename", 5000)

	for i, tc := range []struct {
		name, query, code, message string
	}{
		// Pages nested in pages: a hundred audit events, each with its
		// order's hundred audit events.
		{"complexity", `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order {
			auditEvents(first: 100) { edges { node { order {
				auditEvents(first: 100) { edges { node { id at action actorKind actor tokenID orderID } } } } } } } } } }`,
			"COMPLEXITY_LIMIT_EXCEEDED", "complexity"},
		{"alias flood", `mutation($in: PlaceOrderInput!) {` + aliases.String() + ` }`, "COMPLEXITY_LIMIT_EXCEEDED", "complexity"},
		{"depth", `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { ` + nested + ` } } }`,
			"DEPTH_LIMIT_EXCEEDED", "deeper than the limit of 12"},
		{"token limit", `mutation($in: PlaceOrderInput!) { ` + placeOnce + tokens + ` }`, "GRAPHQL_PARSE_FAILED", "token limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ext := fmt.Sprintf("LIMIT-%d", i)
			in := map[string]any{"in": apptest.OrderInput(ext, "P1")}
			r := e.GQL(t, e.Op, tc.query, in)
			if r.HasData() {
				t.Errorf("a refused operation returned data: %s", r.Data)
			}
			if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.code || !strings.Contains(r.Errors[0].Message, tc.message) {
				t.Errorf("errors %+v, want one %s error about %q", r.Errors, tc.code, tc.message)
			}
			// A request error, not a result: 400 with
			// application/graphql-response+json (gql asks for it).
			if r.Status != http.StatusBadRequest {
				t.Errorf("HTTP %d, want 400", r.Status)
			}
			if ids := e.StoredExternalIDs(t); slices.Contains(ids, "P1/"+ext) {
				t.Fatalf("order %s placed: the operation ran", ext)
			}
		})
	}
	// The same kinds of mutation within the limits run (so the cases
	// above were refused for their excess only).
	in := map[string]any{"in": apptest.OrderInput("LIMIT-OK", "P1")}
	e.GQL(t, e.Op, `mutation($in: PlaceOrderInput!) { a: placeOrder(input: $in) { __typename }
		b: placeOrder(input: $in) { order { auditEvents(first: 100) { edges { node { order { id } } } } } } }`, in).OK(t)
	if ids := e.StoredExternalIDs(t); !slices.Equal(ids, []string{"P1/LIMIT-OK"}) {
		t.Fatalf("orders %v, want only the one within the limits", ids)
	}
}

// TestAttackOversizedBodies: a body over the limit is refused with 413 and
// not executed, whether its length is announced or it arrives chunked, and
// a websocket message over the limit closes the socket.
func TestAttackOversizedBodies(t *testing.T) {
	s := apptest.Serve(t, func(c *app.Config) { c.MaxBodyBytes = 4096 })
	op, _ := s.App.Auth.IssueOperator("op", time.Hour)
	body, _ := json.Marshal(map[string]any{
		"query":      `mutation($in: PlaceOrderInput!) { ` + placeOnce + ` }`,
		"variables":  map[string]any{"in": apptest.OrderInput("BIG-1", "P1")},
		"extensions": map[string]any{"pad": strings.Repeat("x", 8000)},
	})
	for _, tc := range []struct {
		name   string
		length int64
	}{
		{"announced length", int64(len(body))},
		{"chunked, no length", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A plain reader (not a *bytes.Reader) keeps net/http from
			// filling in the length.
			status, _, out := attackPost(t, s.URL, op, "application/json", io.MultiReader(bytes.NewReader(body)), tc.length)
			if status != http.StatusRequestEntityTooLarge {
				t.Fatalf("HTTP %d %v, want 413", status, out)
			}
			if codes := errorCodes(out); len(codes) != 1 || codes[0] != "BODY_TOO_LARGE" {
				t.Fatalf("codes %v, want BODY_TOO_LARGE", codes)
			}
		})
	}
	if n := countOrdersAt(t, s, op); n != 0 {
		t.Fatalf("%d orders placed by oversized bodies", n)
	}

	t.Run("a websocket message over 1 MiB closes the socket", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c := initSocket(t, ctx, s, op)
		defer c.CloseNow()
		big, _ := json.Marshal(map[string]any{"query": "{ viewer { kind } }", "extensions": map[string]any{"pad": strings.Repeat("x", 1<<20)}})
		_ = wsjson.Write(ctx, c, apptest.WSMessage{ID: "1", Type: "subscribe", Payload: big})
		for {
			var m apptest.WSMessage
			err := wsjson.Read(ctx, c, &m)
			if err == nil {
				if m.Type == "next" {
					t.Fatalf("an oversized message was executed: %s", m.Payload)
				}
				continue
			}
			if st := websocket.CloseStatus(err); st != websocket.StatusMessageTooBig && !errors.Is(err, io.EOF) && ctx.Err() != nil {
				t.Fatalf("socket after an oversized message: %v", err)
			}
			return
		}
	})
}

// countOrdersAt counts the orders an operator sees on a serving app.
func countOrdersAt(t *testing.T, s *apptest.Server, op string) int {
	t.Helper()
	q, _ := json.Marshal(map[string]string{"query": "{ orders { totalCount } }"})
	status, _, out := attackPost(t, s.URL, op, "application/json", bytes.NewReader(q), int64(len(q)))
	data, _ := out["data"].(map[string]any)
	orders, _ := data["orders"].(map[string]any)
	n, ok := orders["totalCount"].(float64)
	if status != http.StatusOK || !ok {
		t.Fatalf("count orders: HTTP %d %v", status, out)
	}
	return int(n)
}

// TestAttackCSRFShapes sends a valid placeOrder in every shape a browser
// can send across sites without a preflight (GET, text/plain, form posts),
// and as a JSON batch: each is refused and places nothing, even with a
// valid token attached.
func TestAttackCSRFShapes(t *testing.T) {
	s := apptest.Serve(t, nil)
	op, _ := s.App.Auth.IssueOperator("op", time.Hour)
	query := `mutation($in: PlaceOrderInput!) { ` + placeOnce + ` }`
	vars, _ := json.Marshal(map[string]any{"in": apptest.OrderInput("CSRF-1", "P1")})
	one, _ := json.Marshal(map[string]any{"query": query, "variables": json.RawMessage(vars)})

	t.Run("mutation over GET", func(t *testing.T) {
		u := s.URL + "/graphql?" + url.Values{"query": {query}, "variables": {string(vars)}}.Encode()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+op)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Fatalf("HTTP %d (Allow %q), want 405 with Allow: POST", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})

	form := url.Values{"query": {query}, "variables": {string(vars)}}.Encode()
	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	_ = mw.WriteField("operations", string(one))
	_ = mw.WriteField("map", "{}")
	_ = mw.Close()
	batch := "[" + string(one) + "," + string(one) + "]"
	for _, tc := range []struct{ name, contentType, body string }{
		{"text/plain", "text/plain", string(one)},
		{"text/plain with charset", "text/plain;charset=UTF-8", string(one)},
		{"urlencoded form", "application/x-www-form-urlencoded", form},
		{"multipart form", mw.FormDataContentType(), multi.String()},
		{"application/graphql", "application/graphql", query},
		{"JSON array batch", "application/json", batch},
		{"no content type", "", string(one)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, out := attackPost(t, s.URL, op, tc.contentType, strings.NewReader(tc.body), int64(len(tc.body)))
			if status < 400 || status >= 500 {
				t.Fatalf("HTTP %d %v, want a 4xx refusal", status, out)
			}
			if data, ok := out["data"]; ok && data != nil {
				t.Fatalf("answered with data: %v", data)
			}
		})
	}
	if n := countOrdersAt(t, s, op); n != 0 {
		t.Fatalf("%d orders placed by cross-site shapes", n)
	}
	// The same mutation as application/json does place it.
	status, _, out := attackPost(t, s.URL, op, "application/json", bytes.NewReader(one), int64(len(one)))
	if status != http.StatusOK || len(errorCodes(out)) != 0 || countOrdersAt(t, s, op) != 1 {
		t.Fatalf("the JSON mutation: HTTP %d %v", status, out)
	}
}

// TestAttackWebsocketOrigins: a browser page of another origin cannot open
// a socket, however it dresses its Origin up.
func TestAttackWebsocketOrigins(t *testing.T) {
	s := apptest.Serve(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u, _ := url.Parse(s.URL)
	for _, origin := range []string{
		"null",
		"http://" + u.Host + ".evil.example",
		"http://evil.example/" + u.Host,
		"http://evil.example?" + u.Host,
		"http://" + u.Hostname() + ":1",
		"http://localhost:" + u.Port(),
		"http://user@evil.example",
		"file://",
	} {
		t.Run(origin, func(t *testing.T) {
			c, resp, err := websocket.Dial(ctx, s.WSURL(), &websocket.DialOptions{
				Subprotocols: []string{"graphql-transport-ws"},
				HTTPHeader:   http.Header{"Origin": {origin}},
			})
			if err == nil {
				c.CloseNow()
				t.Fatalf("Origin %q was let in", origin)
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("Origin %q: %v %v, want 403", origin, resp, err)
			}
		})
	}
}

// initSocket opens a socket and passes connection_init with token.
func initSocket(t *testing.T, ctx context.Context, s *apptest.Server, token string) *websocket.Conn {
	t.Helper()
	c := s.DialWS(t, ctx, "")
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := wsjson.Write(ctx, c, apptest.WSMessage{Type: "connection_init", Payload: init}); err != nil {
		t.Fatal(err)
	}
	var ack apptest.WSMessage
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %+v %v", ack, err)
	}
	return c
}

// TestAttackConnectionInit: every connection_init without a good token is
// closed with 4403 (which the wizard's client does not retry, see
// frontend/src/api/api.test.ts), and a socket that skips connection_init is
// closed without running anything.
func TestAttackConnectionInit(t *testing.T) {
	s := apptest.Serve(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	expired, _ := s.App.Auth.IssueOperator("op", -time.Hour)
	op, _ := s.App.Auth.IssueOperator("op", time.Hour)
	for _, tc := range []struct{ name, frame string }{
		{"no payload", `{"type":"connection_init"}`},
		{"null payload", `{"type":"connection_init","payload":null}`},
		{"payload a string", `{"type":"connection_init","payload":"Bearer ` + op + `"}`},
		{"payload an array", `{"type":"connection_init","payload":["Bearer ` + op + `"]}`},
		{"token not a string", `{"type":"connection_init","payload":{"Authorization":42}}`},
		{"empty bearer", `{"type":"connection_init","payload":{"Authorization":"Bearer "}}`},
		{"an expired token", `{"type":"connection_init","payload":{"Authorization":"Bearer ` + expired + `"}}`},
		{"a tampered token", `{"type":"connection_init","payload":{"token":"` + apptest.Tamper(t, op) + `"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.DialWS(t, ctx, "")
			defer c.CloseNow()
			if err := c.Write(ctx, websocket.MessageText, []byte(tc.frame)); err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			defer rcancel()
			for {
				var m apptest.WSMessage
				err := wsjson.Read(rctx, c, &m)
				if err == nil {
					if m.Type == "connection_ack" || m.Type == "next" {
						t.Fatalf("got %s", m.Type)
					}
					continue // a connection_error frame may come first
				}
				if got := websocket.CloseStatus(err); got != 4403 {
					t.Fatalf("close status = %d (%v), want 4403", got, err)
				}
				return
			}
		})
	}

	t.Run("subscribe before connection_init", func(t *testing.T) {
		c := s.DialWS(t, ctx, "")
		defer c.CloseNow()
		q, _ := json.Marshal(map[string]string{"query": "{ viewer { kind } }"})
		if err := wsjson.Write(ctx, c, apptest.WSMessage{ID: "1", Type: "subscribe", Payload: q}); err != nil {
			t.Fatal(err)
		}
		for {
			var m apptest.WSMessage
			err := wsjson.Read(ctx, c, &m)
			if err == nil {
				if m.Type == "next" || m.Type == "connection_ack" {
					t.Fatalf("an unauthenticated subscribe got %s %s", m.Type, m.Payload)
				}
				continue
			}
			if websocket.CloseStatus(err) == -1 {
				t.Fatalf("the socket ended without a close frame: %v", err)
			}
			return
		}
	})
}

// TestAttackTokenExpiresMidSubscription: a socket lives no longer than the
// token it was opened with.
func TestAttackTokenExpiresMidSubscription(t *testing.T) {
	s := apptest.Serve(t, nil)
	op, _ := s.App.Auth.IssueOperator("op", time.Hour)
	id := placeAt(t, s, op, "EXP-1")
	short, _ := s.App.Auth.IssueOperator("op", 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opened := time.Now()
	_, events := s.SubscribeStatus(t, ctx, short, id)
	if e := apptest.NextEvent(t, events, 10*time.Second); e.Err != nil || e.Status == "" {
		t.Fatalf("first event %s, want the order's state", e)
	}
	for {
		select {
		case e, ok := <-events:
			switch {
			case !ok:
				t.Fatal("the event stream ended without the socket's close")
			case e.Err != nil:
				if websocket.CloseStatus(e.Err) == -1 {
					t.Fatalf("the socket ended without a close frame: %v", e.Err)
				}
				if d := time.Since(opened); d > 4*time.Second {
					t.Fatalf("the socket closed %s after opening with a 2 s token", d)
				}
				return
			case e.Complete:
			default:
				t.Fatalf("unexpected event %s", e)
			}
		case <-time.After(8 * time.Second):
			t.Fatal("the socket is still open 8 s after its token expired")
		}
	}
}

// placeAt places an order with the operator token and returns its id.
func placeAt(t *testing.T, s *apptest.Server, op, ext string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": apptest.PlaceOrderMutation, "variables": map[string]any{"input": apptest.OrderInput(ext, "P1")}})
	status, _, out := attackPost(t, s.URL, op, "application/json", bytes.NewReader(body), int64(len(body)))
	data, _ := out["data"].(map[string]any)
	po, _ := data["placeOrder"].(map[string]any)
	order, _ := po["order"].(map[string]any)
	id, _ := order["id"].(string)
	if status != http.StatusOK || id == "" {
		t.Fatalf("placeOrder: HTTP %d %v", status, out)
	}
	return id
}

// rawDialer remembers the TCP connections it makes, so a test can cut one
// without a close frame.
type rawDialer struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (d *rawDialer) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			d.mu.Lock()
			d.conns = append(d.conns, c)
			d.mu.Unlock()
		}
		return c, err
	}}}
}

func (d *rawDialer) cutAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		_ = c.Close()
	}
	d.conns = nil
}

// openSockets reads onramp_websockets_open from /metrics.
func openSockets(t *testing.T, s *apptest.Server) int {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^onramp_websockets_open (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no onramp_websockets_open in /metrics")
	}
	n, _ := strconv.ParseFloat(string(m[1]), 64)
	return int(n)
}

// waitNoSockets waits until no socket counts as open.
func waitNoSockets(t *testing.T, s *apptest.Server, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := openSockets(t, s)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d sockets still count as open", what, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ourGoroutines counts the process's goroutines other than River's: its
// leader election and maintenance services come and go on their own
// schedule, unrelated to sockets.
func ourGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var ours []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if !strings.Contains(g, "github.com/riverqueue/") {
			ours = append(ours, g)
		}
	}
	return len(ours), strings.Join(ours, "\n\n")
}

// settleGoroutines waits until our goroutines are back to at most want,
// and fails with a dump of them otherwise.
func settleGoroutines(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, dump := ourGoroutines()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d goroutines, the baseline allows %d:\n%s", what, n, want, dump)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAttackSocketGoroutinesReturnToBaseline opens and closes subscriptions
// a thousand times, then drops sockets abruptly (TCP closed, no close
// frame) at every stage: afterwards the process has no more goroutines than
// before and no socket counts as open.
func TestAttackSocketGoroutinesReturnToBaseline(t *testing.T) {
	s := apptest.Serve(t, nil)
	op, _ := s.App.Auth.IssueOperator("op", time.Hour)
	id := placeAt(t, s, op, "LEAK-1")
	link, err := s.App.Auth.IssueSetupLink(store.System(context.Background()), gid.ID(id), "setup@partner.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sub, _ := json.Marshal(map[string]any{"query": apptest.StatusSubscription, "variables": map[string]any{"id": id}})

	// cycle opens a socket, subscribes (a setup link also watches for
	// its revocation), reads the first event and ends as told.
	cycle := func(t *testing.T, token string, d *rawDialer, stage string) {
		opts := &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}}
		if d != nil {
			opts.HTTPClient = d.client()
		}
		c, _, err := websocket.Dial(ctx, s.WSURL(), opts)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.CloseNow()
		if d != nil && stage == "before init" {
			d.cutAll()
			return
		}
		init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
		var ack apptest.WSMessage
		if err := wsjson.Write(ctx, c, apptest.WSMessage{Type: "connection_init", Payload: init}); err != nil {
			t.Error(err)
			return
		}
		if err := wsjson.Read(ctx, c, &ack); err != nil || ack.Type != "connection_ack" {
			t.Errorf("connection_ack: %+v %v", ack, err)
			return
		}
		if d != nil && stage == "after init" {
			d.cutAll()
			return
		}
		if err := wsjson.Write(ctx, c, apptest.WSMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
			t.Error(err)
			return
		}
		for {
			var m apptest.WSMessage
			if err := wsjson.Read(ctx, c, &m); err != nil {
				t.Errorf("read: %v", err)
				return
			}
			if m.Type == "next" {
				break
			}
		}
		if d != nil {
			d.cutAll() // mid-subscription
			return
		}
		_ = wsjson.Write(ctx, c, apptest.WSMessage{ID: "1", Type: "complete"})
		_ = c.Close(websocket.StatusNormalClosure, "")
	}
	run := func(n int, f func(i int)) {
		var wg sync.WaitGroup
		next := make(chan int)
		for range 8 {
			wg.Go(func() {
				for i := range next {
					f(i)
				}
			})
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
	}

	// Warm up (pools, caches, the first reload of anything lazy), then
	// take the baseline.
	cycle(t, op, nil, "")
	cycle(t, link, nil, "")
	http.DefaultClient.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	baseline, _ := ourGoroutines()
	const slack = 3 // the database pools' own comings and goings

	run(1000, func(i int) {
		tok := op
		if i%2 == 1 {
			tok = link
		}
		cycle(t, tok, nil, "")
	})
	if t.Failed() {
		t.FailNow()
	}
	http.DefaultClient.CloseIdleConnections()
	settleGoroutines(t, baseline+slack, "1000 subscribe/close cycles")
	waitNoSockets(t, s, "1000 subscribe/close cycles")

	for _, stage := range []string{"before init", "after init", "mid-subscription"} {
		run(100, func(i int) {
			tok := op
			if i%2 == 1 {
				tok = link
			}
			cycle(t, tok, &rawDialer{}, stage)
		})
		if t.Failed() {
			t.FailNow()
		}
		http.DefaultClient.CloseIdleConnections()
		settleGoroutines(t, baseline+slack, "100 sockets dropped "+stage)
	}
	waitNoSockets(t, s, "abrupt drops")
}

// TestAttackIntrospectionAndSuggestions: outside dev mode the schema is not
// introspectable and no error names a field, type or value that exists;
// in dev mode both work (so the checks see them when they are on).
func TestAttackIntrospectionAndSuggestions(t *testing.T) {
	probes := []struct {
		name, query string
		vars        map[string]any
	}{
		{"__schema", `{ __schema { queryType { name } types { name } } }`, nil},
		{"__type", `{ __type(name: "Order") { fields { name } } }`, nil},
		{"misspelled field", `{ ordrs { totalCount } }`, nil},
		{"misspelled argument", `{ orders(frist: 1) { totalCount } }`, nil},
		{"misspelled type", `query($w: OrderWhereInpt) { orders(where: $w) { totalCount } }`, nil},
		{"misspelled enum value", `{ orders(first: 1, orderBy: {field: CREATED_AT, direction: ASCC}) { totalCount } }`, nil},
		{"misspelled input field", `mutation { placeOrder(input: {externalID: "x"}) { __typename } }`, nil},
	}
	leaks := regexp.MustCompile(`(?i)did you mean|"queryType"|"fields"`)
	for _, dev := range []bool{false, true} {
		t.Run(fmt.Sprintf("dev=%v", dev), func(t *testing.T) {
			s := apptest.Serve(t, func(c *app.Config) { c.Dev = dev })
			op, _ := s.App.Auth.IssueOperator("op", time.Hour)
			seen := 0
			for _, p := range probes {
				body, _ := json.Marshal(map[string]any{"query": p.query, "variables": p.vars})
				_, _, out := attackPost(t, s.URL, op, "application/json", bytes.NewReader(body), int64(len(body)))
				raw, _ := json.Marshal(out)
				leaked := leaks.Match(raw)
				if !dev && leaked {
					t.Errorf("%s outside dev mode: %s", p.name, raw)
				}
				if leaked {
					seen++
				}
			}
			if dev && seen < 4 {
				t.Errorf("dev mode: only %d of %d probes introspected or suggested", seen, len(probes))
			}
		})
	}
}

// attackHandler is the GraphQL handler as app.New builds it, over a running
// app's services, with a test-only field middleware that misbehaves for
// aliases named "panicking" and "constraint": the production code has no
// such switch.
func attackHandler(t *testing.T, e *apptest.Server, logs io.Writer) *httptest.Server {
	t.Helper()
	a := e.App
	srv := graph.NewHandler(graph.HandlerConfig{
		Resolver: &graph.Resolver{Client: a.Store.Client, Orders: a.Orders, Setup: a.Setup, Auth: a.Auth, Events: a.Events.Broker},
		Auth:     a.Auth,
		Log:      slog.New(slog.NewTextHandler(logs, nil)),
		Limits:   a.Config.Limits,
		Shutdown: context.Background(),
	})
	srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		switch graphql.GetFieldContext(ctx).Field.Alias {
		case "panicking":
			panic(`pq: SELECT * FROM signing_keys WHERE kid = '../../x' at /work/main/graph/handler.go:42`)
		case "constraint":
			key, err := a.Store.Client.SigningKey.Query().First(store.System(ctx))
			if err != nil {
				return nil, err
			}
			// A second key under the same kid breaks its unique index.
			return nil, a.Store.Client.SigningKey.Create().SetKid(key.Kid).SetAlgorithm("EdDSA").
				SetPublicKey(key.PublicKey).SetPrivateKey(key.PrivateKey).Exec(store.System(ctx))
		}
		return next(ctx)
	})
	hs := httptest.NewServer(a.Auth.Middleware(srv))
	t.Cleanup(hs.Close)
	return hs
}

// TestAttackInternalErrorsLeakNothing: a panicking resolver and a database
// constraint error both answer the generic INTERNAL error, with no SQL,
// file path, stack or value in it, over HTTP and on a subscription; the
// log keeps the details.
func TestAttackInternalErrorsLeakNothing(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	logs := &testkit.SyncBuffer{}
	hs := attackHandler(t, e, logs)
	id := e.MustPlace(t, apptest.OrderInput("INT-1", "P1")).ID
	leaky := regexp.MustCompile(`(?i)sql|select|signing|kid|unique|constraint|duplicate|violates|\.go|/work|goroutine|panic|pq:|sqlite|\.\./`)

	check := func(t *testing.T, raw []byte, errs []apptest.Error, path string) {
		t.Helper()
		if len(errs) != 1 {
			t.Fatalf("want one error, got %s", raw)
		}
		got := errs[0]
		if got.Extensions.Code != "INTERNAL" {
			t.Errorf("code %q, want INTERNAL: %s", got.Extensions.Code, raw)
		}
		if fmt.Sprint(got.Path) != path {
			t.Errorf("path %v, want %s", got.Path, path)
		}
		if m := leaky.FindString(got.Message + " " + fmt.Sprint(got.Extensions)); m != "" {
			t.Errorf("the answer leaks %q: %s", m, raw)
		}
		if strings.Contains(string(raw), "signing_keys") || strings.Contains(string(raw), "handler.go") {
			t.Errorf("the answer leaks internals: %s", raw)
		}
	}
	for _, alias := range []string{"panicking", "constraint"} {
		t.Run(alias+" over HTTP", func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": `{ ` + alias + `: viewer { kind } }`})
			req, _ := http.NewRequest(http.MethodPost, hs.URL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.Op)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var out apptest.Response
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			check(t, raw, out.Errors, "["+alias+"]")
		})
		t.Run(alias+" on a subscription", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.DialOptions{
				Subprotocols: []string{"graphql-transport-ws"}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + e.Op})
			var ack apptest.WSMessage
			if err := wsjson.Write(ctx, c, apptest.WSMessage{Type: "connection_init", Payload: init}); err != nil {
				t.Fatal(err)
			}
			if err := wsjson.Read(ctx, c, &ack); err != nil || ack.Type != "connection_ack" {
				t.Fatalf("connection_ack: %+v %v", ack, err)
			}
			q, _ := json.Marshal(map[string]any{
				"query":     `subscription($id: ID!) { ` + alias + `: orderStatusChanged(orderId: $id) { status } }`,
				"variables": map[string]any{"id": id},
			})
			if err := wsjson.Write(ctx, c, apptest.WSMessage{ID: "1", Type: "subscribe", Payload: q}); err != nil {
				t.Fatal(err)
			}
			for {
				var m apptest.WSMessage
				if err := wsjson.Read(ctx, c, &m); err != nil {
					t.Fatalf("read: %v", err)
				}
				switch m.Type {
				case "ping", "pong", "ka":
					continue
				case "next":
					var p struct {
						Errors []apptest.Error `json:"errors"`
					}
					_ = json.Unmarshal(m.Payload, &p)
					check(t, m.Payload, p.Errors, "["+alias+"]")
				case "error":
					var errs []apptest.Error
					_ = json.Unmarshal(m.Payload, &errs)
					check(t, m.Payload, errs, "["+alias+"]")
				default:
					t.Fatalf("unexpected %s %s", m.Type, m.Payload)
				}
				return
			}
		})
	}
	// The operator's log has what the caller was not shown.
	for _, want := range []string{"resolver panicked", "SELECT * FROM signing_keys", "goroutine", "request failed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
	if n, err := e.App.Store.Client.SigningKey.Query().Where(signingkey.RetiredAtIsNil()).Count(store.System(context.Background())); err != nil || n != 1 {
		t.Errorf("signing keys in use: %d %v, want the one", n, err)
	}
}

// TestAttackHostileKid: a token whose "kid" is a path, a query or garbage
// is UNAUTHENTICATED INVALID over HTTP and at connection_init, and no
// caller comes of it. (internal/auth's TestKidIsCheckedByFormFirst shows
// such a kid never reaches the database.)
func TestAttackHostileKid(t *testing.T) {
	s := apptest.Serve(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, kid := range []string{"../../x", "../../../../../../etc/passwd", "x'; DROP TABLE signing_keys; --", "/dev/stdin", "file:///etc/passwd"} {
		tok := forgedKidToken(t, s.App, kid)
		t.Run("HTTP "+kid, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": viewerQuery})
			_, _, out := attackPost(t, s.URL, tok, "application/json", bytes.NewReader(body), int64(len(body)))
			raw, _ := json.Marshal(out)
			var r apptest.Response
			_ = json.Unmarshal(raw, &r)
			r.WantError(t, "UNAUTHENTICATED", "INVALID")
			if r.HasData() && strings.Contains(string(r.Data), "OPERATOR") {
				t.Fatalf("a hostile kid made an operator: %s", r.Data)
			}
		})
		t.Run("socket "+kid, func(t *testing.T) {
			c := s.DialWS(t, ctx, "")
			defer c.CloseNow()
			init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + tok})
			_ = wsjson.Write(ctx, c, apptest.WSMessage{Type: "connection_init", Payload: init})
			for {
				var m apptest.WSMessage
				err := wsjson.Read(ctx, c, &m)
				if err == nil {
					if m.Type == "connection_ack" {
						t.Fatal("a hostile kid was acknowledged")
					}
					continue
				}
				if st := websocket.CloseStatus(err); st != 4403 {
					t.Fatalf("close %d %v, want 4403", st, err)
				}
				return
			}
		})
	}
}

// forgedKidToken signs operator claims with the server's own signing key
// (a signature that checks out) under a hostile kid.
func forgedKidToken(t *testing.T, a *app.App, kid string) string {
	t.Helper()
	key, err := a.Store.Client.SigningKey.Query().Where(signingkey.RetiredAtIsNil()).First(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "onramp", "aud": []string{"onramp:operator"}, "sub": "op", "jti": "0123456789abcdef0123456789abcdef",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = kid
	tok.Header["typ"] = "operator+jwt"
	signed, err := tok.SignedString(ed25519.PrivateKey(key.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestAttackFilterScope replays the filters that read outside the caller's
// scope through edge predicates (a hidden subdomain a character at a time,
// another partner's customers, operator-only escalation notes): no where-input
// offers them any more, so each is refused before anything runs.
// TestFilterScopeProperty proves the predicates that remain.
func TestAttackFilterScope(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := e.MustPlace(t, apptest.OrderInput("FS-1", "P1")).ID
	for _, tc := range []struct {
		name, token string
		where       map[string]any
	}{
		{"a setup link reads another customer's subdomain", e.SetupLink(t, id, "provisioning@partner.example"),
			map[string]any{"hasPartnerOrgWith": []any{map[string]any{"hasManagedCustomersWith": []any{map[string]any{"subdomainHasPrefix": "eps"}}}}}},
		{"an integration reads another partner's customers", e.Integration(t, "P2"),
			map[string]any{"hasCustomerOrgWith": []any{map[string]any{"hasManagersWith": []any{map[string]any{"accountID": "P1"}}}}}},
		{"an integration reads escalation notes", e.Integration(t, "P1"),
			map[string]any{"hasEscalationWith": []any{map[string]any{"noteContains": "fraud"}}}},
		{"an integration reads the subscription", e.Integration(t, "P1"),
			map[string]any{"hasSubscriptionWith": []any{map[string]any{"status": "ACTIVE"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.GQL(t, tc.token, `query($w: OrderWhereInput) { orders(where: $w) { totalCount } }`, map[string]any{"w": tc.where})
			if r.HasData() {
				t.Fatalf("the filter ran: %s", r.Data)
			}
			if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("errors %+v, want one GRAPHQL_VALIDATION_FAILED", r.Errors)
			}
		})
	}
}

// TestAttackLengthsInCharacters: text limits count characters everywhere,
// in the input checks and in the database's validators alike, so text of
// many-byte letters at the limit is stored, one character over is a
// userError, and nothing is INTERNAL.
func TestAttackLengthsInCharacters(t *testing.T) {
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	cyr := func(n int) string { return strings.Repeat("Ж", n) }
	for _, tc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"a customer name of 200 Cyrillic letters is placed", func(t *testing.T) {
			c.NewOrder(t, "LEN-1", "P1", func(in map[string]any) { in["customer"].(map[string]any)["name"] = cyr(200) })
		}},
		{"a customer name of 201 Cyrillic letters is a userError", func(t *testing.T) {
			in := apptest.OrderInput("LEN-2", "P1")
			in["customer"].(map[string]any)["name"] = cyr(201)
			var res apptest.PlaceResult
			c.GQL(t, c.Op, apptest.PlaceOrderMutation, map[string]any{"input": in}).OK(t).Decode(t, &res)
			apptest.WantCode(t, "placeOrder", res.PlaceOrder.UserErrors, "INVALID", "input", "customer", "name")
		}},
		{"a partner organization of 200 × ć confirms", func(t *testing.T) {
			id := c.NewOrder(t, "LEN-3", "P1", nil)
			link := c.Link(t, id, "ana@p1.example")
			c.Must(t, link, "startSetup", nil)
			c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
			c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
			c.Must(t, link, "confirmPartnerOrg", apptest.PartnerOrgVars(strings.Repeat("ć", 200)))
			c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "admin@len.example"))
			c.Must(t, link, "confirmCustomerOrg", apptest.Input())
			if s := c.Must(t, link, "confirmOrgs", nil); s.Order.Status != "ORGS_CONFIRMED" {
				t.Fatalf("confirmOrgs: status %s", s.Order.Status)
			}
		}},
		{"a hold note of 2000 × ć puts the order on hold", func(t *testing.T) {
			id := c.NewOrder(t, "LEN-4", "P1", nil)
			link := c.Link(t, id, "ana@p1.example")
			c.Must(t, link, "startSetup", nil)
			c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
			c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
			s := c.Must(t, link, "reportUnrecognizedOrganization", apptest.Input("organization", "PARTNER", "note", strings.Repeat("ć", 2000)))
			if s.Order.Status != "ON_HOLD" {
				t.Fatalf("status %s, want ON_HOLD", s.Order.Status)
			}
		}},
		{"an escalation resolved with a note of 2000 × ć", func(t *testing.T) {
			id := c.NewOrder(t, "LEN-5", "P1", nil)
			esc, err := c.App.Store.Client.Escalation.Create().SetOrderID(gid.ID(id)).SetReason("setup not started").Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				ResolveEscalation struct {
					UserErrors []apptest.UserError `json:"userErrors"`
				} `json:"resolveEscalation"`
			}
			c.GQL(t, c.Op, `mutation($id: ID!, $n: String) { resolveEscalation(id: $id, note: $n) { userErrors { field code message } } }`,
				map[string]any{"id": string(esc.ID), "n": strings.Repeat("ć", 2000)}).OK(t).Decode(t, &out)
			if len(out.ResolveEscalation.UserErrors) > 0 {
				t.Fatalf("userErrors %+v", out.ResolveEscalation.UserErrors)
			}
		}},
	} {
		t.Run(tc.name, tc.run)
	}
}

// signInAnswer is one signIn's token and userError codes.
func signInAnswer(t *testing.T, c *apptest.Server, email, password string) (string, []string) {
	t.Helper()
	tok, errs := c.SignIn(t, email, password)
	var codes []string
	for _, e := range errs {
		codes = append(codes, e.Code)
		apptest.AssertNoLeak(t, e.Message)
	}
	return tok, codes
}

// TestAttackSignInLimits: one signIn a request; wrong passwords slow down
// the email and the client address with a growing delay; password hashing
// runs in a bounded pool.
func TestAttackSignInLimits(t *testing.T) {
	t.Run("aliases try one password at most", func(t *testing.T) {
		c := apptest.Start(t, apptest.Options{HandlerOnly: true})
		for _, n := range []int{2, 240} {
			var q strings.Builder
			q.WriteString("mutation {")
			for i := range n {
				fmt.Fprintf(&q, ` a%d: signIn(email: "victim@p1.example", password: "guess-%d-xxxxxxx") { token }`, i, i)
			}
			q.WriteString(" }")
			r := c.GQL(t, "", q.String(), nil)
			if r.HasData() || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "TOO_MANY_SIGN_INS" {
				t.Fatalf("%d signIn aliases: data %s, errors %+v; want one TOO_MANY_SIGN_INS and nothing run", n, r.Data, r.Errors)
			}
		}
	})

	// The throttles run on the app's clock: a stub here, so that how long
	// a hash takes on a busy machine cannot let a delay pass unseen.
	t.Run("wrong passwords make the email wait, also for the right one", func(t *testing.T) {
		c := apptest.Start(t, apptest.Options{HandlerOnly: true, Clock: clock.NewStub(apptest.MailEpoch)})
		d := c.Provisioned(t, "SI-1", "P1", "ana@p1.example", "admin@acme.example", "signinsite")
		for i := range 5 {
			if tok, codes := signInAnswer(t, c, d.PartnerAdmin, fmt.Sprintf("wrong-password-%d", i)); tok != "" || !slices.Equal(codes, []string{"INVALID_CREDENTIALS"}) {
				t.Fatalf("wrong password %d: token %q, codes %v", i, tok, codes)
			}
		}
		tok, codes := signInAnswer(t, c, d.PartnerAdmin, apptest.Password)
		if tok != "" || !slices.Equal(codes, []string{"TOO_MANY_ATTEMPTS"}) {
			t.Fatalf("right password right after five wrong ones: token %q, codes %v; want TOO_MANY_ATTEMPTS", tok, codes)
		}
		// Another email from the same address is not slowed down.
		if _, codes := signInAnswer(t, c, "other@p1.example", apptest.Password); !slices.Equal(codes, []string{"INVALID_CREDENTIALS"}) {
			t.Fatalf("another email: codes %v, want INVALID_CREDENTIALS", codes)
		}
		c.Clock.Advance(1100 * time.Millisecond) // the first delay is a second
		if tok, codes := signInAnswer(t, c, d.PartnerAdmin, apptest.Password); tok == "" {
			t.Fatalf("right password after the delay: codes %v", codes)
		}
	})

	t.Run("wrong passwords from one address make it wait", func(t *testing.T) {
		c := apptest.Start(t, apptest.Options{HandlerOnly: true, Clock: clock.NewStub(apptest.MailEpoch)})
		for i := range 20 {
			if _, codes := signInAnswer(t, c, fmt.Sprintf("guess%d@p1.example", i), "wrong-password-x"); !slices.Equal(codes, []string{"INVALID_CREDENTIALS"}) {
				t.Fatalf("attempt %d: codes %v", i, codes)
			}
		}
		if _, codes := signInAnswer(t, c, "fresh@p1.example", "wrong-password-x"); !slices.Equal(codes, []string{"TOO_MANY_ATTEMPTS"}) {
			t.Fatalf("21st wrong sign-in from one address: codes %v, want TOO_MANY_ATTEMPTS", codes)
		}
	})

	// Behind a load balancer every connection comes from the balancer:
	// with --trusted-proxies the address it forwards is the one counted,
	// and without it a forwarded address is the caller's invention.
	t.Run("behind a trusted proxy the forwarded address is the one throttled", func(t *testing.T) {
		for _, trusted := range []bool{true, false} {
			c := apptest.Start(t, apptest.Options{HandlerOnly: true, Clock: clock.NewStub(apptest.MailEpoch), Configure: func(cfg *app.Config) {
				if trusted {
					cfg.TrustedProxies, _ = throttle.ParseProxies("127.0.0.1/32")
				}
			}})
			from := func(addr string) testkit.Client {
				return testkit.Client{URL: c.URL, Header: http.Header{"X-Forwarded-For": {addr}}}
			}
			signIn := func(cl testkit.Client, email string) string {
				t.Helper()
				r, err := cl.Post(context.Background(), "", apptest.SignInMutation, map[string]any{"email": email, "password": "wrong-password-x"})
				var data struct {
					SignIn struct {
						UserErrors []apptest.UserError `json:"userErrors"`
					} `json:"signIn"`
				}
				if err != nil || json.Unmarshal(r.Data, &data) != nil || len(data.SignIn.UserErrors) != 1 {
					t.Fatalf("signIn: %v %+v %s", err, r.Errors, r.Data)
				}
				return data.SignIn.UserErrors[0].Code
			}
			abuser, other := from("203.0.113.9"), from("198.51.100.4")
			for i := range 20 {
				if code := signIn(abuser, fmt.Sprintf("guess%d@p1.example", i)); code != "INVALID_CREDENTIALS" {
					t.Fatalf("trusted %v, attempt %d: %s", trusted, i, code)
				}
			}
			if code := signIn(abuser, "fresh@p1.example"); code != "TOO_MANY_ATTEMPTS" {
				t.Errorf("trusted %v: the abuser's 21st wrong sign-in answered %s, want TOO_MANY_ATTEMPTS", trusted, code)
			}
			want := "INVALID_CREDENTIALS" // another client behind the balancer goes on
			if !trusted {
				want = "TOO_MANY_ATTEMPTS" // both are the balancer's address
			}
			if code := signIn(other, "someone@p1.example"); code != want {
				t.Errorf("trusted %v: another forwarded address answered %s, want %s", trusted, code, want)
			}
		}
	})

	t.Run("hashing beyond the pool is refused, not queued in memory", func(t *testing.T) {
		s := apptest.Serve(t, func(c *app.Config) { c.HashingSlots, c.HashingWait = 1, time.Millisecond })
		c := s
		var (
			mu    sync.Mutex
			codes = map[string]int{}
			wg    sync.WaitGroup
		)
		for i := range 12 {
			wg.Go(func() {
				r, err := c.TryGQL("", apptest.SignInMutation, map[string]any{"email": fmt.Sprintf("p%d@p1.example", i), "password": "wrong-password-x"})
				mu.Lock()
				defer mu.Unlock()
				var data struct {
					SignIn struct {
						UserErrors []apptest.UserError `json:"userErrors"`
					} `json:"signIn"`
				}
				if err != nil || json.Unmarshal(r.Data, &data) != nil || len(data.SignIn.UserErrors) != 1 {
					codes[fmt.Sprintf("bad answer %v %+v", err, r.Errors)]++
					return
				}
				codes[data.SignIn.UserErrors[0].Code]++
			})
		}
		wg.Wait()
		if codes["TOO_MANY_ATTEMPTS"] == 0 || codes["INVALID_CREDENTIALS"] == 0 || len(codes) != 2 {
			t.Fatalf("answers %v; want some INVALID_CREDENTIALS and some TOO_MANY_ATTEMPTS only", codes)
		}
	})
}

// TestAttackProbesAndResendsThrottled: checkSubdomain is throttled per
// caller and address; resendSetupLink sends at most five emails an hour
// per order.
func TestAttackProbesAndResendsThrottled(t *testing.T) {
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "TH-1", "P1", nil)
	link := c.Link(t, id, "ana@p1.example")
	for i := range 31 {
		r := c.GQL(t, link, apptest.CheckSubdomainQuery, map[string]any{"s": fmt.Sprintf("probe%d", i)})
		tooMany := len(r.Errors) == 1 && r.Errors[0].Extensions.Code == "TOO_MANY_ATTEMPTS"
		if tooMany != (i == 30) {
			t.Fatalf("checkSubdomain %d: errors %+v (TOO_MANY_ATTEMPTS only from the 31st)", i+1, r.Errors)
		}
	}

	const resend = `mutation($id: ID!, $email: String) { resendSetupLink(orderId: $id, email: $email) { order { id } userErrors { code message } } }`
	for i := range 6 {
		var out struct {
			ResendSetupLink struct {
				Order      *struct{ ID string } `json:"order"`
				UserErrors []apptest.UserError  `json:"userErrors"`
			} `json:"resendSetupLink"`
		}
		c.GQL(t, c.Op, resend, map[string]any{"id": id, "email": "victim@elsewhere.example"}).OK(t).Decode(t, &out)
		errs := out.ResendSetupLink.UserErrors
		if i < 5 && len(errs) > 0 {
			t.Fatalf("resend %d: %+v", i+1, errs)
		}
		if i == 5 && (len(errs) != 1 || errs[0].Code != "TOO_MANY_ATTEMPTS" || out.ResendSetupLink.Order != nil) {
			t.Fatalf("6th resend within an hour: %+v, want TOO_MANY_ATTEMPTS", out.ResendSetupLink)
		}
	}
}

// TestAttackFilterSize: a filter's predicates and listed values count in
// the complexity limit, a filter nested past the limit is refused with its
// own code, and a request past its time limit is stopped with
// REQUEST_TIMEOUT; none of them is INTERNAL or logged as an error.
func TestAttackFilterSize(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	e.MustPlace(t, apptest.OrderInput("FZ-1", "P1"))
	const q = `query($w: OrderWhereInput) { orders(first: 10, where: $w) { totalCount } }`
	or := func(n int) map[string]any {
		var list []any
		for i := range n {
			list = append(list, map[string]any{"externalID": fmt.Sprintf("X-%d", i)})
		}
		return map[string]any{"or": list}
	}
	ids := make([]string, 600)
	for i := range ids {
		ids[i] = fmt.Sprintf("X-%d", i)
	}
	nest := func(n int) map[string]any { // n levels of not
		w := map[string]any{"externalID": "FZ-1"}
		for range n - 1 {
			w = map[string]any{"not": w}
		}
		return w
	}
	mark := len(e.Logs.String())
	for _, tc := range []struct {
		name  string
		where map[string]any
		code  string
	}{
		{"an or of 1,000 predicates", or(1000), "COMPLEXITY_LIMIT_EXCEEDED"},
		{"an in of 600 values", map[string]any{"externalIDIn": ids}, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"not nested 20 deep", nest(20), "FILTER_TOO_DEEP"},
		{"an and in an or in a not, nine deep", map[string]any{"and": []any{map[string]any{"or": []any{map[string]any{"not": nest(6)}}}}}, "FILTER_TOO_DEEP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.GQL(t, e.Op, q, map[string]any{"w": tc.where})
			if r.HasData() || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.code || r.Status != http.StatusBadRequest {
				t.Fatalf("HTTP %d, data %s, errors %+v; want 400 with one %s", r.Status, r.Data, r.Errors, tc.code)
			}
		})
	}
	t.Run("within the limits", func(t *testing.T) {
		for _, w := range []map[string]any{or(100), {"externalIDIn": ids[:100]}, nest(8)} {
			e.GQL(t, e.Op, q, map[string]any{"w": w}).OK(t)
		}
	})
	if logs := e.Logs.String()[mark:]; strings.Contains(logs, "level=ERROR") {
		t.Errorf("a client's oversized filter was logged as an error:\n%s", logs)
	}

	t.Run("a request past its time limit", func(t *testing.T) {
		s := apptest.Serve(t, func(c *app.Config) { c.RequestTimeout = time.Nanosecond })
		op, _ := s.App.Auth.IssueOperator("op", time.Hour)
		status, _, out := attackPost(t, s.URL, op, "application/json",
			strings.NewReader(`{"query":"{ orders(first: 10) { totalCount } }"}`), -1)
		if codes := errorCodes(out); status != http.StatusOK || len(codes) == 0 || codes[0] != "REQUEST_TIMEOUT" {
			t.Fatalf("HTTP %d %v, want REQUEST_TIMEOUT", status, out)
		}
	})
}

// TestAttackSubscriptionAndSocketCaps: a socket runs at most
// MaxSubscriptionsPerSocket subscriptions at once (the next gets
// TOO_MANY_SUBSCRIPTIONS, the socket goes on, and a completed one frees its
// place); a token holds at most MaxSocketsPerToken sockets (the next is
// closed with 4429, and a closed one frees its place).
func TestAttackSubscriptionAndSocketCaps(t *testing.T) {
	s := apptest.Serve(t, func(c *app.Config) { c.MaxSubscriptionsPerSocket, c.MaxSocketsPerToken = 3, 2 })
	op, _ := s.App.Auth.IssueOperator("op", time.Hour)
	id := placeAt(t, s, op, "CAP-1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c := initSocket(t, ctx, s, op)
	defer c.CloseNow()
	sub, _ := json.Marshal(map[string]any{
		"query":     `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }`,
		"variables": map[string]any{"id": id},
	})
	// read returns the next message of the subscription id.
	read := func(want string) apptest.WSMessage {
		t.Helper()
		for {
			var m apptest.WSMessage
			if err := wsjson.Read(ctx, c, &m); err != nil {
				t.Fatalf("read: %v", err)
			}
			if m.ID == want {
				return m
			}
		}
	}
	for i := 1; i <= 3; i++ {
		_ = wsjson.Write(ctx, c, apptest.WSMessage{ID: strconv.Itoa(i), Type: "subscribe", Payload: sub})
		if m := read(strconv.Itoa(i)); m.Type != "next" || strings.Contains(string(m.Payload), "errors") {
			t.Fatalf("subscription %d: %s %s", i, m.Type, m.Payload)
		}
	}
	_ = wsjson.Write(ctx, c, apptest.WSMessage{ID: "4", Type: "subscribe", Payload: sub})
	if m := read("4"); !strings.Contains(string(m.Payload), "TOO_MANY_SUBSCRIPTIONS") {
		t.Fatalf("the 4th subscription on one socket: %s %s, want TOO_MANY_SUBSCRIPTIONS", m.Type, m.Payload)
	}
	if m := read("4"); m.Type != "complete" {
		t.Fatalf("after the refusal: %s, want complete", m.Type)
	}
	_ = wsjson.Write(ctx, c, apptest.WSMessage{ID: "1", Type: "complete"})
	testkit.Eventually(t, "a completed subscription frees its place", 5*time.Second, func() (bool, string) {
		_ = wsjson.Write(ctx, c, apptest.WSMessage{ID: "5", Type: "subscribe", Payload: sub})
		m := read("5")
		if m.Type == "next" && !strings.Contains(string(m.Payload), "errors") {
			return true, ""
		}
		read("5") // its complete
		return false, string(m.Payload)
	})

	second := initSocket(t, ctx, s, op)
	defer second.CloseNow()
	third := s.DialWS(t, ctx, "")
	defer third.CloseNow()
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + op})
	_ = wsjson.Write(ctx, third, apptest.WSMessage{Type: "connection_init", Payload: init})
	var m apptest.WSMessage
	err := wsjson.Read(ctx, third, &m)
	if websocket.CloseStatus(err) != 4429 {
		t.Fatalf("a third socket of one token: %+v %v, want close 4429", m, err)
	}
	second.Close(websocket.StatusNormalClosure, "")
	testkit.Eventually(t, "a closed socket frees its place", 5*time.Second, func() (bool, string) {
		fourth := s.DialWS(t, ctx, "")
		defer fourth.CloseNow()
		_ = wsjson.Write(ctx, fourth, apptest.WSMessage{Type: "connection_init", Payload: init})
		var ack apptest.WSMessage
		err := wsjson.Read(ctx, fourth, &ack)
		return err == nil && ack.Type == "connection_ack", fmt.Sprint(ack, err)
	})
}

// stallBody opens a connection, sends a POST announcing a body of 1000
// bytes, sends ten of them and stalls.
func stallBody(t *testing.T, s *apptest.Server, token string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":", token)
	return conn
}

// TestAttackStalledBodies: a body that stops arriving is answered 408
// BODY_TIMEOUT at the body deadline, and a shutdown does not wait for one.
func TestAttackStalledBodies(t *testing.T) {
	t.Run("the body deadline", func(t *testing.T) {
		s := apptest.Serve(t, func(c *app.Config) { c.BodyReadTimeout = 300 * time.Millisecond })
		op, _ := s.App.Auth.IssueOperator("op", time.Hour)
		conn := stallBody(t, s, op)
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		raw, _ := io.ReadAll(conn)
		if !strings.HasPrefix(string(raw), "HTTP/1.1 408") || !strings.Contains(string(raw), "BODY_TIMEOUT") {
			t.Fatalf("answer to a stalled body: %q, want 408 BODY_TIMEOUT", raw)
		}
	})
	t.Run("shutdown cuts a stalled body", func(t *testing.T) {
		s := apptest.Serve(t, func(c *app.Config) { c.BodyReadTimeout, c.ShutdownTimeout = time.Minute, 10*time.Second })
		op, _ := s.App.Auth.IssueOperator("op", time.Hour)
		conn := stallBody(t, s, op)
		defer conn.Close()
		time.Sleep(200 * time.Millisecond) // the request is in its handler
		start := time.Now()
		s.Shutdown()
		select {
		case <-s.Ended():
		case <-time.After(8 * time.Second):
			t.Fatal("shutdown still waits for the stalled body")
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("shutdown took %v with a stalled body", took)
		}
	})
}

// TestAttackHardening: one row per item of the hardening list, each
// failing without its defence.
func TestAttackHardening(t *testing.T) {
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "HD-1", "P1", nil)
	link := c.Link(t, id, "ana@p1.example")
	get := func(t *testing.T, h http.Handler, path string) http.Header {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Header()
	}
	placeCodes := func(t *testing.T, edit func(map[string]any)) []apptest.UserError {
		t.Helper()
		in := apptest.OrderInput("HD-"+strconv.Itoa(int(time.Now().UnixNano()%1e9)), "P1")
		edit(in)
		var res apptest.PlaceResult
		c.GQL(t, c.Op, apptest.PlaceOrderMutation, map[string]any{"input": in}).OK(t).Decode(t, &res)
		return res.PlaceOrder.UserErrors
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"responses carry Permissions-Policy (the pages' CSP: internal/web)", func(t *testing.T) {
			h := get(t, c.App.Handler(), "/healthz")
			if h.Get("Permissions-Policy") == "" {
				t.Error("no Permissions-Policy")
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS behind a plain-http public URL")
			}
		}},
		{"HSTS when the public URL is https", func(t *testing.T) {
			cfg := app.Defaults()
			cfg.DataDir, cfg.DatabaseURL = storetest.Location(t)
			cfg.PublicURL = "https://setup.example"
			a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if h := get(t, a.Handler(), "/healthz"); !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
				t.Errorf("headers %v, want Strict-Transport-Security", h)
			}
		}},
		{"punycode subdomains are invalid", func(t *testing.T) {
			if ok, reason := c.CheckSubdomain(t, link, "xn--psilonvault-nkj"); ok || reason != "SUBDOMAIN_INVALID" {
				t.Errorf("xn--psilonvault-nkj: available %v, reason %q", ok, reason)
			}
		}},
		{"invisible and direction characters in names and emails", func(t *testing.T) {
			for _, bad := range []string{"\u202e", "\u200b", "\ufeff", "\u2028"} {
				errs := placeCodes(t, func(in map[string]any) { in["customer"].(map[string]any)["name"] = "Acme" + bad + "Corp" })
				apptest.WantCode(t, "customer name", errs, "INVALID", "input", "customer", "name")
				errs = placeCodes(t, func(in map[string]any) { in["provisioningContactEmail"] = "ana" + bad + "@p1.example" })
				apptest.WantCode(t, "email", errs, "INVALID", "input", "provisioningContactEmail")
			}
		}},
		{"operator tokens live at most 24 h", func(t *testing.T) {
			if _, err := c.App.Auth.IssueOperator("op", 87600*time.Hour); err == nil {
				t.Error("an operator token of 87600h was issued")
			}
			long, err := auth.New(context.Background(), c.App.Store.Client, auth.Config{MaxOperatorTTL: 87600 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := long.IssueOperator("op", 87600*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			c.GQL(t, tok, `{ viewer { kind } }`, nil).WantError(t, "UNAUTHENTICATED", "INVALID")
		}},
		{"nodes is priced per id", func(t *testing.T) {
			ids := make([]string, 100)
			for i := range ids {
				ids[i] = id
			}
			r := c.GQL(t, c.Op, `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Order { externalID status step product language partnerName } } }`, map[string]any{"ids": ids})
			if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Errorf("nodes of 100 ids: %+v, want COMPLEXITY_LIMIT_EXCEEDED", r.Errors)
			}
			c.GQL(t, c.Op, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids[:10]}).OK(t)
		}},
		{"introspection outside dev mode has its own code and no ERROR log", func(t *testing.T) {
			logs := &testkit.SyncBuffer{}
			cfg := app.Defaults()
			cfg.DataDir, cfg.DatabaseURL = storetest.Location(t)
			cfg.PublicURL = "http://127.0.0.1"
			a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			srv := httptest.NewServer(a.Handler())
			defer srv.Close()
			op, _ := a.Auth.IssueOperator("op", time.Hour)
			for _, q := range []string{`{ __schema { types { name } } }`, `{ __type(name: "Order") { name } }`} {
				_, _, out := attackPost(t, srv.URL, op, "application/json", strings.NewReader(fmt.Sprintf(`{"query":%q}`, q)), -1)
				if codes := errorCodes(out); len(codes) != 1 || codes[0] != "INTROSPECTION_DISABLED" {
					t.Errorf("%s: %v, want INTROSPECTION_DISABLED", q, out)
				}
			}
			if strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("introspection logged as an error:\n%s", logs)
			}
		}},
		{"a string is not an Int", func(t *testing.T) {
			in := apptest.OrderInput("HD-INT", "P1")
			in["services"] = []any{map[string]any{"kind": "MEETINGS", "quantity": "5"}}
			r := c.GQL(t, c.Op, apptest.PlaceOrderMutation, map[string]any{"input": in})
			if r.HasData() || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("quantity \"5\": data %s, errors %+v; want GRAPHQL_VALIDATION_FAILED", r.Data, r.Errors)
			}
		}},
	} {
		t.Run(tc.name, tc.run)
	}
}

// TestAttackPasswordBurst: a burst of parallel wrong passwords, at sign-in
// and at changePassword, has at most the free allowance (five) checked;
// the rest wait (TOO_MANY_ATTEMPTS), whether the checks run at once or not.
func TestAttackPasswordBurst(t *testing.T) {
	// A stub clock: on a loaded machine the burst can take longer than the
	// first delay (a second), which would then rightly let a sixth through.
	c := apptest.Start(t, apptest.Options{HandlerOnly: true, Clock: clock.NewStub(apptest.MailEpoch)})
	d := c.Provisioned(t, "BURST-1", "P1", "ana@p1.example", "admin@acme.example", "burstsite")
	session := c.MustSignIn(t, d.PartnerAdmin, apptest.Password)
	const burst = 30
	for _, tc := range []struct {
		name, token, query, field string
		vars                      func(i int) map[string]any
	}{
		{"signIn", "", `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { userErrors { code } } }`, "signIn",
			func(i int) map[string]any {
				return map[string]any{"e": d.PartnerAdmin, "p": fmt.Sprintf("wrong-password-%d", i)}
			}},
		{"changePassword", session, `mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) { userErrors { code } } }`, "changePassword",
			func(i int) map[string]any {
				return map[string]any{"c": fmt.Sprintf("wrong-password-%d", i), "n": "Novi-Dugacak-Pass-2031"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := testkit.Client{URL: c.URL}
			codes := make(chan string, burst)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range burst {
				wg.Go(func() {
					<-start
					r, err := client.Post(context.Background(), tc.token, tc.query, tc.vars(i))
					if err != nil || len(r.Errors) > 0 {
						codes <- fmt.Sprintf("error %v %+v", err, r.Errors)
						return
					}
					var data map[string]struct {
						UserErrors []apptest.UserError `json:"userErrors"`
					}
					if err := json.Unmarshal(r.Data, &data); err != nil || len(data[tc.field].UserErrors) != 1 {
						codes <- fmt.Sprintf("answer %s", r.Data)
						return
					}
					codes <- data[tc.field].UserErrors[0].Code
				})
			}
			close(start)
			wg.Wait()
			close(codes)
			checked := 0
			for code := range codes {
				switch code {
				case "INVALID_CREDENTIALS":
					checked++
				case "TOO_MANY_ATTEMPTS":
				default:
					t.Errorf("unexpected answer: %s", code)
				}
			}
			if checked > 5 {
				t.Fatalf("%d of %d parallel wrong passwords were checked, want at most the 5 free ones", checked, burst)
			}
		})
	}
}

// TestAttackInputsTheDatabaseCannotStore sends NUL and other control
// characters, malformed ids and invalid UTF-8 where a caller can put them
// (PostgreSQL refuses NUL in text, and Go's JSON decoder would store invalid
// UTF-8 as U+FFFD): each is refused at the edge with a clear code, never
// INTERNAL, nothing is logged as a failure, and nothing changes.
func TestAttackInputsTheDatabaseCannotStore(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	order := e.MustPlace(t, apptest.OrderInput("NUL-1", "P1"))
	key := e.Integration(t, "P1")
	mark := len(e.Logs.String())
	payloadRefusal := func(t *testing.T, r apptest.Response, field string, path ...string) {
		t.Helper()
		var data map[string]struct {
			UserErrors []apptest.UserError `json:"userErrors"`
		}
		r.OK(t).Decode(t, &data)
		errs := data[field].UserErrors
		if len(errs) != 1 || errs[0].Code != "INVALID" || strings.Join(errs[0].Field, ".") != strings.Join(path, ".") {
			t.Fatalf("%s: userErrors %+v, want one INVALID at %v", field, errs, path)
		}
	}
	for _, tc := range []struct {
		name  string
		token string
		query string
		vars  map[string]any
		field string   // the payload's field, "" for a top-level error
		path  []string // the apptest.UserError's field
	}{
		{"signIn without a token, NUL in the email", "",
			`mutation($e: String!) { signIn(email: $e, password: "x") { userErrors { field code } } }`,
			map[string]any{"e": "ana\x00@p1.example"}, "signIn", []string{"email"}},
		{"signIn with a NUL in the password", "",
			`mutation($p: String!) { signIn(email: "ana@p1.example", password: $p) { userErrors { field code } } }`,
			map[string]any{"p": "Dugacka-Lozinka\x00"}, "signIn", []string{"password"}},
		{"a tab in a cancellation's reason", key,
			`mutation($id: ID!) { cancelOrder(orderId: $id, reason: "moved\tto another vendor") { userErrors { field code } } }`,
			map[string]any{"id": order.ID}, "cancelOrder", []string{"reason"}},
		{"a password reset for an email with a NUL", "",
			`mutation($e: String!) { requestPasswordReset(email: $e) { userErrors { field code } } }`,
			map[string]any{"e": "\x00"}, "requestPasswordReset", []string{"email"}},
		{"a control character in a placed order's customer name", key,
			`mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id } userErrors { field code } } }`,
			map[string]any{"in": func() map[string]any {
				in := apptest.OrderInput("NUL-2", "P1")
				in["customer"].(map[string]any)["name"] = "Acme\x01"
				return in
			}()}, "placeOrder", []string{"input", "customer", "name"}},
		{"a NUL in an external id", key,
			`mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id } userErrors { field code } } }`,
			map[string]any{"in": apptest.OrderInput("NUL\x00-3", "P1")}, "placeOrder", []string{"input", "externalId"}},
		{"a NUL in a cancellation's idempotency key", key,
			`mutation($id: ID!, $k: String) { cancelOrder(orderId: $id, reason: "x", idempotencyKey: $k) { order { status } userErrors { field code } } }`,
			map[string]any{"id": order.ID, "k": "k\x00"}, "cancelOrder", []string{"idempotencyKey"}},
		{"a NUL in a resend's email", key,
			`mutation($id: ID!, $m: String) { resendSetupLink(orderId: $id, email: $m) { userErrors { field code } } }`,
			map[string]any{"id": order.ID, "m": "x\x00@p1.example"}, "resendSetupLink", []string{"email"}},
		{"a NUL in a webhook URL's fragment", key,
			`mutation($u: String!) { createWebhookEndpoint(input: {url: $u}) { userErrors { field code } } }`,
			map[string]any{"u": "https://hooks.p1.example/in#\x00"}, "createWebhookEndpoint", []string{"input", "url"}},
		{"a NUL in a filter", key,
			`query($x: String) { orders(first: 5, where: {externalIDContains: $x}) { edges { node { id } } } }`,
			map[string]any{"x": "\x00"}, "", nil},
		{"a NUL in an id", key,
			`query($id: ID!) { node(id: $id) { id } }`,
			map[string]any{"id": "ord_\x00"}, "", nil},
		{"an id of no known kind", key,
			`query($id: ID!) { node(id: $id) { id } }`,
			map[string]any{"id": "zzz_" + strings.TrimPrefix(order.ID, "ord_")}, "", nil},
		{"an id outside the alphabet", key,
			`mutation($id: ID!) { cancelOrder(orderId: $id) { userErrors { code } } }`,
			map[string]any{"id": "ord_" + strings.Repeat("!", 26)}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.GQL(t, tc.token, tc.query, tc.vars)
			if tc.field != "" {
				payloadRefusal(t, r, tc.field, tc.path...)
				return
			}
			r.WantError(t, "BAD_USER_INPUT", "")
		})
	}

	t.Run("invalid UTF-8 in a body is refused before it runs", func(t *testing.T) {
		before := e.CountOrders(t)
		in := apptest.OrderInput("UTF-1", "P1")
		in["customer"].(map[string]any)["name"] = "INVALID-UTF8-HERE"
		raw, err := json.Marshal(map[string]any{"query": `mutation($in: PlaceOrderInput!) { ` + placeOnce + ` }`, "variables": map[string]any{"in": in}})
		if err != nil {
			t.Fatal(err)
		}
		raw = bytes.Replace(raw, []byte("INVALID-UTF8-HERE"), []byte("Acme \xff\xfe"), 1)
		status, _, out := attackPost(t, e.URL, key, "application/json", bytes.NewReader(raw), int64(len(raw)))
		if status != http.StatusBadRequest || strings.Join(errorCodes(out), ",") != "BAD_USER_INPUT" {
			t.Fatalf("HTTP %d, codes %v (%s), want 400 BAD_USER_INPUT", status, errorCodes(out), errorMessages(out))
		}
		if n := e.CountOrders(t); n != before {
			t.Fatalf("orders went from %d to %d", before, n)
		}
	})

	t.Run("invalid UTF-8 in a GET query is refused", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, e.URL+"/graphql?query=%7B%20viewer%20%7B%20kind%20%7D%20%7D&operationName=%FF", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusBadRequest || strings.Join(errorCodes(out), ",") != "BAD_USER_INPUT" {
			t.Fatalf("HTTP %d, codes %v, want 400 BAD_USER_INPUT", resp.StatusCode, errorCodes(out))
		}
	})

	if logs := e.Logs.String()[mark:]; strings.Contains(logs, "level=ERROR") {
		t.Errorf("refused input was logged as a failure:\n%s", logs)
	}
}
