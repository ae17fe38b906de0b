package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// DeleteAssets removes a version's asset rows and returns them.
func (s *Store) DeleteAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	var out []model.Asset
	err := s.write(ctx, func(tx *sql.Tx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM package_versions WHERE `+pkgWhere+` AND version = ?`, append(keyArgs(k), version)...)
		if err != nil {
			return fmt.Errorf("sqlite: delete assets: %w", err)
		}
		if !ok {
			return sqlcommon.VersionNotFound(k, version)
		}
		const where = ` FROM assets WHERE domain_owner = ? AND domain_name = ? AND repository = ? AND format = ? AND namespace = ?
			AND package = ? AND version = ?`
		rows, err := tx.QueryContext(ctx, `SELECT `+sqlcommon.AssetCols+where+` ORDER BY name`, append(keyArgs(k), version)...)
		if err != nil {
			return fmt.Errorf("sqlite: delete assets: %w", err)
		}
		out, err = sqlcommon.Collect(rows, sqlcommon.ScanAsset)
		rows.Close()
		if err != nil {
			return fmt.Errorf("sqlite: delete assets: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE`+where, append(keyArgs(k), version)...); err != nil {
			return fmt.Errorf("sqlite: delete assets: %w", err)
		}
		return nil
	})
	return out, err
}

// PinBlob records a pin. SQLite has one writer connection, so it never runs
// between a SweepBlob's decision and its removal.
func (s *Store) PinBlob(ctx context.Context, owner, domain, sha256, id string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blob_pins (pin_id, domain_owner, domain_name, sha256, pinned_at)
			VALUES (?, ?, ?, ?, ?)`, id, owner, domain, sha256, at.UnixMilli())
		if err != nil {
			return fmt.Errorf("sqlite: pin blob: %w", err)
		}
		return nil
	})
}

// UnpinBlobs drops pins by id.
func (s *Store) UnpinBlobs(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM blob_pins WHERE pin_id = ?`, id); err != nil {
				return fmt.Errorf("sqlite: unpin blobs: %w", err)
			}
		}
		return nil
	})
}

// SweepBlob removes an unreferenced, unpinned blob (see store.Store). remove
// runs inside the write transaction: no pin or asset row can appear meanwhile.
func (s *Store) SweepBlob(ctx context.Context, owner, domain, sha256 string, pinnedSince time.Time, remove func(context.Context) error) (bool, error) {
	removed := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		removed = false
		// Pins before references, in one statement (the PostgreSQL backend
		// depends on that order; here the single writer makes it moot).
		used, err := exists(ctx, tx, `SELECT 1 WHERE EXISTS (SELECT 1 FROM blob_pins
			WHERE domain_owner = ? AND domain_name = ? AND sha256 = ? AND pinned_at >= ?)
			OR EXISTS (SELECT 1 FROM assets WHERE domain_owner = ? AND domain_name = ? AND sha256 = ?)`,
			owner, domain, sha256, pinnedSince.UnixMilli(), owner, domain, sha256)
		if err != nil {
			return fmt.Errorf("sqlite: sweep blob: %w", err)
		}
		if used {
			return nil
		}
		if err := remove(ctx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM blob_pins WHERE domain_owner = ? AND domain_name = ? AND sha256 = ?`, owner, domain, sha256); err != nil {
			return fmt.Errorf("sqlite: sweep blob: %w", err)
		}
		removed = true
		return nil
	})
	return removed, err
}

// DeleteStalePins drops pins taken before t.
func (s *Store) DeleteStalePins(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM blob_pins WHERE pinned_at < ?`, before.UnixMilli())
		if err != nil {
			return fmt.Errorf("sqlite: delete stale pins: %w", err)
		}
		n, err = affected(res)
		return err
	})
	return n, err
}

// AcquireLease takes or renews a lease (see store.Store).
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var got bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
			name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
		if err != nil {
			return fmt.Errorf("sqlite: acquire lease: %w", err)
		}
		n, err := affected(res)
		got = n > 0
		return err
	})
	return got, err
}

// ReleaseLease ends holder's lease.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
			return fmt.Errorf("sqlite: release lease: %w", err)
		}
		return nil
	})
}
