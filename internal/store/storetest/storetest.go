// Package storetest is the conformance suite every store.Store backend runs: the
// behaviour the service layer relies on, written once. A backend's test calls
//
//	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//
// open must return an empty store; Run closes each store it opens.
package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// Run runs the conformance suite; each subtest gets a fresh store from open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"AccessKeys", testAccessKeys},
		{"AccessKeyLifecycle", testAccessKeyLifecycle},
		{"IAMEntities", testIAMEntities},
		{"Tokens", testTokens},
		{"ExpiredTokensPurge", testExpiredTokensPurge},
		{"Domains", testDomains},
		{"DeleteDomain", testDeleteDomain},
		{"ListDomains", testListDomains},
		{"DomainStats", testDomainStats},
		{"Repositories", testRepositories},
		{"DeleteRepositoryCascades", testDeleteRepositoryCascades},
		{"ListRepositories", testListRepositories},
		{"Policies", testPolicies},
		{"Tags", testTags},
		{"Packages", testPackages},
		{"ListPackages", testListPackages},
		{"Versions", testVersions},
		{"ListVersionsPage", testListVersionsPage},
		{"CreateVersionAtomic", testCreateVersionAtomic},
		{"Assets", testAssets},
		{"DeleteAssets", testDeleteAssets},
		{"SweepBlob", testSweepBlob},
		{"Leases", testLeases},
		{"CollectorDispose", testCollectorDispose},
		{"CollectorPins", testCollectorPins},
		{"CollectorPass", testCollectorPass},
		{"CollectorHold", testCollectorHold},
		{"CollectorRacingPublish", testCollectorRacingPublish},
		{"Cache", testCache},
		{"KMSKeys", testKMSKeys},
		{"ListKMSKeys", testListKMSKeys},
		{"KMSAliases", testKMSAliases},
		{"DeleteKMSKeyCascades", testDeleteKMSKeyCascades},
		{"PackageGroups", testPackageGroups},
		{"ListPackageGroups", testListPackageGroups},
		{"DistTags", testDistTags},
		{"Generations", testGenerations},
		{"DistTagsGoWithPackage", testDistTagsGoWithPackage},
		{"DeleteDomainGroupTags", testDeleteDomainGroupTags},
		{"DeleteRepositoryLeavesGroups", testDeleteRepositoryLeavesGroups},
		{"Audit", testAudit},
		{"EventOutbox", testEventOutbox},
		{"ConcurrentCreateDomain", testConcurrentCreateDomain},
		{"ConcurrentCreateRepository", testConcurrentCreateRepository},
		{"ConcurrentCreateVersion", testConcurrentCreateVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

const (
	owner  = "111111111111"
	other  = "222222222222"
	region = "us-west-2"
)

// t0 has sub-millisecond digits and a non-UTC zone on purpose: backends keep
// at least milliseconds and return UTC.
var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("UTC+1", 3600))

func ctx(t *testing.T) context.Context { return t.Context() }

// --- assertions -----------------------------------------------------------

func ok(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

func wantKind(t *testing.T, err error, k apperr.Kind, what string) *apperr.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want kind %d", what, k)
	}
	if apperr.KindOf(err) != k {
		t.Fatalf("%s: got %v (kind %d), want kind %d", what, err, apperr.KindOf(err), k)
	}
	return apperr.As(err)
}

// wantResource checks a NotFound/Conflict error names the resource.
func wantResource(t *testing.T, err error, k apperr.Kind, typ, id, what string) {
	t.Helper()
	e := wantKind(t, err, k, what)
	if e.ResourceType != typ || e.ResourceID != id {
		t.Errorf("%s: resource = (%q, %q), want (%q, %q)", what, e.ResourceType, e.ResourceID, typ, id)
	}
}

// sameTime reports whether got is want to the millisecond, in UTC (the zero time
// stays zero).
func sameTime(got, want time.Time) bool {
	if want.IsZero() {
		return got.IsZero()
	}
	d := got.Sub(want)
	return d > -time.Millisecond && d < time.Millisecond && got.Location() == time.UTC
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s: time = %v (%v), want %v to the millisecond in UTC", what, got, got.Location(), want)
	}
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// --- fixtures ---------------------------------------------------------------

func newDomain(own, name string) model.Domain {
	return model.Domain{
		Name: name, Owner: own, Region: region, Status: "Active", CreatedAt: t0,
		EncryptionKey: "arn:aws:kms:" + region + ":" + own + ":key/" + name,
	}
}

func newRepo(own, domain, name string) model.Repository {
	return model.Repository{
		Name: name, DomainName: domain, DomainOwner: own, AdministratorAccount: own,
		Region: region, Description: "repo " + name, CreatedAt: t0,
	}
}

func mkDomain(t *testing.T, s store.Store, own, name string) model.Domain {
	t.Helper()
	d := newDomain(own, name)
	ok(t, s.CreateDomain(ctx(t), d), "CreateDomain "+name)
	return d
}

func mkRepo(t *testing.T, s store.Store, own, domain, name string) model.Repository {
	t.Helper()
	r := newRepo(own, domain, name)
	ok(t, s.CreateRepository(ctx(t), r), "CreateRepository "+name)
	return r
}

func pkgKey(repo string, f model.Format, ns, name string) model.PackageKey {
	return model.PackageKey{DomainOwner: owner, DomainName: "d", Repository: repo, Format: f, Namespace: ns, Name: name}
}

func newPkg(k model.PackageKey) model.Package {
	return model.Package{PackageKey: k, Origin: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Allow}}
}

func newVersion(k model.PackageKey, v string) model.PackageVersion {
	return model.PackageVersion{
		PackageKey: k, Version: v, Status: model.StatusPublished, Revision: "rev-" + v,
		Origin:  model.VersionOrigin{Type: model.OriginInternal, Repository: k.Repository},
		Summary: "summary " + v, PublishedAt: t0,
	}
}

func asset(name, sha string, size int64) model.Asset {
	return model.Asset{Name: name, Size: size, Hashes: model.Hashes{MD5: "md5-" + sha, SHA1: "sha1-" + sha, SHA256: sha, SHA512: "sha512-" + sha}}
}
