package validate

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// These targets check more than validate_test.go's: the exact character
// sets, round trips and a clean refusal. Plain `go test` runs the seeds;
// explore with `go test -fuzz FuzzEmailIsPlainAddress -fuzztime 30s ./internal/validate`.

func FuzzEmailIsPlainAddress(f *testing.F) {
	for _, s := range []string{
		"setup@partner.example", " Setup@Partner.Example ", "a.b+tag@sub.example.rs", "a@b", "a@localhost",
		"Name <a@b.example>", "\"quoted\"@b.example", "a@[127.0.0.1]", "a@b..example", "a@.b.example",
		"@b.example", "a@b.example.", "a@@b.example", "ž@b.example", "a@ž.example", "\xff@b.example",
		"K@b.example", "\u212a@b.example", "İ@b.example", "a@b.example\n", "(comment)a@b.example",
		strings.Repeat("a", 64) + "@b.example", strings.Repeat("a", 65) + "@b.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Email(s)
		if !ok {
			return
		}
		// An accepted address is normalized: trimmed, lower-case, plain
		// local@domain, within the lengths, and normalizing it again
		// changes nothing.
		if got != strings.TrimSpace(got) || got != strings.ToLower(got) {
			t.Fatalf("Email(%q) = %q: not normalized", s, got)
		}
		local, domain, found := strings.Cut(got, "@")
		if !found || local == "" || len(local) > 64 || len(got) > 254 || !strings.Contains(domain, ".") ||
			strings.Contains(domain, "@") || !utf8.ValidString(got) {
			t.Fatalf("Email(%q) accepted %q", s, got)
		}
		for _, r := range got {
			if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("\"<>()[]\\,;:", r) {
				t.Fatalf("Email(%q) accepted %q with %q", s, got, r)
			}
		}
		if again, ok := Email(got); !ok || again != got {
			t.Fatalf("Email(%q) = %q, but Email(%q) = %q, %v", s, got, got, again, ok)
		}
	})
}

func FuzzCountry(f *testing.F) {
	for _, s := range []string{"RS", "rs", " us ", "XX", "SRB", "", "r\u0455", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Country(s)
		if !ok {
			return
		}
		if len(got) != 2 || got[0] < 'A' || got[0] > 'Z' || got[1] < 'A' || got[1] > 'Z' {
			t.Fatalf("Country(%q) accepted %q", s, got)
		}
		if again, ok := Country(got); !ok || again != got {
			t.Fatalf("Country(%q) = %q, but Country(%q) = %q, %v", s, got, got, again, ok)
		}
	})
}

func FuzzTextIsClean(f *testing.F) {
	for _, s := range []string{"  Acme doo ", "", "   ", "line\nbreak", "tab\there", "žžž", "\xff", "a\u0085", "\u200b", "\u00a0x\u00a0"} {
		f.Add(s, true, 10)
		f.Add(s, false, 3)
	}
	f.Fuzz(func(t *testing.T, s string, required bool, max int) {
		got, ok := Text(s, required, max)
		if !ok {
			return
		}
		if got != strings.TrimSpace(got) || !utf8.ValidString(got) || utf8.RuneCountInString(got) > max ||
			(required && got == "") {
			t.Fatalf("Text(%q, %v, %d) accepted %q", s, required, max, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("Text(%q) accepted a control character %q", s, r)
			}
		}
		if again, ok := Text(got, required, max); !ok || again != got {
			t.Fatalf("Text(%q) = %q, but Text(%q) = %q, %v", s, got, got, again, ok)
		}
	})
}

func FuzzIdentifierCharset(f *testing.F) {
	for _, s := range []string{"CCW-1001", "a.b_c:d/e-f", "", " x", "x y", "ž", "\u212a", strings.Repeat("a", 65), "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !Identifier(s) {
			return
		}
		if s == "" || len(s) > 64 {
			t.Fatalf("Identifier accepted %q", s)
		}
		for i := range len(s) {
			c := s[i]
			if ('a' > c || c > 'z') && ('A' > c || c > 'Z') && ('0' > c || c > '9') && strings.IndexByte("._:/-", c) < 0 {
				t.Fatalf("Identifier accepted %q with byte %q", s, c)
			}
		}
	})
}
