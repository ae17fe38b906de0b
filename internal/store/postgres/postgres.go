// Package postgres is wharf's metadata store for the scale-out mode: store.Store on
// one PostgreSQL database shared by several stateless wharf replicas, through
// github.com/jackc/pgx/v5 (pgxpool).
//
// Concurrency: every write runs in a SERIALIZABLE transaction, so the
// read-then-write logic the sqlite backend gets from its single writer holds here
// across connections and replicas too. A serialization failure or deadlock means
// "another transaction won, run again": the transaction is retried, and the rerun
// sees the winner's row (a duplicate create then fails on the unique index and
// becomes apperr.Conflict). Multi-statement reads run in a read-only REPEATABLE
// READ transaction so they see one snapshot.
//
// The schema lives in the first schema of the connection's search_path (normally
// public); set search_path in the DSN to keep several stores in one database.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// Store is a store.Store backed by a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a key=value
// string, as libpq and pgx accept, including pgxpool's pool_max_conns and the
// like) and migrates its schema forward to the latest version. Concurrent Opens
// from several replicas are safe: migrations run under an advisory lock.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn redacts the password from the DSN it quotes in this error.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// querier is what the pool and a transaction share, so lookups run inside or
// outside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// maxAttempts bounds how often one write is retried after serialization
// failures. Each retry follows another transaction's commit, so even the
// storetest races (16 writers on one key) settle in a couple of attempts.
const maxAttempts = 25

// errRetry asks write to run the transaction again: for a unique violation that
// a rerun resolves (the rerun reads the row that got in first).
var errRetry = errors.New("postgres: retry transaction")

// write runs fn in one SERIALIZABLE transaction, committing when it returns nil
// and rerunning it after serialization failures and deadlocks.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := range maxAttempts {
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, fn)
		if !retryable(err) {
			return err
		}
		if werr := backoff(ctx, attempt); werr != nil {
			return werr
		}
	}
	return fmt.Errorf("postgres: transaction still conflicting after %d attempts: %w", maxAttempts, err)
}

// read runs fn in a read-only REPEATABLE READ transaction: one snapshot for
// reads of several statements. Such transactions never fail to serialize.
func (s *Store) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// backoff sleeps a short random time growing with attempt, so retrying writers
// spread out instead of colliding again in lockstep.
func backoff(ctx context.Context, attempt int) error {
	ceiling := min(time.Millisecond<<min(attempt, 6), 50*time.Millisecond)
	t := time.NewTimer(rand.N(ceiling) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// SQLSTATE codes wharf reacts to.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

func sqlState(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func isUniqueViolation(err error) bool     { return sqlState(err) == codeUniqueViolation }
func isForeignKeyViolation(err error) bool { return sqlState(err) == codeForeignKeyViolation }

func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	switch sqlState(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	}
	return false
}

// exists reports whether query returns a row.
func exists(ctx context.Context, q querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRow(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// collect scans every row with scan; an empty result is an empty, non-nil slice.
func collect[T any](rows pgx.Rows, scan func(sqlcommon.Scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	return sqlcommon.Collect(rows, scan)
}
