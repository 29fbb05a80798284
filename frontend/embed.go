// Package frontend embeds the built React wizard and GraphQL IDE (dist/,
// built by `make frontend`). A placeholder index.html is committed so the Go
// build works on a fresh clone before npm has run.
package frontend

import "embed"

// Dist is the built frontend.
//
//go:embed all:dist
var Dist embed.FS
