package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

func (s *Store) getPolicy(ctx context.Context, q conn, arn string) (model.Policy, error) {
	p := model.Policy{ResourceARN: arn}
	err := q.QueryRowContext(ctx, `SELECT document, revision FROM policies WHERE resource_arn = ?`, arn).Scan(&p.Document, &p.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return model.Policy{}, sqlcommon.PolicyNotFound(arn)
	}
	if err != nil {
		return model.Policy{}, s.errorf("get policy: %w", err)
	}
	return p, nil
}

// GetPolicy returns the policy attached to an ARN.
func (s *Store) GetPolicy(ctx context.Context, resourceARN string) (model.Policy, error) {
	return s.getPolicy(ctx, s.rd, resourceARN)
}

// PutPolicy creates (expectedRevision "") or replaces (expectedRevision equal to
// the stored one) a policy; any other case is Conflict. Two replicas swapping
// from the same revision at once: PostgreSQL's SERIALIZABLE makes the later one
// rerun and find the revision changed.
func (s *Store) PutPolicy(ctx context.Context, p model.Policy, expectedRevision string) error {
	return s.write(ctx, func(tx conn) error {
		cur, err := s.getPolicy(ctx, tx, p.ResourceARN)
		switch {
		case apperr.Is(err, apperr.NotFound):
			if expectedRevision != "" {
				return sqlcommon.PolicyConflict(p.ResourceARN)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO policies (resource_arn, document, revision) VALUES (?, ?, ?)`,
				p.ResourceARN, p.Document, p.Revision)
			if s.isUniqueViolation(err) {
				return sqlcommon.PolicyConflict(p.ResourceARN)
			}
		case err != nil:
			return err
		case expectedRevision == "" || expectedRevision != cur.Revision:
			return sqlcommon.PolicyConflict(p.ResourceARN)
		default:
			_, err = tx.ExecContext(ctx, `UPDATE policies SET document = ?, revision = ? WHERE resource_arn = ?`,
				p.Document, p.Revision, p.ResourceARN)
		}
		if err != nil {
			return s.errorf("put policy: %w", err)
		}
		return nil
	})
}

// DeletePolicy deletes and returns the policy on an ARN. A non-empty
// expectedRevision must match the stored revision, else Conflict.
func (s *Store) DeletePolicy(ctx context.Context, resourceARN, expectedRevision string) (model.Policy, error) {
	var p model.Policy
	err := s.write(ctx, func(tx conn) error {
		var err error
		if p, err = s.getPolicy(ctx, tx, resourceARN); err != nil {
			return err
		}
		if expectedRevision != "" && expectedRevision != p.Revision {
			return sqlcommon.PolicyConflict(resourceARN)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM policies WHERE resource_arn = ?`, resourceARN); err != nil {
			return s.errorf("delete policy: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.Policy{}, err
	}
	return p, nil
}

// ListTags returns an ARN's tags ordered by key.
func (s *Store) ListTags(ctx context.Context, resourceARN string) ([]model.Tag, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT tag_key, tag_value FROM tags WHERE resource_arn = ? ORDER BY tag_key`, resourceARN)
	if err != nil {
		return nil, s.errorf("list tags: %w", err)
	}
	defer rows.Close()
	out, err := sqlcommon.Collect(rows, sqlcommon.ScanTag)
	if err != nil {
		return nil, s.errorf("list tags: %w", err)
	}
	return out, nil
}

// SetTags adds or overwrites tags on an ARN.
func (s *Store) SetTags(ctx context.Context, resourceARN string, tags []model.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	return s.write(ctx, func(tx conn) error {
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tags (resource_arn, tag_key, tag_value) VALUES (?, ?, ?)
				ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`,
				resourceARN, t.Key, t.Value); err != nil {
				return s.errorf("set tags: %w", err)
			}
		}
		return nil
	})
}

// RemoveTags removes tags by key; absent keys are ignored.
func (s *Store) RemoveTags(ctx context.Context, resourceARN string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return s.write(ctx, func(tx conn) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE resource_arn = ? AND tag_key = ?`, resourceARN, k); err != nil {
				return s.errorf("remove tags: %w", err)
			}
		}
		return nil
	})
}
