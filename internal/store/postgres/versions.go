package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

func getVersion(ctx context.Context, q querier, k model.PackageKey, version string) (model.PackageVersion, error) {
	v, err := sqlcommon.ScanVersion(q.QueryRow(ctx, `SELECT `+sqlcommon.VersionCols+` FROM package_versions WHERE `+versionWhere,
		keyArgs(k, version)...))
	if errors.Is(err, pgx.ErrNoRows) {
		return model.PackageVersion{}, sqlcommon.VersionNotFound(k, version)
	}
	if err != nil {
		return model.PackageVersion{}, fmt.Errorf("postgres: get version: %w", err)
	}
	return v, nil
}

// GetVersion returns one package version.
func (s *Store) GetVersion(ctx context.Context, k model.PackageKey, version string) (model.PackageVersion, error) {
	return getVersion(ctx, s.pool, k, version)
}

// CreateVersion stores a version with its assets, creating the package row with
// pkg's origin configuration when there is none. The version's key is pkg's key.
func (s *Store) CreateVersion(ctx context.Context, pkg model.Package, v model.PackageVersion, assets []model.Asset) error {
	k := pkg.PackageKey
	if v.PackageKey != (model.PackageKey{}) && v.PackageKey != k {
		return fmt.Errorf("postgres: create version: version key %+v differs from package key %+v", v.PackageKey, k)
	}
	v.PackageKey = k
	vals, err := sqlcommon.VersionValues(v)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		if err := requireRepository(ctx, tx, k); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO packages (`+sqlcommon.PackageCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (domain_owner, domain_name, repository, format, namespace, name) DO NOTHING`,
			keyArgs(k, pkg.Origin.Publish, pkg.Origin.Upstream)...)
		switch {
		case isForeignKeyViolation(err):
			return sqlcommon.RepositoryNotFound(k.Repository)
		case err != nil:
			return fmt.Errorf("postgres: create version: package: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO package_versions (`+sqlcommon.VersionCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
			keyArgs(k, append([]any{v.Version}, vals...)...)...)
		if isUniqueViolation(err) {
			return apperr.Conflictf("package-version", v.Version, "version %s of package %s already exists in repository %s",
				v.Version, sqlcommon.DisplayName(k), k.Repository).Wrap(err)
		}
		if err != nil {
			return fmt.Errorf("postgres: create version: %w", err)
		}
		for _, a := range assets {
			err := insertAsset(ctx, tx, k, v.Version, a)
			if isUniqueViolation(err) {
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
func insertAsset(ctx context.Context, tx pgx.Tx, k model.PackageKey, version string, a model.Asset) error {
	_, err := tx.Exec(ctx, `INSERT INTO assets (domain_owner, domain_name, repository, format, namespace, package,
		version, name, size, md5, sha1, sha256, sha512) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		keyArgs(k, version, a.Name, a.Size, a.Hashes.MD5, a.Hashes.SHA1, a.Hashes.SHA256, a.Hashes.SHA512)...)
	if err != nil && !isUniqueViolation(err) {
		return fmt.Errorf("postgres: insert asset: %w", err)
	}
	return err
}

// assetWhere selects one version's assets by key and version ($1..$7).
const assetWhere = `domain_owner = $1 AND domain_name = $2 AND repository = $3 AND format = $4 AND namespace = $5
	AND package = $6 AND version = $7`

// AddAsset adds an asset to an existing version; re-adding an identical asset is
// a no-op, the same name with other content is Conflict.
func (s *Store) AddAsset(ctx context.Context, k model.PackageKey, version string, a model.Asset) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM package_versions WHERE `+versionWhere, keyArgs(k, version)...)
		if err != nil {
			return fmt.Errorf("postgres: add asset: %w", err)
		}
		if !ok {
			return sqlcommon.VersionNotFound(k, version)
		}
		cur, err := sqlcommon.ScanAsset(tx.QueryRow(ctx, `SELECT `+sqlcommon.AssetCols+` FROM assets WHERE `+assetWhere+` AND name = $8`,
			keyArgs(k, version, a.Name)...))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			err := insertAsset(ctx, tx, k, version, a)
			if isUniqueViolation(err) {
				// A concurrent AddAsset got in first: rerun to compare with its row.
				return errRetry
			}
			return err
		case err != nil:
			return fmt.Errorf("postgres: add asset: %w", err)
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
	err := s.read(ctx, func(tx pgx.Tx) error {
		if _, err := getPackage(ctx, tx, k); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+sqlcommon.VersionCols+` FROM package_versions WHERE `+pkgWhere+` ORDER BY version`, keyArgs(k)...)
		if err != nil {
			return fmt.Errorf("postgres: list versions: %w", err)
		}
		if out, err = collect(rows, sqlcommon.ScanVersion); err != nil {
			return fmt.Errorf("postgres: list versions: %w", err)
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
	return s.write(ctx, func(tx pgx.Tx) error {
		// The key comes first here so versionWhere's $1..$7 line up; the values follow.
		tag, err := tx.Exec(ctx, `UPDATE package_versions SET status = $8, revision = $9, origin_type = $10,
			origin_repository = $11, origin_external_connection = $12, summary = $13, home_page = $14, source_code = $15,
			licenses = $16, display_name = $17, metadata = $18, readme = $19, dependencies = $20, published_at = $21
			WHERE `+versionWhere, keyArgs(v.PackageKey, append([]any{v.Version}, vals...)...)...)
		if err != nil {
			return fmt.Errorf("postgres: update version: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return sqlcommon.VersionNotFound(v.PackageKey, v.Version)
		}
		return nil
	})
}

// DeleteVersion deletes a version and its assets; the package row stays.
func (s *Store) DeleteVersion(ctx context.Context, k model.PackageKey, version string) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM package_versions WHERE `+versionWhere, keyArgs(k, version)...)
		if err != nil {
			return fmt.Errorf("postgres: delete version: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return sqlcommon.VersionNotFound(k, version)
		}
		return nil
	})
}

// ListAssets lists a version's assets ordered by name.
func (s *Store) ListAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	var out []model.Asset
	err := s.read(ctx, func(tx pgx.Tx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM package_versions WHERE `+versionWhere, keyArgs(k, version)...)
		if err != nil {
			return fmt.Errorf("postgres: list assets: %w", err)
		}
		if !ok {
			return sqlcommon.VersionNotFound(k, version)
		}
		rows, err := tx.Query(ctx, `SELECT `+sqlcommon.AssetCols+` FROM assets WHERE `+assetWhere+` ORDER BY name`, keyArgs(k, version)...)
		if err != nil {
			return fmt.Errorf("postgres: list assets: %w", err)
		}
		if out, err = collect(rows, sqlcommon.ScanAsset); err != nil {
			return fmt.Errorf("postgres: list assets: %w", err)
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
	err = s.read(ctx, func(tx pgx.Tx) error {
		if _, err := getPackage(ctx, tx, k); err != nil {
			return err
		}
		for _, q := range qs {
			if p.Limit > 0 && len(out) > p.Limit {
				break
			}
			rows, err := tx.Query(ctx, sqlcommon.Rebind(q.SQL), q.Args...)
			if err != nil {
				return fmt.Errorf("postgres: list versions page: %w", err)
			}
			vs, err := collect(rows, sqlcommon.ScanVersionSummary)
			if err != nil {
				return fmt.Errorf("postgres: list versions page: %w", err)
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
	var v *string
	if err := s.pool.QueryRow(ctx, sqlcommon.Rebind(q.SQL), q.Args...).Scan(&v); err != nil {
		return "", fmt.Errorf("postgres: default display version: %w", err)
	}
	if v == nil {
		return "", nil
	}
	return *v, nil
}
