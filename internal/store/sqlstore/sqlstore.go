// Package sqlstore is wharf's metadata store written once in SQL: store.Store
// over a small Pool interface (database/sql for SQLite, pgx for PostgreSQL, see
// engine.go), run by the sqlite and postgres packages with a Dialect that says
// where the two databases differ (placeholders, error codes, a prefix test, the
// write discipline, blob locking). Everything else, every query included, is
// this package's, so a fix or a new query is made once and the storetest
// conformance suite checks it on both engines.
//
// Queries are written with ? placeholders; a dialect with Rebind set sees them
// as $1, $2, … (rewritten once per query text and cached).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// Dialect is what differs between the SQL engines wharf runs on.
type Dialect struct {
	// Name prefixes error messages ("sqlite", "postgres").
	Name string
	// Rebind turns ? placeholders into $n (PostgreSQL).
	Rebind bool
	// WriteTx and ReadTx are the options of write transactions and of
	// multi-statement read transactions (one snapshot).
	WriteTx, ReadTx *sql.TxOptions
	// MaxAttempts bounds how often a write transaction is run when Retryable
	// says a failure means "another transaction won, run again"; 1 means
	// never rerun (SQLite's single writer never loses such a race).
	MaxAttempts int
	// Retryable classifies a write transaction's error (serialization failure,
	// deadlock). ErrRetry is always retryable.
	Retryable func(error) bool
	// IsUniqueViolation and IsForeignKeyViolation classify constraint errors.
	IsUniqueViolation, IsForeignKeyViolation func(error) bool
	// StartsWith is a condition on column %s holding a case-sensitive prefix,
	// with PrefixArgs placeholders each bound to the prefix.
	StartsWith string
	PrefixArgs int
	// BlobLock, when set, is a statement taking a transaction-scoped lock
	// named by its one argument; blob pin/sweep transactions run at
	// BlobLockTx isolation holding it. Unset, they are ordinary writes (a
	// single writer already orders them).
	BlobLock   string
	BlobLockTx *sql.TxOptions
	// ClaimLock ends a SELECT in a write transaction that claims rows several
	// replicas poll ("" where one writer already excludes the others).
	ClaimLock string
}

// ErrRetry, returned from a write transaction's function, runs it again: for a
// unique violation that a rerun resolves (the rerun reads the row that got in
// first).
var ErrRetry = errors.New("sqlstore: retry transaction")

// Store is a store.Store on a SQL database.
type Store struct {
	d  *Dialect
	w  Pool // writes (SQLite: the one writer connection)
	wr conn // single-statement writes, outside a transaction
	rd conn // reads outside transactions
	r  Pool
	rb *rebinder
}

// New returns a store writing through w and reading through r (the same pool
// when the engine has no separate readers). The caller keeps closing them.
func New(d Dialect, w, r Pool) *Store {
	if d.MaxAttempts < 1 {
		d.MaxAttempts = 1
	}
	if d.Retryable == nil {
		d.Retryable = func(error) bool { return false }
	}
	rb := &rebinder{on: d.Rebind, cache: map[string]string{}}
	return &Store{d: &d, w: w, r: r, wr: conn{w, rb}, rd: conn{r, rb}, rb: rb}
}

// maxRebound bounds the rebind cache: queries whose text depends on the number
// of arguments (IN lists, batched inserts) beyond that are rewritten each time.
const maxRebound = 4096

// rebinder rewrites ? placeholders once per query text.
type rebinder struct {
	on    bool
	mu    sync.RWMutex
	cache map[string]string
}

func (rb *rebinder) sql(q string) string {
	if !rb.on {
		return q
	}
	rb.mu.RLock()
	out, ok := rb.cache[q]
	rb.mu.RUnlock()
	if ok {
		return out
	}
	out = sqlcommon.Rebind(q)
	rb.mu.Lock()
	if len(rb.cache) < maxRebound {
		rb.cache[q] = out
	}
	rb.mu.Unlock()
	return out
}

// conn runs queries written with ? placeholders on a pool or in a
// transaction. Inside a write transaction always use the transaction's conn:
// SQLite's writer pool has one connection and a second query on it would wait
// forever.
type conn struct {
	q  Queryer
	rb *rebinder
}

// result is a statement's row count, as sql.Result says it.
type result int64

func (r result) RowsAffected() (int64, error) { return int64(r), nil }

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (result, error) {
	n, err := c.q.Exec(ctx, c.rb.sql(query), args...)
	return result(n), err
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (Rows, error) {
	return c.q.Query(ctx, c.rb.sql(query), args...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) Row {
	return c.q.QueryRow(ctx, c.rb.sql(query), args...)
}

// errorf is fmt.Errorf with the engine's name in front.
func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{s.d.Name}, args...)...)
}

func (s *Store) isUniqueViolation(err error) bool {
	return err != nil && s.d.IsUniqueViolation(err)
}

func (s *Store) isForeignKeyViolation(err error) bool {
	return err != nil && s.d.IsForeignKeyViolation(err)
}

// write runs fn in one write transaction, committing when it returns nil and
// rerunning it (up to the dialect's MaxAttempts) after retryable failures.
func (s *Store) write(ctx context.Context, fn func(tx conn) error) error {
	var err error
	for attempt := range s.d.MaxAttempts {
		err = s.inTx(ctx, s.w, s.d.WriteTx, fn)
		if !errors.Is(err, ErrRetry) && !s.d.Retryable(err) {
			return err
		}
		if attempt+1 == s.d.MaxAttempts {
			break
		}
		if werr := backoff(ctx, attempt); werr != nil {
			return werr
		}
	}
	return s.errorf("transaction still conflicting after %d attempts: %w", s.d.MaxAttempts, err)
}

// read runs fn in a read-only transaction: one snapshot for reads of several
// statements.
func (s *Store) read(ctx context.Context, fn func(tx conn) error) error {
	return s.inTx(ctx, s.r, s.d.ReadTx, fn)
}

// inTx runs fn in a transaction on db, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, db Pool, opts *sql.TxOptions, fn func(tx conn) error) error {
	tx, err := db.Begin(ctx, opts)
	if err != nil {
		return s.errorf("begin: %w", err)
	}
	if err := fn(conn{tx, s.rb}); err != nil {
		// Rollback even when ctx is done, so the connection goes back clean.
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		if s.d.Retryable(err) {
			return err
		}
		return s.errorf("commit: %w", err)
	}
	return nil
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

// exists reports whether query returns a row.
func exists(ctx context.Context, q conn, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// affected returns how many rows res touched.
func (s *Store) affected(res result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errorf("rows affected: %w", err)
	}
	return n, nil
}

// collect runs query and scans every row with scan; an empty result is an
// empty, non-nil slice.
func collect[T any](ctx context.Context, q conn, scan func(sqlcommon.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlcommon.Collect(rows, scan)
}

// pageQuery appends keyset pagination to a query whose WHERE clause is already
// open (ends in a condition): a row-value comparison on cols after the cursor,
// ORDER BY cols and, with a limit, LIMIT limit+1 so the caller can tell whether
// there is a next page. Text columns compare bytewise on both engines (SQLite's
// BINARY, PostgreSQL's COLLATE "C" in the schema).
func pageQuery(q *strings.Builder, args []any, p store.Page, cols ...string) ([]any, error) {
	if p.Cursor != "" {
		key, err := sqlcommon.DecodeCursor(p.Cursor, len(cols))
		if err != nil {
			return nil, err
		}
		q.WriteString(" AND (" + strings.Join(cols, ", ") + ") > (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")")
		for _, k := range key {
			args = append(args, k)
		}
	}
	q.WriteString(" ORDER BY " + strings.Join(cols, ", "))
	if p.Limit > 0 {
		q.WriteString(" LIMIT ?")
		args = append(args, p.Limit+1)
	}
	return args, nil
}

// prefixCond appends " AND " and the dialect's case-sensitive prefix
// condition on col to q, and its arguments to args.
func (s *Store) prefixCond(q *strings.Builder, col, prefix string, args []any) []any {
	q.WriteString(" AND ")
	fmt.Fprintf(q, s.d.StartsWith, col)
	for range s.d.PrefixArgs {
		args = append(args, prefix)
	}
	return args
}
