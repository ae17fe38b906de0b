package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// CreateRepository inserts a repository into an existing domain.
func (s *Store) CreateRepository(ctx context.Context, r model.Repository) error {
	ups, ecs, err := sqlcommon.RepositoryLists(r)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx conn) error {
		if _, err := s.getDomain(ctx, tx, r.DomainOwner, r.DomainName); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO repositories (`+sqlcommon.RepositoryCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.DomainOwner, r.DomainName, r.Name, r.AdministratorAccount, r.Region, r.Description, ups, ecs, sqlcommon.Millis(r.CreatedAt))
		switch {
		case s.isUniqueViolation(err):
			return apperr.Conflictf("repository", r.Name, "repository %s already exists in domain %s", r.Name, r.DomainName).Wrap(err)
		case s.isForeignKeyViolation(err):
			return sqlcommon.DomainNotFound(r.DomainName)
		case err != nil:
			return s.errorf("create repository: %w", err)
		}
		return nil
	})
}

func (s *Store) getRepository(ctx context.Context, q conn, owner, domain, name string) (model.Repository, error) {
	r, err := sqlcommon.ScanRepository(q.QueryRowContext(ctx, `SELECT `+sqlcommon.RepositoryCols+` FROM repositories
		WHERE domain_owner = ? AND domain_name = ? AND name = ?`, owner, domain, name))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Repository{}, sqlcommon.RepositoryNotFound(name)
	}
	if err != nil {
		return model.Repository{}, s.errorf("get repository: %w", err)
	}
	return r, nil
}

// GetRepository returns one repository.
func (s *Store) GetRepository(ctx context.Context, owner, domain, name string) (model.Repository, error) {
	return s.getRepository(ctx, s.rd, owner, domain, name)
}

// UpdateRepository replaces the description, upstreams and external connections.
func (s *Store) UpdateRepository(ctx context.Context, r model.Repository) error {
	ups, ecs, err := sqlcommon.RepositoryLists(r)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE repositories SET description = ?, upstreams = ?, external_connections = ?
			WHERE domain_owner = ? AND domain_name = ? AND name = ?`,
			r.Description, ups, ecs, r.DomainOwner, r.DomainName, r.Name)
		if err != nil {
			return s.errorf("update repository: %w", err)
		}
		if n, err := s.affected(res); err != nil {
			return err
		} else if n == 0 {
			return sqlcommon.RepositoryNotFound(r.Name)
		}
		return nil
	})
}

// DeleteRepository deletes a repository with its policy and tags and takes it
// off the domain's package groups' allowed repositories; the schema's cascades
// remove its packages, versions, dist-tags and assets in the same transaction.
func (s *Store) DeleteRepository(ctx context.Context, owner, domain, name string) error {
	return s.write(ctx, func(tx conn) error {
		r, err := s.getRepository(ctx, tx, owner, domain, name)
		if err != nil {
			return err
		}
		if err := s.deleteResourceExtras(ctx, tx, r.ARN()); err != nil {
			return err
		}
		if err := s.dropAllowedRepository(ctx, tx, owner, domain, name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM repositories WHERE domain_owner = ? AND domain_name = ? AND name = ?`,
			owner, domain, name); err != nil {
			return s.errorf("delete repository: %w", err)
		}
		return nil
	})
}

// ListRepositories lists repositories by name (then domain owner and name, which
// only matter when the filter spans domains).
func (s *Store) ListRepositories(ctx context.Context, f store.RepositoryFilter, p store.Page) ([]model.Repository, string, error) {
	var q strings.Builder
	q.WriteString(`SELECT ` + sqlcommon.RepositoryCols + ` FROM repositories WHERE 1 = 1`)
	var args []any
	if f.DomainOwner != "" {
		q.WriteString(` AND domain_owner = ?`)
		args = append(args, f.DomainOwner)
	}
	if f.DomainName != "" {
		q.WriteString(` AND domain_name = ?`)
		args = append(args, f.DomainName)
	}
	if f.AdministratorAccount != "" {
		q.WriteString(` AND administrator_account = ?`)
		args = append(args, f.AdministratorAccount)
	}
	if f.Prefix != "" {
		args = s.prefixCond(&q, "name", f.Prefix, args)
	}
	args, err := pageQuery(&q, args, p, "name", "domain_owner", "domain_name")
	if err != nil {
		return nil, "", err
	}
	out, err := collect(ctx, s.rd, sqlcommon.ScanRepository, q.String(), args...)
	if err != nil {
		return nil, "", s.errorf("list repositories: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(r model.Repository) []string { return []string{r.Name, r.DomainOwner, r.DomainName} })
	return out, next, nil
}

// dropAllowedRepository takes repo off the allowed-repository lists of the
// domain's package groups.
func (s *Store) dropAllowedRepository(ctx context.Context, tx conn, owner, domain, repo string) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+sqlcommon.PackageGroupCols+` FROM package_groups WHERE domain_owner = ? AND domain_name = ?`,
		owner, domain)
	if err != nil {
		return s.errorf("list package groups: %w", err)
	}
	groups, err := sqlcommon.Collect(rows, sqlcommon.ScanPackageGroup)
	rows.Close()
	if err != nil {
		return s.errorf("list package groups: %w", err)
	}
	for _, g := range groups {
		g, changed := sqlcommon.WithoutRepository(g, repo)
		if !changed {
			continue
		}
		origin, err := sqlcommon.EncodeGroupOrigin(g)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE package_groups SET origin = ? WHERE domain_owner = ? AND domain_name = ? AND pattern = ?`,
			origin, owner, domain, g.Pattern); err != nil {
			return s.errorf("update package group: %w", err)
		}
	}
	return nil
}
