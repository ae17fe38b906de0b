package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

func (s *Store) getVersion(ctx context.Context, q conn, k model.PackageKey, version string) (model.PackageVersion, error) {
	v, err := sqlcommon.ScanVersion(q.QueryRowContext(ctx, `SELECT `+sqlcommon.VersionCols+` FROM package_versions WHERE `+pkgWhere+` AND version = ?`,
		append(keyArgs(k), version)...))
	if errors.Is(err, sql.ErrNoRows) {
		return model.PackageVersion{}, sqlcommon.VersionNotFound(k, version)
	}
	if err != nil {
		return model.PackageVersion{}, s.errorf("get version: %w", err)
	}
	return v, nil
}

// GetVersion returns one package version.
func (s *Store) GetVersion(ctx context.Context, k model.PackageKey, version string) (model.PackageVersion, error) {
	return s.getVersion(ctx, s.rd, k, version)
}

// CreateVersion stores a version with its assets, creating the package row with
// pkg's origin configuration when there is none. The version's key is pkg's key.
func (s *Store) CreateVersion(ctx context.Context, pkg model.Package, v model.PackageVersion, assets []model.Asset) error {
	k := pkg.PackageKey
	if v.PackageKey != (model.PackageKey{}) && v.PackageKey != k {
		return s.errorf("create version: version key %+v differs from package key %+v", v.PackageKey, k)
	}
	v.PackageKey = k
	vals, err := sqlcommon.VersionValues(v)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx conn) error {
		if err := s.requireRepository(ctx, tx, k); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO packages (`+sqlcommon.PackageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (domain_owner, domain_name, repository, format, namespace, name) DO NOTHING`,
			append(keyArgs(k), pkg.Origin.Publish, pkg.Origin.Upstream)...)
		switch {
		case s.isForeignKeyViolation(err):
			return sqlcommon.RepositoryNotFound(k.Repository)
		case err != nil:
			return s.errorf("create version: package: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO package_versions (`+sqlcommon.VersionCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(append(keyArgs(k), v.Version), vals...)...)
		if s.isUniqueViolation(err) {
			return apperr.Conflictf("package-version", v.Version, "version %s of package %s already exists in repository %s",
				v.Version, sqlcommon.DisplayName(k), k.Repository).Wrap(err)
		}
		if err != nil {
			return s.errorf("create version: %w", err)
		}
		for _, a := range assets {
			err := s.insertAsset(ctx, tx, k, v.Version, a)
			if s.isUniqueViolation(err) {
				return apperr.Conflictf("asset", a.Name, "asset %s already exists in version %s of package %s", a.Name, v.Version, sqlcommon.DisplayName(k)).Wrap(err)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// insertAsset inserts one asset row; the caller interprets a unique violation.
func (s *Store) insertAsset(ctx context.Context, tx conn, k model.PackageKey, version string, a model.Asset) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO assets (domain_owner, domain_name, repository, format, namespace, package,
		version, name, size, md5, sha1, sha256, sha512) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append(keyArgs(k), version, a.Name, a.Size, a.Hashes.MD5, a.Hashes.SHA1, a.Hashes.SHA256, a.Hashes.SHA512)...)
	if err != nil && !s.isUniqueViolation(err) {
		return s.errorf("insert asset: %w", err)
	}
	return err
}

// AddAsset adds an asset to an existing version; re-adding an identical asset is
// a no-op, the same name with other content is Conflict.
func (s *Store) AddAsset(ctx context.Context, k model.PackageKey, version string, a model.Asset) error {
	return s.write(ctx, func(tx conn) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM package_versions WHERE `+pkgWhere+` AND version = ?`, append(keyArgs(k), version)...)
		if err != nil {
			return s.errorf("add asset: %w", err)
		}
		if !ok {
			return sqlcommon.VersionNotFound(k, version)
		}
		cur, err := sqlcommon.ScanAsset(tx.QueryRowContext(ctx, `SELECT `+sqlcommon.AssetCols+` FROM assets
			WHERE domain_owner = ? AND domain_name = ? AND repository = ? AND format = ? AND namespace = ? AND package = ?
			AND version = ? AND name = ?`, append(keyArgs(k), version, a.Name)...))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err := s.insertAsset(ctx, tx, k, version, a)
			if s.isUniqueViolation(err) {
				// A concurrent AddAsset got in first: rerun to compare with its row.
				return ErrRetry
			}
			return err
		case err != nil:
			return s.errorf("add asset: %w", err)
		case cur == a:
			return nil
		default:
			return apperr.Conflictf("asset", a.Name, "asset %s of version %s of package %s exists with other content", a.Name, version, sqlcommon.DisplayName(k))
		}
	})
}

// ListVersions lists a package's versions ordered by version string.
func (s *Store) ListVersions(ctx context.Context, k model.PackageKey) ([]model.PackageVersion, error) {
	var out []model.PackageVersion
	err := s.read(ctx, func(tx conn) error {
		if _, err := s.getPackage(ctx, tx, k); err != nil {
			return err
		}
		var err error
		out, err = collect(ctx, tx, sqlcommon.ScanVersion, `SELECT `+sqlcommon.VersionCols+` FROM package_versions WHERE `+pkgWhere+` ORDER BY version`, keyArgs(k)...)
		if err != nil {
			return s.errorf("list versions: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateVersion replaces every non-key field of a stored version (not its assets).
func (s *Store) UpdateVersion(ctx context.Context, v model.PackageVersion) error {
	vals, err := sqlcommon.VersionValues(v)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE package_versions SET status = ?, revision = ?, origin_type = ?,
			origin_repository = ?, origin_external_connection = ?, summary = ?, home_page = ?, source_code = ?,
			licenses = ?, display_name = ?, metadata = ?, readme = ?, dependencies = ?, published_at = ?
			WHERE `+pkgWhere+` AND version = ?`, append(append(vals, keyArgs(v.PackageKey)...), v.Version)...)
		if err != nil {
			return s.errorf("update version: %w", err)
		}
		if n, err := s.affected(res); err != nil {
			return err
		} else if n == 0 {
			return sqlcommon.VersionNotFound(v.PackageKey, v.Version)
		}
		return nil
	})
}

// DeleteVersion deletes a version and its assets; the package row stays.
func (s *Store) DeleteVersion(ctx context.Context, k model.PackageKey, version string) error {
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM package_versions WHERE `+pkgWhere+` AND version = ?`, append(keyArgs(k), version)...)
		if err != nil {
			return s.errorf("delete version: %w", err)
		}
		if n, err := s.affected(res); err != nil {
			return err
		} else if n == 0 {
			return sqlcommon.VersionNotFound(k, version)
		}
		return nil
	})
}

// ListAssets lists a version's assets ordered by name.
func (s *Store) ListAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	var out []model.Asset
	err := s.read(ctx, func(tx conn) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM package_versions WHERE `+pkgWhere+` AND version = ?`, append(keyArgs(k), version)...)
		if err != nil {
			return s.errorf("list assets: %w", err)
		}
		if !ok {
			return sqlcommon.VersionNotFound(k, version)
		}
		out, err = collect(ctx, tx, sqlcommon.ScanAsset, `SELECT `+sqlcommon.AssetCols+` FROM assets
			WHERE domain_owner = ? AND domain_name = ? AND repository = ? AND format = ? AND namespace = ? AND package = ?
			AND version = ? ORDER BY name`, append(keyArgs(k), version)...)
		if err != nil {
			return s.errorf("list assets: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListVersionsPage reads one page of a package's versions (see store.Store).
func (s *Store) ListVersionsPage(ctx context.Context, k model.PackageKey, f store.VersionFilter, sortBy string, p store.Page) ([]model.PackageVersion, string, error) {
	qs, err := sqlcommon.VersionPageQueries(k, f, sortBy, p)
	if err != nil {
		return nil, "", err
	}
	out := []model.PackageVersion{}
	err = s.read(ctx, func(tx conn) error {
		if _, err := s.getPackage(ctx, tx, k); err != nil {
			return err
		}
		for _, q := range qs {
			if p.Limit > 0 && len(out) > p.Limit {
				break
			}
			vs, err := collect(ctx, tx, sqlcommon.ScanVersionSummary, q.SQL, q.Args...)
			if err != nil {
				return s.errorf("list versions page: %w", err)
			}
			out = append(out, vs...)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	out, next := sqlcommon.TrimVersionPage(out, sortBy, p)
	return out, next, nil
}

// DefaultDisplayVersion returns the newest Published version (see store.Store).
func (s *Store) DefaultDisplayVersion(ctx context.Context, k model.PackageKey) (string, error) {
	q := sqlcommon.DefaultDisplayVersionQuery(k)
	var v sql.NullString
	if err := s.rd.QueryRowContext(ctx, q.SQL, q.Args...).Scan(&v); err != nil {
		return "", s.errorf("default display version: %w", err)
	}
	return v.String, nil
}
