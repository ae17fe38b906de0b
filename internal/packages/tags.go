package packages

import (
	"context"

	"github.com/wharf-dev/wharf/internal/model"
)

// Dist-tags (npm) are package state kept per repository; handlers reach them
// through the engine, never the store.

// DistTags merges the tags of a package held by repos (a Resolution's Repos),
// the nearest repository's tag winning.
func (e *Engine) DistTags(ctx context.Context, repos []model.Repository, f model.Format, ns, name string) (map[string]string, error) {
	out := map[string]string{}
	for _, r := range repos {
		t, err := e.Store.GetDistTags(ctx, Key(r, f, ns, name))
		if err != nil {
			return nil, err
		}
		for tag, v := range t {
			if _, set := out[tag]; !set {
				out[tag] = v
			}
		}
	}
	return out, nil
}

// SetDistTags sets tags of a package in repo.
func (e *Engine) SetDistTags(ctx context.Context, repo model.Repository, f model.Format, ns, name string, tags map[string]string) error {
	return e.Store.SetDistTags(ctx, Key(repo, f, ns, name), tags)
}

// DeleteDistTag removes a tag of a package in repo (apperr.NotFound when unset).
func (e *Engine) DeleteDistTag(ctx context.Context, repo model.Repository, f model.Format, ns, name, tag string) error {
	return e.Store.DeleteDistTag(ctx, Key(repo, f, ns, name), tag)
}

// Version reads one version with everything stored about it (a readme, which
// version listings leave out).
func (e *Engine) Version(ctx context.Context, k model.PackageKey, version string) (model.PackageVersion, error) {
	return e.Store.GetVersion(ctx, k, version)
}
