package storetest

import (
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func testPackages(t *testing.T, s store.Store) {
	k := pkgKey("r", model.FormatNpm, "scope", "p")
	err := s.PutPackage(ctx(t), newPkg(k))
	wantKind(t, err, apperr.NotFound, "PutPackage without a repository")

	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	_, err = s.GetPackage(ctx(t), k)
	wantKind(t, err, apperr.NotFound, "GetPackage missing")

	p := newPkg(k)
	ok(t, s.PutPackage(ctx(t), p), "PutPackage create")
	got, err := s.GetPackage(ctx(t), k)
	ok(t, err, "GetPackage")
	deepEqual(t, "GetPackage", got, p)

	p.Origin = model.OriginRestrictions{Publish: model.Block, Upstream: model.Allow}
	ok(t, s.PutPackage(ctx(t), p), "PutPackage update")
	got, err = s.GetPackage(ctx(t), k)
	ok(t, err, "GetPackage after update")
	deepEqual(t, "GetPackage after update", got, p)

	// Namespace and format are part of the key.
	for _, other := range []model.PackageKey{
		pkgKey("r", model.FormatNpm, "", "p"),
		pkgKey("r", model.FormatPypi, "scope", "p"),
		pkgKey("r", model.FormatNpm, "Scope", "p"),
	} {
		_, err = s.GetPackage(ctx(t), other)
		wantKind(t, err, apperr.NotFound, "GetPackage "+other.Namespace+"/"+other.Name+" "+string(other.Format))
	}

	// DeletePackage takes its versions along; the repository stays.
	ok(t, s.CreateVersion(ctx(t), p, newVersion(k, "1.0.0"), []model.Asset{asset("a", "aaa", 1)}), "CreateVersion")
	ok(t, s.DeletePackage(ctx(t), k), "DeletePackage")
	_, err = s.GetPackage(ctx(t), k)
	wantKind(t, err, apperr.NotFound, "GetPackage after delete")
	_, err = s.GetVersion(ctx(t), k, "1.0.0")
	wantKind(t, err, apperr.NotFound, "GetVersion after DeletePackage")
	err = s.DeletePackage(ctx(t), k)
	wantKind(t, err, apperr.NotFound, "DeletePackage twice")
	ok(t, s.CreateVersion(ctx(t), p, newVersion(k, "1.0.0"), []model.Asset{asset("a", "bbb", 2)}), "CreateVersion after DeletePackage")
}

func pkgIDs(ps []model.Package) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, string(p.Format)+":"+p.Namespace+"/"+p.Name)
	}
	return out
}

func testListPackages(t *testing.T, s store.Store) {
	_, _, err := s.ListPackages(ctx(t), owner, "d", "r", store.PackageFilter{}, store.Page{})
	wantKind(t, err, apperr.NotFound, "ListPackages without a repository")

	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	mkRepo(t, s, owner, "d", "other")
	put := func(k model.PackageKey, publish, upstream string) {
		t.Helper()
		ok(t, s.PutPackage(ctx(t), model.Package{PackageKey: k, Origin: model.OriginRestrictions{Publish: publish, Upstream: upstream}}), "PutPackage")
	}
	put(pkgKey("r", model.FormatNpm, "", "react"), model.Allow, model.Allow)
	put(pkgKey("r", model.FormatNpm, "types", "react"), model.Block, model.Allow)
	put(pkgKey("r", model.FormatNpm, "types", "node"), model.Allow, model.Block)
	put(pkgKey("r", model.FormatPypi, "", "requests"), model.Allow, model.Allow)
	put(pkgKey("r", model.FormatMaven, "org.apache", "commons"), model.Block, model.Block)
	put(pkgKey("r", model.FormatPypi, "", "react"), model.Allow, model.Allow)
	put(pkgKey("other", model.FormatNpm, "", "elsewhere"), model.Allow, model.Allow)

	list := func(f store.PackageFilter, limit int) []string {
		t.Helper()
		return pkgIDs(collect(t, limit, func(p store.Page) ([]model.Package, string, error) {
			return s.ListPackages(ctx(t), owner, "d", "r", f, p)
		}))
	}
	empty, types := "", "types"
	for _, limit := range []int{0, 1, 2, 4, 100} {
		// By name, then namespace, then format.
		deepEqual(t, "all packages", list(store.PackageFilter{}, limit), []string{
			"maven:org.apache/commons", "npm:types/node", "npm:/react", "pypi:/react", "npm:types/react", "pypi:/requests",
		})
	}
	deepEqual(t, "format filter", list(store.PackageFilter{Format: model.FormatNpm}, 1),
		[]string{"npm:types/node", "npm:/react", "npm:types/react"})
	deepEqual(t, "nil namespace means any", list(store.PackageFilter{Format: model.FormatNpm, Namespace: nil}, 0),
		[]string{"npm:types/node", "npm:/react", "npm:types/react"})
	deepEqual(t, "empty namespace means none", list(store.PackageFilter{Format: model.FormatNpm, Namespace: &empty}, 0),
		[]string{"npm:/react"})
	deepEqual(t, "namespace filter", list(store.PackageFilter{Namespace: &types}, 1),
		[]string{"npm:types/node", "npm:types/react"})
	deepEqual(t, "namespace prefix filter", list(store.PackageFilter{NamespacePrefix: "ty"}, 1),
		[]string{"npm:types/node", "npm:types/react"})
	deepEqual(t, "namespace prefix filter, whole namespace", list(store.PackageFilter{NamespacePrefix: "org.apache"}, 1),
		[]string{"maven:org.apache/commons"})
	deepEqual(t, "namespace prefix filter is case-sensitive", list(store.PackageFilter{NamespacePrefix: "Types"}, 1), []string{})
	deepEqual(t, "namespace prefix with name prefix", list(store.PackageFilter{NamespacePrefix: "t", Prefix: "n"}, 1),
		[]string{"npm:types/node"})
	deepEqual(t, "prefix filter", list(store.PackageFilter{Prefix: "re"}, 2),
		[]string{"npm:/react", "pypi:/react", "npm:types/react", "pypi:/requests"})
	deepEqual(t, "prefix filter is case-sensitive", list(store.PackageFilter{Prefix: "Re"}, 2), []string{})
	deepEqual(t, "publish filter", list(store.PackageFilter{Publish: model.Block}, 1),
		[]string{"maven:org.apache/commons", "npm:types/react"})
	deepEqual(t, "upstream filter", list(store.PackageFilter{Upstream: model.Block}, 1),
		[]string{"maven:org.apache/commons", "npm:types/node"})
	deepEqual(t, "combined filters", list(store.PackageFilter{Format: model.FormatNpm, Namespace: &types, Prefix: "re", Publish: model.Block, Upstream: model.Allow}, 1),
		[]string{"npm:types/react"})

	ps, _, err := s.ListPackages(ctx(t), owner, "d", "r", store.PackageFilter{Publish: model.Block, Format: model.FormatNpm}, store.Page{Limit: 10})
	ok(t, err, "ListPackages records")
	if len(ps) != 1 {
		t.Fatalf("ListPackages records = %v", pkgIDs(ps))
	}
	deepEqual(t, "listed package", ps[0], model.Package{PackageKey: pkgKey("r", model.FormatNpm, "types", "react"),
		Origin: model.OriginRestrictions{Publish: model.Block, Upstream: model.Allow}})
}

func checkVersion(t *testing.T, what string, got, want model.PackageVersion) {
	t.Helper()
	checkTime(t, what+" PublishedAt", got.PublishedAt, want.PublishedAt)
	got.PublishedAt, want.PublishedAt = time.Time{}, time.Time{}
	if len(got.Licenses) == 0 && len(want.Licenses) == 0 {
		got.Licenses, want.Licenses = nil, nil
	}
	if len(got.Dependencies) == 0 && len(want.Dependencies) == 0 {
		got.Dependencies, want.Dependencies = nil, nil
	}
	if len(got.Metadata) == 0 && len(want.Metadata) == 0 {
		got.Metadata, want.Metadata = nil, nil
	}
	deepEqual(t, what, got, want)
}

func testVersions(t *testing.T, s store.Store) {
	k := pkgKey("r", model.FormatNpm, "scope", "p")
	err := s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "1.0.0"), nil)
	wantKind(t, err, apperr.NotFound, "CreateVersion without a repository")

	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	_, err = s.GetVersion(ctx(t), k, "1.0.0")
	wantKind(t, err, apperr.NotFound, "GetVersion missing")
	_, err = s.ListVersions(ctx(t), k)
	wantKind(t, err, apperr.NotFound, "ListVersions without the package")

	pkg := model.Package{PackageKey: k, Origin: model.OriginRestrictions{Publish: model.Block, Upstream: model.Allow}}
	v1 := newVersion(k, "1.0.0")
	v1.Origin = model.VersionOrigin{Type: model.OriginExternal, Repository: "r", ExternalConnection: "public:npmjs"}
	v1.HomePage, v1.SourceCode, v1.DisplayName, v1.Readme = "https://example.invalid/p", "https://example.invalid/src", "@scope/p", "# p\n"
	v1.Licenses = []model.License{{Name: "MIT", URL: "https://opensource.org/licenses/MIT"}, {Name: "Apache-2.0"}}
	v1.Metadata = []byte(`{"name":"@scope/p","version":"1.0.0"}`)
	v1.Dependencies = []model.Dependency{
		{Package: "zlib", DependencyType: "regular", VersionReq: "^1"},
		{Namespace: "types", Package: "node", DependencyType: "dev", VersionReq: "*"},
	}
	ok(t, s.CreateVersion(ctx(t), pkg, v1, []model.Asset{asset("p-1.0.0.tgz", "aaa", 42), asset("README", "bbb", 7)}), "CreateVersion")

	got, err := s.GetVersion(ctx(t), k, "1.0.0")
	ok(t, err, "GetVersion")
	checkVersion(t, "GetVersion", got, v1)
	gotPkg, err := s.GetPackage(ctx(t), k)
	ok(t, err, "GetPackage created by CreateVersion")
	deepEqual(t, "package created by CreateVersion", gotPkg, pkg)

	// A second version leaves the existing package row alone.
	v2 := newVersion(k, "2.0.0")
	ok(t, s.CreateVersion(ctx(t), newPkg(k), v2, nil), "CreateVersion second")
	gotPkg, err = s.GetPackage(ctx(t), k)
	ok(t, err, "GetPackage after second version")
	deepEqual(t, "package origin kept", gotPkg, pkg)

	// The version key may be left zero: it is the package's.
	v10 := newVersion(model.PackageKey{}, "10.0.0")
	ok(t, s.CreateVersion(ctx(t), newPkg(k), v10, nil), "CreateVersion with zero key")
	v10.PackageKey = k

	// Duplicate: Conflict, and nothing changes.
	dup := newVersion(k, "1.0.0")
	dup.Summary = "overwritten?"
	err = s.CreateVersion(ctx(t), newPkg(k), dup, []model.Asset{asset("evil.tgz", "eee", 1)})
	wantResource(t, err, apperr.Conflict, "package-version", "1.0.0", "CreateVersion duplicate")
	got, err = s.GetVersion(ctx(t), k, "1.0.0")
	ok(t, err, "GetVersion after conflict")
	checkVersion(t, "GetVersion after conflict", got, v1)
	as, err := s.ListAssets(ctx(t), k, "1.0.0")
	ok(t, err, "ListAssets after conflict")
	deepEqual(t, "assets after conflict (by name)", as, []model.Asset{asset("README", "bbb", 7), asset("p-1.0.0.tgz", "aaa", 42)})

	vs, err := s.ListVersions(ctx(t), k)
	ok(t, err, "ListVersions")
	if len(vs) != 3 {
		t.Fatalf("ListVersions = %d versions, want 3", len(vs))
	}
	// A listing may leave readmes out (the sealed store does: GetVersion has
	// them); what it lists is otherwise the version.
	listed := func(got, want model.PackageVersion) model.PackageVersion {
		if got.Readme == "" {
			want.Readme = ""
		}
		return want
	}
	checkVersion(t, "ListVersions[0]", vs[0], listed(vs[0], v1))
	checkVersion(t, "ListVersions[1]", vs[1], listed(vs[1], v10))
	checkVersion(t, "ListVersions[2]", vs[2], listed(vs[2], v2))

	// UpdateVersion replaces the fields and keeps the assets.
	v1.Status, v1.Revision, v1.Summary = model.StatusArchived, "rev-2", "archived"
	v1.Licenses, v1.Dependencies, v1.Metadata = model.LicenseNames("ISC"), nil, []byte("{}")
	v1.PublishedAt = t0.Add(time.Hour)
	ok(t, s.UpdateVersion(ctx(t), v1), "UpdateVersion")
	got, err = s.GetVersion(ctx(t), k, "1.0.0")
	ok(t, err, "GetVersion after update")
	checkVersion(t, "GetVersion after update", got, v1)
	if as, _ := s.ListAssets(ctx(t), k, "1.0.0"); len(as) != 2 {
		t.Errorf("UpdateVersion changed assets: %v", as)
	}
	err = s.UpdateVersion(ctx(t), newVersion(k, "9.9.9"))
	wantKind(t, err, apperr.NotFound, "UpdateVersion missing")

	// DeleteVersion removes the version and its assets; the package stays.
	ok(t, s.DeleteVersion(ctx(t), k, "1.0.0"), "DeleteVersion")
	_, err = s.GetVersion(ctx(t), k, "1.0.0")
	wantKind(t, err, apperr.NotFound, "GetVersion after delete")
	_, err = s.ListAssets(ctx(t), k, "1.0.0")
	wantKind(t, err, apperr.NotFound, "ListAssets after delete")
	err = s.DeleteVersion(ctx(t), k, "1.0.0")
	wantKind(t, err, apperr.NotFound, "DeleteVersion twice")
	ok(t, s.DeleteVersion(ctx(t), k, "2.0.0"), "DeleteVersion 2.0.0")
	ok(t, s.DeleteVersion(ctx(t), k, "10.0.0"), "DeleteVersion 10.0.0")
	if _, err := s.GetPackage(ctx(t), k); err != nil {
		t.Errorf("package gone after deleting its versions: %v", err)
	}
	vs, err = s.ListVersions(ctx(t), k)
	ok(t, err, "ListVersions empty")
	if len(vs) != 0 {
		t.Errorf("ListVersions after deleting all = %v", vs)
	}

	// The deleted version's asset rows are gone: republishing with new content works.
	ok(t, s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "1.0.0"), []model.Asset{asset("p-1.0.0.tgz", "fff", 9)}), "CreateVersion again")
	as, err = s.ListAssets(ctx(t), k, "1.0.0")
	ok(t, err, "ListAssets after republish")
	deepEqual(t, "assets after republish", as, []model.Asset{asset("p-1.0.0.tgz", "fff", 9)})
}

// testCreateVersionAtomic: a CreateVersion that fails part-way leaves nothing.
func testCreateVersionAtomic(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	k := pkgKey("r", model.FormatPypi, "", "atomic")
	err := s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "1.0"),
		[]model.Asset{asset("atomic-1.0.tar.gz", "aaa", 1), asset("atomic-1.0.tar.gz", "bbb", 2)})
	if err == nil {
		t.Fatalf("CreateVersion with two assets of one name: nil error")
	}
	_, err = s.GetVersion(ctx(t), k, "1.0")
	wantKind(t, err, apperr.NotFound, "version of a failed CreateVersion")
	_, err = s.GetPackage(ctx(t), k)
	wantKind(t, err, apperr.NotFound, "package of a failed CreateVersion")
	if _, size, err := s.DomainStats(ctx(t), owner, "d"); err != nil || size != 0 {
		t.Errorf("DomainStats after a failed CreateVersion = %d bytes, %v", size, err)
	}
}

func testAssets(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	k := pkgKey("r", model.FormatMaven, "com.example", "lib")
	err := s.AddAsset(ctx(t), k, "1.0", asset("lib-1.0.jar", "aaa", 10))
	wantKind(t, err, apperr.NotFound, "AddAsset without a version")
	_, err = s.ListAssets(ctx(t), k, "1.0")
	wantKind(t, err, apperr.NotFound, "ListAssets without a version")

	v := newVersion(k, "1.0")
	v.Status = model.StatusUnfinished
	ok(t, s.CreateVersion(ctx(t), newPkg(k), v, nil), "CreateVersion without assets")
	as, err := s.ListAssets(ctx(t), k, "1.0")
	ok(t, err, "ListAssets none")
	if len(as) != 0 {
		t.Errorf("ListAssets none = %v", as)
	}

	jar, pom := asset("lib-1.0.jar", "aaa", 10), asset("lib-1.0.pom", "bbb", 3)
	ok(t, s.AddAsset(ctx(t), k, "1.0", pom), "AddAsset pom")
	ok(t, s.AddAsset(ctx(t), k, "1.0", jar), "AddAsset jar")
	ok(t, s.AddAsset(ctx(t), k, "1.0", jar), "AddAsset identical again")

	changed := jar
	changed.Hashes.SHA256, changed.Size = "ccc", 11
	err = s.AddAsset(ctx(t), k, "1.0", changed)
	wantResource(t, err, apperr.Conflict, "asset", "lib-1.0.jar", "AddAsset other content")
	sameSizeOtherHash := jar
	sameSizeOtherHash.Hashes.MD5 = "different"
	err = s.AddAsset(ctx(t), k, "1.0", sameSizeOtherHash)
	wantKind(t, err, apperr.Conflict, "AddAsset other MD5")

	as, err = s.ListAssets(ctx(t), k, "1.0")
	ok(t, err, "ListAssets")
	deepEqual(t, "ListAssets by name", as, []model.Asset{jar, pom})

	// Assets are per version.
	ok(t, s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "2.0"), nil), "CreateVersion 2.0")
	ok(t, s.AddAsset(ctx(t), k, "2.0", changed), "AddAsset same name in another version")
	as, err = s.ListAssets(ctx(t), k, "2.0")
	ok(t, err, "ListAssets 2.0")
	deepEqual(t, "ListAssets 2.0", as, []model.Asset{changed})
}
