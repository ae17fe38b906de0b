// Package paging windows lists that are built in memory (package groups, a
// group's allowed repositories and packages, a version's assets and
// dependencies) the way the store pages its tables: a page of at most
// Limit items and an opaque cursor for the next one.
//
// A cursor names the list it belongs to and where the page ended, as a JSON
// array ["kind", "position"]. A cursor of another list, or anything that is
// not such an array, is refused with the ValidationException every paged
// operation answers for a token it did not give, so a forged or mixed-up
// nextToken fails loudly instead of silently restarting or skipping.
package paging

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// ErrBadToken is the error for a cursor no page of this list returned.
func ErrBadToken() error {
	return apperr.Validationf("nextToken is not a token returned by a previous call")
}

func encode(kind, pos string) string {
	b, _ := json.Marshal([2]string{kind, pos})
	return string(b)
}

func decode(cursor, kind string) (string, error) {
	var c []string
	if err := json.Unmarshal([]byte(cursor), &c); err != nil || len(c) != 2 || c[0] != kind {
		return "", ErrBadToken()
	}
	return c[1], nil
}

// Keyset returns the items after the cursor's key, up to limit (0: all),
// and the next cursor ("" on the last page). items must be sorted by key,
// keys unique: an item added or removed between pages neither shifts nor
// repeats the rest.
func Keyset[T any](items []T, kind string, key func(T) string, cursor string, limit int) ([]T, string, error) {
	if cursor != "" {
		after, err := decode(cursor, kind)
		if err != nil {
			return nil, "", err
		}
		items = items[sort.Search(len(items), func(i int) bool { return key(items[i]) > after }):]
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
		return items, encode(kind, key(items[len(items)-1])), nil
	}
	return items, "", nil
}

// Offset pages a list whose items have no unique key (a version's
// dependencies, fixed once published) by position.
func Offset[T any](items []T, kind string, cursor string, limit int) ([]T, string, error) {
	start := 0
	if cursor != "" {
		pos, err := decode(cursor, kind)
		if err != nil {
			return nil, "", err
		}
		n, err := strconv.Atoi(pos)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", ErrBadToken()
		}
		start = n
	}
	items = items[start:]
	if limit > 0 && len(items) > limit {
		return items[:limit], encode(kind, strconv.Itoa(start+limit)), nil
	}
	return items, "", nil
}
