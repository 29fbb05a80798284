package lifecycle_test

import (
	"os"
	"strings"
	"testing"

	"onramp/internal/lifecycle"
)

// TestReadmeShowsTheTable: the README's life table is lifecycle.Table as
// Markdown renders it; run `go generate ./internal/lifecycle` after a
// change of the table.
func TestReadmeShowsTheTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	want, err := lifecycle.ReplaceTable(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want != doc {
		t.Fatal("the README's life table differs from lifecycle.Table: run go generate ./internal/lifecycle")
	}
	// Every action of the table has its row.
	for _, r := range lifecycle.Table {
		if !strings.Contains(doc, "| `"+string(r.Action)+"` |") {
			t.Errorf("the README has no row for %s", r.Action)
		}
	}
}
