package app

// Memory budgets of wharf's read caches. Together with the npm handler's
// rendered packuments (12 MiB, npm.Options.RenderCacheBytes' default) and the
// sealed store's opened versions (2 MiB) they bound the live heap a busy wharf
// keeps, 30 MiB; cmd/wharf's default soft memory limit (64 MiB, GOMEMLIMIT
// overrides it) is set above that sum. What RSS holds besides Go's heap was
// measured under npm ci (bench/PROFILE.md): ~22 MiB of the binary's pages and
// ~30 MiB that SQLite (modernc, outside Go's heap) allocates, so these budgets
// are what keeps RSS under 100 MiB. Larger budgets trade memory for fewer
// disk reads and decryptions on a working set that does not fit.
const (
	// storeCacheBytes bounds internal/store/cached (domains, repositories,
	// policies, tokens, versions, assets...).
	storeCacheBytes = 8 << 20
	// blobCacheBytes bounds the decrypted small blobs of internal/blob/memcache,
	// each at most blobCacheMaxItem.
	blobCacheBytes   = 8 << 20
	blobCacheMaxItem = 1 << 20
)
