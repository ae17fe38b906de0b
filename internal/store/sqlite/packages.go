package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// pkgWhere selects one package by its six key columns.
const pkgWhere = `domain_owner = ? AND domain_name = ? AND repository = ? AND format = ? AND namespace = ? AND name = ?`

func keyArgs(k model.PackageKey) []any {
	return []any{k.DomainOwner, k.DomainName, k.Repository, string(k.Format), k.Namespace, k.Name}
}

func getPackage(ctx context.Context, q querier, k model.PackageKey) (model.Package, error) {
	p, err := sqlcommon.ScanPackage(q.QueryRowContext(ctx, `SELECT `+sqlcommon.PackageCols+` FROM packages WHERE `+pkgWhere, keyArgs(k)...))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Package{}, sqlcommon.PackageNotFound(k)
	}
	if err != nil {
		return model.Package{}, fmt.Errorf("sqlite: get package: %w", err)
	}
	return p, nil
}

// GetPackage returns one package.
func (s *Store) GetPackage(ctx context.Context, k model.PackageKey) (model.Package, error) {
	return getPackage(ctx, s.r, k)
}

// requireRepository returns NotFound unless the package's repository exists.
func requireRepository(ctx context.Context, q querier, k model.PackageKey) error {
	ok, err := exists(ctx, q, `SELECT 1 FROM repositories WHERE domain_owner = ? AND domain_name = ? AND name = ?`,
		k.DomainOwner, k.DomainName, k.Repository)
	if err != nil {
		return fmt.Errorf("sqlite: find repository: %w", err)
	}
	if !ok {
		return sqlcommon.RepositoryNotFound(k.Repository)
	}
	return nil
}

// PutPackage creates a package or replaces its origin configuration.
func (s *Store) PutPackage(ctx context.Context, p model.Package) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := requireRepository(ctx, tx, p.PackageKey); err != nil {
			return err
		}
		args := append(keyArgs(p.PackageKey), p.Origin.Publish, p.Origin.Upstream)
		if _, err := tx.ExecContext(ctx, `INSERT INTO packages (`+sqlcommon.PackageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (domain_owner, domain_name, repository, format, namespace, name)
			DO UPDATE SET origin_publish = excluded.origin_publish, origin_upstream = excluded.origin_upstream`,
			args...); err != nil {
			return fmt.Errorf("sqlite: put package: %w", err)
		}
		return nil
	})
}

// ListPackages lists a repository's packages by name (then namespace and format).
func (s *Store) ListPackages(ctx context.Context, owner, domain, repo string, f store.PackageFilter, p store.Page) ([]model.Package, string, error) {
	if err := requireRepository(ctx, s.r, model.PackageKey{DomainOwner: owner, DomainName: domain, Repository: repo}); err != nil {
		return nil, "", err
	}
	var q strings.Builder
	q.WriteString(`SELECT ` + sqlcommon.PackageCols + ` FROM packages WHERE domain_owner = ? AND domain_name = ? AND repository = ?`)
	args := []any{owner, domain, repo}
	if f.Format != "" {
		q.WriteString(` AND format = ?`)
		args = append(args, string(f.Format))
	}
	if f.Namespace != nil {
		q.WriteString(` AND namespace = ?`)
		args = append(args, *f.Namespace)
	}
	if f.NamespacePrefix != "" {
		fmt.Fprintf(&q, prefixCond, "namespace")
		args = append(args, f.NamespacePrefix, f.NamespacePrefix)
	}
	if f.Prefix != "" {
		fmt.Fprintf(&q, prefixCond, "name")
		args = append(args, f.Prefix, f.Prefix)
	}
	if f.Publish != "" {
		q.WriteString(` AND origin_publish = ?`)
		args = append(args, f.Publish)
	}
	if f.Upstream != "" {
		q.WriteString(` AND origin_upstream = ?`)
		args = append(args, f.Upstream)
	}
	args, err := pageQuery(&q, args, p, "name", "namespace", "format")
	if err != nil {
		return nil, "", err
	}
	rows, err := s.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list packages: %w", err)
	}
	defer rows.Close()
	out, err := sqlcommon.Collect(rows, sqlcommon.ScanPackage)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list packages: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(p model.Package) []string { return []string{p.Name, p.Namespace, string(p.Format)} })
	return out, next, nil
}

// DeletePackage deletes a package; its versions and assets go with it (cascade).
func (s *Store) DeletePackage(ctx context.Context, k model.PackageKey) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM packages WHERE `+pkgWhere, keyArgs(k)...)
		if err != nil {
			return fmt.Errorf("sqlite: delete package: %w", err)
		}
		if n, err := affected(res); err != nil {
			return err
		} else if n == 0 {
			return sqlcommon.PackageNotFound(k)
		}
		return nil
	})
}
