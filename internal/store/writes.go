package store

import (
	"context"
	"sync/atomic"

	"onramp/ent"
)

// Writes numbers the writes made through the store's client, for what a
// process may remember until the next write (on SQLite, where the serving
// process is the only writer of orders). Its hook moves the generation when
// a mutation runs and again when the mutation's transaction commits (at
// once outside one): a value read after Gen returned g, and kept under g,
// is current as long as Gen still returns g. No value read before a commit
// is answered after it.
type Writes struct{ gen atomic.Uint64 }

// Gen is the current generation: read it before reading what is kept.
func (w *Writes) Gen() uint64 { return w.gen.Load() }

// Hook moves the generation around every mutation of any entity.
func (w *Writes) Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			w.gen.Add(1)
			v, err := next.Mutate(ctx, m)
			if txm, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
				if tx, txErr := txm.Tx(); txErr == nil {
					tx.OnCommit(func(next ent.Committer) ent.Committer {
						return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
							defer w.gen.Add(1)
							return next.Commit(ctx, tx)
						})
					})
					return v, err
				}
			}
			w.gen.Add(1)
			return v, err
		})
	}
}
