package sqlstore

import (
	"context"
	"database/sql"
	"errors"
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

func (s *Store) getPackage(ctx context.Context, q conn, k model.PackageKey) (model.Package, error) {
	p, err := sqlcommon.ScanPackage(q.QueryRowContext(ctx, `SELECT `+sqlcommon.PackageCols+` FROM packages WHERE `+pkgWhere, keyArgs(k)...))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Package{}, sqlcommon.PackageNotFound(k)
	}
	if err != nil {
		return model.Package{}, s.errorf("get package: %w", err)
	}
	return p, nil
}

// GetPackage returns one package.
func (s *Store) GetPackage(ctx context.Context, k model.PackageKey) (model.Package, error) {
	return s.getPackage(ctx, s.rd, k)
}

// requireRepository returns NotFound unless the package's repository exists.
func (s *Store) requireRepository(ctx context.Context, q conn, k model.PackageKey) error {
	ok, err := exists(ctx, q, `SELECT 1 FROM repositories WHERE domain_owner = ? AND domain_name = ? AND name = ?`,
		k.DomainOwner, k.DomainName, k.Repository)
	if err != nil {
		return s.errorf("find repository: %w", err)
	}
	if !ok {
		return sqlcommon.RepositoryNotFound(k.Repository)
	}
	return nil
}

// PutPackage creates a package or replaces its origin configuration.
func (s *Store) PutPackage(ctx context.Context, p model.Package) error {
	return s.write(ctx, func(tx conn) error {
		if err := s.requireRepository(ctx, tx, p.PackageKey); err != nil {
			return err
		}
		args := append(keyArgs(p.PackageKey), p.Origin.Publish, p.Origin.Upstream)
		_, err := tx.ExecContext(ctx, `INSERT INTO packages (`+sqlcommon.PackageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (domain_owner, domain_name, repository, format, namespace, name)
			DO UPDATE SET origin_publish = excluded.origin_publish, origin_upstream = excluded.origin_upstream`,
			args...)
		switch {
		case s.isForeignKeyViolation(err):
			return sqlcommon.RepositoryNotFound(p.Repository)
		case err != nil:
			return s.errorf("put package: %w", err)
		}
		return nil
	})
}

// ListPackages lists a repository's packages by name (then namespace and format).
func (s *Store) ListPackages(ctx context.Context, owner, domain, repo string, f store.PackageFilter, p store.Page) ([]model.Package, string, error) {
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
		args = s.prefixCond(&q, "namespace", f.NamespacePrefix, args)
	}
	if f.Prefix != "" {
		args = s.prefixCond(&q, "name", f.Prefix, args)
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
	var out []model.Package
	err = s.read(ctx, func(tx conn) error {
		if err := s.requireRepository(ctx, tx, model.PackageKey{DomainOwner: owner, DomainName: domain, Repository: repo}); err != nil {
			return err
		}
		if out, err = collect(ctx, tx, sqlcommon.ScanPackage, q.String(), args...); err != nil {
			return s.errorf("list packages: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	out, next := sqlcommon.TrimPage(out, p, func(p model.Package) []string { return []string{p.Name, p.Namespace, string(p.Format)} })
	return out, next, nil
}

// DeletePackage deletes a package; its versions and assets go with it (cascade).
func (s *Store) DeletePackage(ctx context.Context, k model.PackageKey) error {
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM packages WHERE `+pkgWhere, keyArgs(k)...)
		if err != nil {
			return s.errorf("delete package: %w", err)
		}
		if n, err := s.affected(res); err != nil {
			return err
		} else if n == 0 {
			return sqlcommon.PackageNotFound(k)
		}
		return nil
	})
}
