package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// PutToken stores an authorization token by hash, replacing one with the same hash.
func (s *Store) PutToken(ctx context.Context, t model.AuthToken) error {
	tags, err := sqlcommon.TagsJSON(t.SessionTags)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_tokens (hash, principal_account, principal_arn,
			principal_user_id, domain_owner, domain_name, domain_created_at, expires_at, created_at, session_tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (hash) DO UPDATE SET principal_account = excluded.principal_account,
			principal_arn = excluded.principal_arn, principal_user_id = excluded.principal_user_id,
			domain_owner = excluded.domain_owner, domain_name = excluded.domain_name,
			domain_created_at = excluded.domain_created_at, expires_at = excluded.expires_at, created_at = excluded.created_at,
			session_tags = excluded.session_tags`,
			t.Hash, t.Principal.Account, t.Principal.ARN, t.Principal.UserID, t.DomainOwner, t.DomainName,
			sqlcommon.Millis(t.DomainCreatedAt), sqlcommon.Millis(t.ExpiresAt), sqlcommon.Millis(t.CreatedAt), tags); err != nil {
			return s.errorf("put token: %w", err)
		}
		return nil
	})
}

// GetToken returns a token by hash. Expiry is the caller's business.
func (s *Store) GetToken(ctx context.Context, hash string) (model.AuthToken, error) {
	t := model.AuthToken{Hash: hash}
	var domainCreated, expires, created *int64
	var tags string
	err := s.rd.QueryRowContext(ctx, `SELECT principal_account, principal_arn, principal_user_id, domain_owner,
		domain_name, domain_created_at, expires_at, created_at, session_tags FROM auth_tokens WHERE hash = ?`, hash).
		Scan(&t.Principal.Account, &t.Principal.ARN, &t.Principal.UserID, &t.DomainOwner, &t.DomainName, &domainCreated, &expires, &created, &tags)
	if errors.Is(err, sql.ErrNoRows) {
		return model.AuthToken{}, apperr.NotFoundf("token", "", "token not found")
	}
	if err != nil {
		return model.AuthToken{}, s.errorf("get token: %w", err)
	}
	if t.SessionTags, err = sqlcommon.ParseTagsJSON(tags); err != nil {
		return model.AuthToken{}, s.errorf("get token: %w", err)
	}
	t.DomainCreatedAt = sqlcommon.FromMillis(domainCreated)
	t.ExpiresAt, t.CreatedAt = sqlcommon.FromMillis(expires), sqlcommon.FromMillis(created)
	return t, nil
}

// DeleteExpiredTokens deletes at most limit tokens expired at or before now.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time, limit int) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE hash IN
			(SELECT hash FROM auth_tokens WHERE expires_at <= ? LIMIT ?)`, now.UnixMilli(), limit)
		if err != nil {
			return s.errorf("delete expired tokens: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// ListAccessKeyIDs lists every access key id, ordered.
func (s *Store) ListAccessKeyIDs(ctx context.Context) ([]string, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT access_key_id FROM access_keys ORDER BY access_key_id`)
	if err != nil {
		return nil, s.errorf("list access keys: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.errorf("list access keys: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
