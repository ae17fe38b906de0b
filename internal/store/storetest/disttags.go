package storetest

import (
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func distTags(t *testing.T, s store.Store, k model.PackageKey, what string) map[string]string {
	t.Helper()
	tags, err := s.GetDistTags(ctx(t), k)
	ok(t, err, what)
	return tags
}

func testDistTags(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	k := pkgKey("r", model.FormatNpm, "space", "ui")

	// No package: no tags, and none can be set.
	deepEqual(t, "GetDistTags without package", distTags(t, s, k, "GetDistTags without package"), map[string]string{})
	err := s.SetDistTags(ctx(t), k, map[string]string{"latest": "1.0.0"})
	wantResource(t, err, apperr.NotFound, "package", "ui", "SetDistTags without package")

	ok(t, s.PutPackage(ctx(t), newPkg(k)), "PutPackage")
	deepEqual(t, "GetDistTags before any", distTags(t, s, k, "GetDistTags before any"), map[string]string{})
	ok(t, s.SetDistTags(ctx(t), k, map[string]string{"latest": "1.0.0", "beta": "2.0.0-beta.1"}), "SetDistTags")
	ok(t, s.SetDistTags(ctx(t), k, map[string]string{"latest": "1.1.0", "next": "2.0.0"}), "SetDistTags overwrite")
	ok(t, s.SetDistTags(ctx(t), k, nil), "SetDistTags none")
	deepEqual(t, "GetDistTags", distTags(t, s, k, "GetDistTags"),
		map[string]string{"latest": "1.1.0", "beta": "2.0.0-beta.1", "next": "2.0.0"})

	// Per package: the same name in another namespace or format, or another
	// repository, has its own tags.
	for _, o := range []model.PackageKey{
		pkgKey("r", model.FormatNpm, "", "ui"),
		pkgKey("r", model.FormatPypi, "space", "ui"),
	} {
		ok(t, s.PutPackage(ctx(t), newPkg(o)), "PutPackage other")
		deepEqual(t, "GetDistTags of another package", distTags(t, s, o, "GetDistTags other"), map[string]string{})
	}

	ok(t, s.DeleteDistTag(ctx(t), k, "beta"), "DeleteDistTag")
	err = s.DeleteDistTag(ctx(t), k, "beta")
	wantResource(t, err, apperr.NotFound, "dist-tag", "beta", "DeleteDistTag again")
	err = s.DeleteDistTag(ctx(t), pkgKey("r", model.FormatNpm, "", "ui"), "latest")
	wantKind(t, err, apperr.NotFound, "DeleteDistTag of another package")
	deepEqual(t, "GetDistTags after delete", distTags(t, s, k, "GetDistTags after delete"),
		map[string]string{"latest": "1.1.0", "next": "2.0.0"})

	// Tags are not cache: the cache knows nothing of them.
	_, err = s.GetCache(ctx(t), "npm-dist-tags|"+owner+"|d|r|space|ui")
	wantKind(t, err, apperr.NotFound, "GetCache of the old dist-tags key")
}

// testDistTagsGoWithPackage: a package's dist-tags leave with it, whether it is
// deleted itself or with its repository, so a re-created one starts bare.
func testDistTagsGoWithPackage(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	mkRepo(t, s, owner, "d", "keep")
	k := pkgKey("r", model.FormatNpm, "", "left-pad")
	kept := pkgKey("keep", model.FormatNpm, "", "left-pad")
	for _, p := range []model.PackageKey{k, kept} {
		ok(t, s.PutPackage(ctx(t), newPkg(p)), "PutPackage")
		ok(t, s.SetDistTags(ctx(t), p, map[string]string{"latest": "1.0.0", "beta": "2.0.0"}), "SetDistTags")
	}

	// DeletePackage.
	ok(t, s.DeletePackage(ctx(t), k), "DeletePackage")
	deepEqual(t, "GetDistTags after DeletePackage", distTags(t, s, k, "GetDistTags after DeletePackage"), map[string]string{})
	ok(t, s.PutPackage(ctx(t), newPkg(k)), "PutPackage again")
	deepEqual(t, "GetDistTags of re-created package", distTags(t, s, k, "GetDistTags re-created"), map[string]string{})

	// DeleteRepository.
	ok(t, s.SetDistTags(ctx(t), k, map[string]string{"latest": "3.0.0"}), "SetDistTags again")
	ok(t, s.DeleteRepository(ctx(t), owner, "d", "r"), "DeleteRepository")
	deepEqual(t, "GetDistTags after DeleteRepository", distTags(t, s, k, "GetDistTags after DeleteRepository"), map[string]string{})
	mkRepo(t, s, owner, "d", "r")
	ok(t, s.PutPackage(ctx(t), newPkg(k)), "PutPackage in re-created repository")
	deepEqual(t, "GetDistTags in re-created repository", distTags(t, s, k, "GetDistTags re-created repository"), map[string]string{})

	// The other repository's package kept its tags throughout.
	deepEqual(t, "GetDistTags of the kept package", distTags(t, s, kept, "GetDistTags kept"),
		map[string]string{"latest": "1.0.0", "beta": "2.0.0"})
}

// testDeleteDomainGroupTags: deleting a domain removes the tags of its package
// groups, the implicit root group "/*" (tagged without a stored row) included,
// and leaves other domains' alone.
func testDeleteDomainGroupTags(t *testing.T, s store.Store) {
	d := mkDomain(t, s, owner, "d")
	mkDomain(t, s, owner, "dd") // its ARNs extend d's as strings
	root := model.PackageGroupARN(d.Region, owner, "d", "/*")
	stored := newGroup(owner, "d", "/npm/space/*")
	ok(t, s.SetTags(ctx(t), root, []model.Tag{{Key: "team", Value: "core"}}), "SetTags root")
	ok(t, s.CreatePackageGroup(ctx(t), stored, []model.Tag{{Key: "team", Value: "ui"}}), "CreatePackageGroup")
	otherRoot := model.PackageGroupARN(d.Region, owner, "dd", "/*")
	ok(t, s.SetTags(ctx(t), otherRoot, []model.Tag{{Key: "team", Value: "other"}}), "SetTags other root")

	ok(t, s.DeleteDomain(ctx(t), owner, "d"), "DeleteDomain")
	for _, arn := range []string{root, stored.ARN()} {
		tags, err := s.ListTags(ctx(t), arn)
		ok(t, err, "ListTags "+arn)
		deepEqual(t, "tags of "+arn+" after DeleteDomain", tags, []model.Tag{})
	}
	tags, err := s.ListTags(ctx(t), otherRoot)
	ok(t, err, "ListTags other root")
	deepEqual(t, "tags of another domain's root group", tags, []model.Tag{{Key: "team", Value: "other"}})

	// A re-created domain's root group starts untagged.
	mkDomain(t, s, owner, "d")
	tags, err = s.ListTags(ctx(t), root)
	ok(t, err, "ListTags root of re-created domain")
	deepEqual(t, "tags of the re-created domain's root group", tags, []model.Tag{})
}

// testDeleteRepositoryLeavesGroups: deleting a repository takes it off every
// allowed-repositories list of its domain's groups, in that domain only.
func testDeleteRepositoryLeavesGroups(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkDomain(t, s, owner, "e")
	mkRepo(t, s, owner, "d", "r")
	mkRepo(t, s, owner, "d", "s")
	mkRepo(t, s, owner, "e", "r")
	g := newGroup(owner, "d", "/npm/*")
	g.Restrictions = map[string]string{
		model.RestrictionPublish:          model.ModeAllowSpecificRepositories,
		model.RestrictionExternalUpstream: model.ModeAllowSpecificRepositories,
	}
	g.AllowedRepositories = map[string][]string{
		model.RestrictionPublish:          {"r", "s"},
		model.RestrictionExternalUpstream: {"r"},
	}
	ok(t, s.CreatePackageGroup(ctx(t), g, nil), "CreatePackageGroup d")
	untouched := newGroup(owner, "d", "/pypi/*")
	untouched.Restrictions = map[string]string{model.RestrictionPublish: model.ModeAllowSpecificRepositories}
	untouched.AllowedRepositories = map[string][]string{model.RestrictionPublish: {"s"}}
	ok(t, s.CreatePackageGroup(ctx(t), untouched, nil), "CreatePackageGroup d untouched")
	ge := newGroup(owner, "e", "/npm/*")
	ge.Restrictions = map[string]string{model.RestrictionPublish: model.ModeAllowSpecificRepositories}
	ge.AllowedRepositories = map[string][]string{model.RestrictionPublish: {"r"}}
	ok(t, s.CreatePackageGroup(ctx(t), ge, nil), "CreatePackageGroup e")

	ok(t, s.DeleteRepository(ctx(t), owner, "d", "r"), "DeleteRepository")

	// The modes stay; only the name leaves the lists (an emptied list goes).
	want := g
	want.AllowedRepositories = map[string][]string{model.RestrictionPublish: {"s"}}
	got, err := s.GetPackageGroup(ctx(t), owner, "d", g.Pattern)
	ok(t, err, "GetPackageGroup")
	sameGroup(t, "group after DeleteRepository", got, want)
	got, err = s.GetPackageGroup(ctx(t), owner, "d", untouched.Pattern)
	ok(t, err, "GetPackageGroup untouched")
	sameGroup(t, "group not naming the repository", got, untouched)
	got, err = s.GetPackageGroup(ctx(t), owner, "e", ge.Pattern)
	ok(t, err, "GetPackageGroup e")
	sameGroup(t, "another domain's group", got, ge)

	// A re-created repository of that name is not allowed by the old entry.
	mkRepo(t, s, owner, "d", "r")
	got, err = s.GetPackageGroup(ctx(t), owner, "d", g.Pattern)
	ok(t, err, "GetPackageGroup after re-create")
	sameGroup(t, "group after the repository is re-created", got, want)
}
