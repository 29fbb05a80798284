// Package frontend embeds the built React wizard and GraphQL IDE (dist/,
// built by `make frontend`). Only dist/.gitkeep is committed (the build
// output is git-ignored), so the Go build works on a fresh clone before npm
// has run.
package frontend

import "embed"

// Dist is the built frontend.
//
//go:embed all:dist
var Dist embed.FS
