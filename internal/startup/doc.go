// Package startup holds the process test of replicas starting together:
// three `onramp serve` processes started at once on a fresh PostgreSQL
// database, as a rolling deploy on a new database does. Migrations (ent's
// and River's) and the first signing key are made under one database-wide
// lock (internal/store), so all three come up.
package startup
