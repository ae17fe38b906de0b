package app

// Memory budgets of wharf's read caches. Together with the npm handler's
// rendered packuments (16 MiB, npm.Options.RenderCacheBytes' default) they
// bound the live heap a busy wharf keeps, 48 MiB; cmd/wharf's default soft
// memory limit (80 MiB, GOMEMLIMIT overrides it) is set above that sum, so
// the collector keeps RSS under 100 MiB (bench/RESULTS.md, the memory case).
// Larger budgets trade memory for fewer disk reads/decryptions on a working
// set that does not fit: raise them together with GOMEMLIMIT.
const (
	// storeCacheBytes bounds internal/store/cached (domains, repositories,
	// policies, tokens, versions, assets...).
	storeCacheBytes = 16 << 20
	// blobCacheBytes bounds the decrypted small blobs of internal/blob/memcache,
	// each at most blobCacheMaxItem.
	blobCacheBytes   = 16 << 20
	blobCacheMaxItem = 1 << 20
)
