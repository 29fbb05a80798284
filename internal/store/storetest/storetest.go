// Package storetest gives each test a database of its own: an SQLite file in
// the test's temporary directory, or, with ONRAMP_TEST_DATABASE=postgres, a
// fresh PostgreSQL database that is dropped when the test ends. The same
// tests thereby run against both databases (`make test` runs both).
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

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
//
// The database is a copy of a template migrated once per test binary
// (template), so a test does not run the migrations again: under a
// parallel run, creating every table and index of each test's database
// was a large share of the PostgreSQL server's work.
func PostgresLocation(t testing.TB) (dataDir, databaseURL string) {
	t.Helper()
	dir := t.TempDir()
	base := os.Getenv("ONRAMP_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL test database: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "onramp_t_" + hex.EncodeToString(b)
	if err := clone(ctx, admin, base, name); err != nil {
		t.Fatalf("this test needs a PostgreSQL server at %s (ONRAMP_TEST_POSTGRES_URL) that may create databases: %v", base, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return dir, databaseAt(base, name)
}

func databaseAt(base, name string) string {
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// templateLock is the advisory lock (on the server's "test" database)
// that orders the test processes: a copy holds it shared, building or
// dropping a template holds it alone.
const templateLock = 7_120_415_001

// templateAge is when a template is dropped by the next build of another:
// no test binary runs that long, and one still running builds it again.
const templateAge = 3 * time.Hour

// clone creates the database name as a copy of this binary's template,
// building the template first when it is missing.
func clone(ctx context.Context, admin *sql.DB, base, name string) error {
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	key, err := binaryKey()
	if err != nil {
		return err
	}
	for range 2 {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock_shared($1)", templateLock); err != nil {
			return err
		}
		var tmpl string
		err := conn.QueryRowContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname DESC LIMIT 1`,
			"onramp_tmpl_"+key+"_%").Scan(&tmpl)
		if err == nil {
			_, err = conn.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl)
		}
		if _, uerr := conn.ExecContext(ctx, "SELECT pg_advisory_unlock_shared($1)", templateLock); uerr != nil && err == nil {
			err = uerr
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := build(ctx, conn, base, key); err != nil {
			return fmt.Errorf("build the template database: %w", err)
		}
	}
	return errors.New("the template database vanished twice")
}

// build migrates a template for this binary, alone, and drops the
// templates older than templateAge.
func build(ctx context.Context, conn *sql.Conn, base, key string) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLock); err != nil {
		return err
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLock)
	}()
	existing, err := databases(ctx, conn, `datname LIKE 'onramp\_tmpl\_%' OR datname LIKE 'onramp\_build\_%'`)
	if err != nil {
		return err
	}
	for _, n := range existing {
		if strings.HasPrefix(n, "onramp_build_") {
			// Builds run alone: this one was left by a process that died.
			_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
			continue
		}
		if strings.HasPrefix(n, "onramp_tmpl_"+key+"_") {
			return nil // another process of this binary built it meanwhile
		}
		at, err := strconv.ParseInt(n[strings.LastIndexByte(n, '_')+1:], 10, 64)
		if err == nil && time.Since(time.Unix(at, 0)) > templateAge {
			_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
		}
	}
	now := time.Now().Unix()
	tmpl := fmt.Sprintf("onramp_tmpl_%s_%d", key, now)
	building := fmt.Sprintf("onramp_build_%s_%d", key, now)
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
		return err
	}
	if err := migrate(ctx, databaseAt(base, building)); err != nil {
		_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
		return err
	}
	// Named for use only once it is complete.
	_, err = conn.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+tmpl)
	return err
}

// databases lists the databases whose names match where.
func databases(ctx context.Context, conn *sql.Conn, where string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT datname FROM pg_database WHERE "+where) //nolint:gosec // where is a constant of this file
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// migrate runs what every start runs on a new database: the store's
// migrations and the job queue's.
func migrate(ctx context.Context, databaseURL string) error {
	st, err := store.Open(ctx, "", databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	migrator, err := rivermigrate.New(riverdatabasesql.New(st.DB), nil)
	if err != nil {
		return err
	}
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// binaryKey names this test binary's template: the digest of the binary,
// so a changed schema (which changes the binary) gets a template of its
// own, and an unchanged binary reuses the last run's.
var binaryKey = sync.OnceValues(func() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
})

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
