// Package pglock is coord.Locker on PostgreSQL session advisory locks: the
// lock lives as long as the connection that took it, so a replica killed
// mid-fetch releases it when PostgreSQL notices the connection is gone, and
// another replica takes over.
package pglock

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wharf-dev/wharf/internal/coord"
)

// lockClass is the first key of every advisory lock taken here ("wf" "lk");
// the second is a hash of the lock's name. Migrations use another class
// (internal/store/postgres), so the two never wait for each other.
const lockClass int32 = 0x77666c6b

// Locker holds its own small pool: each held lock pins a connection for as
// long as the work it guards (an upstream fetch) runs, and must not starve
// the store's queries.
type Locker struct {
	pool *pgxpool.Pool
}

var _ coord.Locker = (*Locker)(nil)

// MaxHeld is how many locks one replica holds at once; further Lock calls
// wait for a connection (bounded by their context).
const MaxHeld = 16

// New connects to the database at dsn.
func New(ctx context.Context, dsn string) (*Locker, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pglock: %w", err)
	}
	cfg.MaxConns = MaxHeld
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pglock: %w", err)
	}
	return &Locker{pool: pool}, nil
}

// Close releases the pool (and with it any lock still held).
func (l *Locker) Close() { l.pool.Close() }

func key(name string) int32 {
	h := sha256.Sum256([]byte(name))
	return int32(binary.BigEndian.Uint32(h[:4]))
}

// Lock implements coord.Locker. Two names may hash to one key: they then take
// turns, which costs time, never correctness.
func (l *Locker) Lock(ctx context.Context, name string) (func(), error) {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pglock: %w", err)
	}
	k := key(name)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockClass, k); err != nil {
		// A cancelled wait may leave the connection mid-query: never reuse it.
		conn.Conn().Close(context.Background())
		conn.Release()
		return nil, fmt.Errorf("pglock: %w", err)
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var ok bool
		if err := conn.QueryRow(uctx, `SELECT pg_advisory_unlock($1, $2)`, lockClass, k).Scan(&ok); err != nil || !ok {
			// Closing the session releases every lock it held.
			conn.Conn().Close(uctx)
		}
		conn.Release()
	}, nil
}
