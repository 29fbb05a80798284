package validate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{" Setup@Partner.Example ", "setup@partner.example", true},
		{"a.b+tag@sub.example.rs", "a.b+tag@sub.example.rs", true},
		{"no-at-sign.example", "", false},
		{"Name <a@b.example>", "", false},
		{"a@localhost", "", false},
		{"a@b..example", "", false},
		{"a b@c.example", "", false},
		{"@b.example", "", false},
		{strings.Repeat("a", 65) + "@b.example", "", false},
		{"a@" + strings.Repeat("b", 250) + ".rs", "", false},
	} {
		got, ok := Email(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Email(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCountry(t *testing.T) {
	for in, ok := range map[string]bool{"rs": true, "RS": true, " us ": true, "XX": false, "SRB": false, "": false} { //nolint:gocritic // " us " tests the trimming
		if _, got := Country(in); got != ok {
			t.Errorf("Country(%q) ok = %v, want %v", in, got, ok)
		}
	}
	if n := len(countries); n != 249 {
		t.Fatalf("%d country codes, want 249", n)
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		in       string
		required bool
		ok       bool
	}{
		{"  Acme doo ", true, true},
		{"", false, true},
		{"   ", true, false},
		{"line\nbreak", true, false},
		{"tab\there", true, false},
		{strings.Repeat("ž", 10), true, true},
		{strings.Repeat("ž", 11), true, false},
		{"\xff", true, false},
	} {
		if _, ok := Text(tc.in, tc.required, 10); ok != tc.ok {
			t.Errorf("Text(%q, %v) ok = %v, want %v", tc.in, tc.required, ok, tc.ok)
		}
	}
}

func TestIdentifier(t *testing.T) {
	for in, ok := range map[string]bool{"X-1": true, "ccw:ord/2026.11_5": true, "": false, "a b": false,
		"ž": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false} {
		if got := Identifier(in); got != ok {
			t.Errorf("Identifier(%q) = %v, want %v", in, got, ok)
		}
	}
}

// The fuzz targets check the validators' promises on any input: what they
// accept is normalized and within bounds. `make test` runs their seeds.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"a@b.example", " A@B.EXAMPLE", "x", "a@b", "\"q\"@b.example", "a@b.example>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Email(s)
		if !ok {
			return
		}
		if got != strings.ToLower(strings.TrimSpace(got)) || len(got) > 254 || strings.Count(got, "@") != 1 {
			t.Fatalf("Email(%q) accepted %q", s, got)
		}
		if again, ok2 := Email(got); !ok2 || again != got {
			t.Fatalf("Email not idempotent on %q", got)
		}
	})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"Acme", " ", "a\x00b", "\xff"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		got, ok := Text(s, true, max)
		if ok && (got == "" || !utf8.ValidString(got) || utf8.RuneCountInString(got) > max) {
			t.Fatalf("Text(%q, %d) accepted %q", s, max, got)
		}
	})
}

func FuzzIdentifier(f *testing.F) {
	for _, s := range []string{"X-1", "a b", "../../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Identifier(s) && (len(s) > 64 || strings.ContainsAny(s, " \t\n'\";")) {
			t.Fatalf("Identifier accepted %q", s)
		}
	})
}
