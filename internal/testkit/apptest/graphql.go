package apptest

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"onramp/internal/testkit"
)

// Error is one entry of a GraphQL response's "errors".
type Error = testkit.Error

// Response is an answer of the shared client (testkit.Client), with the
// assertions tests make on it.
type Response testkit.Response

// HasData reports whether data is present and not null.
func (r Response) HasData() bool { return testkit.Response(r).HasData() }

// Decode unmarshals the data into v, failing the test without data.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if !r.HasData() {
		t.Fatalf("response has no data; errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// OK fails the test when the response carries errors or no data.
func (r Response) OK(t testing.TB) Response {
	t.Helper()
	if len(r.Errors) > 0 || !r.HasData() {
		t.Fatalf("unexpected errors (HTTP %d): %+v; data %s", r.Status, r.Errors, r.Data)
	}
	return r
}

// WantError asserts exactly one top-level error with code (and reason, when
// not empty), and checks its message leaks nothing internal.
func (r Response) WantError(t testing.TB, code, reason string) Error {
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
	AssertNoLeak(t, got.Message)
	return got
}

// Post POSTs a GraphQL request to the server at base, failing the test on
// a transport failure.
func Post(t testing.TB, base, token, query string, vars map[string]any) Response {
	t.Helper()
	r, err := TryPost(base, nil, token, query, vars)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	return r
}

// TryPost is Post for goroutines other than the test's: it returns the
// transport failure. hc nil is the shared client's default.
func TryPost(base string, hc *http.Client, token, query string, vars map[string]any) (Response, error) {
	c := testkit.Client{URL: base, HTTP: hc}
	r, err := c.Post(context.Background(), token, query, vars)
	return Response(r), err
}

// AssertNoLeak fails when an error message shows internals.
func AssertNoLeak(t testing.TB, msg string) {
	t.Helper()
	lower := strings.ToLower(msg)
	for _, bad := range []string{"sql", "ent:", "goroutine", ".go:", "/work/", "panic", "msgpack", "base64", "runtime error"} {
		if strings.Contains(lower, bad) {
			t.Errorf("error message leaks internals (%q): %q", bad, msg)
		}
	}
}

// UserError is one entry of a payload's userErrors.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// WantCode finds the userError with code (and field path, when given),
// checking it has a message that leaks nothing.
func WantCode(t testing.TB, what string, errs []UserError, code string, field ...string) UserError {
	t.Helper()
	for _, e := range errs {
		if e.Code == code && (field == nil || slices.Equal(e.Field, field)) {
			if e.Message == "" {
				t.Errorf("%s: userError %s has no message", what, code)
			}
			AssertNoLeak(t, e.Message)
			return e
		}
	}
	t.Fatalf("%s: userErrors %+v, want code %s with field %v", what, errs, code, field)
	return UserError{}
}

// Deref is *p, or "" for nil.
func Deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// WSMessage is one graphql-transport-ws message.
type WSMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DialWS opens a graphql-transport-ws socket to the server, with origin
// as its Origin header when not empty; the caller speaks the protocol.
func (s *Server) DialWS(t testing.TB, ctx context.Context, origin string) *websocket.Conn {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := websocket.Dial(ctx, s.WSURL(), &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h,
	})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial (HTTP %d): %v", status, err)
	}
	return c
}
