package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// DeleteAssets removes a version's asset rows and returns them.
func (s *Store) DeleteAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	var out []model.Asset
	err := s.write(ctx, func(tx conn) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM package_versions WHERE `+pkgWhere+` AND version = ?`, append(keyArgs(k), version)...)
		if err != nil {
			return s.errorf("delete assets: %w", err)
		}
		if !ok {
			return sqlcommon.VersionNotFound(k, version)
		}
		const where = ` FROM assets WHERE domain_owner = ? AND domain_name = ? AND repository = ? AND format = ? AND namespace = ?
			AND package = ? AND version = ?`
		rows, err := tx.QueryContext(ctx, `SELECT `+sqlcommon.AssetCols+where+` ORDER BY name`, append(keyArgs(k), version)...)
		if err != nil {
			return s.errorf("delete assets: %w", err)
		}
		out, err = sqlcommon.Collect(rows, sqlcommon.ScanAsset)
		rows.Close()
		if err != nil {
			return s.errorf("delete assets: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE`+where, append(keyArgs(k), version)...); err != nil {
			return s.errorf("delete assets: %w", err)
		}
		return nil
	})
	return out, err
}

// blobLocked runs fn in a transaction that excludes every other blobLocked
// transaction on the same digest. With one writer (SQLite) that is any write
// transaction. With the dialect's BlobLock (PostgreSQL) it is a transaction at
// BlobLockTx isolation holding the digest's lock: READ COMMITTED, not
// SERIALIZABLE, because each statement after the lock must see what the
// previous holder committed (a serializable snapshot would be taken before the
// wait, and miss it).
func (s *Store) blobLocked(ctx context.Context, owner, domain, sha256 string, fn func(tx conn) error) error {
	if s.d.BlobLock == "" {
		return s.write(ctx, fn)
	}
	return s.inTx(ctx, s.w, s.d.BlobLockTx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, s.d.BlobLock, "wharf-blob:"+owner+"/"+domain+"/"+sha256); err != nil {
			return s.errorf("blob lock: %w", err)
		}
		return fn(tx)
	})
}

// PinBlob records a pin under the digest's lock, so it never lands between a
// SweepBlob's decision and its removal.
func (s *Store) PinBlob(ctx context.Context, owner, domain, sha256, id string, at time.Time) error {
	return s.blobLocked(ctx, owner, domain, sha256, func(tx conn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blob_pins (pin_id, domain_owner, domain_name, sha256, pinned_at)
			VALUES (?, ?, ?, ?, ?)`, id, owner, domain, sha256, at.UnixMilli())
		if err != nil {
			return s.errorf("pin blob: %w", err)
		}
		return nil
	})
}

// UnpinBlobs drops pins by id.
func (s *Store) UnpinBlobs(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	// One statement per chunk of ids; the rebind cache keeps only the
	// texts it has room for.
	const chunk = 64
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		q := `DELETE FROM blob_pins WHERE pin_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + `)`
		if _, err := s.wr.ExecContext(ctx, q, args...); err != nil {
			return s.errorf("unpin blobs: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// SweepBlob removes an unreferenced, unpinned blob (see store.Store). remove
// runs inside the digest's blobLocked transaction.
//
// Why one statement reading pins and references is enough: a writer pins
// (under the same lock), then records its asset rows, then unpins. A pin not
// yet committed when we took the lock waits for us, and its writer then stores
// the bytes again; a pin already released means its asset rows were committed
// before, and the statement's snapshot sees them. (With SQLite's one writer no
// pin or asset row can appear meanwhile at all.)
func (s *Store) SweepBlob(ctx context.Context, owner, domain, sha256 string, pinnedSince time.Time, remove func(context.Context) error) (bool, error) {
	removed := false
	err := s.blobLocked(ctx, owner, domain, sha256, func(tx conn) error {
		removed = false
		// Pins before references, in one statement (see above).
		used, err := exists(ctx, tx, `SELECT 1 WHERE EXISTS (SELECT 1 FROM blob_pins
			WHERE domain_owner = ? AND domain_name = ? AND sha256 = ? AND pinned_at >= ?)
			OR EXISTS (SELECT 1 FROM assets WHERE domain_owner = ? AND domain_name = ? AND sha256 = ?)`,
			owner, domain, sha256, pinnedSince.UnixMilli(), owner, domain, sha256)
		if err != nil {
			return s.errorf("sweep blob: %w", err)
		}
		if used {
			return nil
		}
		if err := remove(ctx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM blob_pins WHERE domain_owner = ? AND domain_name = ? AND sha256 = ?`, owner, domain, sha256); err != nil {
			return s.errorf("sweep blob: %w", err)
		}
		removed = true
		return nil
	})
	return removed, err
}

// DeleteStalePins drops pins taken before t.
func (s *Store) DeleteStalePins(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM blob_pins WHERE pinned_at < ?`, before.UnixMilli())
	if err != nil {
		return 0, s.errorf("delete stale pins: %w", err)
	}
	return s.affected(res)
}

// AcquireLease takes or renews a lease (see store.Store). One upsert: the
// row lock it takes makes concurrent acquirers queue, and the WHERE decides.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := s.wr.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, s.errorf("acquire lease: %w", err)
	}
	n, err := s.affected(res)
	return n > 0, err
}

// ReleaseLease ends holder's lease.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.wr.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return s.errorf("release lease: %w", err)
	}
	return nil
}
