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

func scanKMSKey(row sqlcommon.Scanner) (model.KMSKey, error) {
	var k model.KMSKey
	var deletion, created *int64
	if err := row.Scan(&k.Account, &k.KeyID, &k.Region, &k.Description, &k.KeyUsage, &k.KeySpec, &k.Origin,
		&k.State, &k.Policy, &k.MultiRegion, &k.RotationEnabled, &k.RotationPeriodDays, &deletion, &k.PendingWindowDays, &created); err != nil {
		return model.KMSKey{}, err
	}
	k.DeletionDate, k.CreatedAt = sqlcommon.FromMillis(deletion), sqlcommon.FromMillis(created)
	return k, nil
}

// PutKMSKey creates or replaces a KMS key.
func (s *Store) PutKMSKey(ctx context.Context, k model.KMSKey) error {
	return s.write(ctx, func(tx conn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO kms_keys (`+sqlcommon.KMSKeyCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, key_id) DO UPDATE SET region = excluded.region,
			description = excluded.description, key_usage = excluded.key_usage, key_spec = excluded.key_spec,
			origin = excluded.origin, state = excluded.state, policy = excluded.policy,
			multi_region = excluded.multi_region, rotation_enabled = excluded.rotation_enabled,
			rotation_period_days = excluded.rotation_period_days, deletion_date = excluded.deletion_date,
			pending_window_days = excluded.pending_window_days, created_at = excluded.created_at`,
			k.Account, k.KeyID, k.Region, k.Description, k.KeyUsage, k.KeySpec, k.Origin, k.State, k.Policy,
			k.MultiRegion, k.RotationEnabled, k.RotationPeriodDays, sqlcommon.Millis(k.DeletionDate),
			k.PendingWindowDays, sqlcommon.Millis(k.CreatedAt))
		if err != nil {
			return s.errorf("put kms key: %w", err)
		}
		return nil
	})
}

// GetKMSKey returns one key of an account.
func (s *Store) GetKMSKey(ctx context.Context, account, keyID string) (model.KMSKey, error) {
	k, err := scanKMSKey(s.rd.QueryRowContext(ctx, `SELECT `+sqlcommon.KMSKeyCols+` FROM kms_keys WHERE account = ? AND key_id = ?`,
		account, keyID))
	if errors.Is(err, sql.ErrNoRows) {
		return model.KMSKey{}, sqlcommon.KMSKeyNotFound(keyID)
	}
	if err != nil {
		return model.KMSKey{}, s.errorf("get kms key: %w", err)
	}
	return k, nil
}

// ListKMSKeys lists an account's keys by key id.
func (s *Store) ListKMSKeys(ctx context.Context, account string, p store.Page) ([]model.KMSKey, string, error) {
	var q strings.Builder
	q.WriteString(`SELECT ` + sqlcommon.KMSKeyCols + ` FROM kms_keys WHERE account = ?`)
	args, err := pageQuery(&q, []any{account}, p, "key_id")
	if err != nil {
		return nil, "", err
	}
	out, err := collect(ctx, s.rd, scanKMSKey, q.String(), args...)
	if err != nil {
		return nil, "", s.errorf("list kms keys: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(k model.KMSKey) []string { return []string{k.KeyID} })
	return out, next, nil
}

// DeleteKMSKey removes a key, its aliases (by cascade) and its tags.
func (s *Store) DeleteKMSKey(ctx context.Context, account, keyID string) error {
	return s.write(ctx, func(tx conn) error {
		var region string
		err := tx.QueryRowContext(ctx, `SELECT region FROM kms_keys WHERE account = ? AND key_id = ?`, account, keyID).Scan(&region)
		if errors.Is(err, sql.ErrNoRows) {
			return sqlcommon.KMSKeyNotFound(keyID)
		}
		if err != nil {
			return s.errorf("delete kms key: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE resource_arn = ?`, model.KMSKeyARN(region, account, keyID)); err != nil {
			return s.errorf("delete kms key tags: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kms_keys WHERE account = ? AND key_id = ?`, account, keyID); err != nil {
			return s.errorf("delete kms key: %w", err)
		}
		return nil
	})
}

// CreateKMSAlias inserts an alias; Conflict when the name is taken, NotFound
// when the target key does not exist.
func (s *Store) CreateKMSAlias(ctx context.Context, a model.KMSAlias) error {
	return s.write(ctx, func(tx conn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO kms_aliases (`+sqlcommon.KMSAliasCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			a.Account, a.Name, a.Region, a.TargetKeyID, sqlcommon.Millis(a.CreatedAt), sqlcommon.Millis(a.UpdatedAt))
		switch {
		case s.isUniqueViolation(err):
			return apperr.Conflictf("kms-alias", a.Name, "alias %s already exists", a.Name).Wrap(err)
		case s.isForeignKeyViolation(err):
			return sqlcommon.KMSKeyNotFound(a.TargetKeyID)
		case err != nil:
			return s.errorf("create kms alias: %w", err)
		}
		return nil
	})
}

// UpdateKMSAlias retargets an existing alias (target key and update time).
func (s *Store) UpdateKMSAlias(ctx context.Context, a model.KMSAlias) error {
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE kms_aliases SET target_key_id = ?, updated_at = ? WHERE account = ? AND name = ?`,
			a.TargetKeyID, sqlcommon.Millis(a.UpdatedAt), a.Account, a.Name)
		if s.isForeignKeyViolation(err) {
			return sqlcommon.KMSKeyNotFound(a.TargetKeyID)
		}
		if err != nil {
			return s.errorf("update kms alias: %w", err)
		}
		n, err := s.affected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return sqlcommon.KMSAliasNotFound(a.Name)
		}
		return nil
	})
}

// GetKMSAlias returns one alias of an account.
func (s *Store) GetKMSAlias(ctx context.Context, account, name string) (model.KMSAlias, error) {
	a, err := sqlcommon.ScanKMSAlias(s.rd.QueryRowContext(ctx, `SELECT `+sqlcommon.KMSAliasCols+` FROM kms_aliases WHERE account = ? AND name = ?`,
		account, name))
	if errors.Is(err, sql.ErrNoRows) {
		return model.KMSAlias{}, sqlcommon.KMSAliasNotFound(name)
	}
	if err != nil {
		return model.KMSAlias{}, s.errorf("get kms alias: %w", err)
	}
	return a, nil
}

// DeleteKMSAlias removes an alias; NotFound when there is none.
func (s *Store) DeleteKMSAlias(ctx context.Context, account, name string) error {
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM kms_aliases WHERE account = ? AND name = ?`, account, name)
		if err != nil {
			return s.errorf("delete kms alias: %w", err)
		}
		n, err := s.affected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return sqlcommon.KMSAliasNotFound(name)
		}
		return nil
	})
}

// ListKMSAliases lists an account's aliases by name.
func (s *Store) ListKMSAliases(ctx context.Context, account string, p store.Page) ([]model.KMSAlias, string, error) {
	var q strings.Builder
	q.WriteString(`SELECT ` + sqlcommon.KMSAliasCols + ` FROM kms_aliases WHERE account = ?`)
	args, err := pageQuery(&q, []any{account}, p, "name")
	if err != nil {
		return nil, "", err
	}
	out, err := collect(ctx, s.rd, sqlcommon.ScanKMSAlias, q.String(), args...)
	if err != nil {
		return nil, "", s.errorf("list kms aliases: %w", err)
	}
	out, next := sqlcommon.TrimPage(out, p, func(a model.KMSAlias) []string { return []string{a.Name} })
	return out, next, nil
}
