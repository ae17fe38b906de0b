package packages

import (
	"context"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/model"
)

// Publish records a version published directly to repo, with its assets (already
// in the blob store), after the origin controls allow it:
//   - the package's publish restriction must be ALLOW (a package first ingested
//     from a public registry defaults to publish=BLOCK: the dependency-confusion
//     defence);
//   - the version must not exist in repo (409);
//   - with upstream=ALLOW, the version must not be reachable through an upstream
//     repository either (409), so a private publish cannot shadow one.
//
// A new package gets publish=ALLOW, upstream=BLOCK, as in CodeArtifact.
func (e *Engine) Publish(ctx context.Context, c Chain, v model.PackageVersion, assets []model.Asset) (model.PackageVersion, error) {
	repo := c.Repos[0]
	k := Key(repo, v.Format, v.Namespace, v.Name)
	pkg, err := e.Store.GetPackage(ctx, k)
	switch {
	case apperr.Is(err, apperr.NotFound):
		pkg = model.Package{PackageKey: k, Origin: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Block}}
	case err != nil:
		return model.PackageVersion{}, err
	}
	if pkg.Origin.Publish == model.Block {
		return model.PackageVersion{}, apperr.New(apperr.AccessDenied,
			"Publishing %s to repository %s is blocked by its package origin configuration (publish=BLOCK)", displayName(v.Format, v.Namespace, v.Name), repo.Name)
	}
	if _, err := e.Store.GetVersion(ctx, k, v.Version); err == nil {
		return model.PackageVersion{}, apperr.Conflictf("package-version", v.Version, "Version %s of %s already exists in repository %s", v.Version, displayName(v.Format, v.Namespace, v.Name), repo.Name)
	} else if !apperr.Is(err, apperr.NotFound) {
		return model.PackageVersion{}, err
	}
	if pkg.Origin.Upstream == model.Allow && len(c.Repos) > 1 {
		for _, r := range c.Repos[1:] {
			if _, err := e.Store.GetVersion(ctx, Key(r, v.Format, v.Namespace, v.Name), v.Version); err == nil {
				return model.PackageVersion{}, apperr.Conflictf("package-version", v.Version,
					"Version %s of %s exists in upstream repository %s and cannot be published to %s", v.Version, displayName(v.Format, v.Namespace, v.Name), r.Name, repo.Name)
			}
		}
	}
	v.PackageKey = k
	v.Origin = model.VersionOrigin{Type: model.OriginInternal, Repository: repo.Name}
	if v.Status == "" {
		v.Status = model.StatusPublished
	}
	if v.Revision == "" {
		v.Revision = NewRevision()
	}
	if v.PublishedAt.IsZero() {
		v.PublishedAt = e.now()
	}
	if err := e.Store.CreateVersion(ctx, pkg, v, assets); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return model.PackageVersion{}, apperr.Conflictf("package-version", v.Version, "Version %s of %s already exists in repository %s", v.Version, displayName(v.Format, v.Namespace, v.Name), repo.Name)
		}
		return model.PackageVersion{}, err
	}
	e.Audit.Record(ctx, audit.Version(model.AuditPublish, model.OpCreated, v, assets))
	return v, nil
}
