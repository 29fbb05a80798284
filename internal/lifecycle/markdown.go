//go:generate go run ./readme ../../README.md

package lifecycle

import (
	"fmt"
	"slices"
	"strings"

	"onramp/ent/order"
)

// Markdown renders Table as the README's table of the order's life, so that
// the README cannot drift from the code: TestReadmeShowsTheTable compares
// them, and `go generate ./internal/lifecycle` writes it between the
// README's markers.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| action | who | allowed in status | at steps | leads to step | sets status | event | notice |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range Table {
		sets := statusNames(r.Sets)
		if r.Starts {
			sets = append([]string{"IN_SETUP*"}, sets...)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Action, actors(r.By), statuses(r.From), steps(r.Steps), orDash(stepNames(r.To)), orDash(sets),
			orDash(code(r.Event)), orDash(code(string(r.Notice))))
	}
	return b.String()
}

// actors names the actors of a set.
func actors(by Actor) string {
	var out []string
	for _, a := range []struct {
		bit  Actor
		name string
	}{
		{ByLink, "link"}, {ByPartner, "partner"}, {ByIntegration, "integration"},
		{ByOperator, "operator"}, {ByCustomer, "customer (partner-access token)"}, {BySystem, "Onramp"},
	} {
		if by&a.bit != 0 {
			out = append(out, a.name)
		}
	}
	return strings.Join(out, ", ")
}

// statuses names a set of statuses: "any", "any but …" when at most two
// are missing, else the list.
func statuses(from []order.Status) string {
	var missing []string
	for _, s := range everyStatus {
		if !slices.Contains(from, s) {
			missing = append(missing, string(s))
		}
	}
	switch {
	case len(missing) == 0:
		return "any"
	case len(missing) <= 2:
		return "any but " + strings.Join(missing, ", ")
	}
	return strings.Join(statusNames(from), ", ")
}

// steps names a set of steps: "any" for nil, a range "A…B" for three or
// more in the wizard's order, else the list.
func steps(s []order.Step) string {
	if s == nil {
		return "any"
	}
	if len(s) >= 3 {
		i := slices.Index(Steps, s[0])
		if i >= 0 && i+len(s) <= len(Steps) && slices.Equal(Steps[i:i+len(s)], s) {
			return string(s[0]) + "…" + string(s[len(s)-1])
		}
	}
	return strings.Join(stepNames(s), ", ")
}

func statusNames(s []order.Status) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

func stepNames(s []order.Step) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

func code(s string) []string {
	if s == "" {
		return nil
	}
	return []string{"`" + s + "`"}
}

func orDash(s []string) string {
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, ", ")
}

// The README's markers around the table.
const (
	TableBegin = "<!-- begin: lifecycle.Table (go generate ./internal/lifecycle) -->\n"
	TableEnd   = "<!-- end: lifecycle.Table -->\n"
)

// ReplaceTable returns doc with the text between its markers replaced by
// Markdown.
func ReplaceTable(doc string) (string, error) {
	i := strings.Index(doc, TableBegin)
	j := strings.Index(doc, TableEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("lifecycle: the markers %q and %q are missing", strings.TrimSpace(TableBegin), strings.TrimSpace(TableEnd))
	}
	return doc[:i+len(TableBegin)] + Markdown() + doc[j:], nil
}
