package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// DeleteAssets removes a version's asset rows and returns them.
func (s *Store) DeleteAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	var out []model.Asset
	err := s.write(ctx, func(tx pgx.Tx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM package_versions WHERE `+versionWhere, keyArgs(k, version)...)
		if err != nil {
			return fmt.Errorf("postgres: delete assets: %w", err)
		}
		if !ok {
			return sqlcommon.VersionNotFound(k, version)
		}
		rows, err := tx.Query(ctx, `DELETE FROM assets WHERE domain_owner = $1 AND domain_name = $2 AND repository = $3
			AND format = $4 AND namespace = $5 AND package = $6 AND version = $7 RETURNING `+sqlcommon.AssetCols, keyArgs(k, version)...)
		if err != nil {
			return fmt.Errorf("postgres: delete assets: %w", err)
		}
		out, err = sqlcommon.Collect(rows, sqlcommon.ScanAsset)
		rows.Close()
		if err != nil {
			return fmt.Errorf("postgres: delete assets: %w", err)
		}
		return nil
	})
	return out, err
}

// blobLocked runs fn in a READ COMMITTED transaction holding the digest's
// advisory transaction lock. READ COMMITTED, not the SERIALIZABLE of write:
// each statement after the lock must see what the previous holder committed
// (a serializable snapshot would be taken before the wait, and miss it).
func (s *Store) blobLocked(ctx context.Context, owner, domain, sha256 string, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "wharf-blob:"+owner+"/"+domain+"/"+sha256); err != nil {
			return fmt.Errorf("postgres: blob lock: %w", err)
		}
		return fn(tx)
	})
}

// PinBlob records a pin under the digest's lock, so it never lands between a
// SweepBlob's decision and its removal.
func (s *Store) PinBlob(ctx context.Context, owner, domain, sha256, id string, at time.Time) error {
	return s.blobLocked(ctx, owner, domain, sha256, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO blob_pins (pin_id, domain_owner, domain_name, sha256, pinned_at)
			VALUES ($1, $2, $3, $4, $5)`, id, owner, domain, sha256, at.UnixMilli())
		if err != nil {
			return fmt.Errorf("postgres: pin blob: %w", err)
		}
		return nil
	})
}

// UnpinBlobs drops pins by id.
func (s *Store) UnpinBlobs(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM blob_pins WHERE pin_id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("postgres: unpin blobs: %w", err)
	}
	return nil
}

// SweepBlob removes an unreferenced, unpinned blob (see store.Store).
//
// Why one statement reading pins and references is enough: a writer pins
// (under this lock), then records its asset rows, then unpins. A pin not yet
// committed when we took the lock waits for us, and its writer then stores
// the bytes again; a pin already released means its asset rows were
// committed before, and the statement's snapshot sees them.
func (s *Store) SweepBlob(ctx context.Context, owner, domain, sha256 string, pinnedSince time.Time, remove func(context.Context) error) (bool, error) {
	removed := false
	err := s.blobLocked(ctx, owner, domain, sha256, func(tx pgx.Tx) error {
		removed = false
		var used bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blob_pins
			WHERE domain_owner = $1 AND domain_name = $2 AND sha256 = $3 AND pinned_at >= $4)
			OR EXISTS (SELECT 1 FROM assets WHERE domain_owner = $1 AND domain_name = $2 AND sha256 = $3)`,
			owner, domain, sha256, pinnedSince.UnixMilli()).Scan(&used)
		if err != nil {
			return fmt.Errorf("postgres: sweep blob: %w", err)
		}
		if used {
			return nil
		}
		if err := remove(ctx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM blob_pins WHERE domain_owner = $1 AND domain_name = $2 AND sha256 = $3`, owner, domain, sha256); err != nil {
			return fmt.Errorf("postgres: sweep blob: %w", err)
		}
		removed = true
		return nil
	})
	return removed, err
}

// DeleteStalePins drops pins taken before t.
func (s *Store) DeleteStalePins(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM blob_pins WHERE pinned_at < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("postgres: delete stale pins: %w", err)
	}
	return tag.RowsAffected(), nil
}

// AcquireLease takes or renews a lease (see store.Store). One upsert: the
// row lock it takes makes concurrent acquirers queue, and the WHERE decides.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var got string
	err := s.pool.QueryRow(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
		RETURNING holder`, name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: acquire lease: %w", err)
	}
	return true, nil
}

// ReleaseLease ends holder's lease.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("postgres: release lease: %w", err)
	}
	return nil
}
