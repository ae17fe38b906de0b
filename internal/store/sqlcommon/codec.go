// Package sqlcommon holds the SQL metadata store's building blocks that need no
// connection: value encodings, pagination cursors, migration-file loading and
// row→model scanning, and the version-page queries. The queries themselves are
// sqlstore's; the dialects (placeholders, transactions, error classification)
// are the sqlite and postgres packages'.
package sqlcommon

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/store"
)

// Millis stores a time as unix milliseconds; the zero time is NULL.
func Millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// FromMillis is Millis' inverse (scan the column into a *int64, nil for NULL);
// times come back in UTC.
func FromMillis(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMilli(*v).UTC()
}

// ToJSON encodes an ordered list column. Empty lists are stored as [] so the
// column is never NULL and reads back as a nil slice.
func ToJSON[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode list: %w", err)
	}
	return string(b), nil
}

// FromJSON decodes a list column ToJSON wrote; empty lists come back nil.
func FromJSON[T any](s string) ([]T, error) {
	var v []T
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("store: decode list: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// Cursors are the sort key of the last row returned, as a base64url JSON array:
// opaque to callers, stable across restarts and replicas, independent of row
// ids, and the same on both backends.

// EncodeCursor encodes the sort key of a page's last row.
func EncodeCursor(key ...string) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor decodes a cursor of an n-column sort key; anything else is a
// ValidationException.
func DecodeCursor(c string, n int) ([]string, error) {
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

// TrimPage cuts the extra row a paged query asked for (LIMIT limit+1) and
// returns the next cursor, "" when rows is the last page.
func TrimPage[T any](rows []T, p store.Page, key func(T) []string) ([]T, string) {
	if p.Limit <= 0 || len(rows) <= p.Limit {
		return rows, ""
	}
	rows = rows[:p.Limit]
	return rows, EncodeCursor(key(rows[len(rows)-1])...)
}
