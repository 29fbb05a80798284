package storetest

import (
	"context"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// CountingDriver counts the statements that reach the database through it,
// in and out of transactions, for tests that bound round trips (no N+1).
type CountingDriver struct {
	dialect.Driver
	N *atomic.Int64
}

func (d CountingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.N.Add(1)
	return d.Driver.Query(ctx, query, args, v)
}

func (d CountingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.N.Add(1)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d CountingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return countingTx{Tx: tx, n: d.N}, nil
}

type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

func (t countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Query(ctx, query, args, v)
}

func (t countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Exec(ctx, query, args, v)
}
