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

// CreatePackageGroup inserts a group and its tags, dropping stale tags left
// under its ARN by an earlier group of the same pattern.
func (s *Store) CreatePackageGroup(ctx context.Context, g model.PackageGroup, tags []model.Tag) error {
	origin, err := sqlcommon.EncodeGroupOrigin(g)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx conn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO package_groups (`+sqlcommon.PackageGroupCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			g.DomainOwner, g.DomainName, g.Pattern, g.Region, g.ContactInfo, g.Description, origin, sqlcommon.Millis(g.CreatedAt))
		switch {
		case s.isUniqueViolation(err):
			return apperr.Conflictf("package-group", g.Pattern, "Package group %s already exists", g.Pattern).Wrap(err)
		case s.isForeignKeyViolation(err):
			return apperr.NotFoundf("domain", g.DomainName, "Domain not found: %s", g.DomainName)
		case err != nil:
			return s.errorf("create package group: %w", err)
		}
		arn := g.ARN()
		if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE resource_arn = ?`, arn); err != nil {
			return s.errorf("create package group tags: %w", err)
		}
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tags (resource_arn, tag_key, tag_value) VALUES (?, ?, ?)
				ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`, arn, t.Key, t.Value); err != nil {
				return s.errorf("create package group tags: %w", err)
			}
		}
		return nil
	})
}

// GetPackageGroup returns one stored group.
func (s *Store) GetPackageGroup(ctx context.Context, owner, domain, pattern string) (model.PackageGroup, error) {
	g, err := sqlcommon.ScanPackageGroup(s.rd.QueryRowContext(ctx, `SELECT `+sqlcommon.PackageGroupCols+` FROM package_groups
		WHERE domain_owner = ? AND domain_name = ? AND pattern = ?`, owner, domain, pattern))
	if errors.Is(err, sql.ErrNoRows) {
		return model.PackageGroup{}, sqlcommon.PackageGroupNotFound(pattern)
	}
	if err != nil {
		return model.PackageGroup{}, s.errorf("get package group: %w", err)
	}
	return g, nil
}

// UpdatePackageGroup replaces a stored group's mutable fields.
func (s *Store) UpdatePackageGroup(ctx context.Context, g model.PackageGroup) error {
	origin, err := sqlcommon.EncodeGroupOrigin(g)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE package_groups SET contact_info = ?, description = ?, origin = ?
			WHERE domain_owner = ? AND domain_name = ? AND pattern = ?`,
			g.ContactInfo, g.Description, origin, g.DomainOwner, g.DomainName, g.Pattern)
		if err != nil {
			return s.errorf("update package group: %w", err)
		}
		n, err := s.affected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return sqlcommon.PackageGroupNotFound(g.Pattern)
		}
		return nil
	})
}

// DeletePackageGroup removes a group and its tags.
func (s *Store) DeletePackageGroup(ctx context.Context, owner, domain, pattern string) error {
	return s.write(ctx, func(tx conn) error {
		var region string
		err := tx.QueryRowContext(ctx, `SELECT region FROM package_groups WHERE domain_owner = ? AND domain_name = ? AND pattern = ?`,
			owner, domain, pattern).Scan(&region)
		if errors.Is(err, sql.ErrNoRows) {
			return sqlcommon.PackageGroupNotFound(pattern)
		}
		if err != nil {
			return s.errorf("delete package group: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE resource_arn = ?`, model.PackageGroupARN(region, owner, domain, pattern)); err != nil {
			return s.errorf("delete package group tags: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM package_groups WHERE domain_owner = ? AND domain_name = ? AND pattern = ?`,
			owner, domain, pattern); err != nil {
			return s.errorf("delete package group: %w", err)
		}
		return nil
	})
}

// ListPackageGroups lists a domain's stored groups by pattern.
func (s *Store) ListPackageGroups(ctx context.Context, owner, domain, prefix string, p store.Page) ([]model.PackageGroup, string, error) {
	var q strings.Builder
	q.WriteString(`SELECT ` + sqlcommon.PackageGroupCols + ` FROM package_groups WHERE domain_owner = ? AND domain_name = ?`)
	args := []any{owner, domain}
	if prefix != "" {
		args = s.prefixCond(&q, "pattern", prefix, args)
	}
	args, err := pageQuery(&q, args, p, "pattern")
	if err != nil {
		return nil, "", err
	}
	out, err := collect(ctx, s.rd, sqlcommon.ScanPackageGroup, q.String(), args...)
	if err != nil {
		return nil, "", s.errorf("list package groups: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(g model.PackageGroup) []string { return []string{g.Pattern} })
	return out, next, nil
}
