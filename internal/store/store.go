// Package store opens Onramp's database (an SQLite file by default,
// PostgreSQL when a URL is given) and runs the domain's transactions.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/mattn/go-sqlite3"

	"onramp/ent"
	"onramp/ent/privacy"
	_ "onramp/ent/runtime" // registers the schema's policies and defaults
)

var migrating sync.Mutex

// Store is the open database.
type Store struct {
	Client *ent.Client
	// DB is the pool under Client, for health checks.
	DB      *sql.DB
	Dialect string
	// lockDB holds the migration lock (PostgreSQL) until MigrationDone.
	lockDB *sql.DB
	// writer admits one transaction of this process at a time on SQLite
	// (its single writer): waiting here is first come, first served, where
	// SQLite's busy handler polls with sleeps of up to 100 ms.
	writer chan struct{}
	// Writes numbers this process's writes on SQLite, where it is the
	// one writer of orders; nil on PostgreSQL (replicas write too).
	Writes *Writes
}

// SQLiteDSN returns the DSN of the SQLite file at path: foreign keys on
// (ent's migration requires them), WAL so readers never wait for the writer,
// a busy timeout so writers queue instead of failing, and immediate write
// transactions so a transaction that reads and then writes cannot fail with
// SQLITE_BUSY halfway.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Set("_fk", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	// Each connection keeps its prepared statements: ent's SQL repeats, and
	// preparing is a tenth of a simple request's CPU.
	q.Set("_stmt_cache_size", "128")
	return "file:" + path + "?" + q.Encode()
}

// SQLiteFile is the embedded database's file in dataDir.
func SQLiteFile(dataDir string) string { return filepath.Join(dataDir, "onramp.db") }

// Options tune Open.
type Options struct {
	// StatementTimeout bounds every statement of the pool on PostgreSQL
	// (its statement_timeout, unless the URL sets one); zero leaves the
	// server's setting. Migrations run without it.
	StatementTimeout time.Duration
	// KeepMigrationLock keeps the database-wide migration lock after Open
	// returns, for more start-up work that must not race other replicas
	// (the job queue's migrations, the first signing key); MigrationDone
	// releases it.
	KeepMigrationLock bool
}

// Open opens and migrates the database: the PostgreSQL database at
// databaseURL when it is set, otherwise the SQLite file onramp.db in dataDir.
func Open(ctx context.Context, dataDir, databaseURL string) (*Store, error) {
	return OpenWith(ctx, dataDir, databaseURL, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dataDir, databaseURL string, opts Options) (*Store, error) {
	driver, dialect := "sqlite3", "sqlite3"
	var dsn string
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		driver, dsn, dialect = "pgx", databaseURL, "postgres"
		if opts.StatementTimeout > 0 {
			dsn = withStatementTimeout(databaseURL, opts.StatementTimeout)
		}
	case databaseURL != "":
		return nil, errors.New("database URL must start with postgres:// (leave it empty for the embedded SQLite file)")
	default:
		if err := writableDir(dataDir); err != nil {
			return nil, err
		}
		dsn = SQLiteDSN(SQLiteFile(dataDir))
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	conns := 20
	if dialect == "sqlite3" {
		conns = 8 // WAL serves many readers; writers queue on the busy timeout
	}
	db.SetMaxOpenConns(conns)
	// Keep every connection: database/sql keeps only 2 idle by default, so
	// under load each request would open a new one (on PostgreSQL a new
	// server process, on both a cold statement cache).
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	client := ent.NewClient(ent.Driver(txDriver{entsql.OpenDB(dialect, db)}))
	st := &Store{Client: client, DB: db, Dialect: dialect}
	if dialect == "sqlite3" {
		st.writer = make(chan struct{}, 1)
		st.Writes = &Writes{}
		client.Use(st.Writes.Hook())
	}
	if err := st.migrate(ctx, databaseURL); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("migrate the database: %w", err)
	}
	if !opts.KeepMigrationLock {
		st.MigrationDone()
	}
	return st, nil
}

// migrationLockKey names Onramp's PostgreSQL advisory lock of migrations.
const migrationLockKey = 0x6f6e72616d70 // "onramp"

// migrate brings the schema up to date under a database-wide lock, so
// replicas starting together on a fresh database migrate one after the
// other (concurrent CREATE TABLEs collide in PostgreSQL's catalog). On
// PostgreSQL the lock is an advisory lock held by a connection of its own,
// which also runs ent's migration without the statement timeout; on SQLite
// each DDL statement takes the file's single writer lock.
func (s *Store) migrate(ctx context.Context, databaseURL string) error {
	migrating.Lock()
	defer migrating.Unlock() // ent's table descriptions are package-level
	if s.Dialect == "sqlite3" {
		if err := s.Client.Schema.Create(System(ctx)); err != nil {
			return err
		}
		if err := backfillEmptyStrings(ctx, s.DB); err != nil {
			return err
		}
		if err := backfillUserLanguages(ctx, s.DB); err != nil {
			return err
		}
		return backfillEventSequences(ctx, s.DB)
	}
	lockDB, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return err
	}
	// One connection: the lock and the migration share its session.
	lockDB.SetMaxOpenConns(1)
	lockDB.SetMaxIdleConns(1)
	lockDB.SetConnMaxIdleTime(0)
	if _, err := lockDB.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
		_ = lockDB.Close()
		return fmt.Errorf("take the migration lock: %w", err)
	}
	s.lockDB = lockDB
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, lockDB)))
	if err := client.Schema.Create(System(ctx)); err != nil {
		return err
	}
	if err := backfillEmptyStrings(ctx, lockDB); err != nil {
		return err
	}
	if err := backfillUserLanguages(ctx, lockDB); err != nil {
		return err
	}
	return backfillEventSequences(ctx, lockDB)
}

// backfillUserLanguages gives the people recorded before languages were
// the language of the first order of their organization (the one that
// created it), English when there is none.
func backfillUserLanguages(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `UPDATE users SET language = COALESCE((
		SELECT o.language FROM orders o
		WHERE o.partner_org_id = users.organization_id OR o.customer_org_id = users.organization_id
		ORDER BY o.created_at LIMIT 1), 'en')
		WHERE language IS NULL OR language = ''`)
	if err != nil {
		return fmt.Errorf("set the users' languages: %w", err)
	}
	return nil
}

// backfillEventSequences numbers the events recorded before events had
// sequences: each order's in id order, which was their order (an order's
// changes held its row lock, and one process made their ids). Their feed
// positions need no backfill: the feed's sequencer numbers every event
// without one, oldest id first, at its first pass.
func backfillEventSequences(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `UPDATE events SET sequence = (
		SELECT count(*) FROM events e2 WHERE e2.order_id = events.order_id AND e2.id <= events.id)
		WHERE sequence IS NULL`)
	if err != nil {
		return fmt.Errorf("number the events of each order: %w", err)
	}
	return nil
}

// MigrationDone releases the migration lock Open kept (KeepMigrationLock);
// it does nothing when none is held.
func (s *Store) MigrationDone() {
	if s.lockDB != nil {
		// Closing the session releases its advisory lock.
		_ = s.lockDB.Close()
		s.lockDB = nil
	}
}

// withStatementTimeout adds statement_timeout to a PostgreSQL URL that sets
// none; pgx sends it as a run-time parameter of every connection.
func withStatementTimeout(databaseURL string, d time.Duration) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL // sql.Open reports it
	}
	q := u.Query()
	if q.Has("statement_timeout") {
		return databaseURL
	}
	q.Set("statement_timeout", strconv.FormatInt(d.Milliseconds(), 10))
	u.RawQuery = q.Encode()
	return u.String()
}

// writableDir creates dataDir when missing and checks that the process may
// write there, so a read-only or foreign-owned directory is named as such
// at start instead of failing later as "no such file or directory".
func writableDir(dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create the data directory %s: %w", dataDir, err)
	}
	f, err := os.CreateTemp(dataDir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("the data directory %s is not writable by this process (check its owner and mode, or set --data-dir): %w", dataDir, err)
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	return nil
}

// emptyStringColumns are optional text columns the API shows as "" when
// unset. Rows written before the columns defaulted to the empty string hold
// NULL there, which a filter on "" would not match; they are emptied once.
var emptyStringColumns = []struct{ table, column string }{
	{"orders", "confirmed_by_email"},
	{"escalations", "resolved_by"},
	{"escalations", "note"},
}

func backfillEmptyStrings(ctx context.Context, db *sql.DB) error {
	for _, c := range emptyStringColumns {
		q := fmt.Sprintf(`UPDATE %s SET %s = '' WHERE %s IS NULL`, c.table, c.column, c.column) //nolint:gosec // names from the constant list above
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("set %s.%s: %w", c.table, c.column, err)
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.MigrationDone()
	return s.Client.Close()
}

// System marks ctx as work done by Onramp itself (migrations, key
// management, jobs) rather than for a caller: the privacy rules let it
// through. Use it only where no caller's scope applies.
func System(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// maxAttempts bounds the retries of a transaction that lost a race with
// another writer.
const maxAttempts = 5

// InTx runs fn in a transaction and commits it when fn returns nil; any error
// rolls it back, so a call that ends in userErrors writes nothing. fn reaches
// the transaction through ent.FromContext(ctx) (or Tx). A transaction that
// failed only because of a concurrent writer is retried a bounded number of
// times; fn must therefore have no effects outside the transaction (use
// tx.OnCommit for those).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ent.TxFromContext(ctx) != nil {
		return fn(ctx) // join the caller's transaction
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = s.inTxOnce(ctx, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
	}
	return err
}

func (s *Store) inTxOnce(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if s.writer != nil {
		select {
		case s.writer <- struct{}{}:
			defer func() { <-s.writer }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	holder := &sqlTxHolder{}
	ctx = context.WithValue(ctx, sqlTxKey{}, holder)
	tx, err := s.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	txCtx := ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx)
	if err := fn(txCtx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return tx.Commit()
}

// Tx returns the client of the transaction in ctx, or nil outside one.
func Tx(ctx context.Context) *ent.Client {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	return nil
}

// retryable reports whether err is a conflict with a concurrent transaction
// that a new attempt may not meet: SQLite's busy or locked database,
// PostgreSQL's serialization failure or deadlock.
func retryable(err error) bool {
	if se, ok := errors.AsType[sqlite3.Error](err); ok {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// AfterCommit runs f once the transaction of ctx has committed (at once
// outside a transaction). Publishing changes from here means no one hears of
// a change that was rolled back.
func AfterCommit(ctx context.Context, f func()) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		f()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				f()
			}
			return err
		})
	})
}

// WithClient returns ctx carrying client for ent.FromContext, for code that
// reads through ent.FromContext outside a transaction.
func WithClient(ctx context.Context, client *ent.Client) context.Context {
	return ent.NewContext(ctx, client)
}

// IsTimeout reports whether err is a statement stopped at a deadline: the
// request's own (context), PostgreSQL's statement_timeout or a cancelled
// query, or an interrupted SQLite statement.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pe.Code == "57014" // query_canceled (statement_timeout too)
	}
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrInterrupt
}

// IsTooLarge reports whether the database refused a statement for its size
// (an expression nested or joined past its limits): the caller asked too
// much, nothing broke.
func IsTooLarge(err error) bool {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		// stack depth, program limit, the parser's own stack
		return pe.Code == "54001" || pe.Code == "54000" ||
			(pe.Code == "42601" && strings.Contains(pe.Message, "memory exhausted"))
	}
	if se, ok := errors.AsType[sqlite3.Error](err); ok {
		return se.Code == sqlite3.ErrTooBig ||
			(se.Code == sqlite3.ErrError && (strings.Contains(se.Error(), "too large") || strings.Contains(se.Error(), "too many")))
	}
	return false
}
