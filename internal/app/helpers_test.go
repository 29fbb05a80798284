package app_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/testkit/apptest"
)

// startServing runs the app with its Run loop (jobs included), as `onramp
// serve` does; configure changes its configuration.
func startServing(t *testing.T, configure func(*app.Config)) *apptest.Server {
	t.Helper()
	return apptest.Start(t, apptest.Options{Configure: configure})
}

// newEnv serves the app's handler alone: no job runs, so what the app
// queues stays queued for the test to read.
func newEnv(t *testing.T) *apptest.Server {
	t.Helper()
	return apptest.Start(t, apptest.Options{HandlerOnly: true})
}

// startMailApp runs the app on loc with its Run loop and the stub clock.
func startMailApp(t *testing.T, loc apptest.Location, clk *clock.Stub, configure func(*app.Config)) *apptest.Server {
	t.Helper()
	return apptest.Start(t, apptest.Options{Location: &loc, Clock: clk, Configure: configure})
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
