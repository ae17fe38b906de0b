// Package gencache keeps values derived from a domain's contents — a rendered
// npm packument, a RubyGems versions file, a Swift identifiers index — each
// valid for one generation of that domain. internal/store/cached moves the
// generation on every change that could alter them (a publish, a status
// change, an upstream or origin change), on every replica with PostgreSQL, so
// a value read back under the current generation is never stale. The cache is
// bounded by bytes; over budget it drops arbitrary entries (every entry is
// cheap to rebuild and equally likely to be asked for again).
package gencache

import "sync"

// Cache maps a key to one value and the generation it was built for. A nil
// *Cache is valid and keeps nothing.
type Cache[V any] struct {
	mu       sync.Mutex
	m        map[string]entry[V]
	bytes    int64
	maxBytes int64
	maxEntry int64
	size     func(V) int64
}

type entry[V any] struct {
	gen int64
	v   V
}

// New returns a cache of at most maxBytes (the values' sizes as size reports
// them, plus their keys) in which no single entry may take more than
// maxEntry.
func New[V any](maxBytes, maxEntry int64, size func(V) int64) *Cache[V] {
	return &Cache[V]{m: map[string]entry[V]{}, maxBytes: maxBytes, maxEntry: maxEntry, size: size}
}

// Get returns key's value if it was built for generation gen.
func (c *Cache[V]) Get(key string, gen int64) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.gen != gen {
		return zero, false
	}
	return e.v, true
}

// GetBytes is Get with the key as bytes: the map is indexed with
// string(key), which Go does without allocating, so a caller on a hot path
// builds its key in a stack array (a string key built per request is an
// allocation per request).
func (c *Cache[V]) GetBytes(key []byte, gen int64) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	e, ok := c.m[string(key)]
	c.mu.Unlock()
	if !ok || e.gen != gen {
		return zero, false
	}
	return e.v, true
}

// Put keeps v as key's value for generation gen. A value built for an older
// generation than the one kept (a slow build finishing after a faster, later
// one) does not replace it; a value larger than maxEntry is not kept.
func (c *Cache[V]) Put(key string, gen int64, v V) {
	if c == nil {
		return
	}
	sz := c.size(v) + int64(len(key))
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		if old.gen > gen {
			return
		}
		delete(c.m, key)
		c.bytes -= c.size(old.v) + int64(len(key))
	}
	if sz > c.maxEntry {
		return
	}
	c.m[key] = entry[V]{gen: gen, v: v}
	c.bytes += sz
	for k, old := range c.m {
		if c.bytes <= c.maxBytes {
			break
		}
		if k == key {
			continue
		}
		delete(c.m, k)
		c.bytes -= c.size(old.v) + int64(len(k))
	}
}

// MaxEntry is the most one entry may take.
func (c *Cache[V]) MaxEntry() int64 { return c.maxEntry }

// Stats reports the number of entries and their bytes (as size counts them,
// keys included); a nil cache holds none.
func (c *Cache[V]) Stats() (entries int, bytes int64) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m), c.bytes
}
