// Package jobs runs Onramp's background work on River. Every job is inserted
// in the transaction of the change that causes it (Enqueue), so a rollback
// takes the job with it and a commit never loses it; River then runs it,
// retries it, and rescues it from a crashed process.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"onramp/internal/store"
)

// Config tunes the queue.
type Config struct {
	// SQLitePath is the database file when the store is SQLite: River gets a
	// one-connection pool of its own on it, as its SQLite driver asks.
	SQLitePath string
	// Workers run jobs; with 0 this process only inserts them.
	Workers int
	// PollInterval is how often idle workers look for due jobs.
	PollInterval time.Duration
	// RescueAfter is when a running job of a dead process is retried.
	RescueAfter time.Duration
	// Time stubs River's clock in tests; nil is the wall clock.
	Time rivertype.TimeGenerator
}

// Queue is the job queue.
type Queue struct {
	client *river.Client[*sql.Tx]
	own    *sql.DB // River's own pool (SQLite), closed with the queue
	log    *slog.Logger
}

// New migrates River's tables and returns a queue working with workers.
func New(ctx context.Context, st *store.Store, workers *river.Workers, cfg Config, log *slog.Logger) (*Queue, error) {
	var (
		driver riverdriver.Driver[*sql.Tx]
		own    *sql.DB
	)
	switch st.Dialect {
	case "sqlite3":
		db, err := sql.Open("sqlite3", store.SQLiteDSN(cfg.SQLitePath))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		own = db
		driver = riversqlite.New(db)
	default:
		driver = riverdatabasesql.New(st.DB)
	}
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, closeOwn(own, err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, closeOwn(own, fmt.Errorf("migrate the job tables: %w", err))
	}
	rc := &river.Config{
		Logger:               log.With("component", "jobs"),
		Workers:              workers,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        cfg.PollInterval / 2,
		RescueStuckJobsAfter: cfg.RescueAfter,
		JobTimeout:           2 * time.Minute,
		MaxAttempts:          25,
		Test:                 river.TestConfig{Time: cfg.Time},
	}
	if cfg.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, closeOwn(own, err)
	}
	return &Queue{client: client, own: own, log: log}, nil
}

func closeOwn(db *sql.DB, err error) error {
	if db != nil {
		_ = db.Close()
	}
	return err
}

// Start starts working jobs.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop lets running jobs finish (until ctx ends; jobs cut short are retried
// later) and closes River's own pool.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		q.log.Warn("jobs still running at the shutdown deadline; they will be retried", "error", err)
		err = nil
	}
	if q.own != nil {
		err = errors.Join(err, q.own.Close())
	}
	return err
}

// Enqueue inserts a job in the transaction of ctx (store.InTx): it exists if
// and only if that transaction commits.
func (q *Queue) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	tx, err := store.SQLTx(ctx)
	if err != nil {
		return err
	}
	_, err = q.client.InsertTx(ctx, tx, args, opts)
	return err
}

// Once makes a job unique by its arguments for as long as it is pending or
// done: the same job is never queued twice.
func Once() river.UniqueOpts {
	return river.UniqueOpts{ByArgs: true}
}

// Subscribe reports job events (for tests and the benchmark).
func (q *Queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return q.client.Subscribe(kinds...)
}

// Client is the River client, for tests that inspect jobs.
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }
