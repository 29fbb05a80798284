package setup

import (
	"context"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"onramp/ent/organization"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// maxSuggestions is how many available names checkSubdomain offers.
const maxSuggestions = 3

// legalForms are company-name words that make a poor site name.
var legalForms = map[string]bool{
	"doo": true, "d": true, "o": true, "ad": true, "ltd": true, "llc": true, "inc": true, "gmbh": true,
	"ag": true, "sa": true, "srl": true, "bv": true, "nv": true, "plc": true, "co": true, "corp": true,
	"company": true, "limited": true, "the": true,
}

// SuggestSubdomains offers up to three available site names when name is
// not available: built from the organization's name (a setup link's
// order's customer) and from the name typed, then checked for form,
// reserved words and organizations' sites in one query.
func (s *Service) SuggestSubdomains(ctx context.Context, name string) ([]string, error) {
	var bases []string
	if v := viewer.FromContext(ctx); v != nil && v.Kind == viewer.SetupLink {
		o, err := s.Store.Client.Order.Get(ctx, v.OrderID)
		if err != nil {
			return nil, err
		}
		bases = append(bases, SubdomainCandidates(o.CustomerName, o.CustomerCountry)...)
	}
	typed, _ := NormalizeSubdomain(name)
	bases = append(bases, SubdomainCandidates(typed, "")...)
	var fresh []string
	seen := map[string]bool{}
	for _, b := range bases {
		if _, code := NormalizeSubdomain(b); code == "" && !seen[b] {
			seen[b] = true
			fresh = append(fresh, b)
		}
	}
	if len(fresh) == 0 {
		return []string{}, nil
	}
	taken, err := s.Store.Client.Organization.Query().Where(organization.SubdomainIn(fresh...)).
		Select(organization.FieldSubdomain).Strings(store.System(ctx))
	if err != nil {
		return nil, err
	}
	for _, t := range taken {
		seen[t] = false
	}
	out := []string{}
	for _, f := range fresh {
		if seen[f] && len(out) < maxSuggestions {
			out = append(out, f)
		}
	}
	return out, nil
}

// SubdomainCandidates are site names made from an organization's name, best
// first: its words without the legal form, hyphenated and joined, the first
// word, with the country code, then numbered. "Acme Telekom d.o.o." gives
// acme-telekom, acmetelekom, acme, acme-telekom-rs, acme-telekom-2, ….
func SubdomainCandidates(orgName, country string) []string {
	words := nameWords(orgName)
	var kept []string
	for _, w := range words {
		if !legalForms[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	joined := strings.Join(kept, "-")
	if len(joined) > 50 {
		joined = strings.Trim(joined[:50], "-")
	}
	out := []string{joined, strings.ReplaceAll(joined, "-", ""), kept[0]}
	if country != "" {
		out = append(out, joined+"-"+strings.ToLower(country))
	}
	for i := 2; i <= 9; i++ {
		out = append(out, joined+"-"+strconv.Itoa(i))
	}
	return out
}

// nameWords lower-cases name and splits it into ASCII words, folding
// accents (č → c, đ → dj) so a Serbian name gives a usable address.
func nameWords(name string) []string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case r == 'đ':
			b.WriteString("dj")
		case r == 'ß':
			b.WriteString("ss")
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// a combining accent, dropped: č is c
		default:
			// anything else, a letter with no ASCII form included, breaks words
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}
