package packages

import (
	"context"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/model"
)

// This file serves formats whose versions are built up one file at a time
// (PyPI: a wheel, then an sdist, each its own upload; Maven: pom, jar, sources,
// each its own PUT). Publish and Ingest take a version with all its assets at
// once; these add one file to a version that may already exist.

// PublishFile records one file of a version published directly to the chain's
// first repository. The first file creates the version through Publish (origin
// controls and upstream shadowing checked there); later files are appended to
// it. A file name the version already has is a Conflict, whatever its content:
// published files are immutable. It returns the version as stored and whether
// this call created it.
func (e *Engine) PublishFile(ctx context.Context, c Chain, v model.PackageVersion, a model.Asset) (model.PackageVersion, bool, error) {
	repo := c.Repos[0]
	k := Key(repo, v.Format, v.Namespace, v.Name)
	cur, err := e.Store.GetVersion(ctx, k, v.Version)
	if apperr.Is(err, apperr.NotFound) {
		pv, err := e.Publish(ctx, c, v, []model.Asset{a})
		if apperr.Is(err, apperr.Conflict) {
			// Lost a race with a concurrent first file of the same version, or the
			// version exists upstream: re-check which.
			if _, gerr := e.Store.GetVersion(ctx, k, v.Version); gerr == nil {
				return e.PublishFile(ctx, c, v, a)
			}
		}
		return pv, err == nil, err
	}
	if err != nil {
		return model.PackageVersion{}, false, err
	}
	name := displayName(v.Format, v.Namespace, v.Name)
	if err := e.Allow(ctx, EntryPublish, repo, v.Format, v.Namespace, v.Name); err != nil {
		return model.PackageVersion{}, false, err
	}
	if cur.Origin.Type == model.OriginExternal || (cur.Origin.Repository != "" && cur.Origin.Repository != repo.Name) {
		return model.PackageVersion{}, false, apperr.Conflictf("package-version", v.Version,
			"Version %s of %s in repository %s came from upstream; files cannot be added to it", v.Version, name, repo.Name)
	}
	if cur.Status != model.StatusPublished && cur.Status != model.StatusUnfinished {
		return model.PackageVersion{}, false, apperr.Conflictf("package-version", v.Version,
			"Version %s of %s in repository %s is %s; files cannot be added to it", v.Version, name, repo.Name, cur.Status)
	}
	if _, err := e.Asset(ctx, k, v.Version, a.Name); err == nil {
		return model.PackageVersion{}, false, apperr.Conflictf("asset", a.Name,
			"File already exists: %s in version %s of %s in repository %s", a.Name, v.Version, name, repo.Name)
	} else if !apperr.Is(err, apperr.NotFound) {
		return model.PackageVersion{}, false, err
	}
	if err := e.Store.AddAsset(ctx, k, v.Version, a); err != nil {
		return model.PackageVersion{}, false, err
	}
	e.Audit.Record(ctx, audit.Version(model.AuditAddAsset, model.OpUpdated, cur, []model.Asset{a}))
	return cur, false, nil
}

// IngestFile stores one file of a version fetched through an external
// connection, as Ingest does for a whole version: in the repository holding the
// connection and in the requesting repository, creating the version row where it
// is missing and appending the file where the version is already there.
func (e *Engine) IngestFile(ctx context.Context, requester model.Repository, hop ExternalHop, v model.PackageVersion, a model.Asset) error {
	if err := e.Ingest(ctx, requester, hop, v, []model.Asset{a}); err != nil {
		return err
	}
	repos := []model.Repository{hop.Holder}
	if requester.Name != hop.Holder.Name {
		repos = append(repos, requester)
	}
	for _, r := range repos {
		// Ingest kept an existing version as it was; append the file to it. An
		// asset of that name with the same content is a no-op.
		if err := e.Store.AddAsset(ctx, Key(r, v.Format, v.Namespace, v.Name), v.Version, a); err != nil && !apperr.Is(err, apperr.Conflict) {
			return err
		}
	}
	return nil
}

// RetainFile is Retain for a version whose files arrive one by one: after
// copying the version row it also appends a, which an earlier Retain of the same
// version may not have carried.
func (e *Engine) RetainFile(ctx context.Context, requester model.Repository, hit Hit, a model.Asset) error {
	if err := e.Retain(ctx, requester, hit); err != nil || hit.Repo.Name == requester.Name {
		return err
	}
	if err := e.hold(ctx, requester, []model.Asset{a}); err != nil {
		return err
	}
	err := e.Store.AddAsset(ctx, Key(requester, hit.Version.Format, hit.Version.Namespace, hit.Version.Name), hit.Version.Version, a)
	if apperr.Is(err, apperr.Conflict) {
		return nil
	}
	return err
}

// Assets lists the files of a version found in the chain.
func (e *Engine) Assets(ctx context.Context, hit Hit) ([]model.Asset, error) {
	return e.Store.ListAssets(ctx, hit.Version.PackageKey, hit.Version.Version)
}

// Amend changes a version held in repo in place (status, metadata from a file
// that arrived after the first), giving it a new revision.
func (e *Engine) Amend(ctx context.Context, repo model.Repository, f model.Format, ns, name, version string, change func(*model.PackageVersion)) (model.PackageVersion, error) {
	v, err := e.Store.GetVersion(ctx, Key(repo, f, ns, name), version)
	if err != nil {
		return model.PackageVersion{}, err
	}
	before := v.Status
	change(&v)
	v.Revision = NewRevision()
	if err := e.Store.UpdateVersion(ctx, v); err != nil {
		return v, err
	}
	action := model.AuditUpdate
	if v.Status != before {
		action = model.AuditStatus
	}
	rec := audit.Version(action, model.OpUpdated, v, nil)
	rec.Detail.PreviousStatus = before
	e.Audit.Record(ctx, rec)
	return v, nil
}
