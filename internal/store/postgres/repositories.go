package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
	return s.write(ctx, func(tx pgx.Tx) error {
		if _, err := getDomain(ctx, tx, r.DomainOwner, r.DomainName); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO repositories (`+sqlcommon.RepositoryCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			r.DomainOwner, r.DomainName, r.Name, r.AdministratorAccount, r.Region, r.Description, ups, ecs, sqlcommon.Millis(r.CreatedAt))
		switch {
		case isUniqueViolation(err):
			return apperr.Conflictf("repository", r.Name, "repository %s already exists in domain %s", r.Name, r.DomainName).Wrap(err)
		case isForeignKeyViolation(err):
			return sqlcommon.DomainNotFound(r.DomainName)
		case err != nil:
			return fmt.Errorf("postgres: create repository: %w", err)
		}
		return nil
	})
}

func getRepository(ctx context.Context, q querier, owner, domain, name string) (model.Repository, error) {
	r, err := sqlcommon.ScanRepository(q.QueryRow(ctx, `SELECT `+sqlcommon.RepositoryCols+` FROM repositories
		WHERE domain_owner = $1 AND domain_name = $2 AND name = $3`, owner, domain, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return model.Repository{}, sqlcommon.RepositoryNotFound(name)
	}
	if err != nil {
		return model.Repository{}, fmt.Errorf("postgres: get repository: %w", err)
	}
	return r, nil
}

// GetRepository returns one repository.
func (s *Store) GetRepository(ctx context.Context, owner, domain, name string) (model.Repository, error) {
	return getRepository(ctx, s.pool, owner, domain, name)
}

// UpdateRepository replaces the description, upstreams and external connections.
func (s *Store) UpdateRepository(ctx context.Context, r model.Repository) error {
	ups, ecs, err := sqlcommon.RepositoryLists(r)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE repositories SET description = $1, upstreams = $2, external_connections = $3
			WHERE domain_owner = $4 AND domain_name = $5 AND name = $6`,
			r.Description, ups, ecs, r.DomainOwner, r.DomainName, r.Name)
		if err != nil {
			return fmt.Errorf("postgres: update repository: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return sqlcommon.RepositoryNotFound(r.Name)
		}
		return nil
	})
}

// DeleteRepository deletes a repository with its policy and tags and takes it
// off the domain's package groups' allowed repositories; the schema's cascades
// remove its packages, versions, dist-tags and assets in the same transaction.
func (s *Store) DeleteRepository(ctx context.Context, owner, domain, name string) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		r, err := getRepository(ctx, tx, owner, domain, name)
		if err != nil {
			return err
		}
		if err := deleteResourceExtras(ctx, tx, r.ARN()); err != nil {
			return err
		}
		if err := dropAllowedRepository(ctx, tx, owner, domain, name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM repositories WHERE domain_owner = $1 AND domain_name = $2 AND name = $3`,
			owner, domain, name); err != nil {
			return fmt.Errorf("postgres: delete repository: %w", err)
		}
		return nil
	})
}

// ListRepositories lists repositories by name (then domain owner and name, which
// only matter when the filter spans domains).
func (s *Store) ListRepositories(ctx context.Context, f store.RepositoryFilter, p store.Page) ([]model.Repository, string, error) {
	var q strings.Builder
	var a args
	q.WriteString(`SELECT ` + sqlcommon.RepositoryCols + ` FROM repositories WHERE 1 = 1`)
	if f.DomainOwner != "" {
		q.WriteString(` AND domain_owner = ` + a.add(f.DomainOwner))
	}
	if f.DomainName != "" {
		q.WriteString(` AND domain_name = ` + a.add(f.DomainName))
	}
	if f.AdministratorAccount != "" {
		q.WriteString(` AND administrator_account = ` + a.add(f.AdministratorAccount))
	}
	if f.Prefix != "" {
		q.WriteString(prefixCond(&a, "name", f.Prefix))
	}
	if err := pageQuery(&q, &a, p, "name", "domain_owner", "domain_name"); err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, q.String(), a...)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list repositories: %w", err)
	}
	out, err := collect(rows, sqlcommon.ScanRepository)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list repositories: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(r model.Repository) []string { return []string{r.Name, r.DomainOwner, r.DomainName} })
	return out, next, nil
}

// dropAllowedRepository takes repo off the allowed-repository lists of the
// domain's package groups.
func dropAllowedRepository(ctx context.Context, tx pgx.Tx, owner, domain, repo string) error {
	rows, err := tx.Query(ctx, `SELECT `+sqlcommon.PackageGroupCols+` FROM package_groups WHERE domain_owner = $1 AND domain_name = $2`,
		owner, domain)
	if err != nil {
		return fmt.Errorf("postgres: list package groups: %w", err)
	}
	groups, err := collect(rows, sqlcommon.ScanPackageGroup)
	if err != nil {
		return fmt.Errorf("postgres: list package groups: %w", err)
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
		if _, err := tx.Exec(ctx, `UPDATE package_groups SET origin = $1 WHERE domain_owner = $2 AND domain_name = $3 AND pattern = $4`,
			origin, owner, domain, g.Pattern); err != nil {
			return fmt.Errorf("postgres: update package group: %w", err)
		}
	}
	return nil
}
