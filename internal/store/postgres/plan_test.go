package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// TestVersionPagePlans checks that every statement of a ListPackageVersions
// page, and the default display version, is planned as an index scan bounded
// by the package key — no sequential scan and no sort of the package's rows —
// on a table with enough rows (and statistics) that the planner could prefer
// either.
func TestVersionPagePlans(t *testing.T) {
	s := open(t, freshDSN(t))
	defer s.Close()
	ctx := t.Context()
	k := model.PackageKey{DomainOwner: "111111111111", DomainName: "d", Repository: "r", Format: model.FormatNpm, Name: "p"}
	if err := s.CreateDomain(ctx, model.Domain{Owner: k.DomainOwner, Name: "d", Region: "us-east-1", Status: "Active"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRepository(ctx, model.Repository{DomainOwner: k.DomainOwner, DomainName: "d", Name: "r", AdministratorAccount: k.DomainOwner}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"p", "q"} {
		if _, err := s.pool.Exec(ctx, `INSERT INTO packages (domain_owner, domain_name, repository, format, namespace, name, origin_publish, origin_upstream)
			VALUES ($1, 'd', 'r', 'npm', '', $2, 'ALLOW', 'ALLOW')`, k.DomainOwner, name); err != nil {
			t.Fatal(err)
		}
		// 20,000 versions each, a quarter per status, a time per 10 versions
		// and some without one.
		if _, err := s.pool.Exec(ctx, `INSERT INTO package_versions (`+sqlcommon.VersionCols+`)
			SELECT $1, 'd', 'r', 'npm', '', $2, '1.0.' || i,
				(ARRAY['Published','Unlisted','Archived','Unfinished'])[1 + i % 4], 'rev', (ARRAY['INTERNAL','EXTERNAL'])[1 + i % 2], 'r', '',
				'', '', '', '[]', '', NULL, '', '[]', CASE WHEN i % 7 = 0 THEN NULL ELSE 1700000000000 + (i / 10) * 1000 END
			FROM generate_series(1, 20000) AS i`, k.DomainOwner, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE package_versions`); err != nil {
		t.Fatal(err)
	}

	verCursor := sqlcommon.EncodeCursor("1.0.5000")
	pubCursor := sqlcommon.EncodeCursor("1700000500000", "1.0.5000")
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
		rows, err := s.pool.Query(ctx, `EXPLAIN `+sqlcommon.Rebind(q.SQL), q.Args...)
		if err != nil {
			t.Fatalf("%s: %v", q.SQL, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if testing.Verbose() {
			fmt.Printf("%s\n%s\n\n", q.SQL, text)
		}
		if strings.Contains(text, "Seq Scan") || strings.Contains(text, "Sort") || strings.Contains(text, "Bitmap") ||
			!strings.Contains(text, "Index") || !strings.HasPrefix(strings.TrimSpace(plan[0]), "Limit") && !strings.Contains(text, "InitPlan") {
			t.Errorf("%s\nplan:\n%s", q.SQL, text)
		}
	}
}
