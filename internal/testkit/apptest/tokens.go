package apptest

// Compact JWTs taken apart and tampered with.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// JWTParts splits a compact JWT.
func JWTParts(t testing.TB, tok string) (header, payload, sig string) {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("not a compact JWT: %q", tok)
	}
	return p[0], p[1], p[2]
}

// JWTHeader decodes the header of a compact JWT.
func JWTHeader(t testing.TB, tok string) map[string]any {
	t.Helper()
	h, _, _ := JWTParts(t, tok)
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

// Tamper flips one character in the middle of the signature (the last
// character may only carry padding bits, which lenient base64 ignores).
func Tamper(t testing.TB, tok string) string {
	t.Helper()
	h, p, s := JWTParts(t, tok)
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return fmt.Sprintf("%s.%s.%s", h, p, b)
}
