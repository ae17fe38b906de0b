package postgres

// Value encodings, cursors and query building. The encodings match the sqlite
// backend's on purpose (same JSON shapes, same cursor format), so data and
// pagination tokens mean the same thing on both.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/store"
)

// millis stores a time as unix milliseconds; the zero time is NULL.
func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMillis is millis' inverse; times come back in UTC.
func fromMillis(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMilli(*v).UTC()
}

// toJSON encodes an ordered list column. Empty lists are stored as [] so the
// column is never NULL and reads back as a nil slice.
func toJSON[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("postgres: encode list: %w", err)
	}
	return string(b), nil
}

func fromJSON[T any](s string) ([]T, error) {
	var v []T
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("postgres: decode list: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// Cursors are the sort key of the last row returned, as a base64url JSON array:
// opaque to callers, stable across restarts and replicas, independent of row ids.

func encodeCursor(key ...string) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string, n int) ([]string, error) {
	invalid := apperr.Validationf("invalid pagination token")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, invalid.Wrap(err)
	}
	var key []string
	if err := json.Unmarshal(b, &key); err != nil {
		return nil, invalid.Wrap(err)
	}
	if len(key) != n {
		return nil, invalid
	}
	return key, nil
}

// args collects query arguments and hands out their $n placeholders, for
// queries whose WHERE clause depends on the request.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// pageQuery appends keyset pagination to a query whose WHERE clause is already
// open (ends in a condition): a row-value comparison on cols after the cursor,
// ORDER BY cols and, with a limit, LIMIT limit+1 so the caller can tell whether
// there is a next page. The columns are COLLATE "C": byte order, as in SQLite.
func pageQuery(q *strings.Builder, a *args, p store.Page, cols ...string) error {
	if p.Cursor != "" {
		key, err := decodeCursor(p.Cursor, len(cols))
		if err != nil {
			return err
		}
		ph := make([]string, len(key))
		for i, k := range key {
			ph[i] = a.add(k)
		}
		q.WriteString(" AND (" + strings.Join(cols, ", ") + ") > (" + strings.Join(ph, ", ") + ")")
	}
	q.WriteString(" ORDER BY " + strings.Join(cols, ", "))
	if p.Limit > 0 {
		q.WriteString(" LIMIT " + a.add(p.Limit+1))
	}
	return nil
}

// trimPage cuts the extra row pageQuery asked for and returns the next cursor,
// "" when rows is the last page.
func trimPage[T any](rows []T, p store.Page, key func(T) []string) ([]T, string) {
	if p.Limit <= 0 || len(rows) <= p.Limit {
		return rows, ""
	}
	rows = rows[:p.Limit]
	return rows, encodeCursor(key(rows[len(rows)-1])...)
}

// prefixCond matches a case-sensitive name prefix without LIKE's escaping.
func prefixCond(a *args, col, prefix string) string {
	return " AND starts_with(" + col + ", " + a.add(prefix) + "::text)"
}
