package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onramp/internal/store"
	"onramp/internal/store/storetest"
)

// TestStatementsStopAtTheirLimit: a statement that would run for long is
// stopped by PostgreSQL's statement_timeout (with no deadline of its own),
// and on SQLite by an interrupt at the context's deadline; both are told
// apart from failures as timeouts.
func TestStatementsStopAtTheirLimit(t *testing.T) {
	dir, dbURL := storetest.Location(t)
	st, err := store.OpenWith(context.Background(), dir, dbURL, store.Options{StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	query := "SELECT pg_sleep(5)"
	if st.Dialect == "sqlite3" {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		query = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
	}
	start := time.Now()
	_, err = st.DB.ExecContext(ctx, query)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the statement ran %v", took)
	}
	if err == nil || !store.IsTimeout(err) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if store.IsTimeout(errors.New("connection refused")) {
		t.Fatal("any error counts as a timeout")
	}
}

// TestUnwritableDataDirectory names the directory and the cause.
func TestUnwritableDataDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Join(file, "data")}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, ro)
	}
	for _, dir := range dirs {
		_, err := store.Open(context.Background(), dir, "")
		if err == nil || !strings.Contains(err.Error(), "data directory "+dir) {
			t.Errorf("Open(%s) = %v, want an error naming the data directory", dir, err)
		}
	}
}

// TestTooLargeIsTheCallers: an expression nested past the database's limit
// is told apart from a failure (it answers BAD_USER_INPUT, not INTERNAL).
func TestTooLargeIsTheCallers(t *testing.T) {
	st := storetest.Open(t)
	q := "SELECT 1" + strings.Repeat(" + 1", 1200) // SQLite's depth limit is 1000
	if st.Dialect == "postgres" {
		q = "SELECT " + strings.Repeat("abs(", 20000) + "1" + strings.Repeat(")", 20000)
	}
	_, err := st.DB.ExecContext(context.Background(), q)
	if err == nil || !store.IsTooLarge(err) {
		t.Fatalf("err = %v, want one IsTooLarge knows", err)
	}
	if store.IsTooLarge(errors.New("syntax error")) || store.IsTimeout(err) {
		t.Fatal("IsTooLarge or IsTimeout matches what it should not")
	}
}
