package sqlstore

import (
	"context"
	"database/sql"
)

// What a store runs its queries on. database/sql (SQLite) and pgx (PostgreSQL,
// natively: no database/sql layer converting every value) each adapt to these
// few methods; DB is the database/sql adapter, the postgres package has pgx's.
// Queries arrive already rebound for the dialect.

// Queryer runs statements: a pool, one connection or a transaction.
type Queryer interface {
	// Exec runs a statement and returns how many rows it touched.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow's Scan returns an error that errors.Is sql.ErrNoRows for no
	// row (pgx's ErrNoRows is one).
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Pool is a Queryer that also begins transactions.
type Pool interface {
	Queryer
	Begin(ctx context.Context, opts *sql.TxOptions) (Tx, error)
}

// Tx is a transaction.
type Tx interface {
	Queryer
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Rows is a result set; pgx.Rows is one as it is.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result: *sql.Row and pgx.Row.
type Row interface {
	Scan(dest ...any) error
}

// DB adapts a database/sql pool. (Each adapter type here is one pointer, so
// passing it as an interface allocates nothing.)
func DB(db *sql.DB) Pool { return sqlDB{db} }

type sqlDB struct{ db *sql.DB }

func (d sqlDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return execResult(d.db.ExecContext(ctx, query, args...))
}

func (d sqlDB) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	return queryResult(d.db.QueryContext(ctx, query, args...))
}

func (d sqlDB) QueryRow(ctx context.Context, query string, args ...any) Row {
	return d.db.QueryRowContext(ctx, query, args...)
}

func (d sqlDB) Begin(ctx context.Context, opts *sql.TxOptions) (Tx, error) {
	tx, err := d.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return sqlTx{tx}, nil
}

type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return execResult(t.tx.ExecContext(ctx, query, args...))
}

func (t sqlTx) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	return queryResult(t.tx.QueryContext(ctx, query, args...))
}

func (t sqlTx) QueryRow(ctx context.Context, query string, args ...any) Row {
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (t sqlTx) Commit(context.Context) error   { return t.tx.Commit() }
func (t sqlTx) Rollback(context.Context) error { return t.tx.Rollback() }

func execResult(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func queryResult(rows *sql.Rows, err error) (Rows, error) {
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// sqlRows is *sql.Rows with Close's error dropped (Err reports what matters).
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }
