package app

import "github.com/wharf-dev/wharf/internal/config"

// Budgets are the byte bounds of wharf's read caches, all taken from one
// memory budget (--memory-budget), which is also the Go runtime's soft memory
// limit (cmd/wharf sets it).
//
// Why one budget: the caches are what the heap keeps live, and the limit is
// where the collector starts running back to back; sized apart, they drifted
// (52 MiB of caches under an 80 MiB limit held the heap at the limit, 145 MiB
// of RSS under the bench's 64-client mix; the same caches under a 64 MiB
// limit left the collector no room and cost 80 % of the throughput:
// bench/RESULTS-rss.md). The caches get 3/8 of the budget together; the other
// 5/8 is the heap of the requests in flight, goroutine stacks, the runtime's
// own metadata and the collector's headroom — the heap grows by that much
// between two collections.
type Budgets struct {
	// MemoryLimit is the soft memory limit of the Go runtime.
	MemoryLimit int64
	// Store bounds internal/store/cached (domains, repositories, policies,
	// tokens, versions, assets...).
	Store int64
	// Blobs bounds the decrypted small blobs of internal/blob/memcache, each
	// at most BlobItem.
	Blobs, BlobItem int64
	// NpmRendered bounds the npm handler's rendered packuments.
	NpmRendered int64
	// Opened bounds the sealed store's opened versions.
	Opened int64
	// RubyVersions and SwiftIndex bound the RubyGems versions files and the
	// Swift identifiers indexes (gencache, by domain generation).
	RubyVersions, SwiftIndex int64
	// Files bounds the package engine's memo of resolved files
	// (packages.Engine.FetchFile): a few hundred bytes per file served.
	Files int64
}

// cacheShare is the caches' part of the budget, in eighths.
const cacheShare = 3

// BudgetsFor splits a memory budget (0: config.DefaultMemoryBudget). The
// caches' part is split by what the hot paths rest on, in 24ths: store rows
// 9 (every request's token, repository, policy and version lookups, and the
// upstream documents a rendered packument is checked against on every
// request: bench/RESULTS-rss.md measured the mix reading a 1 MB one from
// SQLite per request when they did not fit), rendered npm packuments 6 and
// decrypted blobs 5 (the answers served straight from memory), the opened
// versions, the RubyGems versions files, the Swift indexes and the resolved
// files 1 each. The resolved files' share came from the store's: a file
// served from that memo reads no version or asset row, so those rows need
// less room (1/24 of the default budget's caches is ~1,100 files).
func BudgetsFor(budget int64) Budgets {
	if budget <= 0 {
		budget = config.DefaultMemoryBudget
	}
	caches := budget * cacheShare / 8
	part := func(n int64) int64 { return caches * n / 24 }
	b := Budgets{
		MemoryLimit:  budget,
		Store:        part(9),
		Blobs:        part(5),
		NpmRendered:  part(6),
		Opened:       part(1),
		RubyVersions: part(1),
		SwiftIndex:   part(1),
		Files:        part(1),
	}
	// A blob of up to 1 MiB is kept (a typical tarball, wheel or jar is tens
	// of KiB), and never more than a quarter of the blob cache.
	b.BlobItem = min(1<<20, b.Blobs/4)
	return b
}

// byCache names each budget as /metrics names its cache.
func (b Budgets) byCache() map[string]int64 {
	return map[string]int64{"store": b.Store, "blobs": b.Blobs, "npm_rendered": b.NpmRendered,
		"opened_versions": b.Opened, "ruby_versions": b.RubyVersions, "swift_index": b.SwiftIndex,
		"files": b.Files}
}
