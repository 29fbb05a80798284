// Package storetest gives each test a database of its own: an SQLite file in
// the test's temporary directory, or, with ONRAMP_TEST_DATABASE=postgres, a
// fresh PostgreSQL database that is dropped when the test ends. The same
// tests thereby run against both databases (`make test` runs both).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"onramp/internal/store"
)

// DefaultPostgresURL is the local server CI provides.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Postgres reports whether tests run against PostgreSQL.
func Postgres() bool { return os.Getenv("ONRAMP_TEST_DATABASE") == "postgres" }

// Location returns where a test's database lives: a data directory for
// SQLite, or the URL of a fresh PostgreSQL database.
func Location(t testing.TB) (dataDir, databaseURL string) {
	t.Helper()
	if !Postgres() {
		return t.TempDir(), ""
	}
	return PostgresLocation(t)
}

// PostgresLocation is Location on PostgreSQL whatever ONRAMP_TEST_DATABASE
// says, for tests of what only PostgreSQL does (several replicas). It fails
// the test, never skips it, when the server is missing.
func PostgresLocation(t testing.TB) (dataDir, databaseURL string) {
	t.Helper()
	dir := t.TempDir()
	base := os.Getenv("ONRAMP_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL test database: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "onramp_t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("this test needs a PostgreSQL server at %s (ONRAMP_TEST_POSTGRES_URL) that may create databases: %v", base, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return dir, u.String()
}

// Open opens (and migrates) a fresh store for the test.
func Open(t testing.TB) *store.Store {
	t.Helper()
	dir, dbURL := Location(t)
	st, err := store.Open(context.Background(), dir, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
