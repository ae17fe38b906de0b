package sealed

import (
	"context"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// sweepDone is the cache entry that records a finished Sweep, so later starts
// cost one lookup. Losing it only makes the next start sweep again (idempotent).
const sweepDone = "wharf|sealed-sweep|v1"

// Sweep is the data migration that seals what an earlier wharf stored in
// plaintext: every access key's secret and every package version's content.
// Rows already sealed are left alone, so it can be interrupted and rerun. A
// domain whose key is unusable (disabled KMS key) keeps its plaintext rows until
// a later start. It reports how many rows it sealed.
func (s *Store) Sweep(ctx context.Context) (secrets, versions int, err error) {
	if _, err := s.Store.GetCache(ctx, sweepDone); err == nil {
		return 0, 0, nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return 0, 0, err
	}
	ids, err := s.Store.ListAccessKeyIDs(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, id := range ids {
		k, sealed, err := s.getAccessKey(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return secrets, versions, err
		}
		if !sealed {
			if err := s.PutAccessKey(ctx, k); err != nil {
				return secrets, versions, err
			}
			secrets++
		}
	}
	complete := true
	err = s.eachVersion(ctx, func(v model.PackageVersion) error {
		if sealedVersion(v) {
			return nil
		}
		if err := s.UpdateVersion(ctx, v); err != nil {
			if apperr.Is(err, apperr.NotFound) {
				return nil // deleted meanwhile
			}
			if apperr.Is(err, apperr.Validation) { // the domain's key is not usable now
				complete = false
				return nil
			}
			return err
		}
		versions++
		return nil
	})
	if err != nil {
		return secrets, versions, err
	}
	if secrets+versions > 0 {
		// The plaintext the rows held may still sit in a write-ahead log.
		if c, ok := s.Store.(interface{ Checkpoint(context.Context) error }); ok {
			if err := c.Checkpoint(ctx); err != nil {
				return secrets, versions, err
			}
		}
	}
	if complete {
		err = s.Store.PutCache(ctx, model.CacheEntry{Key: sweepDone, Status: 200, FetchedAt: time.Now().UTC()})
	}
	return secrets, versions, err
}

// eachVersion calls fn with every stored version as stored (not opened).
func (s *Store) eachVersion(ctx context.Context, fn func(model.PackageVersion) error) error {
	const page = 500
	var rcur string
	for {
		repos, next, err := s.Store.ListRepositories(ctx, store.RepositoryFilter{}, store.Page{Cursor: rcur, Limit: page})
		if err != nil {
			return err
		}
		for _, r := range repos {
			var pcur string
			for {
				pkgs, pnext, err := s.Store.ListPackages(ctx, r.DomainOwner, r.DomainName, r.Name, store.PackageFilter{}, store.Page{Cursor: pcur, Limit: page})
				if err != nil {
					return err
				}
				for _, p := range pkgs {
					vs, err := s.Store.ListVersions(ctx, p.PackageKey)
					if err != nil && !apperr.Is(err, apperr.NotFound) {
						return err
					}
					for _, v := range vs {
						if err := fn(v); err != nil {
							return err
						}
					}
				}
				if pnext == "" {
					break
				}
				pcur = pnext
			}
		}
		if next == "" {
			return nil
		}
		rcur = next
	}
}
