package app

// Memory budgets of wharf's read caches. Together with the npm handler's
// rendered packuments (16 MiB, npm.Options.RenderCacheBytes' default) and the
// sealed store's opened versions (4 MiB) they bound the live heap the caches
// keep, 52 MiB; cmd/wharf's default soft memory limit (80 MiB, GOMEMLIMIT
// overrides it) is set above that sum, so the heap no longer doubles past
// them under load. Measured (bench/PROFILE.md): halving these budgets and the
// limit cost the 64-client mix 80 % of its throughput (with collections back
// to back) for 14 MiB less RSS; what RSS holds besides is the binary's pages
// (~22-27 MiB) and memory outside Go's heap (~40 MiB, SQLite's, ~28 MiB since
// its page caches are bounded: bench/RESULTS-rss.md).
const (
	// storeCacheBytes bounds internal/store/cached (domains, repositories,
	// policies, tokens, versions, assets...).
	storeCacheBytes = 16 << 20
	// blobCacheBytes bounds the decrypted small blobs of internal/blob/memcache,
	// each at most blobCacheMaxItem.
	blobCacheBytes   = 16 << 20
	blobCacheMaxItem = 1 << 20
)
