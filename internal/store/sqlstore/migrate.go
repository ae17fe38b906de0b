package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// Migrate brings the schema on c to the latest of ms (the engine's own
// migration files). Each migration and its schema_version row commit
// together, so a crash mid-way leaves the previous version intact and the next
// Open retries. A schema newer than ms is an error: this wharf is older than
// the database.
//
// c is the pool, or for a caller that must hold a session lock meanwhile
// (PostgreSQL), the connection holding it.
func Migrate(ctx context.Context, c Pool, d Dialect, ms []sqlcommon.Migration) error {
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at BIGINT  NOT NULL
	)`); err != nil {
		return err
	}
	var current int
	if err := c.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return err
	}
	pending, err := sqlcommon.Pending(ms, current)
	if err != nil {
		return err
	}
	record := `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`
	if d.Rebind {
		record = sqlcommon.Rebind(record)
	}
	for _, m := range pending {
		tx, err := c.Begin(ctx, nil)
		if err != nil {
			return err
		}
		// No arguments: both drivers run a file of several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, record, m.Version, m.Name, time.Now().UnixMilli()); err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	return nil
}
