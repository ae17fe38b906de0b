package rubygems

import (
	"github.com/wharf-dev/wharf/internal/gencache"
	"github.com/wharf-dev/wharf/internal/packages"
)

// VersionsCacheBytes bounds the versions files kept per process. A proxied
// repository's whole file includes the external registry's (tens of MiB for
// the public one): it is kept only while it fits in half the budget, and
// otherwise only the chain's lines are kept (the file is then assembled from
// them and the cached upstream file on each request).
const VersionsCacheBytes = 64 << 20

// versionsDoc is a repository's part of the versions file, and the whole
// file as last served, with what each was built from.
type versionsDoc struct {
	// lines are the chain's held gems' lines; held the upstream lookups
	// (each held gem's info file) they reflect besides the domain's
	// generation. Shared: never modified once built.
	lines []VersionsLine
	held  []packages.Lookup
	// complete is false when a lookup failed (a fallback, not kept).
	complete bool
	// body (nil when not kept) is the whole file, valid while the upstream
	// lookups (the external registry's versions file) are unchanged.
	body     []byte
	etag     string
	upstream []packages.Lookup
}

func (d *versionsDoc) linesSize() int64 {
	n := int64(256 + 128*(len(d.held)+len(d.upstream)))
	for _, l := range d.lines {
		n += int64(len(l.Name)+len(l.InfoMD5)) + 48
		for _, v := range l.Versions {
			n += int64(len(v)) + 16
		}
	}
	return n
}

func (d *versionsDoc) size() int64 { return d.linesSize() + int64(len(d.body)+len(d.etag)) }

// versionsCache keeps one rendered versions file per repository, valid for
// one domain generation (and while the upstream documents in it are
// unchanged: the handler checks). A file too large to keep whole (over half
// the budget: the public registry's list) keeps the chain's part only.
type versionsCache struct{ c *gencache.Cache[*versionsDoc] }

func newVersionsCache(maxBytes int64) *versionsCache {
	return &versionsCache{gencache.New(maxBytes, maxBytes/2, (*versionsDoc).size)}
}

// SetVersionsCacheBytes bounds the versions files kept (default
// VersionsCacheBytes; negative keeps none). Call it before serving.
func (h *Handler) SetVersionsCacheBytes(n int64) {
	h.versionsCache = nil
	if n > 0 {
		h.versionsCache = newVersionsCache(n)
	}
}

// VersionsCacheStats reports the versions files kept and their bytes.
func (h *Handler) VersionsCacheStats() (entries int, bytes int64) {
	if h.versionsCache == nil {
		return 0, 0
	}
	return h.versionsCache.c.Stats()
}

func (c *versionsCache) get(key string, gen int64) *versionsDoc {
	if c == nil {
		return nil
	}
	d, _ := c.c.Get(key, gen)
	return d
}

func (c *versionsCache) put(key string, gen int64, d *versionsDoc) {
	if c == nil {
		return
	}
	if d.size() > c.c.MaxEntry() && d.body != nil {
		d = &versionsDoc{lines: d.lines, held: d.held, complete: d.complete}
	}
	c.c.Put(key, gen, d)
}
