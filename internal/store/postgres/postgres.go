// Package postgres is wharf's metadata store for the scale-out mode: store.Store on
// one PostgreSQL database shared by several stateless wharf replicas, through
// github.com/jackc/pgx/v5 (pgxpool).
//
// The queries are sqlstore's, shared with the sqlite backend; this package holds
// the connection, the migrations and the PostgreSQL dialect.
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
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlstore"
)

// Store is a store.Store backed by a PostgreSQL database: sqlstore's queries
// with PostgreSQL's dialect, run on a pgxpool through the adapter in pgx.go.
type Store struct {
	*sqlstore.Store
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
	p := pgxPool{pool}
	return &Store{Store: sqlstore.New(dialect, p, p), pool: pool}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// dialect runs sqlstore on PostgreSQL.
var dialect = sqlstore.Dialect{
	Name:   "postgres",
	Rebind: true,
	// Every write is SERIALIZABLE, so the read-then-write logic the sqlite
	// backend gets from its single writer holds across connections and
	// replicas too; a serialization failure or deadlock reruns it.
	WriteTx:     &sql.TxOptions{Isolation: sql.LevelSerializable},
	MaxAttempts: maxAttempts,
	Retryable:   retryable,
	// Multi-statement reads see one snapshot and never fail to serialize.
	ReadTx:                &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	IsUniqueViolation:     isUniqueViolation,
	IsForeignKeyViolation: isForeignKeyViolation,
	// A case-sensitive prefix without LIKE's escaping.
	StartsWith: "starts_with(%s, ?::text)",
	PrefixArgs: 1,
	// Blob pins and sweeps of one digest take turns on a transaction-scoped
	// advisory lock (see sqlstore's blobLocked).
	BlobLock:   `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`,
	BlobLockTx: &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	// Replicas polling the event outbox neither wait on nor claim each
	// other's rows.
	ClaimLock: " FOR UPDATE OF o SKIP LOCKED",
}

// maxAttempts bounds how often one write is retried after serialization
// failures. Each retry follows another transaction's commit, so even the
// storetest races (16 writers on one key) settle in a couple of attempts.
const maxAttempts = 25

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
	switch sqlState(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	}
	return false
}
