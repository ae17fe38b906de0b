package sqlite

import (
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// pageQuery appends keyset pagination to a query whose WHERE clause is already
// open (ends in a condition): a row-value comparison on cols after the cursor,
// ORDER BY cols and, with a limit, LIMIT limit+1 so the caller can tell whether
// there is a next page. Row values and LIMIT are standard in PostgreSQL too.
func pageQuery(q *strings.Builder, args []any, p store.Page, cols ...string) ([]any, error) {
	if p.Cursor != "" {
		key, err := sqlcommon.DecodeCursor(p.Cursor, len(cols))
		if err != nil {
			return nil, err
		}
		q.WriteString(" AND (" + strings.Join(cols, ", ") + ") > (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")")
		for _, k := range key {
			args = append(args, k)
		}
	}
	q.WriteString(" ORDER BY " + strings.Join(cols, ", "))
	if p.Limit > 0 {
		q.WriteString(" LIMIT ?")
		args = append(args, p.Limit+1)
	}
	return args, nil
}

// prefixCond matches a case-sensitive name prefix; LIKE is case-insensitive in
// SQLite and needs escaping, substr is neither and exists in PostgreSQL too.
const prefixCond = " AND substr(%s, 1, length(?)) = ?"
