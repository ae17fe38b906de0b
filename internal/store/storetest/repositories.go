package storetest

import (
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func checkRepo(t *testing.T, what string, got, want model.Repository) {
	t.Helper()
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	// An empty list may come back nil or empty.
	if len(got.Upstreams) == 0 && len(want.Upstreams) == 0 {
		got.Upstreams, want.Upstreams = nil, nil
	}
	if len(got.ExternalConnections) == 0 && len(want.ExternalConnections) == 0 {
		got.ExternalConnections, want.ExternalConnections = nil, nil
	}
	deepEqual(t, what, got, want)
}

func testRepositories(t *testing.T, s store.Store) {
	err := s.CreateRepository(ctx(t), newRepo(owner, "d", "r"))
	wantKind(t, err, apperr.NotFound, "CreateRepository without a domain")

	mkDomain(t, s, owner, "d")
	_, err = s.GetRepository(ctx(t), owner, "d", "r")
	wantKind(t, err, apperr.NotFound, "GetRepository missing")

	r := newRepo(owner, "d", "r")
	r.AdministratorAccount = other
	// Order is priority: it must survive, unsorted.
	r.Upstreams = []string{"zeta", "alpha", "mid"}
	r.ExternalConnections = []model.ExternalConnection{{Name: "public:pypi", Format: model.FormatPypi}, {Name: "public:npmjs", Format: model.FormatNpm}}
	ok(t, s.CreateRepository(ctx(t), r), "CreateRepository")
	got, err := s.GetRepository(ctx(t), owner, "d", "r")
	ok(t, err, "GetRepository")
	checkRepo(t, "GetRepository", got, r)

	dup := newRepo(owner, "d", "r")
	err = s.CreateRepository(ctx(t), dup)
	wantResource(t, err, apperr.Conflict, "repository", "r", "CreateRepository duplicate")
	got, err = s.GetRepository(ctx(t), owner, "d", "r")
	ok(t, err, "GetRepository after conflict")
	checkRepo(t, "GetRepository after conflict", got, r)

	// A repository with no lists.
	plain := mkRepo(t, s, owner, "d", "plain")
	got, err = s.GetRepository(ctx(t), owner, "d", "plain")
	ok(t, err, "GetRepository plain")
	checkRepo(t, "GetRepository plain", got, plain)

	// UpdateRepository replaces description and lists.
	r.Description = "new description"
	r.Upstreams = []string{"mid", "plain"}
	r.ExternalConnections = nil
	ok(t, s.UpdateRepository(ctx(t), r), "UpdateRepository")
	got, err = s.GetRepository(ctx(t), owner, "d", "r")
	ok(t, err, "GetRepository after update")
	checkRepo(t, "GetRepository after update", got, r)

	r.Upstreams = nil
	r.ExternalConnections = []model.ExternalConnection{{Name: "public:maven-central", Format: model.FormatMaven}}
	ok(t, s.UpdateRepository(ctx(t), r), "UpdateRepository clearing upstreams")
	got, err = s.GetRepository(ctx(t), owner, "d", "r")
	ok(t, err, "GetRepository after second update")
	checkRepo(t, "GetRepository after second update", got, r)

	err = s.UpdateRepository(ctx(t), newRepo(owner, "d", "missing"))
	wantKind(t, err, apperr.NotFound, "UpdateRepository missing")
	err = s.DeleteRepository(ctx(t), owner, "d", "missing")
	wantKind(t, err, apperr.NotFound, "DeleteRepository missing")

	ok(t, s.DeleteRepository(ctx(t), owner, "d", "r"), "DeleteRepository")
	_, err = s.GetRepository(ctx(t), owner, "d", "r")
	wantKind(t, err, apperr.NotFound, "GetRepository after delete")
	if _, err := s.GetRepository(ctx(t), owner, "d", "plain"); err != nil {
		t.Errorf("DeleteRepository removed a sibling: %v", err)
	}
}

func testDeleteRepositoryCascades(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	r := mkRepo(t, s, owner, "d", "r")
	sib := mkRepo(t, s, owner, "d", "sibling")
	ok(t, s.PutPolicy(ctx(t), model.Policy{ResourceARN: r.ARN(), Document: "{}", Revision: "1"}, ""), "PutPolicy")
	ok(t, s.SetTags(ctx(t), r.ARN(), []model.Tag{{Key: "team", Value: "a"}}), "SetTags")
	ok(t, s.PutPolicy(ctx(t), model.Policy{ResourceARN: sib.ARN(), Document: "{}", Revision: "1"}, ""), "PutPolicy sibling")
	ok(t, s.SetTags(ctx(t), sib.ARN(), []model.Tag{{Key: "team", Value: "b"}}), "SetTags sibling")

	k := pkgKey("r", model.FormatNpm, "scope", "p")
	ks := pkgKey("sibling", model.FormatNpm, "scope", "p")
	ok(t, s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "1.0.0"), []model.Asset{asset("a.tgz", "aaa", 3)}), "CreateVersion")
	ok(t, s.CreateVersion(ctx(t), newPkg(ks), newVersion(ks, "1.0.0"), []model.Asset{asset("a.tgz", "aaa", 3)}), "CreateVersion sibling")
	ok(t, s.PutPackage(ctx(t), newPkg(pkgKey("r", model.FormatPypi, "", "lonely"))), "PutPackage")

	ok(t, s.DeleteRepository(ctx(t), owner, "d", "r"), "DeleteRepository")

	_, err := s.GetPolicy(ctx(t), r.ARN())
	wantKind(t, err, apperr.NotFound, "policy after DeleteRepository")
	tags, err := s.ListTags(ctx(t), r.ARN())
	ok(t, err, "ListTags after DeleteRepository")
	if len(tags) != 0 {
		t.Errorf("tags survived DeleteRepository: %v", tags)
	}

	// Recreating the name starts empty: nothing of the old repository leaks in.
	mkRepo(t, s, owner, "d", "r")
	_, err = s.GetPackage(ctx(t), k)
	wantKind(t, err, apperr.NotFound, "package after DeleteRepository")
	_, err = s.GetVersion(ctx(t), k, "1.0.0")
	wantKind(t, err, apperr.NotFound, "version after DeleteRepository")
	pkgs, _, err := s.ListPackages(ctx(t), owner, "d", "r", store.PackageFilter{}, store.Page{})
	ok(t, err, "ListPackages after recreate")
	if len(pkgs) != 0 {
		t.Errorf("packages survived DeleteRepository: %v", pkgs)
	}
	// Recreating the version works: its asset rows went with it.
	ok(t, s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "1.0.0"), []model.Asset{asset("a.tgz", "bbb", 4)}), "CreateVersion after recreate")
	as, err := s.ListAssets(ctx(t), k, "1.0.0")
	ok(t, err, "ListAssets after recreate")
	if len(as) != 1 || as[0].Hashes.SHA256 != "bbb" {
		t.Errorf("assets after recreate = %+v", as)
	}

	// The sibling kept everything.
	if _, err := s.GetPolicy(ctx(t), sib.ARN()); err != nil {
		t.Errorf("sibling policy: %v", err)
	}
	if tags, _ := s.ListTags(ctx(t), sib.ARN()); len(tags) != 1 {
		t.Errorf("sibling tags = %v", tags)
	}
	if as, err := s.ListAssets(ctx(t), ks, "1.0.0"); err != nil || len(as) != 1 {
		t.Errorf("sibling assets = %v, %v", as, err)
	}
}

func repoIDs(rs []model.Repository) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.DomainOwner+"/"+r.DomainName+"/"+r.Name)
	}
	return out
}

func testListRepositories(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkDomain(t, s, owner, "e")
	mkDomain(t, s, other, "d")
	mkRepo(t, s, owner, "d", "web")
	mkRepo(t, s, owner, "d", "api")
	mkRepo(t, s, owner, "d", "Web-upper")
	mkRepo(t, s, owner, "e", "api")
	adm := newRepo(owner, "e", "webhooks")
	adm.AdministratorAccount = other
	ok(t, s.CreateRepository(ctx(t), adm), "CreateRepository administered by other")
	mkRepo(t, s, other, "d", "web")

	list := func(f store.RepositoryFilter, limit int) []string {
		t.Helper()
		return repoIDs(collect(t, limit, func(p store.Page) ([]model.Repository, string, error) {
			return s.ListRepositories(ctx(t), f, p)
		}))
	}
	for _, limit := range []int{0, 1, 2, 100} {
		// Byte order: upper case sorts before lower case; equal names order by
		// domain owner then domain name.
		deepEqual(t, "all repositories", list(store.RepositoryFilter{}, limit), []string{
			owner + "/d/Web-upper", owner + "/d/api", owner + "/e/api", owner + "/d/web", other + "/d/web", owner + "/e/webhooks",
		})
	}
	deepEqual(t, "domain filter", list(store.RepositoryFilter{DomainOwner: owner, DomainName: "d"}, 1),
		[]string{owner + "/d/Web-upper", owner + "/d/api", owner + "/d/web"})
	deepEqual(t, "admin filter", list(store.RepositoryFilter{AdministratorAccount: owner}, 2),
		[]string{owner + "/d/Web-upper", owner + "/d/api", owner + "/e/api", owner + "/d/web"})
	deepEqual(t, "admin filter other", list(store.RepositoryFilter{AdministratorAccount: other}, 1),
		[]string{other + "/d/web", owner + "/e/webhooks"})
	deepEqual(t, "prefix filter is case-sensitive", list(store.RepositoryFilter{Prefix: "web"}, 1),
		[]string{owner + "/d/web", other + "/d/web", owner + "/e/webhooks"})
	deepEqual(t, "domain + admin + prefix", list(store.RepositoryFilter{DomainOwner: owner, DomainName: "e", AdministratorAccount: other, Prefix: "we"}, 0),
		[]string{owner + "/e/webhooks"})
	deepEqual(t, "prefix matching nothing", list(store.RepositoryFilter{Prefix: "zzz"}, 3), []string{})
	// A prefix is not a pattern.
	deepEqual(t, "prefix with LIKE metacharacters", list(store.RepositoryFilter{Prefix: "w%"}, 3), []string{})
	deepEqual(t, "prefix with LIKE metacharacters", list(store.RepositoryFilter{Prefix: "_pi"}, 3), []string{})

	// Full records come back, not just names.
	rs, _, err := s.ListRepositories(ctx(t), store.RepositoryFilter{DomainOwner: owner, DomainName: "e", Prefix: "webhooks"}, store.Page{Limit: 10})
	ok(t, err, "ListRepositories one")
	if len(rs) != 1 {
		t.Fatalf("ListRepositories one = %v", repoIDs(rs))
	}
	checkRepo(t, "listed repository", rs[0], adm)
}
