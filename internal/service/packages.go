package service

import (
	"context"
	"io"
	"regexp"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/store"
)

// PackageRef names a package in a repository as the package operations do.
type PackageRef struct {
	RepoRef
	Format    string
	Namespace string
	Package   string
}

var (
	packageNameRe = regexp.MustCompile(`^[^#/\s]{1,255}$`)
)

// NormalizeName applies a format's name normalization (model.NormalizeName).
func NormalizeName(f model.Format, name string) string { return model.NormalizeName(f, name) }

func (s *Service) packageKey(ctx context.Context, c Caller, ref PackageRef, action string) (model.Repository, model.PackageKey, error) {
	if !model.ValidFormat(ref.Format) {
		return model.Repository{}, model.PackageKey{}, apperr.Validationf("format %q is not one of npm, pypi, maven, nuget, generic, ruby, swift, cargo", ref.Format)
	}
	if !packageNameRe.MatchString(ref.Package) {
		return model.Repository{}, model.PackageKey{}, apperr.Validationf("package %q must be 1-255 characters without '#', '/' or whitespace", ref.Package)
	}
	if ref.Namespace != "" && !packageNameRe.MatchString(ref.Namespace) {
		return model.Repository{}, model.PackageKey{}, apperr.Validationf("namespace %q must be 1-255 characters without '#', '/' or whitespace", ref.Namespace)
	}
	f := model.Format(ref.Format)
	ns := strings.TrimPrefix(ref.Namespace, "@") // npm scopes are given without "@"; tolerate it
	if f == model.FormatSwift {
		ns = strings.ToLower(ns) // swift scopes are case-insensitive, stored lowercased as CodeArtifact does
	}
	name := NormalizeName(f, ref.Package)
	// Package-level actions are decided on the package's own ARN, as AWS does.
	r, err := s.repositoryFor(ctx, c, ref.RepoRef, action, func(own string) string {
		return model.PackageARN(s.Region, own, ref.Domain, ref.Repository, f, ns, name)
	})
	if err != nil {
		return model.Repository{}, model.PackageKey{}, err
	}
	return r, packages.Key(r, f, ns, name), nil
}

// DescribePackage returns a package of a repository (upstreams are not searched).
func (s *Service) DescribePackage(ctx context.Context, c Caller, ref PackageRef) (model.Package, error) {
	_, k, err := s.packageKey(ctx, c, ref, "codeartifact:DescribePackage")
	if err != nil {
		return model.Package{}, err
	}
	p, err := s.Store.GetPackage(ctx, k)
	if apperr.Is(err, apperr.NotFound) {
		return model.Package{}, apperr.NotFoundf("package", ref.Package, "Package %s not found in repository %s", ref.Package, ref.Repository)
	}
	return p, err
}

// ListPackages lists a repository's packages.
func (s *Service) ListPackages(ctx context.Context, c Caller, ref RepoRef, f PackageFilter, p Page) ([]model.Package, string, error) {
	if f.Format != "" && !model.ValidFormat(string(f.Format)) {
		return nil, "", apperr.Validationf("format %q is not a package format", f.Format)
	}
	for _, v := range []string{f.Publish, f.Upstream} {
		if v != "" && v != model.Allow && v != model.Block {
			return nil, "", apperr.Validationf("publish and upstream filters must be ALLOW or BLOCK")
		}
	}
	// npm scopes are stored without "@"; tolerate it, as packageKey does.
	f.NamespacePrefix = strings.TrimPrefix(f.NamespacePrefix, "@")
	r, err := s.repository(ctx, c, ref, "codeartifact:ListPackages")
	if err != nil {
		return nil, "", err
	}
	return s.Store.ListPackages(ctx, r.DomainOwner, r.DomainName, r.Name, store.PackageFilter{Format: f.Format,
		NamespacePrefix: f.NamespacePrefix, Prefix: f.PackagePrefix, Publish: f.Publish, Upstream: f.Upstream}, p.store())
}

// PutPackageOriginConfiguration sets a package's origin controls, creating an
// empty package when there is none (to block a name pre-emptively).
func (s *Service) PutPackageOriginConfiguration(ctx context.Context, c Caller, ref PackageRef, o model.OriginRestrictions) (model.Package, error) {
	for _, v := range []string{o.Publish, o.Upstream} {
		if v != model.Allow && v != model.Block {
			return model.Package{}, apperr.Validationf("restrictions.publish and restrictions.upstream must each be ALLOW or BLOCK")
		}
	}
	_, k, err := s.packageKey(ctx, c, ref, "codeartifact:PutPackageOriginConfiguration")
	if err != nil {
		return model.Package{}, err
	}
	p := model.Package{PackageKey: k, Origin: o}
	if err := s.Store.PutPackage(ctx, p); err != nil {
		return p, err
	}
	s.record(ctx, model.AuditRecord{Action: model.AuditOrigin, DomainOwner: k.DomainOwner, DomainName: k.DomainName, Repository: k.Repository,
		Format: k.Format, Namespace: k.Namespace, Package: k.Name, Detail: model.AuditDetail{Publish: o.Publish, Upstream: o.Upstream}})
	return p, nil
}

// VersionFilter selects versions for ListPackageVersions.
type VersionFilter struct {
	Status     string
	OriginType string
	SortBy     string // "" (by version string) or PUBLISHED_TIME (newest first)
}

var versionStatuses = map[string]bool{model.StatusPublished: true, model.StatusUnfinished: true, model.StatusUnlisted: true,
	model.StatusArchived: true, model.StatusDisposed: true, model.StatusDeleted: true}

// ListPackageVersions lists one page of a package's versions in the
// repository, with the version package managers show by default (the newest
// published). A page costs a page of rows whatever the package's size.
func (s *Service) ListPackageVersions(ctx context.Context, c Caller, ref PackageRef, f VersionFilter, p Page) (versions []model.PackageVersion, next, defaultVersion string, err error) {
	if f.Status != "" && !versionStatuses[f.Status] {
		return nil, "", "", apperr.Validationf("status %q is not a package version status", f.Status)
	}
	if f.OriginType != "" && f.OriginType != model.OriginInternal && f.OriginType != model.OriginExternal && f.OriginType != model.OriginUnknown {
		return nil, "", "", apperr.Validationf("originType must be INTERNAL, EXTERNAL or UNKNOWN")
	}
	if f.SortBy != store.SortByVersion && f.SortBy != store.SortByPublishedTime {
		return nil, "", "", apperr.Validationf("sortBy must be PUBLISHED_TIME")
	}
	_, k, err := s.packageKey(ctx, c, ref, "codeartifact:ListPackageVersions")
	if err != nil {
		return nil, "", "", err
	}
	notFound := apperr.NotFoundf("package", ref.Package, "Package %s not found in repository %s", ref.Package, ref.Repository)
	if _, err := s.Store.GetPackage(ctx, k); apperr.Is(err, apperr.NotFound) {
		return nil, "", "", notFound
	} else if err != nil {
		return nil, "", "", err
	}
	versions, next, err = s.Store.ListVersionsPage(ctx, k, store.VersionFilter{Status: f.Status, OriginType: f.OriginType}, f.SortBy, p.store())
	switch {
	case apperr.Is(err, apperr.Validation):
		// Only the cursor can be invalid here; say so as for any other token.
		return nil, "", "", apperr.Validationf("nextToken is not a token returned by a previous call")
	case apperr.Is(err, apperr.NotFound):
		return nil, "", "", notFound // deleted since GetPackage
	case err != nil:
		return nil, "", "", err
	}
	if defaultVersion, err = s.Store.DefaultDisplayVersion(ctx, k); err != nil {
		return nil, "", "", err
	}
	return versions, next, defaultVersion, nil
}

// version loads one version of a package in the repository.
func (s *Service) version(ctx context.Context, c Caller, ref PackageRef, version, action string) (model.Repository, model.PackageVersion, error) {
	if !packageNameRe.MatchString(version) {
		return model.Repository{}, model.PackageVersion{}, apperr.Validationf("version %q must be 1-255 characters without '#', '/' or whitespace", version)
	}
	r, k, err := s.packageKey(ctx, c, ref, action)
	if err != nil {
		return model.Repository{}, model.PackageVersion{}, err
	}
	v, err := s.Store.GetVersion(ctx, k, version)
	if apperr.Is(err, apperr.NotFound) {
		return model.Repository{}, model.PackageVersion{}, apperr.NotFoundf("package-version", version, "Package version %s of %s not found in repository %s", version, ref.Package, ref.Repository)
	}
	return r, v, err
}

// DescribePackageVersion returns one version.
func (s *Service) DescribePackageVersion(ctx context.Context, c Caller, ref PackageRef, version string) (model.PackageVersion, error) {
	_, v, err := s.version(ctx, c, ref, version, "codeartifact:DescribePackageVersion")
	return v, err
}

// ListPackageVersionAssets lists a version's assets.
func (s *Service) ListPackageVersionAssets(ctx context.Context, c Caller, ref PackageRef, version string) (model.PackageVersion, []model.Asset, error) {
	_, v, err := s.version(ctx, c, ref, version, "codeartifact:ListPackageVersionAssets")
	if err != nil {
		return model.PackageVersion{}, nil, err
	}
	assets, err := s.Store.ListAssets(ctx, v.PackageKey, v.Version)
	return v, assets, err
}

// GetPackageVersionAsset opens one asset of a version (upstreams are not searched).
func (s *Service) GetPackageVersionAsset(ctx context.Context, c Caller, ref PackageRef, version, asset, revision string) (model.PackageVersion, model.Asset, io.ReadCloser, error) {
	r, v, err := s.version(ctx, c, ref, version, "codeartifact:GetPackageVersionAsset")
	if err != nil {
		return model.PackageVersion{}, model.Asset{}, nil, err
	}
	if revision != "" && revision != v.Revision {
		return model.PackageVersion{}, model.Asset{}, nil, apperr.NotFoundf("package-version", version, "Package version %s has no revision %s", version, revision)
	}
	if !packages.Downloadable(v) {
		return model.PackageVersion{}, model.Asset{}, nil, apperr.NotFoundf("package-version", version, "Package version %s is %s; its assets cannot be downloaded", version, v.Status)
	}
	a, err := s.Packages.Asset(ctx, v.PackageKey, v.Version, asset)
	if err != nil {
		return model.PackageVersion{}, model.Asset{}, nil, err
	}
	rc, _, err := s.Packages.OpenAsset(ctx, r, a)
	if err != nil {
		return model.PackageVersion{}, model.Asset{}, nil, err
	}
	return v, a, rc, nil
}

// GetPackageVersionReadme returns a version's readme.
func (s *Service) GetPackageVersionReadme(ctx context.Context, c Caller, ref PackageRef, version string) (model.PackageVersion, error) {
	_, v, err := s.version(ctx, c, ref, version, "codeartifact:GetPackageVersionReadme")
	return v, err
}

// ListPackageVersionDependencies returns a version's declared dependencies.
func (s *Service) ListPackageVersionDependencies(ctx context.Context, c Caller, ref PackageRef, version string) (model.PackageVersion, error) {
	_, v, err := s.version(ctx, c, ref, version, "codeartifact:ListPackageVersionDependencies")
	return v, err
}

// PackageAudit returns the audit trail of a package in a repository, oldest
// first (at most limit records; the console shows it). Reading it needs what
// describing the package needs.
func (s *Service) PackageAudit(ctx context.Context, c Caller, ref PackageRef, limit int) ([]model.AuditRecord, error) {
	_, k, err := s.packageKey(ctx, c, ref, "codeartifact:DescribePackage")
	if err != nil {
		return nil, err
	}
	ns := k.Namespace
	recs, _, err := s.Store.ListAudit(ctx, store.AuditFilter{DomainOwner: k.DomainOwner, DomainName: k.DomainName, Repository: k.Repository,
		Format: k.Format, Namespace: &ns, Package: k.Name}, store.Page{Limit: limit})
	return recs, err
}
