package swift

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/gencache"
	"github.com/wharf-dev/wharf/internal/model"
)

// IdentifiersIndexBytes bounds the identifiers indexes kept per process.
const IdentifiersIndexBytes = 16 << 20

// urlIndex maps each canonical repository URL (CanonicalURL) that a
// package's visible releases list to the packages' identifiers, in the
// order the chain's package names come.
type urlIndex struct {
	ids  map[string][]string
	size int64
}

// buildURLIndex reads every swift package of req's repository's chain once.
func (h *Handler) buildURLIndex(ctx context.Context, repo model.Repository) (*urlIndex, error) {
	h.indexBuilds.Add(1)
	chain, err := h.Engine.SearchOrder(ctx, repo)
	if err != nil {
		return nil, err
	}
	names, err := h.Engine.PackageNames(ctx, chain, model.FormatSwift)
	if err != nil {
		return nil, err
	}
	x := &urlIndex{ids: map[string][]string{}, size: 256}
	for _, n := range names {
		scope, name, ok := strings.Cut(n, "/")
		if !ok {
			continue
		}
		_, rels, err := h.releasesIn(ctx, chain, scope, name)
		if err != nil {
			return nil, err
		}
		// One identifier per package and URL, spelled as its last matching
		// release was published.
		id := map[string]string{}
		for _, rel := range rels {
			for _, u := range rel.RepositoryURLs {
				if c := CanonicalURL(u); c != "" {
					id[c] = ID(rel.Scope, rel.Name)
				}
			}
		}
		for c, v := range id {
			x.ids[c] = append(x.ids[c], v)
			x.size += int64(len(c) + len(v) + 64)
		}
	}
	return x, nil
}

// indexCache keeps one urlIndex per repository, valid for one domain
// generation: every publish, status change, deletion, upstream or origin
// change in the domain bumps it (on every replica with PostgreSQL), and Swift
// has no external connection, so nothing else changes what it reflects. One
// index may take half the budget.
type indexCache = gencache.Cache[*urlIndex]

func newIndexCache(maxBytes int64) *indexCache {
	return gencache.New(maxBytes, maxBytes/2, func(x *urlIndex) int64 { return x.size })
}

// SetIndexBytes bounds the identifiers indexes kept (default
// IdentifiersIndexBytes; negative keeps none). Call it before serving.
func (h *Handler) SetIndexBytes(n int64) {
	h.index = nil
	if n > 0 {
		h.index = newIndexCache(n)
	}
}

// IndexStats reports the identifiers indexes kept and their bytes.
func (h *Handler) IndexStats() (entries int, bytes int64) { return h.index.Stats() }

// identifiersFor answers the identifiers lookup for a canonical URL from the
// repository's index, built when the domain changed since it was last built.
func (h *Handler) identifiersFor(ctx context.Context, repo model.Repository, want string) ([]string, error) {
	// Read before anything the index is built from.
	gen, err := h.Engine.Generation(ctx, repo)
	if err != nil {
		return nil, err
	}
	key := repo.DomainOwner + "/" + repo.DomainName + "/" + repo.Name
	x, _ := h.index.Get(key, gen)
	if x == nil {
		if x, err = h.buildURLIndex(ctx, repo); err != nil {
			return nil, err
		}
		h.index.Put(key, gen, x)
	}
	return x.ids[want], nil
}
