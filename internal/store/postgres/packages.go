package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// pkgWhere selects one package by its six key columns, bound to keyArgs' $1..$6.
const pkgWhere = `domain_owner = $1 AND domain_name = $2 AND repository = $3 AND format = $4 AND namespace = $5 AND name = $6`

// versionWhere adds the version, bound to $7.
const versionWhere = pkgWhere + ` AND version = $7`

func keyArgs(k model.PackageKey, more ...any) []any {
	return append([]any{k.DomainOwner, k.DomainName, k.Repository, string(k.Format), k.Namespace, k.Name}, more...)
}

func getPackage(ctx context.Context, q querier, k model.PackageKey) (model.Package, error) {
	p, err := sqlcommon.ScanPackage(q.QueryRow(ctx, `SELECT `+sqlcommon.PackageCols+` FROM packages WHERE `+pkgWhere, keyArgs(k)...))
	if errors.Is(err, pgx.ErrNoRows) {
		return model.Package{}, sqlcommon.PackageNotFound(k)
	}
	if err != nil {
		return model.Package{}, fmt.Errorf("postgres: get package: %w", err)
	}
	return p, nil
}

// GetPackage returns one package.
func (s *Store) GetPackage(ctx context.Context, k model.PackageKey) (model.Package, error) {
	return getPackage(ctx, s.pool, k)
}

// requireRepository returns NotFound unless the package's repository exists.
func requireRepository(ctx context.Context, q querier, k model.PackageKey) error {
	ok, err := exists(ctx, q, `SELECT 1 FROM repositories WHERE domain_owner = $1 AND domain_name = $2 AND name = $3`,
		k.DomainOwner, k.DomainName, k.Repository)
	if err != nil {
		return fmt.Errorf("postgres: find repository: %w", err)
	}
	if !ok {
		return sqlcommon.RepositoryNotFound(k.Repository)
	}
	return nil
}

// PutPackage creates a package or replaces its origin configuration.
func (s *Store) PutPackage(ctx context.Context, p model.Package) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		if err := requireRepository(ctx, tx, p.PackageKey); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO packages (`+sqlcommon.PackageCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (domain_owner, domain_name, repository, format, namespace, name)
			DO UPDATE SET origin_publish = excluded.origin_publish, origin_upstream = excluded.origin_upstream`,
			keyArgs(p.PackageKey, p.Origin.Publish, p.Origin.Upstream)...)
		switch {
		case isForeignKeyViolation(err):
			return sqlcommon.RepositoryNotFound(p.Repository)
		case err != nil:
			return fmt.Errorf("postgres: put package: %w", err)
		}
		return nil
	})
}

// ListPackages lists a repository's packages by name (then namespace and format).
func (s *Store) ListPackages(ctx context.Context, owner, domain, repo string, f store.PackageFilter, p store.Page) ([]model.Package, string, error) {
	var q strings.Builder
	var a args
	q.WriteString(`SELECT ` + sqlcommon.PackageCols + ` FROM packages WHERE domain_owner = ` + a.add(owner) +
		` AND domain_name = ` + a.add(domain) + ` AND repository = ` + a.add(repo))
	if f.Format != "" {
		q.WriteString(` AND format = ` + a.add(string(f.Format)))
	}
	if f.Namespace != nil {
		q.WriteString(` AND namespace = ` + a.add(*f.Namespace))
	}
	if f.NamespacePrefix != "" {
		q.WriteString(prefixCond(&a, "namespace", f.NamespacePrefix))
	}
	if f.Prefix != "" {
		q.WriteString(prefixCond(&a, "name", f.Prefix))
	}
	if f.Publish != "" {
		q.WriteString(` AND origin_publish = ` + a.add(f.Publish))
	}
	if f.Upstream != "" {
		q.WriteString(` AND origin_upstream = ` + a.add(f.Upstream))
	}
	if err := pageQuery(&q, &a, p, "name", "namespace", "format"); err != nil {
		return nil, "", err
	}
	var out []model.Package
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := requireRepository(ctx, tx, model.PackageKey{DomainOwner: owner, DomainName: domain, Repository: repo}); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, q.String(), a...)
		if err != nil {
			return fmt.Errorf("postgres: list packages: %w", err)
		}
		if out, err = collect(rows, sqlcommon.ScanPackage); err != nil {
			return fmt.Errorf("postgres: list packages: %w", err)
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
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM packages WHERE `+pkgWhere, keyArgs(k)...)
		if err != nil {
			return fmt.Errorf("postgres: delete package: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return sqlcommon.PackageNotFound(k)
		}
		return nil
	})
}
