package packages

import (
	"context"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// CheckPublishFile answers, before any bytes are written, whether PublishFile
// would accept a file named file for the version: the same origin rules,
// status, shadowing and existing-file rules. Upload handlers call
// it first so a refused upload leaves no unreferenced blob behind. It is a
// pre-check, not a lock: PublishFile still decides (two racing uploads can both
// pass here, and the loser's blob is then orphaned).
func (e *Engine) CheckPublishFile(ctx context.Context, c Chain, f model.Format, ns, name, version, file string) error {
	repo := c.Repos[0]
	k := Key(repo, f, ns, name)
	dn := displayName(f, ns, name)
	cur, err := e.Store.GetVersion(ctx, k, version)
	if apperr.Is(err, apperr.NotFound) {
		return e.publishable(ctx, c, f, ns, name, version)
	}
	if err != nil {
		return err
	}
	if err := e.Allow(ctx, EntryPublish, repo, f, ns, name); err != nil {
		return err
	}
	if cur.Origin.Type == model.OriginExternal || (cur.Origin.Repository != "" && cur.Origin.Repository != repo.Name) {
		return apperr.Conflictf("package-version", version,
			"Version %s of %s in repository %s came from upstream; files cannot be added to it", version, dn, repo.Name)
	}
	if cur.Status != model.StatusPublished && cur.Status != model.StatusUnfinished {
		return apperr.Conflictf("package-version", version,
			"Version %s of %s in repository %s is %s; files cannot be added to it", version, dn, repo.Name, cur.Status)
	}
	if _, err := e.Asset(ctx, k, version, file); err == nil {
		return apperr.Conflictf("asset", file,
			"File already exists: %s in version %s of %s in repository %s", file, version, dn, repo.Name)
	} else if !apperr.Is(err, apperr.NotFound) {
		return err
	}
	return nil
}

// CheckPublish answers, before any bytes are written, whether a publish of
// version into the chain's first repository would pass the origin rules and
// the shadowing check (a new version) or the origin rules alone (adding to a
// version the repository has). The API's PublishPackageVersion calls it so a
// refused publish leaves no blob behind.
func (e *Engine) CheckPublish(ctx context.Context, c Chain, f model.Format, ns, name, version string) error {
	repo := c.Repos[0]
	_, err := e.Store.GetVersion(ctx, Key(repo, f, ns, name), version)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return e.publishable(ctx, c, f, ns, name, version)
	case err != nil:
		return err
	}
	return e.Allow(ctx, EntryPublish, repo, f, ns, name)
}
