package packages

import (
	"context"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// CheckPublishFile answers, before any bytes are written, whether PublishFile
// would accept a file named file for the version: the same origin, status,
// shadowing and existing-file rules, read from the store. Upload handlers call
// it first so a refused upload leaves no unreferenced blob behind. It is a
// pre-check, not a lock: PublishFile still decides (two racing uploads can both
// pass here, and the loser's blob is then orphaned).
func (e *Engine) CheckPublishFile(ctx context.Context, c Chain, f model.Format, ns, name, version, file string) error {
	repo := c.Repos[0]
	k := Key(repo, f, ns, name)
	dn := displayName(f, ns, name)
	pkg, err := e.Store.GetPackage(ctx, k)
	switch {
	case apperr.Is(err, apperr.NotFound):
		// A new package: publish=ALLOW, upstream=BLOCK; nothing can refuse it.
		return nil
	case err != nil:
		return err
	}
	if pkg.Origin.Publish == model.Block {
		return apperr.New(apperr.AccessDenied,
			"Publishing %s to repository %s is blocked by its package origin configuration (publish=BLOCK)", dn, repo.Name)
	}
	cur, err := e.Store.GetVersion(ctx, k, version)
	if apperr.Is(err, apperr.NotFound) {
		if pkg.Origin.Upstream == model.Allow {
			for _, r := range c.Repos[1:] {
				if _, err := e.Store.GetVersion(ctx, Key(r, f, ns, name), version); err == nil {
					return apperr.Conflictf("package-version", version,
						"Version %s of %s exists in upstream repository %s and cannot be published to %s", version, dn, r.Name, repo.Name)
				}
			}
		}
		return nil
	}
	if err != nil {
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
