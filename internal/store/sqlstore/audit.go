package sqlstore

import (
	"context"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

func qmark(int) string { return "?" }

// auditInsert is the statement AppendAudit runs per record.
var auditInsert = sqlcommon.AuditInsert(qmark)

// AppendAudit stores records and their outbox rows in one transaction.
func (s *Store) AppendAudit(ctx context.Context, recs []model.AuditRecord, webhooks []string) error {
	if len(recs) == 0 {
		return nil
	}
	return s.write(ctx, func(tx conn) error {
		for i := range recs {
			args, err := sqlcommon.AuditArgs(recs[i])
			if err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, auditInsert, args...).Scan(&recs[i].ID); err != nil {
				return s.errorf("append audit: %w", err)
			}
			if !sqlcommon.IsEvent(recs[i]) {
				continue
			}
			for _, wh := range webhooks {
				if _, err := tx.ExecContext(ctx, `INSERT INTO event_outbox (audit_id, webhook, next_attempt) VALUES (?, ?, ?)`,
					recs[i].ID, wh, recs[i].Time.UnixNano()); err != nil {
					return s.errorf("queue event: %w", err)
				}
			}
		}
		return nil
	})
}

// ListAudit lists audit records in ID order.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, p store.Page) ([]model.AuditRecord, string, error) {
	q, args, err := sqlcommon.AuditQuery(f, p, qmark)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", s.errorf("list audit: %w", err)
	}
	defer rows.Close()
	recs, err := sqlcommon.Collect(rows, sqlcommon.ScanAudit)
	if err != nil {
		return nil, "", s.errorf("list audit: %w", err)
	}
	recs, next := sqlcommon.AuditPage(recs, p.Limit)
	return recs, next, nil
}

// ClaimDeliveries leases due deliveries. The dialect's ClaimLock (PostgreSQL:
// SKIP LOCKED) keeps replicas from waiting on, or claiming, each other's rows.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Delivery, error) {
	var out []model.Delivery
	err := s.write(ctx, func(tx conn) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+sqlcommon.DeliveryColumns+` FROM event_outbox o JOIN audit_records a ON a.id = o.audit_id
			WHERE o.next_attempt <= ? ORDER BY o.audit_id, o.id LIMIT ?`+s.d.ClaimLock, now.UnixNano(), limit)
		if err != nil {
			return s.errorf("claim deliveries: %w", err)
		}
		out, err = sqlcommon.Collect(rows, sqlcommon.ScanDelivery)
		rows.Close()
		if err != nil {
			return s.errorf("claim deliveries: %w", err)
		}
		for _, d := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE event_outbox SET next_attempt = ? WHERE id = ?`, now.Add(lease).UnixNano(), d.ID); err != nil {
				return s.errorf("claim deliveries: %w", err)
			}
		}
		return nil
	})
	return out, err
}

// FinishDelivery removes a delivered outbox row.
func (s *Store) FinishDelivery(ctx context.Context, id int64) error {
	_, err := s.wr.ExecContext(ctx, `DELETE FROM event_outbox WHERE id = ?`, id)
	return err
}

// RetryDelivery records a failed attempt.
func (s *Store) RetryDelivery(ctx context.Context, id int64, next time.Time, lastErr string) error {
	_, err := s.wr.ExecContext(ctx, `UPDATE event_outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?`, next.UnixNano(), lastErr, id)
	return err
}
