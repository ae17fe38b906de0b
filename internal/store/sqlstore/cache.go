package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// GetCache returns a cached upstream document by key.
func (s *Store) GetCache(ctx context.Context, key string) (model.CacheEntry, error) {
	e := model.CacheEntry{Key: key}
	var fetched *int64
	err := s.rd.QueryRowContext(ctx, `SELECT body, etag, status, fetched_at FROM cache_entries WHERE cache_key = ?`, key).
		Scan(&e.Body, &e.ETag, &e.Status, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return model.CacheEntry{}, apperr.NotFoundf("cache-entry", key, "cache entry %s not found", key)
	}
	if err != nil {
		return model.CacheEntry{}, s.errorf("get cache: %w", err)
	}
	e.FetchedAt = sqlcommon.FromMillis(fetched)
	return e, nil
}

// PutCache stores or replaces a cache entry. Replicas refreshing one entry at
// once is fine: the last write wins, as for any cache.
func (s *Store) PutCache(ctx context.Context, e model.CacheEntry) error {
	return s.write(ctx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cache_entries (cache_key, body, etag, status, fetched_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (cache_key) DO UPDATE SET body = excluded.body, etag = excluded.etag,
			status = excluded.status, fetched_at = excluded.fetched_at`,
			e.Key, e.Body, e.ETag, e.Status, sqlcommon.Millis(e.FetchedAt)); err != nil {
			return s.errorf("put cache: %w", err)
		}
		return nil
	})
}
