package sqlcommon

// ListVersionsPage and DefaultDisplayVersion, written once for both backends.
// The SQL uses ? placeholders; PostgreSQL rebinds them with Rebind. Every query
// here is an index range scan of at most a page of rows (migration 0045 adds
// the indexes; the package key is their prefix):
//
//	order by version, no status    primary key (…, version)
//	order by version, status       package_versions_by_status (…, status, version)
//	newest first, no status        package_versions_by_published (…, PublishedKey DESC, version)
//	newest first, status           package_versions_by_status_published (…, status, PublishedKey DESC, version)
//
// originType is a residual filter on those scans (no index of its own: a
// package's versions are nearly always of one origin, so it either keeps every
// row or, for the other origin, finds nothing — which reads the package's
// rows once; recorded as the compromise in bench/PROFILE.md).

import (
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// PublishedKey is the sort key of "newest first": the published time in unix
// milliseconds, a version without one below every real time. An expression
// rather than NULLS LAST so that both backends order the same way and the
// keyset comparison stays a plain range (the indexes are on this expression;
// queries must spell it exactly so).
const PublishedKey = `COALESCE(published_at, -9223372036854775807)`

// noPublishedKey is PublishedKey's value for a version without a time.
const noPublishedKey = -9223372036854775807

// VersionSummaryCols are the package_versions columns a listing reads, in
// the order ScanVersionSummary reads them: no content columns, so nothing to
// decode or decrypt.
const VersionSummaryCols = `domain_owner, domain_name, repository, format, namespace, name, version,
	status, revision, origin_type, origin_repository, origin_external_connection, published_at`

// ScanVersionSummary reads a row of VersionSummaryCols.
func ScanVersionSummary(row Scanner) (model.PackageVersion, error) {
	var v model.PackageVersion
	var format string
	var published *int64
	if err := row.Scan(&v.DomainOwner, &v.DomainName, &v.Repository, &format, &v.Namespace, &v.Name, &v.Version,
		&v.Status, &v.Revision, &v.Origin.Type, &v.Origin.Repository, &v.Origin.ExternalConnection, &published); err != nil {
		return model.PackageVersion{}, err
	}
	v.Format = model.Format(format)
	v.PublishedAt = FromMillis(published)
	return v, nil
}

// Query is one SQL statement with ? placeholders and its arguments.
type Query struct {
	SQL  string
	Args []any
}

const pkgKeyWhere = `domain_owner = ? AND domain_name = ? AND repository = ? AND format = ? AND namespace = ? AND name = ?`

func pkgKeyArgs(k model.PackageKey) []any {
	return []any{k.DomainOwner, k.DomainName, k.Repository, string(k.Format), k.Namespace, k.Name}
}

// VersionPageQueries returns the statements of one ListVersionsPage page. Run
// them in order (in one read transaction), appending the rows each returns,
// and stop once len(rows) > p.Limit; then TrimVersionPage. A newest-first page
// after a cursor takes two statements — the rest of the cursor's millisecond
// (by version), then the older times — so that each is a range scan from the
// cursor: one (time, version) > (t, v) comparison with mixed directions would
// scan every row of the cursor's time from its start.
func VersionPageQueries(k model.PackageKey, f store.VersionFilter, sortBy string, p store.Page) ([]Query, error) {
	base := `SELECT ` + VersionSummaryCols + ` FROM package_versions WHERE ` + pkgKeyWhere
	args := pkgKeyArgs(k)
	if f.Status != "" {
		base += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.OriginType != "" {
		base += ` AND origin_type = ?`
		args = append(args, f.OriginType)
	}
	limit, limitArgs := "", []any(nil)
	if p.Limit > 0 {
		limit, limitArgs = ` LIMIT ?`, []any{p.Limit + 1}
	}
	with := func(sql string, more ...any) Query {
		a := append(append([]any{}, args...), more...)
		return Query{SQL: sql + limit, Args: append(a, limitArgs...)}
	}
	switch sortBy {
	case store.SortByVersion:
		if p.Cursor == "" {
			return []Query{with(base + ` ORDER BY version`)}, nil
		}
		key, err := DecodeCursor(p.Cursor, 1)
		if err != nil {
			return nil, err
		}
		return []Query{with(base+` AND version > ? ORDER BY version`, key[0])}, nil
	case store.SortByPublishedTime:
		newest := ` ORDER BY ` + PublishedKey + ` DESC, version`
		if p.Cursor == "" {
			return []Query{with(base + newest)}, nil
		}
		key, err := DecodeCursor(p.Cursor, 2)
		if err != nil {
			return nil, err
		}
		t, err := strconv.ParseInt(key[0], 10, 64)
		if err != nil {
			return nil, apperr.Validationf("invalid pagination token")
		}
		return []Query{
			with(base+` AND `+PublishedKey+` = ? AND version > ? ORDER BY version`, t, key[1]),
			with(base+` AND `+PublishedKey+` < ?`+newest, t),
		}, nil
	}
	return nil, apperr.Validationf("sortBy must be PUBLISHED_TIME")
}

// TrimVersionPage cuts the extra row of a page and returns the next cursor.
func TrimVersionPage(rows []model.PackageVersion, sortBy string, p store.Page) ([]model.PackageVersion, string) {
	return TrimPage(rows, p, func(v model.PackageVersion) []string {
		if sortBy == store.SortByVersion {
			return []string{v.Version}
		}
		t := int64(noPublishedKey)
		if !v.PublishedAt.IsZero() {
			t = v.PublishedAt.UnixMilli()
		}
		return []string{strconv.FormatInt(t, 10), v.Version}
	})
}

// DefaultDisplayVersionQuery selects the newest Published version (see
// store.Store.DefaultDisplayVersion): two index lookups in
// package_versions_by_status_published, a NULL when there is none.
func DefaultDisplayVersionQuery(k model.PackageKey) Query {
	args := append(pkgKeyArgs(k), model.StatusPublished)
	return Query{
		SQL: `SELECT MAX(version) FROM package_versions WHERE ` + pkgKeyWhere + ` AND status = ? AND ` + PublishedKey +
			` = (SELECT MAX(` + PublishedKey + `) FROM package_versions WHERE ` + pkgKeyWhere + ` AND status = ?)`,
		Args: append(args, args...),
	}
}

// Rebind turns ? placeholders into PostgreSQL's $1, $2, … (the statements
// here have no ? inside literals).
func Rebind(sql string) string {
	var b strings.Builder
	n := 0
	for _, r := range sql {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
