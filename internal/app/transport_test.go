package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"onramp/internal/app"
	"onramp/internal/testkit/apptest"
)

func TestWebsocketAuthenticatesConnectionInit(t *testing.T) {
	s := apptest.Serve(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	op, err := s.App.Auth.IssueOperator("op", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a good token is acknowledged and can query", func(t *testing.T) {
		c := s.DialWS(t, ctx, s.URL)
		defer c.CloseNow()
		init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + op})
		if err := wsjson.Write(ctx, c, apptest.WSMessage{Type: "connection_init", Payload: init}); err != nil {
			t.Fatal(err)
		}
		var ack apptest.WSMessage
		if err := wsjson.Read(ctx, c, &ack); err != nil || ack.Type != "connection_ack" {
			t.Fatalf("want connection_ack, got %+v %v", ack, err)
		}
		q, _ := json.Marshal(map[string]string{"query": "{ viewer { kind } }"})
		if err := wsjson.Write(ctx, c, apptest.WSMessage{ID: "1", Type: "subscribe", Payload: q}); err != nil {
			t.Fatal(err)
		}
		var next apptest.WSMessage
		if err := wsjson.Read(ctx, c, &next); err != nil {
			t.Fatal(err)
		}
		if next.Type != "next" || !bytes.Contains(next.Payload, []byte(`"kind":"OPERATOR"`)) {
			t.Fatalf("unexpected %s %s", next.Type, next.Payload)
		}
	})

	for _, tc := range []struct{ name, payload string }{
		{"no token", `{}`},
		{"a bad token", `{"Authorization":"Bearer not-a-token"}`},
	} {
		t.Run(tc.name+" is closed with 4403", func(t *testing.T) {
			c := s.DialWS(t, ctx, s.URL)
			defer c.CloseNow()
			if err := wsjson.Write(ctx, c, apptest.WSMessage{Type: "connection_init", Payload: json.RawMessage(tc.payload)}); err != nil {
				t.Fatal(err)
			}
			var m apptest.WSMessage
			err := wsjson.Read(ctx, c, &m)
			if got := websocket.CloseStatus(err); got != 4403 {
				t.Fatalf("close status = %d (%v), want 4403", got, err)
			}
		})
	}

	t.Run("a foreign origin is refused", func(t *testing.T) {
		_, resp, err := websocket.Dial(ctx, s.WSURL(), &websocket.DialOptions{
			Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader:   http.Header{"Origin": {"https://evil.example"}},
		})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("want 403, got %v %v", resp, err)
		}
	})
}

// TestGracefulShutdown stops the server while a websocket is open: the socket
// gets a close frame, readiness had turned false, and Run returns.
func TestGracefulShutdown(t *testing.T) {
	s := apptest.Serve(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	op, _ := s.App.Auth.IssueOperator("op", time.Hour)
	c := s.DialWS(t, ctx, s.URL)
	defer c.CloseNow()
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + op})
	if err := wsjson.Write(ctx, c, apptest.WSMessage{Type: "connection_init", Payload: init}); err != nil {
		t.Fatal(err)
	}
	var ack apptest.WSMessage
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %+v %v", ack, err)
	}
	s.WaitReady(t) // ready before the shutdown

	s.Shutdown()
	var m apptest.WSMessage
	err := wsjson.Read(ctx, c, &m)
	if st := websocket.CloseStatus(err); st == -1 {
		t.Fatalf("socket ended without a close frame: %v", err)
	}
	select {
	case <-s.Ended():
		if err := s.RunError(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after shutdown")
	}
	if _, err := http.Get(s.URL + "/readyz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

func TestHTTPLimitsAndEndpoints(t *testing.T) {
	s := apptest.Serve(t, func(c *app.Config) { c.MaxBodyBytes = 4096; c.Limits.Depth = 4 })
	op, _ := s.App.Auth.IssueOperator("op", time.Hour)
	post := func(t *testing.T, contentType string, body []byte) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+op)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	firstCode := func(out map[string]any) string {
		errs, _ := out["errors"].([]any)
		if len(errs) == 0 {
			return ""
		}
		ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
		code, _ := ext["code"].(string)
		return code
	}

	t.Run("an oversized body is refused with 413", func(t *testing.T) {
		big, _ := json.Marshal(map[string]string{"query": "{ viewer { kind } }", "pad": strings.Repeat("x", 5000)})
		resp, _ := post(t, "application/json", big)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, want 413", resp.StatusCode)
		}
	})
	t.Run("a query deeper than the limit is refused before execution", func(t *testing.T) {
		q, _ := json.Marshal(map[string]string{"query": "{ orders { edges { node { subscription { order { id } } } } } }"})
		_, out := post(t, "application/json", q)
		if code := firstCode(out); code != "DEPTH_LIMIT_EXCEEDED" {
			t.Fatalf("code = %q, want DEPTH_LIMIT_EXCEEDED: %v", code, out)
		}
		if out["data"] != nil {
			t.Fatalf("a refused query returned data: %v", out["data"])
		}
	})
	t.Run("introspection is off outside dev mode", func(t *testing.T) {
		q, _ := json.Marshal(map[string]string{"query": "{ __schema { types { name } } }"})
		_, out := post(t, "application/json", q)
		if out["errors"] == nil {
			t.Fatalf("introspection answered: %v", out)
		}
	})
	t.Run("a mutation over GET is refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?query="+
			"mutation%7BplaceOrder(input%3A%7B%7D)%7Border%7Bid%7D%7D%7D", nil)
		req.Header.Set("Authorization", "Bearer "+op)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("mutation over GET answered 200")
		}
	})
	t.Run("health, readiness and metrics", func(t *testing.T) {
		for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "onramp_http_requests_total"} {
			resp, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
				t.Fatalf("%s: %d %q", path, resp.StatusCode, b)
			}
		}
	})
}

// introspectionQuery is GraphiQL's first request (graphql-js's
// getIntrospectionQuery with input-value deprecation): type references nest
// about 20 deep, past any sensible depth limit.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

// TestIntrospectionWithinLimits: where introspection is on, GraphiQL's
// introspection query is answered whatever the depth limit (in dev mode with
// no token, as GraphiQL's first load sends none); the limit still holds for
// everything else, and outside dev mode introspection stays off.
func TestIntrospectionWithinLimits(t *testing.T) {
	post := func(t *testing.T, base, token, query string) map[string]any {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"query": query})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	queryType := func(out map[string]any) any {
		data, _ := out["data"].(map[string]any)
		schema, _ := data["__schema"].(map[string]any)
		qt, _ := schema["queryType"].(map[string]any)
		return qt["name"]
	}
	for _, c := range []struct {
		name  string
		cfg   func(*app.Config)
		token bool
		want  bool
	}{
		{"dev mode, no token", func(c *app.Config) { c.Dev = true }, false, true},
		{"dev mode, operator token, depth 4", func(c *app.Config) { c.Dev = true; c.Limits.Depth = 4 }, true, true},
		{"introspection on outside dev mode", func(c *app.Config) { c.Introspection = true }, true, true},
		{"introspection off", nil, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := apptest.Serve(t, c.cfg)
			token := ""
			if c.token {
				token, _ = s.App.Auth.IssueOperator("op", time.Hour)
			}
			out := post(t, s.URL, token, introspectionQuery)
			if got := queryType(out) == "Query"; got != c.want || c.want && out["errors"] != nil {
				t.Fatalf("introspection answered = %v, want %v: %v", got, c.want, out["errors"])
			}
		})
	}
	t.Run("the depth limit still apptest.Holds beside introspection", func(t *testing.T) {
		s := apptest.Serve(t, func(c *app.Config) { c.Dev = true; c.Limits.Depth = 4 })
		op, _ := s.App.Auth.IssueOperator("op", time.Hour)
		out := post(t, s.URL, op, "{ __schema { queryType { name } } orders { edges { node { subscription { order { id } } } } } }")
		errs, _ := out["errors"].([]any)
		if len(errs) == 0 || !strings.Contains(fmt.Sprint(errs[0]), "DEPTH_LIMIT_EXCEEDED") {
			t.Fatalf("want DEPTH_LIMIT_EXCEEDED, got %v", out)
		}
	})
}
