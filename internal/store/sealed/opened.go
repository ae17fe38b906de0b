package sealed

import (
	"sync"

	"github.com/wharf-dev/wharf/internal/model"
)

// DefaultOpenedBytes bounds the opened-version memo unless SetOpenedBytes
// chose otherwise: the versions a busy wharf reads again and again (every
// tarball GET opens its version) are few.
const DefaultOpenedBytes = 4 << 20

// openedCache remembers the opened content of sealed versions, keyed by the
// sealed bytes themselves. Opening is a pure function of those bytes (wrapped
// data key, nonce, ciphertext), the key they are wrapped under and the row
// they are bound to (the AAD), and every one of these is compared on a hit,
// so an entry cannot be stale: a version sealed anew has new bytes (a fresh
// data key and nonce). The domain key's usability is still asked on every
// open, before the memo (a disabled key refuses as before).
type openedCache struct {
	mu    sync.Mutex
	m     map[string]*openedVersion
	bytes int64
	max   int64 // 0: DefaultOpenedBytes
}

type openedVersion struct {
	keyARN  string
	pkg     model.PackageKey
	version string

	summary, readme string
	metadata        []byte
	size            int64
}

func (c *openedCache) get(sealed []byte, keyARN string, v model.PackageVersion) *openedVersion {
	c.mu.Lock()
	o := c.m[string(sealed)] // no allocation for the lookup
	c.mu.Unlock()
	if o == nil || o.keyARN != keyARN || o.pkg != v.PackageKey || o.version != v.Version {
		return nil
	}
	return o
}

func (c *openedCache) put(sealed []byte, o *openedVersion) {
	o.size = int64(2*len(sealed)+len(o.summary)+len(o.readme)+len(o.metadata)) + 256
	c.mu.Lock()
	defer c.mu.Unlock()
	budget := c.max
	if budget == 0 {
		budget = DefaultOpenedBytes
	}
	if o.size > budget/16 {
		return
	}
	if c.m == nil || c.bytes+o.size > budget {
		c.m, c.bytes = map[string]*openedVersion{}, 0 // start over: O(1), and hot versions come back at once
	}
	if _, ok := c.m[string(sealed)]; ok {
		return
	}
	c.m[string(sealed)] = o
	c.bytes += o.size
}

// stats reports the memo's entries and bytes.
func (c *openedCache) stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m), c.bytes
}
