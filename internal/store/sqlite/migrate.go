package sqlite

import (
	"context"
	"database/sql"
	"embed"

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

// migrate brings db (the writer pool: its one connection keeps other writers
// out meanwhile) to the latest schema version.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, sqlstore.DB(db), dialect, ms)
}
