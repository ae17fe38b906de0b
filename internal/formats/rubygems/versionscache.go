package rubygems

import (
	"sync"

	"github.com/wharf-dev/wharf/internal/packages"
)

// VersionsCacheBytes bounds the rendered versions files kept per process. A
// proxied repository's file includes the external registry's (tens of MiB
// for the public one), so it is kept only while it fits in half the budget;
// larger files are rendered on each request as before.
const VersionsCacheBytes = 64 << 20

// versionsDoc is a rendered versions file and what it was built from.
type versionsDoc struct {
	body []byte
	etag string
	// lookups are the upstream lookups it reflects (the versions file, each
	// held gem's info file): it is served again only while each gives the
	// same document.
	lookups []packages.Lookup
	// complete is false when a lookup failed (the file is a fallback).
	complete bool
}

func (d *versionsDoc) size() int64 {
	return int64(len(d.body)+len(d.etag)) + int64(len(d.lookups))*128 + 256
}

// versionsCache keeps one rendered versions file per repository, valid for
// one domain generation. Bounded by bytes; over budget it drops arbitrary
// entries.
type versionsCache struct {
	mu       sync.Mutex
	m        map[string]versionsEntry
	bytes    int64
	maxBytes int64
}

type versionsEntry struct {
	gen int64
	doc *versionsDoc
}

func newVersionsCache(maxBytes int64) *versionsCache {
	return &versionsCache{m: map[string]versionsEntry{}, maxBytes: maxBytes}
}

func (c *versionsCache) get(key string, gen int64) *versionsDoc {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.gen != gen {
		return nil
	}
	return e.doc
}

func (c *versionsCache) put(key string, gen int64, d *versionsDoc) {
	if c == nil {
		return
	}
	sz := d.size() + int64(len(key))
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		// Never replace a newer generation's file with an older one (a slow
		// rendering finishing after a faster, later one).
		if old.gen > gen {
			return
		}
		delete(c.m, key)
		c.bytes -= old.doc.size() + int64(len(key))
	}
	if sz > c.maxBytes/2 {
		return
	}
	c.m[key] = versionsEntry{gen: gen, doc: d}
	c.bytes += sz
	for k, old := range c.m {
		if c.bytes <= c.maxBytes {
			break
		}
		if k == key {
			continue
		}
		delete(c.m, k)
		c.bytes -= old.doc.size() + int64(len(k))
	}
}
