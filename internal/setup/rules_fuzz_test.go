package setup

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Beyond rules_test.go's fuzz targets: an accepted subdomain is what the
// person typed, and the password policy's promises. Plain `go test` runs the
// seeds; explore with `go test -fuzz FuzzSubdomainIsWhatWasTyped -fuzztime 30s ./internal/setup`.

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

func FuzzSubdomainIsWhatWasTyped(f *testing.F) {
	for _, s := range []string{
		"acme", " Acme-Site ", "a", "0", "-acme", "acme-", "ac--me", "ac_me", "ac.me", "www", "WWW", "no-reply",
		strings.Repeat("a", 63), strings.Repeat("a", 64), "", " ", "ačme", "\u212aelvin", "\u0130stanbul",
		"acme\x00", "xn--80ak6aa92e", "\u00a0acme\u00a0", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, code := NormalizeSubdomain(s)
		switch code {
		case "":
		case CodeSubdomainInvalid, CodeSubdomainReserved:
			if subdomainMessages[code] == "" {
				t.Fatalf("NormalizeSubdomain(%q): code %s has no message", s, code)
			}
			return
		default:
			t.Fatalf("NormalizeSubdomain(%q): unknown code %q", s, code)
		}
		// An accepted name is a lower-case DNS label of letters, digits and
		// inner hyphens, typed as such (only surrounding space and the case
		// of ASCII letters may differ), not reserved, and normalizes to
		// itself.
		if len(name) < 1 || len(name) > 63 || !dnsLabel.MatchString(name) || reserved[name] {
			t.Fatalf("NormalizeSubdomain(%q) accepted %q", s, name)
		}
		if typed := strings.TrimSpace(s); len(typed) != len(name) || !strings.EqualFold(typed, name) {
			t.Fatalf("NormalizeSubdomain(%q) accepted %q, which is not what was typed", s, name)
		}
		if again, code := NormalizeSubdomain(name); again != name || code != "" {
			t.Fatalf("NormalizeSubdomain(%q) = %q, but NormalizeSubdomain(%q) = %q, %q", s, name, name, again, code)
		}
	})
}

func FuzzPasswordProblem(f *testing.F) {
	for _, tc := range [][2]string{
		{"correct horse battery staple", "setup@partner.example"},
		{"short", "a@b.example"},
		{"password1234", "a@b.example"},
		{"aaaaaaaaaaaa", "a@b.example"},
		{"ššššššššššššš", "a@b.example"},
		{"my setup@partner.example", "setup@partner.example"},
		{"Xsetupx-long-enough", "setup@partner.example"},
		{strings.Repeat("x1", 64), "a@b.example"},
		{strings.Repeat("x1", 65), "a@b.example"},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", "a@b.example"},
		{"", ""},
	} {
		f.Add(tc[0], tc[1])
	}
	f.Fuzz(func(t *testing.T, password, email string) {
		msg := passwordProblem(password, email)
		n := utf8.RuneCountInString(password)
		if msg != "" {
			// A refusal says what to do, in a sentence.
			if !strings.HasSuffix(msg, ".") || len(msg) < 10 {
				t.Fatalf("passwordProblem(%q) = %q: not a clear message", password, msg)
			}
			return
		}
		lower := strings.ToLower(password)
		local, _, _ := strings.Cut(email, "@")
		switch {
		case n < minPasswordLen || n > maxPasswordLen:
			t.Fatalf("accepted %q of %d characters", password, n)
		case commonPasswords[lower]:
			t.Fatalf("accepted the common password %q", password)
		case len(local) >= 4 && strings.Contains(lower, local):
			t.Fatalf("accepted %q containing the email's %q", password, local)
		case strings.Count(lower, string([]rune(lower)[:1])) == utf8.RuneCountInString(lower):
			t.Fatalf("accepted %q, one character repeated", password)
		}
	})
}
