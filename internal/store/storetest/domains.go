package storetest

import (
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func testDomains(t *testing.T, s store.Store) {
	_, err := s.GetDomain(ctx(t), owner, "d")
	wantKind(t, err, apperr.NotFound, "GetDomain missing")

	d := mkDomain(t, s, owner, "d")
	got, err := s.GetDomain(ctx(t), owner, "d")
	ok(t, err, "GetDomain")
	checkTime(t, "Domain.CreatedAt", got.CreatedAt, d.CreatedAt)
	got.CreatedAt, d.CreatedAt = time.Time{}, time.Time{}
	deepEqual(t, "GetDomain", got, d)

	err = s.CreateDomain(ctx(t), newDomain(owner, "d"))
	wantResource(t, err, apperr.Conflict, "domain", "d", "CreateDomain duplicate")

	// The same name under another account is another domain.
	mkDomain(t, s, other, "d")
	got, err = s.GetDomain(ctx(t), other, "d")
	ok(t, err, "GetDomain other owner")
	if got.Owner != other || got.EncryptionKey != newDomain(other, "d").EncryptionKey {
		t.Errorf("GetDomain other owner = %+v", got)
	}
	_, err = s.GetDomain(ctx(t), owner, "D")
	wantKind(t, err, apperr.NotFound, "GetDomain is case-sensitive")
}

func testDeleteDomain(t *testing.T, s store.Store) {
	err := s.DeleteDomain(ctx(t), owner, "d")
	wantKind(t, err, apperr.NotFound, "DeleteDomain missing")

	d := mkDomain(t, s, owner, "d")
	mkDomain(t, s, owner, "keep")
	ok(t, s.SetTags(ctx(t), d.ARN(), []model.Tag{{Key: "k", Value: "v"}}), "SetTags")
	ok(t, s.PutPolicy(ctx(t), model.Policy{ResourceARN: d.ARN(), Document: "{}", Revision: "r1"}, ""), "PutPolicy")
	keep := newDomain(owner, "keep")
	ok(t, s.SetTags(ctx(t), keep.ARN(), []model.Tag{{Key: "k", Value: "v"}}), "SetTags keep")

	r := mkRepo(t, s, owner, "d", "r")
	err = s.DeleteDomain(ctx(t), owner, "d")
	wantKind(t, err, apperr.Conflict, "DeleteDomain with a repository")
	if _, err := s.GetDomain(ctx(t), owner, "d"); err != nil {
		t.Fatalf("refused DeleteDomain removed the domain: %v", err)
	}
	if p, err := s.GetPolicy(ctx(t), d.ARN()); err != nil || p.Revision != "r1" {
		t.Errorf("refused DeleteDomain touched the policy: %+v, %v", p, err)
	}

	ok(t, s.DeleteRepository(ctx(t), owner, "d", r.Name), "DeleteRepository")
	ok(t, s.DeleteDomain(ctx(t), owner, "d"), "DeleteDomain")
	_, err = s.GetDomain(ctx(t), owner, "d")
	wantKind(t, err, apperr.NotFound, "GetDomain after delete")
	_, err = s.GetPolicy(ctx(t), d.ARN())
	wantKind(t, err, apperr.NotFound, "GetPolicy after DeleteDomain")
	tags, err := s.ListTags(ctx(t), d.ARN())
	ok(t, err, "ListTags after DeleteDomain")
	if len(tags) != 0 {
		t.Errorf("tags survived DeleteDomain: %v", tags)
	}
	tags, err = s.ListTags(ctx(t), keep.ARN())
	ok(t, err, "ListTags other domain")
	if len(tags) != 1 {
		t.Errorf("DeleteDomain removed another domain's tags: %v", tags)
	}

	// The name is free again.
	mkDomain(t, s, owner, "d")
}

// collect pages through list with the given limit and checks each page.
func collect[T any](t *testing.T, limit int, list func(p store.Page) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	p := store.Page{Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("pagination does not terminate")
		}
		items, next, err := list(p)
		ok(t, err, "list page")
		if limit > 0 && len(items) > limit {
			t.Fatalf("page has %d items, limit %d", len(items), limit)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		if len(items) == 0 {
			t.Fatalf("empty page with a next cursor")
		}
		p.Cursor = next
	}
}

func domainNames(ds []model.Domain) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.Owner+"/"+d.Name)
	}
	return out
}

func testListDomains(t *testing.T, s store.Store) {
	ds, next, err := s.ListDomains(ctx(t), owner, store.Page{Limit: 10})
	ok(t, err, "ListDomains empty")
	if len(ds) != 0 || next != "" {
		t.Errorf("ListDomains on an empty store = %v, %q", ds, next)
	}

	for _, n := range []string{"echo", "alpha", "delta", "charlie", "bravo"} {
		mkDomain(t, s, owner, n)
	}
	mkDomain(t, s, other, "aardvark")
	mkDomain(t, s, other, "charlie")
	want := []string{owner + "/alpha", owner + "/bravo", owner + "/charlie", owner + "/delta", owner + "/echo"}

	for _, limit := range []int{1, 2, 3, 5, 6, 100} {
		got := collect(t, limit, func(p store.Page) ([]model.Domain, string, error) { return s.ListDomains(ctx(t), owner, p) })
		deepEqual(t, "ListDomains names", domainNames(got), want)
	}

	// A page that ends exactly at the last item says so.
	ds, next, err = s.ListDomains(ctx(t), owner, store.Page{Limit: 5})
	ok(t, err, "ListDomains limit 5")
	if len(ds) != 5 || next != "" {
		t.Errorf("ListDomains with limit = count: %d items, next %q; want 5 and \"\"", len(ds), next)
	}
	ds, next, err = s.ListDomains(ctx(t), owner, store.Page{Limit: 2})
	ok(t, err, "ListDomains limit 2")
	if len(ds) != 2 || next == "" {
		t.Errorf("ListDomains first page: %d items, next %q", len(ds), next)
	}
	// The cursor survives a write between pages: rows after it still show up.
	mkDomain(t, s, owner, "zulu")
	rest := collect(t, 2, func(p store.Page) ([]model.Domain, string, error) {
		if p.Cursor == "" {
			p.Cursor = next
		}
		return s.ListDomains(ctx(t), owner, p)
	})
	deepEqual(t, "ListDomains after cursor", domainNames(rest), []string{owner + "/charlie", owner + "/delta", owner + "/echo", owner + "/zulu"})

	_, _, err = s.ListDomains(ctx(t), owner, store.Page{Cursor: "not a cursor!", Limit: 2})
	if err == nil {
		t.Errorf("ListDomains with a garbage cursor: nil error")
	}
}

func testDomainStats(t *testing.T, s store.Store) {
	_, _, err := s.DomainStats(ctx(t), owner, "d")
	wantKind(t, err, apperr.NotFound, "DomainStats missing domain")

	mkDomain(t, s, owner, "d")
	mkDomain(t, s, owner, "e")
	n, size, err := s.DomainStats(ctx(t), owner, "d")
	ok(t, err, "DomainStats empty")
	if n != 0 || size != 0 {
		t.Errorf("DomainStats empty = %d, %d", n, size)
	}

	mkRepo(t, s, owner, "d", "r1")
	mkRepo(t, s, owner, "d", "r2")
	mkRepo(t, s, owner, "e", "r1")
	k1 := pkgKey("r1", model.FormatNpm, "", "p")
	k2 := pkgKey("r2", model.FormatNpm, "", "p")
	// Same bytes (sha "aaa") in two repositories and twice within one version:
	// counted once. "bbb" and "ccc" are distinct.
	ok(t, s.CreateVersion(ctx(t), newPkg(k1), newVersion(k1, "1.0.0"),
		[]model.Asset{asset("p-1.0.0.tgz", "aaa", 100), asset("copy.tgz", "aaa", 100), asset("readme", "bbb", 10)}), "CreateVersion r1")
	ok(t, s.CreateVersion(ctx(t), newPkg(k2), newVersion(k2, "1.0.0"),
		[]model.Asset{asset("p-1.0.0.tgz", "aaa", 100), asset("extra", "ccc", 1)}), "CreateVersion r2")
	// Another domain's assets do not count.
	ke := pkgKey("r1", model.FormatNpm, "", "p")
	ke.DomainName = "e"
	ok(t, s.CreateVersion(ctx(t), newPkg(ke), newVersion(ke, "1.0.0"), []model.Asset{asset("x", "zzz", 5000)}), "CreateVersion domain e")

	n, size, err = s.DomainStats(ctx(t), owner, "d")
	ok(t, err, "DomainStats")
	if n != 2 || size != 111 {
		t.Errorf("DomainStats = %d repositories, %d bytes; want 2, 111", n, size)
	}
	n, size, err = s.DomainStats(ctx(t), owner, "e")
	ok(t, err, "DomainStats e")
	if n != 1 || size != 5000 {
		t.Errorf("DomainStats e = %d, %d; want 1, 5000", n, size)
	}

	ok(t, s.DeleteRepository(ctx(t), owner, "d", "r1"), "DeleteRepository r1")
	n, size, err = s.DomainStats(ctx(t), owner, "d")
	ok(t, err, "DomainStats after delete")
	if n != 1 || size != 101 {
		t.Errorf("DomainStats after deleting r1 = %d, %d; want 1, 101", n, size)
	}
}
