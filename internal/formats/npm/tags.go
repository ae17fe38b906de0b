package npm

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// KV is the key-value part of the metadata store (store.Store satisfies it).
type KV interface {
	GetCache(ctx context.Context, key string) (model.CacheEntry, error)
	PutCache(ctx context.Context, e model.CacheEntry) error
}

// tagStore keeps the dist-tags set in each repository (by publish and `npm
// dist-tag`) as one small JSON document per package, in the store's key-value
// table under "npm-dist-tags|…" (disjoint from the upstream cache's "meta|…"
// keys). Tags that point at a version the repository no longer shows are
// dropped when read, so a deleted version takes its tags with it.
//
// Why not a table of its own: the store interface is shared by several
// backends; this keeps npm's one extra need out of it until a second format
// wants tags. Updates are serialized per process (read-modify-write).
type tagStore struct {
	kv KV
	mu sync.Mutex
}

func tagKey(k model.PackageKey) string {
	return "npm-dist-tags|" + k.DomainOwner + "|" + k.DomainName + "|" + k.Repository + "|" + k.Namespace + "|" + k.Name
}

func (t *tagStore) get(ctx context.Context, k model.PackageKey) (map[string]string, error) {
	e, err := t.kv.GetCache(ctx, tagKey(k))
	if apperr.Is(err, apperr.NotFound) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	if err := json.Unmarshal(e.Body, &tags); err != nil {
		return nil, apperr.New(apperr.Internal, "stored dist-tags of %s are unreadable", k.Name).Wrap(err)
	}
	return tags, nil
}

// update applies fn to the stored tags of k and writes them back.
func (t *tagStore) update(ctx context.Context, k model.PackageKey, fn func(map[string]string)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	tags, err := t.get(ctx, k)
	if err != nil {
		return err
	}
	fn(tags)
	body, err := json.Marshal(tags)
	if err != nil {
		return err
	}
	return t.kv.PutCache(ctx, model.CacheEntry{Key: tagKey(k), Body: body, Status: http.StatusOK, FetchedAt: time.Now().UTC()})
}
