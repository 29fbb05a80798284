package mail

import (
	"slices"
	"strings"
	"testing"

	"onramp/internal/mail/kind"
)

// TestTemplatesAreTheKinds holds the templates to the declared kinds: every
// kind has a subject and a text in every language, and no template is of a
// kind that does not exist (a renamed kind would leave one behind).
func TestTemplatesAreTheKinds(t *testing.T) {
	for _, lang := range Languages {
		set := textTemplates[lang]
		if set == nil {
			t.Fatalf("no templates for %s", lang)
		}
		for _, k := range kind.All {
			for _, part := range []string{".subject", ".text"} {
				if set.Lookup(string(k)+part) == nil {
					t.Errorf("%s: no template %s%s", lang, k, part)
				}
			}
		}
		for _, tmpl := range set.Templates() {
			name, part, ok := strings.Cut(tmpl.Name(), ".")
			if !ok || part != "subject" && part != "text" || name == "footer" {
				continue // a shared piece (the footer, the file itself)
			}
			if !slices.Contains(kind.All, Kind(name)) {
				t.Errorf("%s: template %s is of no declared kind", lang, tmpl.Name())
			}
		}
	}
}
