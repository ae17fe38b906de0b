package sqlstore

import (
	"context"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// GetDistTags returns a package's dist-tags; empty when it has none.
func (s *Store) GetDistTags(ctx context.Context, k model.PackageKey) (map[string]string, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT tag, version FROM dist_tags WHERE `+pkgWhere, keyArgs(k)...)
	if err != nil {
		return nil, s.errorf("get dist-tags: %w", err)
	}
	defer rows.Close()
	tags := map[string]string{}
	for rows.Next() {
		var tag, version string
		if err := rows.Scan(&tag, &version); err != nil {
			return nil, s.errorf("get dist-tags: %w", err)
		}
		tags[tag] = version
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("get dist-tags: %w", err)
	}
	return tags, nil
}

// SetDistTags adds or overwrites dist-tags of an existing package.
func (s *Store) SetDistTags(ctx context.Context, k model.PackageKey, tags map[string]string) error {
	return s.write(ctx, func(tx conn) error {
		if _, err := s.getPackage(ctx, tx, k); err != nil {
			return err
		}
		for tag, version := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO dist_tags (domain_owner, domain_name, repository, format, namespace, name, tag, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (domain_owner, domain_name, repository, format, namespace, name, tag) DO UPDATE SET version = excluded.version`,
				append(keyArgs(k), tag, version)...); err != nil {
				return s.errorf("set dist-tag: %w", err)
			}
		}
		return nil
	})
}

// DeleteDistTag removes one dist-tag.
func (s *Store) DeleteDistTag(ctx context.Context, k model.PackageKey, tag string) error {
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM dist_tags WHERE `+pkgWhere+` AND tag = ?`, append(keyArgs(k), tag)...)
		if err != nil {
			return s.errorf("delete dist-tag: %w", err)
		}
		if n, err := s.affected(res); err != nil {
			return err
		} else if n == 0 {
			return sqlcommon.DistTagNotFound(k, tag)
		}
		return nil
	})
}
