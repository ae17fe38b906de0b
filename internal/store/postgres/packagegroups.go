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

// CreatePackageGroup inserts a group and its tags, dropping stale tags left
// under its ARN by an earlier group of the same pattern.
func (s *Store) CreatePackageGroup(ctx context.Context, g model.PackageGroup, tags []model.Tag) error {
	origin, err := sqlcommon.EncodeGroupOrigin(g)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO package_groups (`+sqlcommon.PackageGroupCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			g.DomainOwner, g.DomainName, g.Pattern, g.Region, g.ContactInfo, g.Description, origin, sqlcommon.Millis(g.CreatedAt))
		switch {
		case isUniqueViolation(err):
			return apperr.Conflictf("package-group", g.Pattern, "Package group %s already exists", g.Pattern).Wrap(err)
		case isForeignKeyViolation(err):
			return apperr.NotFoundf("domain", g.DomainName, "Domain not found: %s", g.DomainName)
		case err != nil:
			return fmt.Errorf("postgres: create package group: %w", err)
		}
		arn := g.ARN()
		if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE resource_arn = $1`, arn); err != nil {
			return fmt.Errorf("postgres: create package group tags: %w", err)
		}
		for _, t := range tags {
			if _, err := tx.Exec(ctx, `INSERT INTO tags (resource_arn, tag_key, tag_value) VALUES ($1, $2, $3)
				ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`, arn, t.Key, t.Value); err != nil {
				return fmt.Errorf("postgres: create package group tags: %w", err)
			}
		}
		return nil
	})
}

// GetPackageGroup returns one stored group.
func (s *Store) GetPackageGroup(ctx context.Context, owner, domain, pattern string) (model.PackageGroup, error) {
	g, err := sqlcommon.ScanPackageGroup(s.pool.QueryRow(ctx, `SELECT `+sqlcommon.PackageGroupCols+` FROM package_groups
		WHERE domain_owner = $1 AND domain_name = $2 AND pattern = $3`, owner, domain, pattern))
	if errors.Is(err, pgx.ErrNoRows) {
		return model.PackageGroup{}, sqlcommon.PackageGroupNotFound(pattern)
	}
	if err != nil {
		return model.PackageGroup{}, fmt.Errorf("postgres: get package group: %w", err)
	}
	return g, nil
}

// UpdatePackageGroup replaces a stored group's mutable fields.
func (s *Store) UpdatePackageGroup(ctx context.Context, g model.PackageGroup) error {
	origin, err := sqlcommon.EncodeGroupOrigin(g)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE package_groups SET contact_info = $1, description = $2, origin = $3
			WHERE domain_owner = $4 AND domain_name = $5 AND pattern = $6`,
			g.ContactInfo, g.Description, origin, g.DomainOwner, g.DomainName, g.Pattern)
		if err != nil {
			return fmt.Errorf("postgres: update package group: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return sqlcommon.PackageGroupNotFound(g.Pattern)
		}
		return nil
	})
}

// DeletePackageGroup removes a group and its tags.
func (s *Store) DeletePackageGroup(ctx context.Context, owner, domain, pattern string) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		var region string
		err := tx.QueryRow(ctx, `SELECT region FROM package_groups WHERE domain_owner = $1 AND domain_name = $2 AND pattern = $3`,
			owner, domain, pattern).Scan(&region)
		if errors.Is(err, pgx.ErrNoRows) {
			return sqlcommon.PackageGroupNotFound(pattern)
		}
		if err != nil {
			return fmt.Errorf("postgres: delete package group: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE resource_arn = $1`, model.PackageGroupARN(region, owner, domain, pattern)); err != nil {
			return fmt.Errorf("postgres: delete package group tags: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM package_groups WHERE domain_owner = $1 AND domain_name = $2 AND pattern = $3`,
			owner, domain, pattern); err != nil {
			return fmt.Errorf("postgres: delete package group: %w", err)
		}
		return nil
	})
}

// ListPackageGroups lists a domain's stored groups by pattern.
func (s *Store) ListPackageGroups(ctx context.Context, owner, domain, prefix string, p store.Page) ([]model.PackageGroup, string, error) {
	var q strings.Builder
	var a args
	q.WriteString(`SELECT ` + sqlcommon.PackageGroupCols + ` FROM package_groups WHERE domain_owner = ` + a.add(owner) +
		` AND domain_name = ` + a.add(domain))
	if prefix != "" {
		q.WriteString(prefixCond(&a, "pattern", prefix))
	}
	if err := pageQuery(&q, &a, p, "pattern"); err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, q.String(), a...)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list package groups: %w", err)
	}
	defer rows.Close()
	out := []model.PackageGroup{}
	for rows.Next() {
		g, err := sqlcommon.ScanPackageGroup(rows)
		if err != nil {
			return nil, "", fmt.Errorf("postgres: list package groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("postgres: list package groups: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(g model.PackageGroup) []string { return []string{g.Pattern} })
	return out, next, nil
}
