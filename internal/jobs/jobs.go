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

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
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
	// DatabaseURL is the PostgreSQL database when the store is PostgreSQL:
	// workers get a pgx pool of their own on it, so they hear of new jobs
	// through LISTEN/NOTIFY instead of waiting for the next poll.
	DatabaseURL string
	// Workers run jobs; with 0 this process only inserts them.
	Workers int
	// PollInterval is how often idle workers look for due jobs.
	PollInterval time.Duration
	// RescueAfter is when a running job of a dead process is retried; a job
	// may run no longer (and never over two minutes).
	RescueAfter time.Duration
	// Time stubs River's clock in tests; nil is the wall clock.
	Time rivertype.TimeGenerator
	// Periodic are jobs River queues on a schedule (on PostgreSQL, only its
	// elected leader does, so once across replicas).
	Periodic []*river.PeriodicJob
}

// WebhookQueue is the River queue of webhook deliveries.
const WebhookQueue = "webhooks"

// Queue is the job queue.
type Queue struct {
	// client inserts jobs in ent's transactions (a *sql.Tx). On SQLite it
	// also works them; on PostgreSQL work runs on riverpgxv5 (worker).
	client *river.Client[*sql.Tx]
	worker runner
	own    *sql.DB       // River's own pool (SQLite), closed with the queue
	pool   *pgxpool.Pool // the workers' pool (PostgreSQL), closed with the queue
	log    *slog.Logger
}

// runner is the part of a River client that works jobs, whatever its
// driver's transaction type.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// New migrates River's tables and returns a queue working with workers.
//
// On SQLite one client inserts and works. On PostgreSQL two clients share
// the tables: riverdatabasesql inserts inside ent's *sql.Tx (its insert
// sends River's NOTIFY in that transaction), and riverpgxv5 works jobs on a
// pgx pool, where River's listener, leader election and FOR UPDATE SKIP
// LOCKED fetches make each job run once across replicas.
func New(ctx context.Context, st *store.Store, workers *river.Workers, cfg Config, log *slog.Logger) (*Queue, error) {
	q := &Queue{log: log}
	var driver riverdriver.Driver[*sql.Tx]
	switch st.Dialect {
	case "sqlite3":
		db, err := sql.Open("sqlite3", store.SQLiteDSN(cfg.SQLitePath))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		q.own = db
		driver = riversqlite.New(db)
	default:
		driver = riverdatabasesql.New(st.DB)
	}
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, q.closePools(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, q.closePools(fmt.Errorf("migrate the job tables: %w", err))
	}
	rc := func(work bool) *river.Config {
		c := &river.Config{
			Logger:               slog.New(quieter{log.Handler()}).With("component", "jobs"),
			Middleware:           []rivertype.Middleware{&outcomeLog{log: log}},
			Workers:              workers,
			FetchPollInterval:    cfg.PollInterval,
			FetchCooldown:        cfg.PollInterval / 2,
			RescueStuckJobsAfter: cfg.RescueAfter,
			JobTimeout:           min(2*time.Minute, cfg.RescueAfter),
			MaxAttempts:          25,
			Test:                 river.TestConfig{Time: cfg.Time},
		}
		if work && cfg.Workers > 0 {
			c.PeriodicJobs = cfg.Periodic
			c.Queues = map[string]river.QueueConfig{
				river.QueueDefault: {MaxWorkers: cfg.Workers},
				// Webhook deliveries wait on partners' receivers (up to
				// 10 s each): their own workers, so a hanging receiver
				// never delays the setup emails; and many of them, since
				// waiting costs little and one partner holds at most
				// webhooks.MaxInFlightPerAccount of them.
				// A delivery's first attempt should leave within a few
				// hundred milliseconds of its commit: the queue fetches
				// at most 20 ms after a job is inserted (River hears of
				// inserts by LISTEN on PostgreSQL, and of this process's
				// own inserts on SQLite) and polls every 200 ms for
				// anything it did not hear of (another process's insert
				// on SQLite, a snooze or retry come due).
				WebhookQueue: {
					MaxWorkers:        max(16, 2*cfg.Workers),
					FetchCooldown:     min(cfg.PollInterval/2, 20*time.Millisecond),
					FetchPollInterval: min(cfg.PollInterval, 200*time.Millisecond),
				},
			}
		}
		return c
	}
	if st.Dialect == "sqlite3" {
		client, err := river.NewClient(driver, rc(true))
		if err != nil {
			return nil, q.closePools(err)
		}
		q.client, q.worker = client, client
		return q, nil
	}
	// PostgreSQL: an insert-only client on database/sql, workers on pgx.
	if q.client, err = river.NewClient(driver, rc(false)); err != nil {
		return nil, q.closePools(err)
	}
	poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, q.closePools(fmt.Errorf("job workers' database URL: %w", err))
	}
	// Each worker may hold a connection; River's listener, leader and
	// maintenance services take a few more.
	poolCfg.MaxConns = int32(cfg.Workers + 5) //nolint:gosec // a worker count from configuration, far below 2^31
	if q.pool, err = pgxpool.NewWithConfig(ctx, poolCfg); err != nil {
		return nil, q.closePools(fmt.Errorf("connect the job workers: %w", err))
	}
	worker, err := river.NewClient(riverpgxv5.New(q.pool), rc(true))
	if err != nil {
		return nil, q.closePools(err)
	}
	q.worker = worker
	return q, nil
}

// closePools closes the pools the queue opened and returns err.
func (q *Queue) closePools(err error) error {
	if q.own != nil {
		err = errors.Join(err, q.own.Close())
	}
	if q.pool != nil {
		q.pool.Close()
	}
	return err
}

// Start starts working jobs.
func (q *Queue) Start(ctx context.Context) error { return q.worker.Start(ctx) }

// cancelGrace is the part of a shutdown deadline kept for cancelled jobs to
// record their failed attempt.
const cancelGrace = time.Second

// Stop lets running jobs finish until shortly before ctx's deadline, then
// cancels those still running: each records a failed attempt and is retried
// at its next retry time, by this process or another. A job that ignores its
// cancellation is left to the stuck-job rescuer (RescueAfter). Stop closes
// River's own pool.
func (q *Queue) Stop(ctx context.Context) error {
	soft := ctx
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) > 2*cancelGrace {
		var cancel context.CancelFunc
		soft, cancel = context.WithDeadline(ctx, dl.Add(-cancelGrace))
		defer cancel()
	}
	err := q.worker.Stop(soft)
	if err != nil && ctx.Err() == nil {
		q.log.Warn("jobs still running at the shutdown deadline: cancelling them; they will be retried")
		err = q.worker.StopAndCancel(ctx)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		q.log.Warn("jobs ignored their cancellation; the stuck-job rescuer will retry them", "error", err)
		err = nil
	}
	return q.closePools(err)
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
	return q.worker.Subscribe(kinds...)
}

// Client is the River client that inserts jobs, for tests that inspect
// them.
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }
