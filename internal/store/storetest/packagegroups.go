package storetest

import (
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func newGroup(own, domain, pattern string) model.PackageGroup {
	return model.PackageGroup{
		DomainOwner: own, DomainName: domain, Region: region, Pattern: pattern,
		ContactInfo: "team@example.com", Description: "group " + pattern, CreatedAt: t0,
	}
}

// sameGroup compares groups with times to the millisecond.
func sameGroup(t *testing.T, what string, got, want model.PackageGroup) {
	t.Helper()
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	deepEqual(t, what, got, want)
}

func testPackageGroups(t *testing.T, s store.Store) {
	g := newGroup(owner, "d", "/npm/space/*")
	err := s.CreatePackageGroup(ctx(t), g, nil)
	wantResource(t, err, apperr.NotFound, "domain", "d", "CreatePackageGroup without domain")

	mkDomain(t, s, owner, "d")
	_, err = s.GetPackageGroup(ctx(t), owner, "d", g.Pattern)
	wantResource(t, err, apperr.NotFound, "package-group", g.Pattern, "GetPackageGroup missing")

	// Stale tags under the ARN (left by a deleted domain's group) are replaced.
	ok(t, s.SetTags(ctx(t), g.ARN(), []model.Tag{{Key: "stale", Value: "x"}}), "SetTags stale")
	ok(t, s.CreatePackageGroup(ctx(t), g, []model.Tag{{Key: "team", Value: "ui"}}), "CreatePackageGroup")
	tags, err := s.ListTags(ctx(t), g.ARN())
	ok(t, err, "ListTags")
	deepEqual(t, "tags after create", tags, []model.Tag{{Key: "team", Value: "ui"}})

	got, err := s.GetPackageGroup(ctx(t), owner, "d", g.Pattern)
	ok(t, err, "GetPackageGroup")
	sameGroup(t, "GetPackageGroup", got, g)

	err = s.CreatePackageGroup(ctx(t), g, nil)
	wantResource(t, err, apperr.Conflict, "package-group", g.Pattern, "CreatePackageGroup duplicate")

	// Patterns are case-sensitive identifiers, and per domain.
	ok(t, s.CreatePackageGroup(ctx(t), newGroup(owner, "d", "/npm/Space/*"), nil), "CreatePackageGroup other case")
	_, err = s.GetPackageGroup(ctx(t), other, "d", g.Pattern)
	wantKind(t, err, apperr.NotFound, "GetPackageGroup of another owner")

	// Update replaces the mutable fields, origin configuration included.
	g.ContactInfo, g.Description = "", "changed"
	g.Restrictions = map[string]string{model.RestrictionPublish: model.ModeAllowSpecificRepositories, model.RestrictionExternalUpstream: model.ModeBlock}
	g.AllowedRepositories = map[string][]string{model.RestrictionPublish: {"a-repo", "b-repo"}}
	ok(t, s.UpdatePackageGroup(ctx(t), g), "UpdatePackageGroup")
	got, err = s.GetPackageGroup(ctx(t), owner, "d", g.Pattern)
	ok(t, err, "GetPackageGroup after update")
	sameGroup(t, "GetPackageGroup after update", got, g)

	err = s.UpdatePackageGroup(ctx(t), newGroup(owner, "d", "/maven/*"))
	wantResource(t, err, apperr.NotFound, "package-group", "/maven/*", "UpdatePackageGroup missing")

	ok(t, s.DeletePackageGroup(ctx(t), owner, "d", g.Pattern), "DeletePackageGroup")
	_, err = s.GetPackageGroup(ctx(t), owner, "d", g.Pattern)
	wantKind(t, err, apperr.NotFound, "GetPackageGroup after delete")
	tags, err = s.ListTags(ctx(t), g.ARN())
	ok(t, err, "ListTags after delete")
	deepEqual(t, "tags after delete", tags, []model.Tag{})
	err = s.DeletePackageGroup(ctx(t), owner, "d", g.Pattern)
	wantResource(t, err, apperr.NotFound, "package-group", g.Pattern, "DeletePackageGroup again")
}

func testListPackageGroups(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkDomain(t, s, owner, "e")
	patterns := []string{"/*", "/npm/*", "/npm/space/*", "/npm/space/ui~", "/maven/com.example~", "/pypi//requests$"}
	for _, p := range patterns {
		ok(t, s.CreatePackageGroup(ctx(t), newGroup(owner, "d", p), nil), "CreatePackageGroup "+p)
	}
	ok(t, s.CreatePackageGroup(ctx(t), newGroup(owner, "e", "/npm/other/*"), nil), "CreatePackageGroup in e")

	// Byte order, paged.
	want := []string{"/*", "/maven/com.example~", "/npm/*", "/npm/space/*", "/npm/space/ui~", "/pypi//requests$"}
	var seen []string
	p := store.Page{Limit: 4}
	for pages := 0; ; pages++ {
		gs, next, err := s.ListPackageGroups(ctx(t), owner, "d", "", p)
		ok(t, err, "ListPackageGroups")
		for _, g := range gs {
			seen = append(seen, g.Pattern)
		}
		if next == "" {
			if pages != 1 {
				t.Errorf("ListPackageGroups took %d pages, want 2", pages+1)
			}
			break
		}
		p.Cursor = next
	}
	deepEqual(t, "ListPackageGroups patterns", seen, want)

	gs, next, err := s.ListPackageGroups(ctx(t), owner, "d", "/npm/", store.Page{})
	ok(t, err, "ListPackageGroups prefix")
	if next != "" {
		t.Errorf("ListPackageGroups prefix: next = %q, want none", next)
	}
	var got []string
	for _, g := range gs {
		got = append(got, g.Pattern)
	}
	deepEqual(t, "ListPackageGroups prefix", got, []string{"/npm/*", "/npm/space/*", "/npm/space/ui~"})

	// Deleting a domain takes its groups with it.
	ok(t, s.DeleteDomain(ctx(t), owner, "e"), "DeleteDomain e")
	mkDomain(t, s, owner, "e")
	gs, _, err = s.ListPackageGroups(ctx(t), owner, "e", "", store.Page{})
	ok(t, err, "ListPackageGroups after domain re-created")
	if len(gs) != 0 {
		t.Errorf("groups of a deleted domain survived: %+v", gs)
	}
}
