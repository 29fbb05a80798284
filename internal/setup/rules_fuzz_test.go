package setup

import (
	"regexp"
	"strings"
	"testing"
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
