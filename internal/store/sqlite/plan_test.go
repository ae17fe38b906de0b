package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// TestVersionPagePlans checks that every statement of a ListPackageVersions
// page, and the default display version, is an index search bounded by the
// package key: no full scan and no sort of the package's rows (a "TEMP B-TREE
// FOR ORDER BY" would read every version before the first row comes out).
func TestVersionPagePlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	k := model.PackageKey{DomainOwner: "111111111111", DomainName: "d", Repository: "r", Format: model.FormatNpm, Name: "p"}
	verCursor := sqlcommon.EncodeCursor("1.0.0")
	pubCursor := sqlcommon.EncodeCursor("1700000000000", "1.0.0")
	var qs []sqlcommon.Query
	for _, sortBy := range []string{store.SortByVersion, store.SortByPublishedTime} {
		for _, f := range []store.VersionFilter{{}, {Status: model.StatusPublished}, {OriginType: model.OriginExternal},
			{Status: model.StatusArchived, OriginType: model.OriginInternal}} {
			for _, c := range []string{"", verCursor, pubCursor} {
				if (c == verCursor && sortBy != store.SortByVersion) || (c == pubCursor && sortBy != store.SortByPublishedTime) {
					continue
				}
				page, err := sqlcommon.VersionPageQueries(k, f, sortBy, store.Page{Cursor: c, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				qs = append(qs, page...)
			}
		}
	}
	qs = append(qs, sqlcommon.DefaultDisplayVersionQuery(k))
	for _, q := range qs {
		rows, err := s.r.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+q.SQL, q.Args...)
		if err != nil {
			t.Fatalf("%s: %v", q.SQL, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if testing.Verbose() {
			fmt.Printf("%s\n  -> %s\n", q.SQL, text)
		}
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN") || strings.Contains(step, "TEMP B-TREE") ||
				(strings.HasPrefix(step, "SEARCH") && !strings.Contains(step, "domain_owner=? AND domain_name=? AND repository=? AND format=? AND namespace=? AND name=?")) {
				t.Errorf("%s\nplan: %s", q.SQL, text)
			}
		}
	}
}
