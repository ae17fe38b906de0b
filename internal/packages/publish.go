package packages

import (
	"context"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/model"
)

// Publish records a version published directly to repo, with its assets (already
// in the blob store), after the origin rules allow it:
//   - the version must not exist in repo (409);
//   - Allow (EntryPublish) must let it in: the package's publish restriction
//     (a package first ingested from a public registry defaults to
//     publish=BLOCK: the dependency-confusion defence), then its group's PUBLISH;
//   - the version must not be reachable through the chain — an upstream
//     repository or an external connection's registry (409), so a private
//     publish cannot shadow one (see publishable).
//
// A new package gets publish=ALLOW, upstream=BLOCK, as in CodeArtifact.
func (e *Engine) Publish(ctx context.Context, c Chain, v model.PackageVersion, assets []model.Asset) (model.PackageVersion, error) {
	repo := c.Repos[0]
	k := Key(repo, v.Format, v.Namespace, v.Name)
	if _, err := e.Store.GetVersion(ctx, k, v.Version); err == nil {
		return model.PackageVersion{}, apperr.Conflictf("package-version", v.Version, "Version %s of %s already exists in repository %s", v.Version, displayName(v.Format, v.Namespace, v.Name), repo.Name)
	} else if !apperr.Is(err, apperr.NotFound) {
		return model.PackageVersion{}, err
	}
	if err := e.publishable(ctx, c, v.Format, v.Namespace, v.Name, v.Version); err != nil {
		return model.PackageVersion{}, err
	}
	pkg, err := e.Store.GetPackage(ctx, k)
	switch {
	case apperr.Is(err, apperr.NotFound):
		pkg = model.Package{PackageKey: k, Origin: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Block}}
	case err != nil:
		return model.PackageVersion{}, err
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
