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

// CreateDomain inserts a domain; Conflict when (owner, name) exists.
func (s *Store) CreateDomain(ctx context.Context, d model.Domain) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO domains (`+sqlcommon.DomainCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			d.Owner, d.Name, d.Region, d.EncryptionKey, d.Status, sqlcommon.Millis(d.CreatedAt))
		if isUniqueViolation(err) {
			return apperr.Conflictf("domain", d.Name, "domain %s already exists", d.Name).Wrap(err)
		}
		if err != nil {
			return fmt.Errorf("postgres: create domain: %w", err)
		}
		return nil
	})
}

func getDomain(ctx context.Context, q querier, owner, name string) (model.Domain, error) {
	d, err := sqlcommon.ScanDomain(q.QueryRow(ctx, `SELECT `+sqlcommon.DomainCols+` FROM domains WHERE owner = $1 AND name = $2`, owner, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return model.Domain{}, sqlcommon.DomainNotFound(name)
	}
	if err != nil {
		return model.Domain{}, fmt.Errorf("postgres: get domain: %w", err)
	}
	return d, nil
}

// GetDomain returns one domain.
func (s *Store) GetDomain(ctx context.Context, owner, name string) (model.Domain, error) {
	return getDomain(ctx, s.pool, owner, name)
}

// ListDomains lists owner's domains by name; owner "" lists every account's.
func (s *Store) ListDomains(ctx context.Context, owner string, p store.Page) ([]model.Domain, string, error) {
	var q strings.Builder
	var a args
	q.WriteString(`SELECT ` + sqlcommon.DomainCols + ` FROM domains WHERE 1 = 1`)
	if owner != "" {
		q.WriteString(` AND owner = ` + a.add(owner))
	}
	if err := pageQuery(&q, &a, p, "name", "owner"); err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, q.String(), a...)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list domains: %w", err)
	}
	out, err := collect(rows, sqlcommon.ScanDomain)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list domains: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(d model.Domain) []string { return []string{d.Name, d.Owner} })
	return out, next, nil
}

// DeleteDomain deletes an empty domain with its policy and tags, and the tags
// of its package groups (the groups themselves cascade).
func (s *Store) DeleteDomain(ctx context.Context, owner, name string) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		d, err := getDomain(ctx, tx, owner, name)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM repositories WHERE domain_owner = $1 AND domain_name = $2`,
			owner, name).Scan(&n); err != nil {
			return fmt.Errorf("postgres: delete domain: %w", err)
		}
		if n > 0 {
			return apperr.Conflictf("domain", name, "domain %s has %d repositories", name, n)
		}
		if err := deleteResourceExtras(ctx, tx, d.ARN()); err != nil {
			return err
		}
		// Tags of the domain's package groups, implicit ones ("/*") included:
		// every group ARN starts with this prefix.
		groups := model.PackageGroupARN(d.Region, owner, name, "/")
		if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE starts_with(resource_arn, $1::text)`, groups); err != nil {
			return fmt.Errorf("postgres: delete package group tags: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM domains WHERE owner = $1 AND name = $2`, owner, name); err != nil {
			if isForeignKeyViolation(err) {
				return apperr.Conflictf("domain", name, "domain %s has repositories", name).Wrap(err)
			}
			return fmt.Errorf("postgres: delete domain: %w", err)
		}
		return nil
	})
}

// deleteResourceExtras removes the policy and tags attached to an ARN.
func deleteResourceExtras(ctx context.Context, tx pgx.Tx, arn string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM policies WHERE resource_arn = $1`, arn); err != nil {
		return fmt.Errorf("postgres: delete policy: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE resource_arn = $1`, arn); err != nil {
		return fmt.Errorf("postgres: delete tags: %w", err)
	}
	return nil
}

// DomainStats counts a domain's repositories and the bytes of its distinct assets
// (by SHA-256: the blob store keeps each digest once per domain).
func (s *Store) DomainStats(ctx context.Context, owner, name string) (repos int, size int64, err error) {
	err = s.read(ctx, func(tx pgx.Tx) error {
		if _, err := getDomain(ctx, tx, owner, name); err != nil {
			return err
		}
		// SUM over bigint is numeric in PostgreSQL: cast back.
		if err := tx.QueryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM repositories WHERE domain_owner = $1 AND domain_name = $2),
			(SELECT COALESCE(SUM(size), 0)::bigint FROM (
				SELECT sha256, MAX(size) AS size FROM assets
				WHERE domain_owner = $1 AND domain_name = $2 GROUP BY sha256) AS distinct_assets)`,
			owner, name).Scan(&repos, &size); err != nil {
			return fmt.Errorf("postgres: domain stats: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return repos, size, nil
}
