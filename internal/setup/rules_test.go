package setup

import (
	"regexp"
	"strings"
	"testing"
)

// --- subdomains -----------------------------------------------------------------------

func TestNormalizeSubdomain(t *testing.T) {
	rows := []struct {
		name, in, want, code string
	}{
		{"valid", "acme", "acme", ""},
		{"digits and inner hyphen", "acme-2026", "acme-2026", ""},
		{"one character", "a", "a", ""},
		{"uppercase is normalized", "Acme-Site", "acme-site", ""},
		{"surrounding spaces are trimmed", "  acme  ", "acme", ""},
		{"63 characters", strings.Repeat("a", 63), strings.Repeat("a", 63), ""},
		{"64 characters", strings.Repeat("a", 64), "", CodeSubdomainInvalid},
		{"empty", "", "", CodeSubdomainInvalid},
		{"only spaces", "   ", "", CodeSubdomainInvalid},
		{"leading hyphen", "-acme", "", CodeSubdomainInvalid},
		{"trailing hyphen", "acme-", "", CodeSubdomainInvalid},
		{"only a hyphen", "-", "", CodeSubdomainInvalid},
		{"underscore", "ac_me", "", CodeSubdomainInvalid},
		{"dot", "acme.example", "", CodeSubdomainInvalid},
		{"inner space", "ac me", "", CodeSubdomainInvalid},
		{"unicode letter", "café", "", CodeSubdomainInvalid},
		{"cyrillic look-alike", "аcme", "", CodeSubdomainInvalid}, // first letter is U+0430
		{"emoji", "acme🚀", "", CodeSubdomainInvalid},
		{"reserved www", "www", "www", CodeSubdomainReserved},
		{"reserved WWW in another case", "WWW", "www", CodeSubdomainReserved},
		{"reserved admin", "admin", "admin", CodeSubdomainReserved},
		{"reserved with spaces", " Admin ", "admin", CodeSubdomainReserved},
		{"reserved-looking but longer", "admin2", "admin2", ""},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			got, code := NormalizeSubdomain(r.in)
			if code != r.code {
				t.Errorf("NormalizeSubdomain(%q) code = %q, want %q", r.in, code, r.code)
			}
			if r.want != "" && got != r.want {
				t.Errorf("NormalizeSubdomain(%q) = %q, want %q", r.in, got, r.want)
			}
			if code != "" && subdomainMessages[code] == "" {
				t.Errorf("code %s has no message", code)
			}
		})
	}
}

var acceptedSubdomain = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)

// FuzzNormalizeSubdomain: an accepted name is a DNS label of lower-case
// letters, digits and inner hyphens, not reserved, and normalizing it again
// changes nothing.
func FuzzNormalizeSubdomain(f *testing.F) {
	for _, s := range []string{"acme", "Acme-Site", "-acme", "acme-", "www", "a", strings.Repeat("a", 63),
		strings.Repeat("b", 64), "ac_me", "café", " x ", "\u212Aelvin", "xn--caf-dma", "a--b", "\x00", "A\tB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, code := NormalizeSubdomain(in)
		switch code {
		case "":
		case CodeSubdomainInvalid, CodeSubdomainReserved:
			return
		default:
			t.Fatalf("NormalizeSubdomain(%q) code = %q, not a SUBDOMAIN_* code of its own", in, code)
		}
		if !acceptedSubdomain.MatchString(name) || strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
			t.Fatalf("NormalizeSubdomain(%q) accepted %q", in, name)
		}
		if reserved[name] {
			t.Fatalf("NormalizeSubdomain(%q) accepted the reserved %q", in, name)
		}
		if again, code := NormalizeSubdomain(name); again != name || code != "" {
			t.Fatalf("NormalizeSubdomain(%q) = %q, %q: not idempotent", name, again, code)
		}
		if upper, code := NormalizeSubdomain(strings.ToUpper(name)); upper != name || code != "" {
			t.Fatalf("NormalizeSubdomain(%q) = %q, %q: not case-insensitive", strings.ToUpper(name), upper, code)
		}
	})
}
