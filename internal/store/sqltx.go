package store

import (
	"context"
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// txDriver is ent's SQL driver that also hands the *sql.Tx of each
// transaction it opens to the transaction's context. ent.Tx does not expose
// it, and the job queue must insert its jobs in that very transaction.
type txDriver struct{ *entsql.Driver }

type sqlTxHolder struct{ tx *sql.Tx }

type sqlTxKey struct{}

func (d txDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

func (d txDriver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if h, ok := ctx.Value(sqlTxKey{}).(*sqlTxHolder); ok {
		if t, ok := tx.(*entsql.Tx); ok {
			if st, ok := t.Tx.(*sql.Tx); ok {
				h.tx = st
			}
		}
	}
	return tx, nil
}

// SQLTx returns the *sql.Tx of the transaction InTx runs in ctx, for
// inserting jobs in it.
func SQLTx(ctx context.Context) (*sql.Tx, error) {
	if h, ok := ctx.Value(sqlTxKey{}).(*sqlTxHolder); ok && h.tx != nil {
		return h.tx, nil
	}
	return nil, errors.New("store: no transaction in the context (use Store.InTx)")
}

// LockKey serializes, until the transaction of ctx ends, every transaction
// that locks the same key: counted limits (a check, then a write) hold
// under concurrency. On PostgreSQL a transaction-level advisory lock on the
// key's hash; on SQLite nothing, since write transactions begin IMMEDIATE
// and so already hold the one write lock.
func (s *Store) LockKey(ctx context.Context, key string) error {
	if s.Dialect == "sqlite3" {
		return nil
	}
	tx, err := SQLTx(ctx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
	return err
}
