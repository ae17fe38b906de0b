package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// PutToken stores an authorization token by hash, replacing one with the same hash.
func (s *Store) PutToken(ctx context.Context, t model.AuthToken) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO auth_tokens (hash, principal_account, principal_arn,
			principal_user_id, domain_owner, domain_name, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (hash) DO UPDATE SET principal_account = excluded.principal_account,
			principal_arn = excluded.principal_arn, principal_user_id = excluded.principal_user_id,
			domain_owner = excluded.domain_owner, domain_name = excluded.domain_name,
			expires_at = excluded.expires_at, created_at = excluded.created_at`,
			t.Hash, t.Principal.Account, t.Principal.ARN, t.Principal.UserID, t.DomainOwner, t.DomainName,
			sqlcommon.Millis(t.ExpiresAt), sqlcommon.Millis(t.CreatedAt)); err != nil {
			return fmt.Errorf("postgres: put token: %w", err)
		}
		return nil
	})
}

// GetToken returns a token by hash. Expiry is the caller's business.
func (s *Store) GetToken(ctx context.Context, hash string) (model.AuthToken, error) {
	t := model.AuthToken{Hash: hash}
	var expires, created *int64
	err := s.pool.QueryRow(ctx, `SELECT principal_account, principal_arn, principal_user_id, domain_owner,
		domain_name, expires_at, created_at FROM auth_tokens WHERE hash = $1`, hash).
		Scan(&t.Principal.Account, &t.Principal.ARN, &t.Principal.UserID, &t.DomainOwner, &t.DomainName, &expires, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return model.AuthToken{}, apperr.NotFoundf("token", "", "token not found")
	}
	if err != nil {
		return model.AuthToken{}, fmt.Errorf("postgres: get token: %w", err)
	}
	t.ExpiresAt, t.CreatedAt = sqlcommon.FromMillis(expires), sqlcommon.FromMillis(created)
	return t, nil
}
