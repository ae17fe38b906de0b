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

// CreateDomain inserts a domain; Conflict when (owner, name) exists.
func (s *Store) CreateDomain(ctx context.Context, d model.Domain) error {
	return s.write(ctx, func(tx conn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO domains (`+sqlcommon.DomainCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			d.Owner, d.Name, d.Region, d.EncryptionKey, d.Status, sqlcommon.Millis(d.CreatedAt))
		if s.isUniqueViolation(err) {
			return apperr.Conflictf("domain", d.Name, "domain %s already exists", d.Name).Wrap(err)
		}
		if err != nil {
			return s.errorf("create domain: %w", err)
		}
		return nil
	})
}

func (s *Store) getDomain(ctx context.Context, q conn, owner, name string) (model.Domain, error) {
	d, err := sqlcommon.ScanDomain(q.QueryRowContext(ctx, `SELECT `+sqlcommon.DomainCols+` FROM domains WHERE owner = ? AND name = ?`, owner, name))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Domain{}, sqlcommon.DomainNotFound(name)
	}
	if err != nil {
		return model.Domain{}, s.errorf("get domain: %w", err)
	}
	return d, nil
}

// GetDomain returns one domain.
func (s *Store) GetDomain(ctx context.Context, owner, name string) (model.Domain, error) {
	return s.getDomain(ctx, s.rd, owner, name)
}

// ListDomains lists owner's domains by name; owner "" lists every account's.
func (s *Store) ListDomains(ctx context.Context, owner string, p store.Page) ([]model.Domain, string, error) {
	var q strings.Builder
	var args []any
	q.WriteString(`SELECT ` + sqlcommon.DomainCols + ` FROM domains WHERE 1 = 1`)
	if owner != "" {
		q.WriteString(` AND owner = ?`)
		args = append(args, owner)
	}
	args, err := pageQuery(&q, args, p, "name", "owner")
	if err != nil {
		return nil, "", err
	}
	out, err := collect(ctx, s.rd, sqlcommon.ScanDomain, q.String(), args...)
	if err != nil {
		return nil, "", s.errorf("list domains: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(d model.Domain) []string { return []string{d.Name, d.Owner} })
	return out, next, nil
}

// DeleteDomain deletes an empty domain with its policy and tags, and the tags
// of its package groups (the groups themselves cascade).
func (s *Store) DeleteDomain(ctx context.Context, owner, name string) error {
	return s.write(ctx, func(tx conn) error {
		d, err := s.getDomain(ctx, tx, owner, name)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM repositories WHERE domain_owner = ? AND domain_name = ?`,
			owner, name).Scan(&n); err != nil {
			return s.errorf("delete domain: %w", err)
		}
		if n > 0 {
			return apperr.Conflictf("domain", name, "domain %s has %d repositories", name, n)
		}
		if err := s.deleteResourceExtras(ctx, tx, d.ARN()); err != nil {
			return err
		}
		// Tags of the domain's package groups, implicit ones ("/*") included:
		// every group ARN starts with this prefix.
		groups := model.PackageGroupARN(d.Region, owner, name, "/")
		var del strings.Builder
		del.WriteString(`DELETE FROM tags WHERE 1 = 1`)
		args := s.prefixCond(&del, "resource_arn", groups, nil)
		if _, err := tx.ExecContext(ctx, del.String(), args...); err != nil {
			return s.errorf("delete package group tags: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM domains WHERE owner = ? AND name = ?`, owner, name); err != nil {
			if s.isForeignKeyViolation(err) {
				return apperr.Conflictf("domain", name, "domain %s has repositories", name).Wrap(err)
			}
			return s.errorf("delete domain: %w", err)
		}
		return nil
	})
}

// deleteResourceExtras removes the policy and tags attached to an ARN.
func (s *Store) deleteResourceExtras(ctx context.Context, tx conn, arn string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM policies WHERE resource_arn = ?`, arn); err != nil {
		return s.errorf("delete policy: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE resource_arn = ?`, arn); err != nil {
		return s.errorf("delete tags: %w", err)
	}
	return nil
}

// DomainStats counts a domain's repositories and the bytes of its distinct assets
// (by SHA-256: the blob store keeps each digest once per domain).
func (s *Store) DomainStats(ctx context.Context, owner, name string) (repos int, size int64, err error) {
	err = s.read(ctx, func(tx conn) error {
		if _, err := s.getDomain(ctx, tx, owner, name); err != nil {
			return err
		}
		// SUM over BIGINT is NUMERIC in PostgreSQL: cast back.
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM repositories WHERE domain_owner = ? AND domain_name = ?),
			(SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM (
				SELECT sha256, MAX(size) AS size FROM assets
				WHERE domain_owner = ? AND domain_name = ? GROUP BY sha256) AS distinct_assets)`,
			owner, name, owner, name).Scan(&repos, &size); err != nil {
			return s.errorf("domain stats: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return repos, size, nil
}
