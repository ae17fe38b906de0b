// Package upstream is wharf's format-neutral client for the public registries that
// external connections (public:npmjs, public:pypi, public:maven-central, …) proxy.
// The npm, PyPI and Maven handlers call it; it knows URLs, HTTP caching and
// failure modes, never a format's document shapes.
//
// Two kinds of things are fetched, with opposite caching rules:
//
//   - Metadata (npm packuments, PyPI simple pages, maven-metadata.xml) changes, so
//     it is read cache-first within a TTL, then revalidated remote-first with
//     If-None-Match / If-Modified-Since, and the cached copy is the fallback when
//     the upstream fails (stale-if-error). Entries persist through Cache, which
//     store.Store satisfies.
//   - Assets (tarballs, wheels, jars) never change, so this package does not cache
//     them: the caller keeps them in the blob store. FetchAndStore makes concurrent
//     misses wait for one upstream fetch and one store, instead of each fetching.
//
// # Order of the wrappers
//
// A FetchMetadata call passes through these layers, outermost first; each is a
// small function in metadata.go or fetcher.go and does one thing:
//
//  1. resolve: conn + path → URL on the configured upstream; "..", queries and
//     unknown connections are refused before anything else runs.
//  2. fresh cache: an entry younger than MetadataTTL (or a 404 younger than
//     NegativeTTL) is answered with no upstream request and no lock.
//  3. singleflight: one flight per cache key; every concurrent caller waits for
//     it. The flight runs under a context detached from the first caller
//     (bounded by MetadataTimeout) so one client hanging up does not fail the
//     others; each caller still stops waiting on its own ctx.
//  4. re-check: inside the flight the cache is read again, since a flight that
//     just finished may have refreshed it (check-again-after-lock).
//  5. revalidate: conditional GET with the cached validators; 304 refreshes
//     FetchedAt, 200 replaces the entry, 404/410 writes a negative entry, and any
//     failure with a cached 200 serves that copy with Stale set. For
//     FailureBackoff after a failure, entries that have a cached copy skip the
//     request and are served stale at once (cold misses still try).
//  6. pool: at most MaxConcurrent upstream requests per connection.
//  7. send: User-Agent, counting (Stats) and one slog line per request.
//  8. http.Client: connect / TLS / response-header timeouts, at most
//     MaxRedirects redirects and only to the upstream's own origin (or its
//     AssetHosts); the body is read within MaxMetadataBytes, each read within
//     ReadTimeout, and must be as long as its Content-Length. FetchMetadataValid
//     also has the caller check a new body before it is cached.
//
// Asset streams end in io.EOF only when the upstream finished cleanly with the
// declared length; any other ending (short body, reset, stall, size cap) is an
// error wrapping ErrUnavailable, so a store fed from the stream keeps nothing.
//
// FetchAndStore follows the same order for assets, with the caller's "have"
// callback in place of the cache (2 and 4) and its "store" callback in place of
// the cache write (5). OpenAsset is layers 1, 6, 7 and 8 only: a plain stream.
//
// Errors are apperr errors: NotFound for an upstream 404 (live or remembered), and
// Internal wrapping ErrUnavailable (plus ErrTimeout or ErrTooLarge when that is the
// cause) when the upstream cannot answer and nothing usable is cached, so handlers
// can answer 502/504 with errors.Is.
package upstream
