package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
	"github.com/wharf-dev/wharf/internal/store/sqlstore"
)

// migrations are numbered files NNNN_name.sql, applied in order (see
// sqlcommon.LoadMigrations).
//
//go:embed migrations/*.sql
var migrations embed.FS

func loadMigrations() ([]sqlcommon.Migration, error) {
	return sqlcommon.LoadMigrations(migrations, "migrations")
}

// migrationLockClass is the first key of the advisory lock migrations hold ("wh"
// "ar" in ASCII); the second is a hash of the schema being migrated, so stores in
// different schemas of one database do not wait for each other.
const migrationLockClass int32 = 0x77686172

// migrate brings the schema to the latest version. Replicas starting together
// all call it: a session advisory lock makes them take turns, and each one reads
// the schema version only once it holds the lock, so the first migrates and the
// others find nothing left to do (sqlstore.Migrate, on the connection holding
// the lock; pgx runs a migration file without arguments as a simple query,
// which may hold several statements). A lost connection releases the lock by
// itself.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	const lockKey = `$1::int4, hashtext(COALESCE(current_schema(), ''))`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`, migrationLockClass); err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx is done; if this fails, destroy the connection
		// (which releases the lock) rather than return it to the pool locked.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var unlocked bool
		if err := conn.QueryRow(uctx, `SELECT pg_advisory_unlock(`+lockKey+`)`, migrationLockClass).Scan(&unlocked); err != nil || !unlocked {
			conn.Conn().Close(uctx)
		}
	}()
	return sqlstore.Migrate(ctx, pgxPool{conn}, dialect, ms)
}
