package main

// ent first (it writes schema/ent.graphql); run from the repository root, then gqlgen.
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod github.com/99designs/gqlgen generate
