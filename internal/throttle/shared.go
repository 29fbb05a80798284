package throttle

import (
	"context"
	"time"

	"onramp/ent"
	"onramp/ent/throttleentry"
	"onramp/internal/store"
)

// DB keeps the limiters' entries in the database, for replicas on
// PostgreSQL: each update takes a transaction-level advisory lock on its
// limiter and key, reads the entry, and writes what the limiter made of
// it, so that attempts on every replica are counted once each and a check
// and its count cannot be split by another replica's attempt.
type DB struct{ Store *store.Store }

// Update implements Shared.
func (d DB) Update(ctx context.Context, name, key string, fn func(e *Entry) *Entry) error {
	return d.Store.InTx(store.System(ctx), func(ctx context.Context) error {
		if err := d.Store.LockKey(ctx, "throttle:"+name+":"+key); err != nil {
			return err
		}
		client := ent.FromContext(ctx)
		row, err := client.ThrottleEntry.Query().
			Where(throttleentry.Limiter(name), throttleentry.Key(key)).Only(ctx)
		var cur *Entry
		switch {
		case err == nil:
			cur = &Entry{Hits: row.Hits, Last: row.LastAt}
			if row.UntilAt != nil {
				cur.Until = *row.UntilAt
			}
		case ent.IsNotFound(err):
			row = nil
		default:
			return err
		}
		next := fn(cur)
		var until *time.Time
		if next != nil && !next.Until.IsZero() {
			until = &next.Until
		}
		switch {
		case next == nil && row == nil:
			return nil
		case next == nil:
			return client.ThrottleEntry.DeleteOne(row).Exec(ctx)
		case row == nil:
			return client.ThrottleEntry.Create().SetLimiter(name).SetKey(key).
				SetHits(next.Hits).SetLastAt(next.Last).SetNillableUntilAt(until).Exec(ctx)
		default:
			upd := client.ThrottleEntry.UpdateOne(row).SetHits(next.Hits).SetLastAt(next.Last)
			if until == nil {
				upd.ClearUntilAt()
			} else {
				upd.SetUntilAt(*until)
			}
			return upd.Exec(ctx)
		}
	})
}

// Prune deletes the entries quiet since before and no longer waiting
// (every policy forgets a key within a day), and reports how many.
func (d DB) Prune(ctx context.Context, before time.Time) (int, error) {
	return d.Store.Client.ThrottleEntry.Delete().Where(
		throttleentry.LastAtLT(before),
		throttleentry.Or(throttleentry.UntilAtIsNil(), throttleentry.UntilAtLT(before)),
	).Exec(store.System(ctx))
}
