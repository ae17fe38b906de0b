package sqlcommon

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// AuditColumns are the audit_records columns ScanAudit reads, in order.
const AuditColumns = `id, at, request_id, principal, action, domain_owner, domain_name, repository, format, namespace, package, version, detail`

// AuditInsert is the INSERT of one audit record (without id), with
// placeholders from ph (1-based).
func AuditInsert(ph func(int) string) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO audit_records (at, request_id, principal, action, domain_owner, domain_name, repository, format, namespace, package, version, detail) VALUES (`)
	for i := 1; i <= 12; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString(ph(i))
	}
	b.WriteString(") RETURNING id")
	return b.String()
}

// AuditArgs are AuditInsert's arguments.
func AuditArgs(r model.AuditRecord) ([]any, error) {
	detail, err := json.Marshal(r.Detail)
	if err != nil {
		return nil, fmt.Errorf("encoding audit detail: %w", err)
	}
	return []any{r.Time.UnixNano(), r.RequestID, r.Principal, r.Action, r.DomainOwner, r.DomainName, r.Repository,
		string(r.Format), r.Namespace, r.Package, r.Version, string(detail)}, nil
}

// ScanAudit reads a row of AuditColumns.
func ScanAudit(row Scanner) (model.AuditRecord, error) {
	var r model.AuditRecord
	var at int64
	var format, detail string
	if err := row.Scan(&r.ID, &at, &r.RequestID, &r.Principal, &r.Action, &r.DomainOwner, &r.DomainName, &r.Repository,
		&format, &r.Namespace, &r.Package, &r.Version, &detail); err != nil {
		return r, err
	}
	r.Time = time.Unix(0, at).UTC()
	r.Format = model.Format(format)
	if err := json.Unmarshal([]byte(detail), &r.Detail); err != nil {
		return r, fmt.Errorf("decoding audit detail of record %d: %w", r.ID, err)
	}
	return r, nil
}

// AuditQuery builds ListAudit's SELECT with placeholders from ph.
func AuditQuery(f store.AuditFilter, p store.Page, ph func(int) string) (string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", ph(len(args))))
	}
	if p.Cursor != "" {
		after, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil {
			return "", nil, fmt.Errorf("bad audit cursor %q", p.Cursor)
		}
		add("id > ?", after)
	}
	for _, c := range []struct{ col, v string }{
		{"domain_owner", f.DomainOwner}, {"domain_name", f.DomainName}, {"repository", f.Repository},
		{"format", string(f.Format)}, {"package", f.Package}, {"principal", f.Principal},
	} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if f.Namespace != nil {
		add("namespace = ?", *f.Namespace)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UnixNano())
	}
	q := `SELECT ` + AuditColumns + ` FROM audit_records`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit+1)
	q += ` ORDER BY id LIMIT ` + ph(len(args))
	return q, args, nil
}

// AuditPage trims a result fetched with limit+1 rows and returns the cursor.
func AuditPage(recs []model.AuditRecord, limit int) ([]model.AuditRecord, string) {
	if limit <= 0 {
		limit = 1000
	}
	if len(recs) <= limit {
		return recs, ""
	}
	recs = recs[:limit]
	return recs, strconv.FormatInt(recs[len(recs)-1].ID, 10)
}

// IsEvent reports whether a record is a package version state change, sent
// to webhooks.
func IsEvent(r model.AuditRecord) bool { return r.Detail.OperationType != "" && r.Version != "" }

// DeliveryColumns: the outbox joined with its record.
const DeliveryColumns = `o.id, o.webhook, o.attempts, a.id, a.at, a.request_id, a.principal, a.action, a.domain_owner, a.domain_name, a.repository, a.format, a.namespace, a.package, a.version, a.detail`

// ScanDelivery reads a row of DeliveryColumns.
func ScanDelivery(row Scanner) (model.Delivery, error) {
	var d model.Delivery
	var at int64
	var format, detail string
	r := &d.Record
	if err := row.Scan(&d.ID, &d.Webhook, &d.Attempts, &r.ID, &at, &r.RequestID, &r.Principal, &r.Action, &r.DomainOwner, &r.DomainName, &r.Repository,
		&format, &r.Namespace, &r.Package, &r.Version, &detail); err != nil {
		return d, err
	}
	r.Time = time.Unix(0, at).UTC()
	r.Format = model.Format(format)
	if err := json.Unmarshal([]byte(detail), &r.Detail); err != nil {
		return d, fmt.Errorf("decoding audit detail of record %d: %w", r.ID, err)
	}
	return d, nil
}
