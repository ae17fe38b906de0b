package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// PutAccessKey stores an access key, replacing one with the same id.
func (s *Store) PutAccessKey(ctx context.Context, k model.AccessKey) error {
	args, err := sqlcommon.AccessKeyArgs(k)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_keys (`+sqlcommon.AccessKeyCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (access_key_id) DO UPDATE SET
			secret_access_key = excluded.secret_access_key, principal_account = excluded.principal_account,
			principal_arn = excluded.principal_arn, principal_user_id = excluded.principal_user_id,
			created_at = excluded.created_at, status = excluded.status, session_token_hash = excluded.session_token_hash,
			role_arn = excluded.role_arn, session_tags = excluded.session_tags, expires_at = excluded.expires_at`, args...); err != nil {
			return s.errorf("put access key: %w", err)
		}
		return nil
	})
}

// GetAccessKey returns an access key by id.
func (s *Store) GetAccessKey(ctx context.Context, id string) (model.AccessKey, error) {
	k, err := sqlcommon.ScanAccessKey(s.rd.QueryRowContext(ctx, `SELECT `+sqlcommon.AccessKeyCols+` FROM access_keys WHERE access_key_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return model.AccessKey{}, sqlcommon.AccessKeyNotFound(id)
	}
	if err != nil {
		return model.AccessKey{}, s.errorf("get access key: %w", err)
	}
	return k, nil
}

// ListAccessKeys returns the keys of a principal, oldest first.
func (s *Store) ListAccessKeys(ctx context.Context, principalARN string) ([]model.AccessKey, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT `+sqlcommon.AccessKeyCols+` FROM access_keys WHERE principal_arn = ?
		ORDER BY created_at, access_key_id`, principalARN)
	if err != nil {
		return nil, s.errorf("list access keys: %w", err)
	}
	defer rows.Close()
	out, err := sqlcommon.Collect(rows, sqlcommon.ScanAccessKey)
	if err != nil {
		return nil, s.errorf("list access keys: %w", err)
	}
	return out, nil
}

// DeleteAccessKey deletes a key.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE access_key_id = ?`, id)
		if err != nil {
			return s.errorf("delete access key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sqlcommon.AccessKeyNotFound(id)
		}
		return nil
	})
}

// DeleteExpiredSessions deletes session keys expired before t.
func (s *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE session_token_hash <> '' AND expires_at < ?`, sqlcommon.Millis(t))
		if err != nil {
			return s.errorf("delete expired sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// CreateIAMEntity inserts a new IAM entity.
func (s *Store) CreateIAMEntity(ctx context.Context, e model.IAMEntity) error {
	return s.write(ctx, func(tx conn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO iam_entities (account, kind, parent, name_key, name, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Account, e.Kind, e.Parent, sqlcommon.IAMNameKey(e.Name), e.Name, string(e.Body), sqlcommon.Millis(e.CreatedAt))
		if s.isUniqueViolation(err) {
			return sqlcommon.IAMEntityExists(e.Kind, e.Name)
		}
		if err != nil {
			return s.errorf("create iam entity: %w", err)
		}
		return nil
	})
}

// PutIAMEntity creates or replaces an IAM entity.
func (s *Store) PutIAMEntity(ctx context.Context, e model.IAMEntity) error {
	return s.write(ctx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO iam_entities (account, kind, parent, name_key, name, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, kind, parent, name_key) DO UPDATE SET
			name = excluded.name, body = excluded.body, created_at = excluded.created_at`, e.Account, e.Kind, e.Parent, sqlcommon.IAMNameKey(e.Name), e.Name, string(e.Body), sqlcommon.Millis(e.CreatedAt)); err != nil {
			return s.errorf("put iam entity: %w", err)
		}
		return nil
	})
}

// GetIAMEntity returns one IAM entity.
func (s *Store) GetIAMEntity(ctx context.Context, account, kind, parent, name string) (model.IAMEntity, error) {
	e, err := sqlcommon.ScanIAMEntity(s.rd.QueryRowContext(ctx, `SELECT `+sqlcommon.IAMEntityCols+` FROM iam_entities
		WHERE account = ? AND kind = ? AND parent = ? AND name_key = ?`, account, kind, parent, sqlcommon.IAMNameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return model.IAMEntity{}, sqlcommon.IAMEntityNotFound(kind, name)
	}
	if err != nil {
		return model.IAMEntity{}, s.errorf("get iam entity: %w", err)
	}
	return e, nil
}

// ListIAMEntities lists one parent's (or, with "*", every parent's) entities of a kind.
func (s *Store) ListIAMEntities(ctx context.Context, account, kind, parent string) ([]model.IAMEntity, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT `+sqlcommon.IAMEntityCols+` FROM iam_entities
		WHERE account = ? AND kind = ? AND (parent = ? OR ? = '*') ORDER BY name_key, parent`, account, kind, parent, parent)
	if err != nil {
		return nil, s.errorf("list iam entities: %w", err)
	}
	defer rows.Close()
	out, err := sqlcommon.Collect(rows, sqlcommon.ScanIAMEntity)
	if err != nil {
		return nil, s.errorf("list iam entities: %w", err)
	}
	return out, nil
}

// DeleteIAMEntity deletes one IAM entity.
func (s *Store) DeleteIAMEntity(ctx context.Context, account, kind, parent, name string) error {
	return s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM iam_entities WHERE account = ? AND kind = ? AND parent = ? AND name_key = ?`,
			account, kind, parent, sqlcommon.IAMNameKey(name))
		if err != nil {
			return s.errorf("delete iam entity: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sqlcommon.IAMEntityNotFound(kind, name)
		}
		return nil
	})
}
