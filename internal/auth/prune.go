package auth

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"onramp/ent/partnersession"
	"onramp/ent/ticket"
	"onramp/internal/store"
)

// pruneGrace is how long after its expiry a session or ticket row is
// kept: its token is refused as EXPIRED by its own claims by then, so the
// row no longer decides anything.
const pruneGrace = 24 * time.Hour

// Prune deletes the partner sessions and tickets (mailed links) whose
// tokens expired more than a day ago, and answers how many of each.
func (a *Authority) Prune(ctx context.Context) (sessions, tickets int, err error) {
	sys := store.System(ctx)
	before := a.now().Add(-pruneGrace)
	if sessions, err = a.client.PartnerSession.Delete().Where(partnersession.ExpiresAtLT(before)).Exec(sys); err != nil {
		return 0, 0, err
	}
	tickets, err = a.client.Ticket.Delete().Where(ticket.ExpiresAtLT(before)).Exec(sys)
	return sessions, tickets, err
}

// PruneArgs is the hourly job that runs Prune.
type PruneArgs struct{}

// Kind implements river.JobArgs.
func (PruneArgs) Kind() string { return "prune_tokens" }

// PruneWorker runs PruneArgs, then More: the other domains' prunes of rows
// that have aged out (idempotency keys, redelivery records).
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Auth *Authority
	More []func(context.Context) error
}

// Work implements river.Worker.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	if _, _, err := w.Auth.Prune(ctx); err != nil {
		return err
	}
	for _, prune := range w.More {
		if err := prune(ctx); err != nil {
			return err
		}
	}
	return nil
}

// PrunePeriodically is the schedule of PruneArgs: hourly, and once at
// start.
func PrunePeriodically() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
