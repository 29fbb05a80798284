package setup

import (
	"slices"
	"testing"
)

func TestSubdomainCandidates(t *testing.T) {
	for _, c := range []struct {
		name, org, country string
		first              []string
	}{
		{"legal form dropped", "Acme Telekom d.o.o.", "RS", []string{"acme-telekom", "acmetelekom", "acme", "acme-telekom-rs", "acme-telekom-2"}},
		{"Serbian letters folded", "Đurđević Šećer AD", "", []string{"djurdjevic-secer", "djurdjevicsecer", "djurdjevic", "djurdjevic-secer-2"}},
		{"only a legal form", "d.o.o.", "RS", nil},
		{"typed name", "meet", "", []string{"meet", "meet", "meet", "meet-2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := SubdomainCandidates(c.org, c.country)
			if len(c.first) == 0 {
				if len(got) != 0 {
					t.Fatalf("got %v, want none", got)
				}
				return
			}
			if len(got) < len(c.first) || !slices.Equal(got[:len(c.first)], c.first) {
				t.Fatalf("got %v, want it to start with %v", got, c.first)
			}
			for _, g := range got {
				if n, code := NormalizeSubdomain(g); code != "" && code != CodeSubdomainReserved || n != g {
					t.Errorf("candidate %q is not a valid name (%s)", g, code)
				}
			}
		})
	}
}
