package metrics

import (
	"context"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// Blobs is the blob store interface the package engine uses (packages.Blobs).
type Blobs interface {
	Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error)
	Open(ctx context.Context, ns, sha256 string) (io.ReadCloser, int64, error)
}

type timedBlobs struct {
	next      Blobs
	put, open prometheus.Observer
}

// TimeBlobs wraps a blob store so Put and Open are timed.
func (m *Metrics) TimeBlobs(b Blobs) Blobs {
	return &timedBlobs{next: b, put: m.blobDur.WithLabelValues("put"), open: m.blobDur.WithLabelValues("open")}
}

func (t *timedBlobs) Put(ctx context.Context, ns string, r io.Reader, sha string) (model.Hashes, int64, error) {
	start := time.Now()
	h, n, err := t.next.Put(ctx, ns, r, sha)
	t.put.Observe(time.Since(start).Seconds())
	return h, n, err
}

func (t *timedBlobs) Open(ctx context.Context, ns, sha string) (io.ReadCloser, int64, error) {
	start := time.Now()
	rc, n, err := t.next.Open(ctx, ns, sha)
	t.open.Observe(time.Since(start).Seconds())
	return rc, n, err
}

// timedStore times the metadata store operations on the request path; the
// rest (control-plane administration) pass through the embedded Store.
type timedStore struct {
	store.Store
	o map[string]prometheus.Observer
}

var timedStoreOps = []string{"GetAccessKey", "GetToken", "GetDomain", "GetRepository", "ListRepositories", "GetPackage",
	"PutPackage", "ListPackages", "GetVersion", "ListVersions", "ListVersionsPage", "DefaultDisplayVersion", "CreateVersion", "UpdateVersion", "AddAsset", "ListAssets",
	"GetCache", "PutCache", "GetPolicy", "GetDistTags"}

// TimeStore wraps a metadata store so its request-path operations are timed.
func (m *Metrics) TimeStore(s store.Store) store.Store {
	t := &timedStore{Store: s, o: map[string]prometheus.Observer{}}
	for _, op := range timedStoreOps {
		t.o[op] = m.storeDur.WithLabelValues(op)
	}
	return t
}

func (t *timedStore) since(op string, start time.Time) { t.o[op].Observe(time.Since(start).Seconds()) }

func (t *timedStore) GetAccessKey(ctx context.Context, id string) (model.AccessKey, error) {
	defer t.since("GetAccessKey", time.Now())
	return t.Store.GetAccessKey(ctx, id)
}
func (t *timedStore) GetToken(ctx context.Context, hash string) (model.AuthToken, error) {
	defer t.since("GetToken", time.Now())
	return t.Store.GetToken(ctx, hash)
}
func (t *timedStore) GetDomain(ctx context.Context, owner, name string) (model.Domain, error) {
	defer t.since("GetDomain", time.Now())
	return t.Store.GetDomain(ctx, owner, name)
}
func (t *timedStore) GetRepository(ctx context.Context, owner, domain, name string) (model.Repository, error) {
	defer t.since("GetRepository", time.Now())
	return t.Store.GetRepository(ctx, owner, domain, name)
}
func (t *timedStore) ListRepositories(ctx context.Context, f store.RepositoryFilter, p store.Page) ([]model.Repository, string, error) {
	defer t.since("ListRepositories", time.Now())
	return t.Store.ListRepositories(ctx, f, p)
}
func (t *timedStore) GetPackage(ctx context.Context, k model.PackageKey) (model.Package, error) {
	defer t.since("GetPackage", time.Now())
	return t.Store.GetPackage(ctx, k)
}
func (t *timedStore) PutPackage(ctx context.Context, p model.Package) error {
	defer t.since("PutPackage", time.Now())
	return t.Store.PutPackage(ctx, p)
}
func (t *timedStore) ListPackages(ctx context.Context, owner, domain, repo string, f store.PackageFilter, p store.Page) ([]model.Package, string, error) {
	defer t.since("ListPackages", time.Now())
	return t.Store.ListPackages(ctx, owner, domain, repo, f, p)
}
func (t *timedStore) GetVersion(ctx context.Context, k model.PackageKey, version string) (model.PackageVersion, error) {
	defer t.since("GetVersion", time.Now())
	return t.Store.GetVersion(ctx, k, version)
}
func (t *timedStore) ListVersions(ctx context.Context, k model.PackageKey) ([]model.PackageVersion, error) {
	defer t.since("ListVersions", time.Now())
	return t.Store.ListVersions(ctx, k)
}
func (t *timedStore) ListVersionsPage(ctx context.Context, k model.PackageKey, f store.VersionFilter, sortBy string, p store.Page) ([]model.PackageVersion, string, error) {
	defer t.since("ListVersionsPage", time.Now())
	return t.Store.ListVersionsPage(ctx, k, f, sortBy, p)
}
func (t *timedStore) DefaultDisplayVersion(ctx context.Context, k model.PackageKey) (string, error) {
	defer t.since("DefaultDisplayVersion", time.Now())
	return t.Store.DefaultDisplayVersion(ctx, k)
}
func (t *timedStore) CreateVersion(ctx context.Context, pkg model.Package, v model.PackageVersion, assets []model.Asset) error {
	defer t.since("CreateVersion", time.Now())
	return t.Store.CreateVersion(ctx, pkg, v, assets)
}
func (t *timedStore) UpdateVersion(ctx context.Context, v model.PackageVersion) error {
	defer t.since("UpdateVersion", time.Now())
	return t.Store.UpdateVersion(ctx, v)
}
func (t *timedStore) AddAsset(ctx context.Context, k model.PackageKey, version string, a model.Asset) error {
	defer t.since("AddAsset", time.Now())
	return t.Store.AddAsset(ctx, k, version, a)
}
func (t *timedStore) ListAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	defer t.since("ListAssets", time.Now())
	return t.Store.ListAssets(ctx, k, version)
}
func (t *timedStore) GetCache(ctx context.Context, key string) (model.CacheEntry, error) {
	defer t.since("GetCache", time.Now())
	return t.Store.GetCache(ctx, key)
}
func (t *timedStore) PutCache(ctx context.Context, e model.CacheEntry) error {
	defer t.since("PutCache", time.Now())
	return t.Store.PutCache(ctx, e)
}
func (t *timedStore) GetPolicy(ctx context.Context, arn string) (model.Policy, error) {
	defer t.since("GetPolicy", time.Now())
	return t.Store.GetPolicy(ctx, arn)
}
func (t *timedStore) GetDistTags(ctx context.Context, k model.PackageKey) (map[string]string, error) {
	defer t.since("GetDistTags", time.Now())
	return t.Store.GetDistTags(ctx, k)
}

// TokenValidator is endpoints.TokenValidator.
type TokenValidator interface {
	Validate(ctx context.Context, token string) (model.AuthToken, error)
}

type countingValidator struct {
	next                    TokenValidator
	valid, rejected, failed prometheus.Counter
}

// CountTokens wraps a token validator so each validation is counted by result.
func (m *Metrics) CountTokens(v TokenValidator) TokenValidator {
	return &countingValidator{next: v,
		valid:    m.tokenValidate.WithLabelValues("valid"),
		rejected: m.tokenValidate.WithLabelValues("rejected"),
		failed:   m.tokenValidate.WithLabelValues("error"),
	}
}

func (c *countingValidator) Validate(ctx context.Context, token string) (model.AuthToken, error) {
	at, err := c.next.Validate(ctx, token)
	switch {
	case err == nil:
		c.valid.Inc()
	case apperr.Is(err, apperr.Unauthenticated):
		c.rejected.Inc()
	default:
		c.failed.Inc()
	}
	return at, err
}
