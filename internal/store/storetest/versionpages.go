package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// testListVersionsPage checks ListVersionsPage against the order the service
// used to compute in memory from ListVersions (filter; sort stable by version,
// then newest first), for every filter and order, walked with several page
// sizes; and DefaultDisplayVersion against the same reference.
func testListVersionsPage(t *testing.T, s store.Store) {
	k := pkgKey("r", model.FormatNpm, "", "p")
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	_, _, err := s.ListVersionsPage(ctx(t), k, store.VersionFilter{}, store.SortByVersion, store.Page{Limit: 10})
	wantKind(t, err, apperr.NotFound, "ListVersionsPage without the package")
	dv, err := s.DefaultDisplayVersion(ctx(t), k)
	ok(t, err, "DefaultDisplayVersion without the package")
	if dv != "" {
		t.Errorf("DefaultDisplayVersion without the package = %q", dv)
	}

	none := time.Duration(-1) // no published time
	for _, c := range []struct {
		v, status, origin string
		at                time.Duration
	}{
		{"1.0.0", model.StatusPublished, model.OriginInternal, time.Hour},
		{"10.0.0", model.StatusPublished, model.OriginExternal, time.Hour},
		{"2.0.0", model.StatusUnlisted, model.OriginInternal, 2 * time.Hour},
		{"2.1.0", model.StatusPublished, model.OriginInternal, 30 * time.Minute},
		{"3.0.0-beta", model.StatusPublished, model.OriginInternal, none},
		{"A", model.StatusArchived, model.OriginInternal, time.Hour},
		{"_x", model.StatusPublished, model.OriginInternal, time.Hour},
		{"a", model.StatusPublished, model.OriginExternal, none},
		{"0.1.0", model.StatusUnfinished, model.OriginInternal, -time.Hour},
		{"0.0.9", model.StatusArchived, model.OriginExternal, -time.Hour},
	} {
		v := newVersion(k, c.v)
		v.Status, v.Origin.Type = c.status, c.origin
		v.Readme, v.Metadata = "# readme", []byte(`{"content":true}`)
		v.PublishedAt = time.Time{}
		if c.at != none {
			v.PublishedAt = t0.Add(c.at)
		}
		ok(t, s.CreateVersion(ctx(t), newPkg(k), v, nil), "CreateVersion "+c.v)
	}
	all, err := s.ListVersions(ctx(t), k)
	ok(t, err, "ListVersions")

	for _, sortBy := range []string{store.SortByVersion, store.SortByPublishedTime} {
		for _, f := range []store.VersionFilter{{}, {Status: model.StatusPublished}, {Status: model.StatusArchived},
			{OriginType: model.OriginExternal}, {Status: model.StatusPublished, OriginType: model.OriginInternal}, {Status: model.StatusDeleted}} {
			want := referenceVersionOrder(all, f, sortBy)
			for _, limit := range []int{1, 2, 3, 100} {
				what := fmt.Sprintf("sort %q filter %+v limit %d", sortBy, f, limit)
				var got []model.PackageVersion
				p := store.Page{Limit: limit}
				for pages := 0; ; pages++ {
					if pages > len(all)+1 {
						t.Fatalf("%s: the walk does not end", what)
					}
					vs, next, err := s.ListVersionsPage(ctx(t), k, f, sortBy, p)
					ok(t, err, what)
					if len(vs) > limit {
						t.Fatalf("%s: page of %d", what, len(vs))
					}
					if next != "" && len(vs) != limit {
						t.Fatalf("%s: short page of %d with a next cursor", what, len(vs))
					}
					got = append(got, vs...)
					if next == "" {
						break
					}
					p.Cursor = next
				}
				if len(got) != len(want) {
					t.Fatalf("%s: got %v, want %v", what, versionNames(got), versionNames(want))
				}
				for i := range want {
					g, w := got[i], want[i]
					if g.Version != w.Version || g.Status != w.Status || g.Revision != w.Revision || g.Origin != w.Origin ||
						!g.PublishedAt.Equal(w.PublishedAt) || g.PackageKey != k {
						t.Fatalf("%s: [%d] = %+v, want %+v (order %v, want %v)", what, i, g, w, versionNames(got), versionNames(want))
					}
					if g.Readme != "" || len(g.Metadata) != 0 || g.Summary != "" {
						t.Fatalf("%s: a listing carries content: %+v", what, g)
					}
				}
			}
		}
	}

	// A page after the cursor's row starts right after it, even when a
	// version was added before the cursor since (keyset, not offset).
	vs, next, err := s.ListVersionsPage(ctx(t), k, store.VersionFilter{}, store.SortByVersion, store.Page{Limit: 3})
	ok(t, err, "first page")
	if versionNames(vs) != "[0.0.9 0.1.0 1.0.0]" || next == "" {
		t.Fatalf("first page = %v, next %q", versionNames(vs), next)
	}
	ok(t, s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "0.0.1"), nil), "CreateVersion 0.0.1")
	vs, _, err = s.ListVersionsPage(ctx(t), k, store.VersionFilter{}, store.SortByVersion, store.Page{Cursor: next, Limit: 1})
	ok(t, err, "page after an insert")
	if versionNames(vs) != "[10.0.0]" {
		t.Fatalf("page after an insert before the cursor = %v, want [10.0.0]", versionNames(vs))
	}

	// Cursors the store did not make are refused; so is one of the other order.
	_, pubNext, err := s.ListVersionsPage(ctx(t), k, store.VersionFilter{}, store.SortByPublishedTime, store.Page{Limit: 1})
	ok(t, err, "newest first page")
	for _, c := range []struct{ cursor, sortBy string }{
		{"not a cursor", store.SortByVersion},
		{"bm90IGpzb24", store.SortByVersion}, // base64 of "not json"
		{next, store.SortByPublishedTime},
		{pubNext, store.SortByVersion},
		{"WyJ4IiwiMS4wLjAiXQ", store.SortByPublishedTime}, // ["x","1.0.0"]: not a time
	} {
		_, _, err := s.ListVersionsPage(ctx(t), k, store.VersionFilter{}, c.sortBy, store.Page{Cursor: c.cursor, Limit: 2})
		wantKind(t, err, apperr.Validation, "forged cursor "+c.cursor+" sort "+c.sortBy)
	}

	// The default display version: newest Published, greatest version string
	// among equal times ("_x" > "10.0.0" > "1.0.0" bytewise).
	dv, err = s.DefaultDisplayVersion(ctx(t), k)
	ok(t, err, "DefaultDisplayVersion")
	if want := referenceDefault(all); dv != want || dv != "_x" {
		t.Errorf("DefaultDisplayVersion = %q, want %q", dv, want)
	}
	// Only versions without a time left Published: the greatest of them.
	all, err = s.ListVersions(ctx(t), k)
	ok(t, err, "ListVersions")
	for _, v := range all {
		if v.Status == model.StatusPublished && !v.PublishedAt.IsZero() {
			v.Status = model.StatusUnlisted
			ok(t, s.UpdateVersion(ctx(t), v), "UpdateVersion "+v.Version)
		}
	}
	dv, err = s.DefaultDisplayVersion(ctx(t), k)
	ok(t, err, "DefaultDisplayVersion without times")
	if dv != "a" {
		t.Errorf("DefaultDisplayVersion among versions without a time = %q, want a", dv)
	}
	other := pkgKey("r", model.FormatNpm, "", "q")
	v := newVersion(other, "1.0.0")
	v.Status = model.StatusUnlisted
	ok(t, s.CreateVersion(ctx(t), newPkg(other), v, nil), "CreateVersion q")
	dv, err = s.DefaultDisplayVersion(ctx(t), other)
	ok(t, err, "DefaultDisplayVersion of a package with none Published")
	if dv != "" {
		t.Errorf("DefaultDisplayVersion of a package with none Published = %q", dv)
	}
}

// referenceVersionOrder is what ListPackageVersions computed in memory before
// it was paged in the store.
func referenceVersionOrder(all []model.PackageVersion, f store.VersionFilter, sortBy string) []model.PackageVersion {
	var out []model.PackageVersion
	for _, v := range all {
		if (f.Status == "" || v.Status == f.Status) && (f.OriginType == "" || v.Origin.Type == f.OriginType) {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	if sortBy == store.SortByPublishedTime {
		sort.SliceStable(out, func(i, j int) bool { return out[i].PublishedAt.After(out[j].PublishedAt) })
	}
	return out
}

// referenceDefault is the in-memory default display version of before.
func referenceDefault(all []model.PackageVersion) string {
	sort.SliceStable(all, func(i, j int) bool { return all[i].Version < all[j].Version })
	var latest model.PackageVersion
	for _, v := range all {
		if v.Status == model.StatusPublished && !v.PublishedAt.Before(latest.PublishedAt) {
			latest = v
		}
	}
	return latest.Version
}

func versionNames(vs []model.PackageVersion) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Version
	}
	return fmt.Sprint(names)
}
