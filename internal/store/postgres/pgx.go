package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wharf-dev/wharf/internal/store/sqlstore"
)

// pgxQueryer is what a pgxpool.Pool, a pgxpool.Conn and a pgx.Tx share.
type pgxQueryer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgxBeginner is a pgxQueryer that begins transactions: the pool, or one
// connection of it.
type pgxBeginner interface {
	pgxQueryer
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// pgxPool adapts pgx to sqlstore.Pool: the queries run on pgx natively, with
// its own value encoding and no database/sql layer in between.
type pgxPool struct{ p pgxBeginner }

func (p pgxPool) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return pgxExec(p.p, ctx, query, args)
}

func (p pgxPool) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return p.p.Query(ctx, query, args...)
}

func (p pgxPool) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return p.p.QueryRow(ctx, query, args...)
}

func (p pgxPool) Begin(ctx context.Context, opts *sql.TxOptions) (sqlstore.Tx, error) {
	o, err := txOptions(opts)
	if err != nil {
		return nil, err
	}
	tx, err := p.p.BeginTx(ctx, o)
	if err != nil {
		return nil, err
	}
	return pgxTx{tx}, nil
}

type pgxTx struct{ tx pgx.Tx }

func (t pgxTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return pgxExec(t.tx, ctx, query, args)
}

func (t pgxTx) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return t.tx.Query(ctx, query, args...)
}

func (t pgxTx) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return t.tx.QueryRow(ctx, query, args...)
}

func (t pgxTx) Commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t pgxTx) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }

func pgxExec(q pgxQueryer, ctx context.Context, query string, args []any) (int64, error) {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// txOptions turns the dialect's database/sql options into pgx's.
func txOptions(opts *sql.TxOptions) (pgx.TxOptions, error) {
	var o pgx.TxOptions
	if opts == nil {
		return o, nil
	}
	switch opts.Isolation {
	case sql.LevelDefault:
	case sql.LevelReadCommitted:
		o.IsoLevel = pgx.ReadCommitted
	case sql.LevelRepeatableRead:
		o.IsoLevel = pgx.RepeatableRead
	case sql.LevelSerializable:
		o.IsoLevel = pgx.Serializable
	default:
		return o, fmt.Errorf("postgres: unsupported isolation level %v", opts.Isolation)
	}
	if opts.ReadOnly {
		o.AccessMode = pgx.ReadOnly
	}
	return o, nil
}
