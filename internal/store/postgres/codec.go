package postgres

// Query building. The value encodings and cursors are sqlcommon's, shared with
// the sqlite backend, so data and pagination tokens mean the same thing on both.

import (
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

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
		key, err := sqlcommon.DecodeCursor(p.Cursor, len(cols))
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

// prefixCond matches a case-sensitive name prefix without LIKE's escaping.
func prefixCond(a *args, col, prefix string) string {
	return " AND starts_with(" + col + ", " + a.add(prefix) + "::text)"
}
