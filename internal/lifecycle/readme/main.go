// Command readme writes lifecycle.Markdown into the README between its
// life-table markers (go generate ./internal/lifecycle).
package main

import (
	"fmt"
	"os"

	"onramp/internal/lifecycle"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: readme README.md")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1]) //nolint:gosec // go generate names the file
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := lifecycle.ReplaceTable(string(raw))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if out == string(raw) {
		return
	}
	if err := os.WriteFile(os.Args[1], []byte(out), 0o644); err != nil { //nolint:gosec // the README is for everyone to read
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
