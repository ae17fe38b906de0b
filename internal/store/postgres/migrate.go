package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
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
// others find nothing left to do. Each migration and its schema_version row
// commit together, so a crash mid-way leaves the previous version intact and
// the next Open retries. A lost connection releases the lock by itself.
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
	return migrateLocked(ctx, conn.Conn(), ms)
}

func migrateLocked(ctx context.Context, conn *pgx.Conn, ms []sqlcommon.Migration) error {
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at BIGINT  NOT NULL
	)`); err != nil {
		return err
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return err
	}
	pending, err := sqlcommon.Pending(ms, current)
	if err != nil {
		return err
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: pgx sends it as a simple query, which may hold
			// several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	return nil
}
