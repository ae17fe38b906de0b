package service

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
)

// Package version error codes (PackageVersionErrorCode).
const (
	ErrAlreadyExists      = "ALREADY_EXISTS"
	ErrMismatchedRevision = "MISMATCHED_REVISION"
	ErrMismatchedStatus   = "MISMATCHED_STATUS"
	ErrNotAllowed         = "NOT_ALLOWED"
	ErrNotFound           = "NOT_FOUND"
	ErrSkipped            = "SKIPPED"
)

// VersionResult is one version's outcome in a batch operation.
type VersionResult struct {
	Revision, Status string // on success
	Code, Message    string // on failure
}

// Failed reports whether the version failed.
func (r VersionResult) Failed() bool { return r.Code != "" }

// BatchInput selects versions for the batch version operations.
type BatchInput struct {
	Versions         []string
	VersionRevisions map[string]string
	ExpectedStatus   string
}

func validBatch(in BatchInput) error {
	if len(in.Versions) == 0 && len(in.VersionRevisions) == 0 {
		return apperr.Validationf("versions must list at least one version")
	}
	if len(in.Versions) > 100 {
		return apperr.Validationf("versions may list at most 100 versions")
	}
	if in.ExpectedStatus != "" && !versionStatuses[in.ExpectedStatus] {
		return apperr.Validationf("expectedStatus %q is not a package version status", in.ExpectedStatus)
	}
	return nil
}

func (in BatchInput) names() []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in.Versions {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for v := range in.VersionRevisions {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// preconditions loads every selected version and checks revision and status;
// a version that fails them is reported, the others are returned to act on.
func (s *Service) preconditions(ctx context.Context, k model.PackageKey, in BatchInput) (map[string]model.PackageVersion, map[string]VersionResult, error) {
	ok := map[string]model.PackageVersion{}
	failed := map[string]VersionResult{}
	for _, name := range in.names() {
		v, err := s.Store.GetVersion(ctx, k, name)
		switch {
		case apperr.Is(err, apperr.NotFound):
			failed[name] = VersionResult{Code: ErrNotFound, Message: "version " + name + " not found"}
			continue
		case err != nil:
			return nil, nil, err
		}
		if rev, given := in.VersionRevisions[name]; given && rev != v.Revision {
			failed[name] = VersionResult{Code: ErrMismatchedRevision, Message: "version " + name + " has another revision"}
			continue
		}
		if in.ExpectedStatus != "" && v.Status != in.ExpectedStatus {
			failed[name] = VersionResult{Code: ErrMismatchedStatus, Message: "version " + name + " is " + v.Status + ", not " + in.ExpectedStatus}
			continue
		}
		ok[name] = v
	}
	return ok, failed, nil
}

// allOrNothing reports the versions that would have succeeded as SKIPPED when
// any failed, as AWS currently does.
func allOrNothing(ok map[string]model.PackageVersion, failed map[string]VersionResult) bool {
	if len(failed) == 0 {
		return false
	}
	for name := range ok {
		failed[name] = VersionResult{Code: ErrSkipped, Message: "skipped because another version in the request failed"}
	}
	return true
}

// batch runs what the batch version operations share: validate the batch,
// authorize action on the package, check each version's preconditions, reject
// more (when reject is given and says so) and, unless any version failed,
// apply each remaining one.
func (s *Service) batch(ctx context.Context, c Caller, ref PackageRef, in BatchInput, action string,
	reject func(name string, v model.PackageVersion) (VersionResult, bool),
	apply func(k model.PackageKey, name string, v model.PackageVersion) (VersionResult, error)) (map[string]VersionResult, error) {
	if err := validBatch(in); err != nil {
		return nil, err
	}
	_, k, err := s.packageKey(ctx, c, ref, action)
	if err != nil {
		return nil, err
	}
	ok, failed, err := s.preconditions(ctx, k, in)
	if err != nil {
		return nil, err
	}
	if reject != nil {
		for name, v := range ok {
			if r, rejected := reject(name, v); rejected {
				failed[name] = r
				delete(ok, name)
			}
		}
	}
	if allOrNothing(ok, failed) {
		return failed, nil
	}
	out := map[string]VersionResult{}
	for name, v := range ok {
		r, err := apply(k, name, v)
		if err != nil {
			return nil, err
		}
		out[name] = r
	}
	return out, nil
}

// UpdatePackageVersionsStatus moves versions to Published, Unlisted or Archived.
func (s *Service) UpdatePackageVersionsStatus(ctx context.Context, c Caller, ref PackageRef, in BatchInput, target string) (map[string]VersionResult, error) {
	if target != model.StatusPublished && target != model.StatusUnlisted && target != model.StatusArchived {
		return nil, apperr.Validationf("targetStatus must be Published, Unlisted or Archived, got %q", target)
	}
	return s.batch(ctx, c, ref, in, "codeartifact:UpdatePackageVersionsStatus",
		func(name string, v model.PackageVersion) (VersionResult, bool) {
			if v.Status == model.StatusDisposed || v.Status == model.StatusDeleted {
				return VersionResult{Code: ErrNotAllowed, Message: "version " + name + " is " + v.Status}, true
			}
			return VersionResult{}, false
		},
		func(_ model.PackageKey, _ string, v model.PackageVersion) (VersionResult, error) {
			before := v.Status
			v.Status = target
			if err := s.Store.UpdateVersion(ctx, v); err != nil {
				return VersionResult{}, err
			}
			rec := audit.Version(model.AuditStatus, model.OpUpdated, v, nil)
			rec.Detail.PreviousStatus = before
			s.record(ctx, rec)
			return VersionResult{Revision: v.Revision, Status: v.Status}, nil
		})
}

// DeletePackageVersions removes versions (they may be published again).
func (s *Service) DeletePackageVersions(ctx context.Context, c Caller, ref PackageRef, in BatchInput) (map[string]VersionResult, error) {
	return s.batch(ctx, c, ref, in, "codeartifact:DeletePackageVersions", nil,
		func(k model.PackageKey, name string, v model.PackageVersion) (VersionResult, error) {
			if err := s.Store.DeleteVersion(ctx, k, name); err != nil {
				return VersionResult{}, err
			}
			before := v.Status
			v.Status = model.StatusDeleted
			rec := audit.Version(model.AuditDeleteVersion, model.OpDeleted, v, nil)
			rec.Detail.PreviousStatus = before
			s.record(ctx, rec)
			return VersionResult{Revision: v.Revision, Status: model.StatusDeleted}, nil
		})
}

// DisposePackageVersions marks versions Disposed: listed nowhere, assets no
// longer served (their blobs stay shared by the domain's other references).
func (s *Service) DisposePackageVersions(ctx context.Context, c Caller, ref PackageRef, in BatchInput) (map[string]VersionResult, error) {
	return s.batch(ctx, c, ref, in, "codeartifact:DisposePackageVersions", nil,
		func(_ model.PackageKey, _ string, v model.PackageVersion) (VersionResult, error) {
			before := v.Status
			v.Status = model.StatusDisposed
			if err := s.Store.UpdateVersion(ctx, v); err != nil {
				return VersionResult{}, err
			}
			rec := audit.Version(model.AuditDispose, model.OpUpdated, v, nil)
			rec.Detail.PreviousStatus = before
			s.record(ctx, rec)
			return VersionResult{Revision: v.Revision, Status: v.Status}, nil
		})
}

// DeletePackage deletes a package with all its versions from a repository.
func (s *Service) DeletePackage(ctx context.Context, c Caller, ref PackageRef) (model.Package, error) {
	_, k, err := s.packageKey(ctx, c, ref, "codeartifact:DeletePackage")
	if err != nil {
		return model.Package{}, err
	}
	p, err := s.Store.GetPackage(ctx, k)
	if apperr.Is(err, apperr.NotFound) {
		return model.Package{}, apperr.NotFoundf("package", ref.Package, "Package %s not found in repository %s", ref.Package, ref.Repository)
	} else if err != nil {
		return model.Package{}, err
	}
	// One record (and event) per version, as CodeArtifact sends one event per
	// version of a deleted package; a package without versions gets one record.
	versions, err := s.Store.ListVersions(ctx, k)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return model.Package{}, err
	}
	if err := s.Store.DeletePackage(ctx, k); err != nil {
		return model.Package{}, err
	}
	recs := []model.AuditRecord{{Action: model.AuditDeletePackage, DomainOwner: k.DomainOwner, DomainName: k.DomainName,
		Repository: k.Repository, Format: k.Format, Namespace: k.Namespace, Package: k.Name}}
	if len(versions) > 0 {
		recs = recs[:0]
	}
	for _, v := range versions {
		before := v.Status
		v.Status = model.StatusDeleted
		rec := audit.Version(model.AuditDeletePackage, model.OpDeleted, v, nil)
		rec.Detail.PreviousStatus = before
		recs = append(recs, rec)
	}
	s.record(ctx, recs...)
	return p, nil
}

// CopyInput is CopyPackageVersions' request.
type CopyInput struct {
	BatchInput
	Source, Destination string
	AllowOverwrite      bool
	IncludeFromUpstream bool
}

// CopyPackageVersions copies versions (rows; the blobs are shared in the domain)
// from one repository to another of the same domain.
func (s *Service) CopyPackageVersions(ctx context.Context, c Caller, ref PackageRef, in CopyInput) (map[string]VersionResult, error) {
	if len(in.Versions) > 0 && len(in.VersionRevisions) > 0 {
		return nil, apperr.Validationf("give versions or versionRevisions, not both")
	}
	if err := validBatch(in.BatchInput); err != nil {
		return nil, err
	}
	srcRef := ref
	srcRef.Repository = in.Source
	src, k, err := s.packageKey(ctx, c, srcRef, "codeartifact:CopyPackageVersions")
	if err != nil {
		return nil, err
	}
	dst, err := s.repository(ctx, c, RepoRef{DomainOwner: ref.DomainOwner, Domain: ref.Domain, Repository: in.Destination}, "codeartifact:CopyPackageVersions")
	if err != nil {
		return nil, err
	}
	chain := packages.Chain{Repos: []model.Repository{src}}
	if in.IncludeFromUpstream {
		if chain, err = s.Packages.SearchOrder(ctx, src); err != nil {
			return nil, err
		}
	}
	// The origin rules decide whether versions of the package may enter the
	// destination by a copy (its group's PUBLISH restriction); a refusal is
	// each version's NOT_ALLOWED, as failedVersions reports it.
	refused := s.Packages.Allow(ctx, packages.EntryCopy, dst, k.Format, k.Namespace, k.Name)
	if refused != nil && !apperr.Is(refused, apperr.AccessDenied) {
		return nil, refused
	}
	results := map[string]VersionResult{}
	for _, name := range in.names() {
		hit, err := s.Packages.Find(ctx, chain, k.Format, k.Namespace, k.Name, name)
		if apperr.Is(err, apperr.NotFound) {
			results[name] = VersionResult{Code: ErrNotFound, Message: "version " + name + " not found in " + in.Source}
			continue
		} else if err != nil {
			return nil, err
		}
		v := hit.Version
		if rev, given := in.VersionRevisions[name]; given && rev != v.Revision {
			results[name] = VersionResult{Code: ErrMismatchedRevision, Message: "version " + name + " has another revision"}
			continue
		}
		if in.ExpectedStatus != "" && v.Status != in.ExpectedStatus {
			results[name] = VersionResult{Code: ErrMismatchedStatus, Message: "version " + name + " is " + v.Status}
			continue
		}
		if refused != nil {
			results[name] = VersionResult{Code: ErrNotAllowed, Message: apperr.As(refused).Message}
			continue
		}
		dk := packages.Key(dst, k.Format, k.Namespace, k.Name)
		if _, err := s.Store.GetVersion(ctx, dk, name); err == nil {
			if !in.AllowOverwrite {
				results[name] = VersionResult{Code: ErrAlreadyExists, Message: "version " + name + " already exists in " + in.Destination}
				continue
			}
			if err := s.Store.DeleteVersion(ctx, dk, name); err != nil {
				return nil, err
			}
		}
		assets, err := s.Store.ListAssets(ctx, v.PackageKey, v.Version)
		if err != nil {
			return nil, err
		}
		pkg, err := s.Store.GetPackage(ctx, dk)
		if apperr.Is(err, apperr.NotFound) {
			src, _ := s.Store.GetPackage(ctx, v.PackageKey)
			pkg = model.Package{PackageKey: dk, Origin: src.Origin}
		} else if err != nil {
			return nil, err
		}
		v.PackageKey = dk
		if err := s.Store.CreateVersion(ctx, pkg, v, assets); err != nil {
			return nil, err
		}
		rec := audit.Version(model.AuditCopy, model.OpCreated, v, assets)
		rec.Detail.SourceRepository = hit.Repo.Name
		s.record(ctx, rec)
		results[name] = VersionResult{Revision: v.Revision, Status: v.Status}
	}
	return results, nil
}

// PublishInput is PublishPackageVersion's request (generic packages).
type PublishInput struct {
	PackageRef
	Version    string
	Asset      string
	SHA256     string
	Unfinished bool
	Body       io.Reader
}

// PublishPackageVersion publishes one asset of a generic package version,
// streaming it into the domain's blob store and checking its SHA-256. With
// Unfinished the version stays Unfinished so more assets can be added; the last
// call without it publishes the version.
func (s *Service) PublishPackageVersion(ctx context.Context, c Caller, in PublishInput) (model.PackageVersion, model.Asset, error) {
	if in.Format != string(model.FormatGeneric) {
		return model.PackageVersion{}, model.Asset{}, apperr.Validationf("PublishPackageVersion supports the generic format only, not %q", in.Format)
	}
	if in.Namespace == "" {
		return model.PackageVersion{}, model.Asset{}, apperr.Validationf("generic packages need a namespace")
	}
	if !packageNameRe.MatchString(in.Version) {
		return model.PackageVersion{}, model.Asset{}, apperr.Validationf("version %q must be 1-255 characters without '#', '/' or whitespace", in.Version)
	}
	for what, v := range map[string]string{"namespace": in.Namespace, "package": in.Package, "version": in.Version} {
		if v == "." || v == ".." {
			return model.PackageVersion{}, model.Asset{}, apperr.Validationf("%s must not be %q", what, v)
		}
	}
	if err := checkGenericAssetName(in.Asset); err != nil {
		return model.PackageVersion{}, model.Asset{}, err
	}
	if len(in.SHA256) != 64 {
		return model.PackageVersion{}, model.Asset{}, apperr.Validationf("x-amz-content-sha256 must be the 64-hex-digit SHA-256 of the asset")
	}
	repo, k, err := s.packageKey(ctx, c, in.PackageRef, "codeartifact:PublishPackageVersion")
	if err != nil {
		return model.PackageVersion{}, model.Asset{}, err
	}
	// Refusals are decided before the bytes are stored, so they leave no blob.
	chain, err := s.Packages.SearchOrder(ctx, repo)
	if err != nil {
		return model.PackageVersion{}, model.Asset{}, err
	}
	if err := s.Packages.CheckPublish(ctx, chain, k.Format, k.Namespace, k.Name, in.Version); err != nil {
		return model.PackageVersion{}, model.Asset{}, err
	}
	body := in.Body
	if s.MaxAssetBytes > 0 {
		// The asset is bounded here too, not only by how the request body was
		// read for its signature: the service must not depend on that.
		body = blob.LimitReader(body, s.MaxAssetBytes)
	}
	asset, err := s.Packages.PutAsset(ctx, repo, in.Asset, body, in.SHA256)
	if err != nil {
		return model.PackageVersion{}, model.Asset{}, err
	}
	status := model.StatusPublished
	if in.Unfinished {
		status = model.StatusUnfinished
	}
	existing, err := s.Store.GetVersion(ctx, k, in.Version)
	switch {
	case apperr.Is(err, apperr.NotFound):
		v, err := s.Packages.Publish(ctx, chain, model.PackageVersion{PackageKey: k, Version: in.Version, Status: status, DisplayName: k.Name}, []model.Asset{asset})
		return v, asset, err
	case err != nil:
		return model.PackageVersion{}, model.Asset{}, err
	}
	if existing.Status != model.StatusUnfinished {
		// A finished version accepts no new assets; re-sending one it has is idempotent.
		if a, err := s.Packages.Asset(ctx, k, in.Version, in.Asset); err == nil && a.Hashes.SHA256 == asset.Hashes.SHA256 {
			return existing, a, nil
		}
		return model.PackageVersion{}, model.Asset{}, apperr.Conflictf("package-version", in.Version, "Version %s of %s/%s is %s; assets can only be added while it is Unfinished", in.Version, k.Namespace, k.Name, existing.Status)
	}
	if err := s.Store.AddAsset(ctx, k, in.Version, asset); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return model.PackageVersion{}, model.Asset{}, apperr.Conflictf("asset", in.Asset, "Asset %s already exists in version %s with other content", in.Asset, in.Version)
		}
		return model.PackageVersion{}, model.Asset{}, err
	}
	before := existing.Status
	if !in.Unfinished {
		existing.Status = model.StatusPublished
		existing.Revision = packages.NewRevision()
		if err := s.Store.UpdateVersion(ctx, existing); err != nil {
			return model.PackageVersion{}, model.Asset{}, err
		}
	}
	rec := audit.Version(model.AuditAddAsset, model.OpUpdated, existing, []model.Asset{asset})
	rec.Detail.PreviousStatus = before
	s.record(ctx, rec)
	return existing, asset, nil
}

// checkGenericAssetName applies the CodeArtifact User Guide's rules for generic
// asset names: 1-255 characters, each a Unicode letter (Ll, Lm, Lo, Lt, Lu), a
// letter number (Nl), a decimal digit (Nd), a space, or one of
// ~!@^&()-_+[]{};,. ; not "." or ".."; no leading, trailing or doubled space.
// So a name can never be a path ("../../x", "a/b") wherever it ends up.
func checkGenericAssetName(name string) error {
	bad := func(why string) error {
		return apperr.Validationf("asset name %q is invalid: %s", name, why)
	}
	if name == "" || utf8.RuneCountInString(name) > 255 {
		return bad("it must be 1-255 characters")
	}
	if name == "." || name == ".." {
		return bad(`it must not be "." or ".."`)
	}
	if strings.HasPrefix(name, " ") || strings.HasSuffix(name, " ") || strings.Contains(name, "  ") {
		return bad("spaces may not lead, trail or repeat")
	}
	for _, r := range name {
		switch {
		case r == utf8.RuneError:
			return bad("it is not valid UTF-8")
		case unicode.In(r, unicode.Ll, unicode.Lm, unicode.Lo, unicode.Lt, unicode.Lu, unicode.Nl, unicode.Nd):
		case r == ' ' || strings.ContainsRune("~!@^&()-_+[]{};,.", r):
		default:
			return bad(fmt.Sprintf("character %q is not allowed (letters, digits, spaces and ~!@^&()-_+[]{};,. are)", r))
		}
	}
	return nil
}
