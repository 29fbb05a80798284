package main

// ent first (it writes schema/ent.graphql); run from the repository root, then gqlgen.
//go:generate go run ./ent/entc.go
//go:generate go tool gqlgen generate
