package storetest

import (
	"net/http"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// Checks of schema migrations that move data, shared by the backends: a
// backend test opens a store, calls Seed…, rewinds its schema to before the
// migration (dropping what the migration creates), reopens, and calls Check….

// SeedLegacyDistTags stores npm packages and dist-tag documents the way wharf
// kept them before dist-tags had a table: JSON in the cache under
// "npm-dist-tags|owner|domain|repo|scope|name". One document's package does not
// exist (its repository was deleted), and an upstream cache entry stands by.
func SeedLegacyDistTags(t *testing.T, s store.Store) {
	t.Helper()
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	for _, k := range []model.PackageKey{
		pkgKey("r", model.FormatNpm, "space", "ui"),
		pkgKey("r", model.FormatNpm, "", "left-pad"),
		pkgKey("r", model.FormatPypi, "", "left-pad"), // same name, not npm
	} {
		ok(t, s.PutPackage(ctx(t), newPkg(k)), "PutPackage")
	}
	for key, body := range map[string]string{
		"npm-dist-tags|" + owner + "|d|r|space|ui":     `{"latest":"1.0.0","beta":"2.0.0-beta.1"}`,
		"npm-dist-tags|" + owner + "|d|r||left-pad":    `{"latest":"3.0.0","odd":7}`,
		"npm-dist-tags|" + owner + "|d|gone||left-pad": `{"latest":"9.0.0"}`,
		"meta|" + owner + "|d|npmjs|left-pad":          `{"name":"left-pad"}`,
	} {
		ok(t, s.PutCache(ctx(t), model.CacheEntry{Key: key, Body: []byte(body), Status: http.StatusOK, FetchedAt: t0}), "PutCache "+key)
	}
}

// CheckMigratedDistTags checks the store after migrating SeedLegacyDistTags'
// data: tags of existing npm packages moved to the packages, non-string values
// and documents of missing packages dropped, and the documents gone from the
// cache while other cache entries stay.
func CheckMigratedDistTags(t *testing.T, s store.Store) {
	t.Helper()
	deepEqual(t, "migrated tags of @space/ui", distTags(t, s, pkgKey("r", model.FormatNpm, "space", "ui"), "GetDistTags @space/ui"),
		map[string]string{"latest": "1.0.0", "beta": "2.0.0-beta.1"})
	deepEqual(t, "migrated tags of left-pad", distTags(t, s, pkgKey("r", model.FormatNpm, "", "left-pad"), "GetDistTags left-pad"),
		map[string]string{"latest": "3.0.0"})
	deepEqual(t, "tags of the pypi package", distTags(t, s, pkgKey("r", model.FormatPypi, "", "left-pad"), "GetDistTags pypi"),
		map[string]string{})
	for _, key := range []string{
		"npm-dist-tags|" + owner + "|d|r|space|ui",
		"npm-dist-tags|" + owner + "|d|r||left-pad",
		"npm-dist-tags|" + owner + "|d|gone||left-pad",
	} {
		_, err := s.GetCache(ctx(t), key)
		wantKind(t, err, apperr.NotFound, "GetCache "+key+" after migration")
	}
	e, err := s.GetCache(ctx(t), "meta|"+owner+"|d|npmjs|left-pad")
	ok(t, err, "GetCache of an upstream entry after migration")
	if string(e.Body) != `{"name":"left-pad"}` {
		t.Errorf("upstream cache entry after migration = %s", e.Body)
	}
	// A recreated repository "gone" does not inherit the orphan's tags.
	mkRepo(t, s, owner, "d", "gone")
	k := pkgKey("gone", model.FormatNpm, "", "left-pad")
	ok(t, s.PutPackage(ctx(t), newPkg(k)), "PutPackage in gone")
	deepEqual(t, "tags in a repository created after migration", distTags(t, s, k, "GetDistTags gone"), map[string]string{})
}
