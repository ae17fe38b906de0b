// Package cached is a read cache in front of a store.Store for the hot read
// path (package endpoints, token checks, the control plane's lookups). It caches
// inputs — domains, repositories, policies, packages, versions, assets,
// dist-tags, tokens — never decisions, and invalidates them by a per-domain
// generation: every write through this decorator that changes what a domain
// serves bumps the domain's generation, and an entry is served only while the
// generation it was filled under is still current.
//
// Two modes:
//
//   - Local (SQLite: this process is the only writer of what is cached): the
//     generations live in memory; checking one costs a map lookup.
//   - Shared (PostgreSQL: several replicas on one database): the generation is
//     the store's (store.Store.BumpGeneration after each write), read at most once
//     per request and domain (see WithRequest), so a change made through replica A
//     is seen by the very next request on replica B. The bump follows the write's
//     commit and precedes its answer; a replica that dies between the two leaves
//     the others with entries that only MaxAge retires, which is why shared
//     entries also age out.
//
// Correct ordering: a lookup reads the generation BEFORE it loads from the
// store and files the value under that generation, so a value loaded while a
// write commits is either filed under the old generation (and never served
// after the bump) or is already the new value.
//
// Values returned from the cache are shared between callers: slices and the
// structs they hold must not be modified (dist-tag maps are copied).
package cached

import (
	"context"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// Options configure the cache.
type Options struct {
	// Shared says other processes write the same database (PostgreSQL replicas):
	// generations are then read from and bumped in the store.
	Shared bool
	// MaxBytes bounds the cached values' estimated size (default 32 MiB).
	MaxBytes int64
	// MaxAge retires entries in shared mode whatever the generation says (default
	// 30 s): the backstop for a replica dying between a write and its bump.
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// IAMChangeFile (local mode) is where other processes writing IAM
	// entities to the same SQLite database announce it (IAMWrites with the
	// same path; iam.go). "" when no other process writes them.
	IAMChangeFile string
}

// Store is the caching decorator; it implements store.Store.
type Store struct {
	inner store.Store
	opt   Options

	// Local mode: the generations. Every cached lookup reads one (a cached
	// package GET a dozen), and an RWMutex's read lock is a write to a
	// cache line all cores share; a counter per domain, in a map replaced
	// whole (under genMu) only when a domain is first bumped, is read
	// without a lock.
	genMu sync.Mutex
	gens  atomic.Pointer[map[domKey]*atomic.Int64]

	mu    sync.RWMutex
	m     map[string]*entry
	bytes int64

	iam     iamMemo     // MemoIAM's answers (iam.go)
	iamFile *changeFile // Options.IAMChangeFile's reader (local mode)
}

var _ store.Store = (*Store)(nil)

type domKey struct{ owner, name string }

type entry struct {
	dom  domKey
	gen  int64
	at   time.Time
	val  any
	err  error // a cached NotFound
	size int64
}

// New wraps inner.
func New(inner store.Store, o Options) *Store {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 32 << 20
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{inner: inner, opt: o, m: map[string]*entry{}}
	s.gens.Store(&map[domKey]*atomic.Int64{})
	if !o.Shared && o.IAMChangeFile != "" {
		s.iamFile = &changeFile{path: o.IAMChangeFile}
	}
	return s
}

// Inner is the wrapped store.
func (s *Store) Inner() store.Store { return s.inner }

// requestGens memoizes shared generations for one request.
type requestGens struct {
	mu sync.Mutex
	m  map[domKey]int64
}

type reqKey struct{}

// WithRequest returns a context under which each domain's shared generation is
// read from the store at most once (the first time a cached lookup needs it).
// wharf's HTTP middleware wraps every request in it; without it, every cached
// lookup in shared mode reads the generation.
func WithRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, reqKey{}, &requestGens{m: map[domKey]int64{}})
}

// Refresh makes the request under ctx read every shared generation again at
// its next lookup. A request calls it after it waited for work done elsewhere
// (another replica's upstream fetch, an in-process flight it joined): what it
// memoized before may have changed, and a NotFound cached under the old
// generation would hide what the other side just stored.
func Refresh(ctx context.Context) {
	if rg, _ := ctx.Value(reqKey{}).(*requestGens); rg != nil {
		rg.mu.Lock()
		clear(rg.m)
		rg.mu.Unlock()
	}
}

// Generation returns the domain's current generation: callers that cache
// something derived from this store's contents (rendered documents) key it
// with this value, read before they read the store.
func (s *Store) Generation(ctx context.Context, owner, domain string) (int64, error) {
	return s.gen(ctx, domKey{owner, domain})
}

func (s *Store) gen(ctx context.Context, d domKey) (int64, error) {
	if !s.opt.Shared {
		if c := (*s.gens.Load())[d]; c != nil {
			return c.Load(), nil
		}
		return 0, nil // never bumped
	}
	rg, _ := ctx.Value(reqKey{}).(*requestGens)
	if rg != nil {
		rg.mu.Lock()
		g, ok := rg.m[d]
		rg.mu.Unlock()
		if ok {
			return g, nil
		}
	}
	g, err := s.inner.Generation(ctx, d.owner, d.name)
	if err != nil {
		return 0, err
	}
	if rg != nil {
		rg.mu.Lock()
		rg.m[d] = g
		rg.mu.Unlock()
	}
	return g, nil
}

// BumpGeneration implements store.Store: it invalidates everything cached for
// the domain (in this process, and in shared mode on every replica).
func (s *Store) BumpGeneration(ctx context.Context, owner, domain string) (int64, error) {
	return s.bump(ctx, domKey{owner, domain})
}

func (s *Store) bump(ctx context.Context, d domKey) (int64, error) {
	if rg, _ := ctx.Value(reqKey{}).(*requestGens); rg != nil {
		// The request that wrote reads its own write: forget its memo.
		rg.mu.Lock()
		delete(rg.m, d)
		rg.mu.Unlock()
	}
	if !s.opt.Shared {
		if c := (*s.gens.Load())[d]; c != nil {
			return c.Add(1), nil
		}
		s.genMu.Lock()
		defer s.genMu.Unlock()
		cur := *s.gens.Load()
		if c := cur[d]; c != nil { // bumped first by another writer meanwhile
			return c.Add(1), nil
		}
		next := make(map[domKey]*atomic.Int64, len(cur)+1)
		maps.Copy(next, cur)
		c := &atomic.Int64{}
		c.Store(1)
		next[d] = c
		s.gens.Store(&next)
		return 1, nil
	}
	return s.inner.BumpGeneration(ctx, d.owner, d.name)
}

// after bumps the domain's generation once a write returned, whatever its
// error (a failed write may still have changed something, e.g. a timeout after
// commit); the write's own error wins.
func (s *Store) after(ctx context.Context, d domKey, err error) error {
	if _, berr := s.bump(context.WithoutCancel(ctx), d); berr != nil && err == nil {
		return berr
	}
	return err
}

// lookup serves key from the cache or loads it. Only values and NotFound
// errors are cached.
// cacheKey appends parts to b, separated by '|'. Callers build a key into a
// stack array and lookup indexes the map with string(key), which Go does
// without allocating: only a miss stores the key as a string. Building every
// key with + was 4 % of a cached tarball GET's CPU.
func cacheKey(b []byte, parts ...string) []byte {
	for i, p := range parts {
		if i > 0 {
			b = append(b, '|')
		}
		b = append(b, p...)
	}
	return b
}

// keyBytes is the room on the stack for a key (a longer one moves to the heap).
const keyBytes = 256

func lookup[T any](s *Store, ctx context.Context, d domKey, key []byte, size func(T) int64, load func() (T, error)) (T, error) {
	g, err := s.gen(ctx, d)
	if err != nil {
		var zero T
		return zero, err
	}
	var now time.Time // an entry's age matters in shared mode only: no clock read otherwise
	if s.opt.Shared {
		now = s.opt.Now()
	}
	s.mu.RLock()
	e := s.m[string(key)]
	s.mu.RUnlock()
	if e != nil && e.gen == g && e.dom == d && (!s.opt.Shared || now.Sub(e.at) < s.opt.MaxAge) {
		if e.err != nil {
			var zero T
			return zero, e.err
		}
		return e.val.(T), nil
	}
	v, err := load()
	switch {
	case err == nil:
		s.put(string(key), &entry{dom: d, gen: g, at: now, val: v, size: size(v) + int64(len(key)) + 64})
	case apperr.Is(err, apperr.NotFound):
		s.put(string(key), &entry{dom: d, gen: g, at: now, err: err, size: int64(len(key)) + 64})
	}
	return v, err
}

// current reports whether e may be served: filed under its domain's current
// generation and, in shared mode, younger than MaxAge (lookup's rule).
func (s *Store) current(ctx context.Context, e *entry) bool {
	g, err := s.gen(ctx, e.dom)
	return err == nil && e.gen == g && (!s.opt.Shared || s.opt.Now().Sub(e.at) < s.opt.MaxAge)
}

func (s *Store) put(key string, e *entry) {
	// One huge value must not flush everything else; but an upstream document
	// behind a rendered packument (a ~1 MB one for a 1,000-version package) must
	// fit: each request served from the rendered cache checks it unchanged
	// through this cache, and a miss reads it whole from the database.
	if e.size > s.opt.MaxBytes/4 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.m[key]; old != nil {
		if old.dom == e.dom && old.gen > e.gen {
			return // a slower load under an older generation must not replace a newer one
		}
		s.bytes -= old.size
	}
	s.m[key] = e
	s.bytes += e.size
	if s.bytes > s.opt.MaxBytes {
		// Evict arbitrary entries (map order) down to 3/4 of the budget: O(1)
		// bookkeeping, and stale generations go the same way as live ones.
		for k, old := range s.m {
			if s.bytes <= s.opt.MaxBytes*3/4 {
				break
			}
			delete(s.m, k)
			s.bytes -= old.size
		}
	}
}

// Stats reports the number of entries and their estimated bytes.
func (s *Store) Stats() (entries int, bytes int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m), s.bytes
}

// domainOfARN returns the domain a CodeArtifact domain, repository, package
// or package-group ARN belongs to. Called on every policy lookup (twice per
// authorized package request): it cuts the string without allocating.
func domainOfARN(arn string) (domKey, bool) {
	// arn:PARTITION:codeartifact:REGION:ACCOUNT:KIND/DOMAIN[/...]
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return domKey{}, false
	}
	var partition, service, account string
	partition, rest, _ = strings.Cut(rest, ":")
	service, rest, _ = strings.Cut(rest, ":")
	_, rest, _ = strings.Cut(rest, ":") // region
	account, rest, ok = strings.Cut(rest, ":")
	if !ok || partition == "" || service != "codeartifact" {
		return domKey{}, false
	}
	kind, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return domKey{}, false
	}
	domain, _, _ := strings.Cut(rest, "/")
	if domain == "" {
		return domKey{}, false
	}
	switch kind {
	case "domain", "repository", "package", "package-group":
		return domKey{account, domain}, true
	}
	return domKey{}, false
}

func pkgDom(k model.PackageKey) domKey { return domKey{k.DomainOwner, k.DomainName} }

// pkgKey appends tag and a package's key.
func pkgKey(b []byte, tag string, k model.PackageKey) []byte {
	return cacheKey(b, tag, k.DomainOwner, k.DomainName, k.Repository, string(k.Format), k.Namespace, k.Name)
}

func sizeOfVersion(v model.PackageVersion) int64 {
	n := int64(len(v.Metadata) + len(v.Readme) + len(v.Summary) + len(v.Version) + 256)
	return n + int64(len(v.Dependencies))*64
}

func constSize[T any](n int64) func(T) int64 { return func(T) int64 { return n } }

// ---- cached reads ----

// GetDomain is cached.
func (s *Store) GetDomain(ctx context.Context, owner, name string) (model.Domain, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, domKey{owner, name}, cacheKey(kb[:0], "dom", owner, name), constSize[model.Domain](256),
		func() (model.Domain, error) { return s.inner.GetDomain(ctx, owner, name) })
}

// GetRepository is cached.
func (s *Store) GetRepository(ctx context.Context, owner, domain, name string) (model.Repository, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, domKey{owner, domain}, cacheKey(kb[:0], "repo", owner, domain, name),
		func(r model.Repository) int64 {
			return int64(512 + 64*len(r.Upstreams) + 64*len(r.ExternalConnections))
		},
		func() (model.Repository, error) { return s.inner.GetRepository(ctx, owner, domain, name) })
}

// GetPolicy is cached for domain and repository policies (absence included).
func (s *Store) GetPolicy(ctx context.Context, resourceARN string) (model.Policy, error) {
	d, ok := domainOfARN(resourceARN)
	if !ok {
		return s.inner.GetPolicy(ctx, resourceARN)
	}
	var kb [keyBytes]byte
	return lookup(s, ctx, d, cacheKey(kb[:0], "pol", resourceARN), func(p model.Policy) int64 { return int64(len(p.Document) + 128) },
		func() (model.Policy, error) { return s.inner.GetPolicy(ctx, resourceARN) })
}

// GetPackage is cached (absence included).
func (s *Store) GetPackage(ctx context.Context, k model.PackageKey) (model.Package, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, pkgDom(k), pkgKey(kb[:0], "pkg", k), constSize[model.Package](256),
		func() (model.Package, error) { return s.inner.GetPackage(ctx, k) })
}

// GetDistTags is cached; the caller gets its own copy of the map.
func (s *Store) GetDistTags(ctx context.Context, k model.PackageKey) (map[string]string, error) {
	var kb [keyBytes]byte
	t, err := lookup(s, ctx, pkgDom(k), pkgKey(kb[:0], "tags", k), func(t map[string]string) int64 { return int64(64 + 64*len(t)) },
		func() (map[string]string, error) { return s.inner.GetDistTags(ctx, k) })
	return maps.Clone(t), err
}

// GetVersion is cached (absence included).
func (s *Store) GetVersion(ctx context.Context, k model.PackageKey, version string) (model.PackageVersion, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, pkgDom(k), append(append(pkgKey(kb[:0], "ver", k), '|'), version...), sizeOfVersion,
		func() (model.PackageVersion, error) { return s.inner.GetVersion(ctx, k, version) })
}

// ListVersions is cached; the slice is shared (do not modify).
func (s *Store) ListVersions(ctx context.Context, k model.PackageKey) ([]model.PackageVersion, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, pkgDom(k), pkgKey(kb[:0], "vers", k), func(vs []model.PackageVersion) int64 {
		var n int64
		for _, v := range vs {
			n += sizeOfVersion(v)
		}
		return n
	}, func() ([]model.PackageVersion, error) { return s.inner.ListVersions(ctx, k) })
}

// ListVersionsPage passes through: the pages of a walk are each read once
// (every cursor differs), so caching them would only evict entries that are
// asked again, and a page is an index range scan of its own rows.
func (s *Store) ListVersionsPage(ctx context.Context, k model.PackageKey, f store.VersionFilter, sortBy string, p store.Page) ([]model.PackageVersion, string, error) {
	return s.inner.ListVersionsPage(ctx, k, f, sortBy, p)
}

// DefaultDisplayVersion is cached: every page of a walk asks it again.
func (s *Store) DefaultDisplayVersion(ctx context.Context, k model.PackageKey) (string, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, pkgDom(k), pkgKey(kb[:0], "ddv", k), func(v string) int64 { return int64(64 + len(v)) },
		func() (string, error) { return s.inner.DefaultDisplayVersion(ctx, k) })
}

// ListAssets is cached; the slice is shared (do not modify).
func (s *Store) ListAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, pkgDom(k), append(append(pkgKey(kb[:0], "assets", k), '|'), version...), func(as []model.Asset) int64 { return int64(256 * (len(as) + 1)) },
		func() ([]model.Asset, error) { return s.inner.ListAssets(ctx, k, version) })
}

// GetToken is cached once found (an unknown hash is asked again: tokens are
// created without a bump), under the generation of the token's domain, so
// deleting the domain drops it. Expiry is the validator's to check.
func (s *Store) GetToken(ctx context.Context, hash string) (model.AuthToken, error) {
	var kb [keyBytes]byte
	key := cacheKey(kb[:0], "tok", hash)
	s.mu.RLock()
	e := s.m[string(key)]
	s.mu.RUnlock()
	if e != nil {
		// Every package request validates its token: the entry just read is
		// served when still current, without lookup's second read of the
		// map.
		if t, ok := e.val.(model.AuthToken); ok && s.current(ctx, e) {
			return t, nil
		}
		// A token row never changes domain, so the entry's domain is the one
		// whose generation to read, before loading again on a miss.
		return lookup(s, ctx, e.dom, key, constSize[model.AuthToken](512),
			func() (model.AuthToken, error) { return s.inner.GetToken(ctx, hash) })
	}
	t, err := s.inner.GetToken(ctx, hash)
	if err != nil {
		return t, err
	}
	// First sight: the domain is known only now, so its generation is read
	// after the load. A domain deleted in between leaves the entry under the
	// new generation, serving what the store itself would still answer (the
	// token row outlives its domain; the validator checks the domain).
	d := domKey{t.DomainOwner, t.DomainName}
	if g, gerr := s.gen(ctx, d); gerr == nil {
		s.put(string(key), &entry{dom: d, gen: g, at: s.opt.Now(), val: t, size: 512})
	}
	return t, nil
}

// accessKeys is the pseudo-domain whose generation guards cached access keys.
var accessKeys = domKey{"", "#access-keys"}

// GetAccessKey is cached once found (SigV4 verification reads it on every
// signed request). An unknown id is asked again every time: `wharf keys
// create` adds keys to the SQLite file from another process, and only adds.
// Every change through this store (PutAccessKey) bumps the access keys'
// generation, in shared mode on every replica.
func (s *Store) GetAccessKey(ctx context.Context, id string) (model.AccessKey, error) {
	g, err := s.gen(ctx, accessKeys)
	if err != nil {
		return model.AccessKey{}, err
	}
	key := "ak|" + id
	var now time.Time // an entry's age matters in shared mode only: no clock read otherwise
	if s.opt.Shared {
		now = s.opt.Now()
	}
	s.mu.RLock()
	e := s.m[key]
	s.mu.RUnlock()
	if e != nil && e.gen == g && (!s.opt.Shared || now.Sub(e.at) < s.opt.MaxAge) {
		return e.val.(model.AccessKey), nil
	}
	k, err := s.inner.GetAccessKey(ctx, id)
	if err == nil {
		s.put(key, &entry{dom: accessKeys, gen: g, at: now, val: k, size: 512})
	}
	return k, err
}

// upstreamCache is the pseudo-domain whose generation guards cached upstream
// metadata entries (they belong to no domain: one copy serves all).
var upstreamCache = domKey{"", "#upstream-cache"}

// GetCache is cached (absence included): a fresh upstream packument is then
// read from memory, not from the database, on every request that consults it.
// Every PutCache bumps the upstream entries' generation. Bodies are shared
// (upstream.Doc's contract: do not modify).
func (s *Store) GetCache(ctx context.Context, key string) (model.CacheEntry, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, upstreamCache, cacheKey(kb[:0], "cache", key), func(e model.CacheEntry) int64 { return int64(len(e.Body) + len(e.Key) + 128) },
		func() (model.CacheEntry, error) { return s.inner.GetCache(ctx, key) })
}

// ---- writes: pass through, then bump ----

func (s *Store) PutCache(ctx context.Context, e model.CacheEntry) error {
	return s.after(ctx, upstreamCache, s.inner.PutCache(ctx, e))
}

func (s *Store) PutAccessKey(ctx context.Context, k model.AccessKey) error {
	return s.after(ctx, accessKeys, s.inner.PutAccessKey(ctx, k))
}

func (s *Store) CreateDomain(ctx context.Context, d model.Domain) error {
	return s.after(ctx, domKey{d.Owner, d.Name}, s.inner.CreateDomain(ctx, d))
}

func (s *Store) DeleteDomain(ctx context.Context, owner, name string) error {
	return s.after(ctx, domKey{owner, name}, s.inner.DeleteDomain(ctx, owner, name))
}

func (s *Store) CreateRepository(ctx context.Context, r model.Repository) error {
	return s.after(ctx, domKey{r.DomainOwner, r.DomainName}, s.inner.CreateRepository(ctx, r))
}

func (s *Store) UpdateRepository(ctx context.Context, r model.Repository) error {
	return s.after(ctx, domKey{r.DomainOwner, r.DomainName}, s.inner.UpdateRepository(ctx, r))
}

func (s *Store) DeleteRepository(ctx context.Context, owner, domain, name string) error {
	return s.after(ctx, domKey{owner, domain}, s.inner.DeleteRepository(ctx, owner, domain, name))
}

func (s *Store) PutPolicy(ctx context.Context, p model.Policy, expectedRevision string) error {
	err := s.inner.PutPolicy(ctx, p, expectedRevision)
	if d, ok := domainOfARN(p.ResourceARN); ok {
		return s.after(ctx, d, err)
	}
	return err
}

func (s *Store) DeletePolicy(ctx context.Context, resourceARN, expectedRevision string) (model.Policy, error) {
	p, err := s.inner.DeletePolicy(ctx, resourceARN, expectedRevision)
	if d, ok := domainOfARN(resourceARN); ok {
		return p, s.after(ctx, d, err)
	}
	return p, err
}

// SetTags bumps the resource's domain: tags may take part in authorization
// (conditions on resource tags).
func (s *Store) SetTags(ctx context.Context, resourceARN string, tags []model.Tag) error {
	err := s.inner.SetTags(ctx, resourceARN, tags)
	if d, ok := domainOfARN(resourceARN); ok {
		return s.after(ctx, d, err)
	}
	return err
}

func (s *Store) RemoveTags(ctx context.Context, resourceARN string, keys []string) error {
	err := s.inner.RemoveTags(ctx, resourceARN, keys)
	if d, ok := domainOfARN(resourceARN); ok {
		return s.after(ctx, d, err)
	}
	return err
}

func (s *Store) PutPackage(ctx context.Context, p model.Package) error {
	return s.after(ctx, pkgDom(p.PackageKey), s.inner.PutPackage(ctx, p))
}

func (s *Store) DeletePackage(ctx context.Context, k model.PackageKey) error {
	return s.after(ctx, pkgDom(k), s.inner.DeletePackage(ctx, k))
}

func (s *Store) SetDistTags(ctx context.Context, k model.PackageKey, tags map[string]string) error {
	return s.after(ctx, pkgDom(k), s.inner.SetDistTags(ctx, k, tags))
}

func (s *Store) DeleteDistTag(ctx context.Context, k model.PackageKey, tag string) error {
	return s.after(ctx, pkgDom(k), s.inner.DeleteDistTag(ctx, k, tag))
}

func (s *Store) CreateVersion(ctx context.Context, pkg model.Package, v model.PackageVersion, assets []model.Asset) error {
	return s.after(ctx, pkgDom(pkg.PackageKey), s.inner.CreateVersion(ctx, pkg, v, assets))
}

func (s *Store) AddAsset(ctx context.Context, k model.PackageKey, version string, a model.Asset) error {
	return s.after(ctx, pkgDom(k), s.inner.AddAsset(ctx, k, version, a))
}

func (s *Store) UpdateVersion(ctx context.Context, v model.PackageVersion) error {
	return s.after(ctx, pkgDom(v.PackageKey), s.inner.UpdateVersion(ctx, v))
}

func (s *Store) DeleteVersion(ctx context.Context, k model.PackageKey, version string) error {
	return s.after(ctx, pkgDom(k), s.inner.DeleteVersion(ctx, k, version))
}

func (s *Store) CreatePackageGroup(ctx context.Context, g model.PackageGroup, tags []model.Tag) error {
	return s.after(ctx, domKey{g.DomainOwner, g.DomainName}, s.inner.CreatePackageGroup(ctx, g, tags))
}

func (s *Store) UpdatePackageGroup(ctx context.Context, g model.PackageGroup) error {
	return s.after(ctx, domKey{g.DomainOwner, g.DomainName}, s.inner.UpdatePackageGroup(ctx, g))
}

func (s *Store) DeletePackageGroup(ctx context.Context, owner, domain, pattern string) error {
	return s.after(ctx, domKey{owner, domain}, s.inner.DeletePackageGroup(ctx, owner, domain, pattern))
}

// ---- not cached: pass through ----

func (s *Store) PutToken(ctx context.Context, t model.AuthToken) error {
	return s.inner.PutToken(ctx, t)
}

func (s *Store) ListDomains(ctx context.Context, owner string, p store.Page) ([]model.Domain, string, error) {
	return s.inner.ListDomains(ctx, owner, p)
}

func (s *Store) DomainStats(ctx context.Context, owner, name string) (int, int64, error) {
	return s.inner.DomainStats(ctx, owner, name)
}

func (s *Store) ListRepositories(ctx context.Context, f store.RepositoryFilter, p store.Page) ([]model.Repository, string, error) {
	return s.inner.ListRepositories(ctx, f, p)
}

func (s *Store) ListTags(ctx context.Context, resourceARN string) ([]model.Tag, error) {
	return s.inner.ListTags(ctx, resourceARN)
}

func (s *Store) ListPackages(ctx context.Context, owner, domain, repo string, f store.PackageFilter, p store.Page) ([]model.Package, string, error) {
	return s.inner.ListPackages(ctx, owner, domain, repo, f, p)
}

// kmsKeys is the pseudo-domain whose generation guards cached KMS keys: every
// read of a domain's sealed content or blobs asks its key's state (enabled,
// disabled, pending deletion), so the key is read on every package request.
var kmsKeys = domKey{"", "#kms-keys"}

// MemoDomainKey memoizes a domain-key check (internal/app.DomainKey: the
// domain's key ARN, or the error refusing a disabled key) per domain. Its answer
// is a function of the domain (its generation) and of the KMS keys (their
// generation) alone, so it is reused while neither generation moves; each
// package request asks it up to three times (the router, the sealed store
// opening a version, the decrypted-blob cache), and each asking otherwise costs
// two cached lookups and an ARN parse. Answers and the errors the stored state
// decides (NotFound, Validation: a disabled key) are kept; a failing store is
// asked again next time. In shared mode an answer also ages out after MaxAge,
// like every entry.
func (s *Store) MemoDomainKey(fn func(ctx context.Context, owner, domain string) (string, error)) func(ctx context.Context, owner, domain string) (string, error) {
	type answer struct {
		domGen, keyGen int64
		at             time.Time
		arn            string
		err            error
	}
	var mu sync.RWMutex
	m := map[domKey]answer{}
	return func(ctx context.Context, owner, domain string) (string, error) {
		d := domKey{owner, domain}
		// Generations first: an answer computed while a write lands is filed
		// under the generations before it, so it is not served after it.
		dg, err := s.gen(ctx, d)
		if err != nil {
			return "", err
		}
		kg, err := s.gen(ctx, kmsKeys)
		if err != nil {
			return "", err
		}
		var now time.Time
		if s.opt.Shared {
			now = s.opt.Now()
		}
		mu.RLock()
		a, ok := m[d]
		mu.RUnlock()
		if ok && a.domGen == dg && a.keyGen == kg && (!s.opt.Shared || now.Sub(a.at) < s.opt.MaxAge) {
			return a.arn, a.err
		}
		arn, err := fn(ctx, owner, domain)
		if err == nil || apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Validation) {
			mu.Lock()
			if len(m) >= 1<<16 {
				clear(m) // bounded: a domain is 100-odd bytes here
			}
			if old, ok := m[d]; !ok || old.domGen <= dg && old.keyGen <= kg {
				m[d] = answer{domGen: dg, keyGen: kg, at: now, arn: arn, err: err}
			}
			mu.Unlock()
		}
		return arn, err
	}
}

// PutKMSKey retires every cached KMS key: a key disabled or scheduled for
// deletion must stop its domains' reads on the very next request.
func (s *Store) PutKMSKey(ctx context.Context, k model.KMSKey) error {
	return s.after(ctx, kmsKeys, s.inner.PutKMSKey(ctx, k))
}

// GetKMSKey is cached (absence included) under the KMS keys' generation.
func (s *Store) GetKMSKey(ctx context.Context, account, keyID string) (model.KMSKey, error) {
	var kb [keyBytes]byte
	return lookup(s, ctx, kmsKeys, cacheKey(kb[:0], "kms", account, keyID), func(model.KMSKey) int64 { return 512 },
		func() (model.KMSKey, error) { return s.inner.GetKMSKey(ctx, account, keyID) })
}

func (s *Store) ListKMSKeys(ctx context.Context, account string, p store.Page) ([]model.KMSKey, string, error) {
	return s.inner.ListKMSKeys(ctx, account, p)
}

func (s *Store) DeleteKMSKey(ctx context.Context, account, keyID string) error {
	return s.after(ctx, kmsKeys, s.inner.DeleteKMSKey(ctx, account, keyID))
}

func (s *Store) CreateKMSAlias(ctx context.Context, a model.KMSAlias) error {
	return s.inner.CreateKMSAlias(ctx, a)
}

func (s *Store) UpdateKMSAlias(ctx context.Context, a model.KMSAlias) error {
	return s.inner.UpdateKMSAlias(ctx, a)
}

func (s *Store) GetKMSAlias(ctx context.Context, account, name string) (model.KMSAlias, error) {
	return s.inner.GetKMSAlias(ctx, account, name)
}

func (s *Store) DeleteKMSAlias(ctx context.Context, account, name string) error {
	return s.inner.DeleteKMSAlias(ctx, account, name)
}

func (s *Store) ListKMSAliases(ctx context.Context, account string, p store.Page) ([]model.KMSAlias, string, error) {
	return s.inner.ListKMSAliases(ctx, account, p)
}

func (s *Store) GetPackageGroup(ctx context.Context, owner, domain, pattern string) (model.PackageGroup, error) {
	return s.inner.GetPackageGroup(ctx, owner, domain, pattern)
}

func (s *Store) ListPackageGroups(ctx context.Context, owner, domain, prefix string, p store.Page) ([]model.PackageGroup, string, error) {
	return s.inner.ListPackageGroups(ctx, owner, domain, prefix, p)
}

func (s *Store) Close() error {
	if s.iamFile != nil {
		s.iamFile.mu.Lock()
		s.iamFile.close()
		s.iamFile.mu.Unlock()
	}
	return s.inner.Close()
}

// ListAccessKeyIDs passes through: maintenance reads nothing caches.
func (s *Store) ListAccessKeyIDs(ctx context.Context) ([]string, error) {
	return s.inner.ListAccessKeyIDs(ctx)
}

// DeleteExpiredTokens passes through: cached tokens carry their expiry and are
// refused past it whether or not their row is gone yet.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time, limit int) (int64, error) {
	return s.inner.DeleteExpiredTokens(ctx, now, limit)
}

// The audit trail and the event outbox pass through: append-only records and
// a work queue, neither of which the read path consults.

func (s *Store) AppendAudit(ctx context.Context, recs []model.AuditRecord, webhooks []string) error {
	return s.inner.AppendAudit(ctx, recs, webhooks)
}

func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, p store.Page) ([]model.AuditRecord, string, error) {
	return s.inner.ListAudit(ctx, f, p)
}

func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Delivery, error) {
	return s.inner.ClaimDeliveries(ctx, now, lease, limit)
}

func (s *Store) FinishDelivery(ctx context.Context, id int64) error {
	return s.inner.FinishDelivery(ctx, id)
}

func (s *Store) RetryDelivery(ctx context.Context, id int64, next time.Time, lastErr string) error {
	return s.inner.RetryDelivery(ctx, id, next, lastErr)
}

// ListAccessKeys passes through (IAM's ListAccessKeys, not the signing path).
func (s *Store) ListAccessKeys(ctx context.Context, principalARN string) ([]model.AccessKey, error) {
	return s.inner.ListAccessKeys(ctx, principalARN)
}

// DeleteAccessKey retires every cached access key: the deleted one must not
// sign another request.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	return s.after(ctx, accessKeys, s.inner.DeleteAccessKey(ctx, id))
}

// DeleteExpiredSessions retires cached access keys too (expired sessions are
// refused by their expiry anyway; this keeps no deleted row in memory).
func (s *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error) {
	n, err := s.inner.DeleteExpiredSessions(ctx, t)
	if n == 0 || err != nil {
		return n, err
	}
	return n, s.after(ctx, accessKeys, nil)
}

// IAM entities (users, roles, policies, OIDC providers) pass through, and
// every write bumps the account's IAM generation (iam.go), which guards what
// MemoIAM keeps: the identity each decision is made for.

func (s *Store) CreateIAMEntity(ctx context.Context, e model.IAMEntity) error {
	return s.afterIAM(ctx, e.Account, s.inner.CreateIAMEntity(ctx, e))
}

func (s *Store) PutIAMEntity(ctx context.Context, e model.IAMEntity) error {
	return s.afterIAM(ctx, e.Account, s.inner.PutIAMEntity(ctx, e))
}

func (s *Store) GetIAMEntity(ctx context.Context, account, kind, parent, name string) (model.IAMEntity, error) {
	return s.inner.GetIAMEntity(ctx, account, kind, parent, name)
}

func (s *Store) ListIAMEntities(ctx context.Context, account, kind, parent string) ([]model.IAMEntity, error) {
	return s.inner.ListIAMEntities(ctx, account, kind, parent)
}

func (s *Store) DeleteIAMEntity(ctx context.Context, account, kind, parent, name string) error {
	return s.afterIAM(ctx, account, s.inner.DeleteIAMEntity(ctx, account, kind, parent, name))
}

// DeleteAssets changes what a version lists: a write like the others.
func (s *Store) DeleteAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	out, err := s.inner.DeleteAssets(ctx, k, version)
	return out, s.after(ctx, pkgDom(k), err)
}

// Blob pins and leases are not cached: each call decides on the database's
// current state, which is the point of them.

func (s *Store) PinBlob(ctx context.Context, owner, domain, sha256, id string, at time.Time) error {
	return s.inner.PinBlob(ctx, owner, domain, sha256, id, at)
}

func (s *Store) UnpinBlobs(ctx context.Context, ids []string) error {
	return s.inner.UnpinBlobs(ctx, ids)
}

func (s *Store) SweepBlob(ctx context.Context, owner, domain, sha256 string, pinnedSince time.Time, remove func(context.Context) error) (bool, error) {
	return s.inner.SweepBlob(ctx, owner, domain, sha256, pinnedSince, remove)
}

func (s *Store) DeleteStalePins(ctx context.Context, before time.Time) (int64, error) {
	return s.inner.DeleteStalePins(ctx, before)
}

func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	return s.inner.AcquireLease(ctx, name, holder, now, ttl)
}

func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.inner.ReleaseLease(ctx, name, holder)
}
