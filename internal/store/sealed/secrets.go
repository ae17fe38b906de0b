package sealed

import "sync"

// openedSecrets remembers unsealed access-key secrets, keyed by the key id
// and the sealed text itself. Every SigV4-signed request reads its key, and
// unsealing (base64, the master key's AEAD under the key id's context) was a
// good part of verifying one. Unsealing is a pure function of the master key
// (fixed for the life of the process), the key id (the authenticated
// context) and the sealed text, and both of the latter are the memo's key, so
// an entry cannot be stale: a rotated secret is sealed anew (a fresh nonce,
// new text) and misses; a deleted or deactivated key is answered by the row
// read before the memo, which only stands in for the decryption. Only
// successful openings are kept.
type openedSecrets struct {
	mu sync.RWMutex
	m  map[sealedSecret]string
}

type sealedSecret struct{ id, sealed string }

// maxOpenedSecrets bounds the memo by count (the keys in use); it is
// emptied when full.
const maxOpenedSecrets = 4096

func (c *openedSecrets) get(id, sealed string) (string, bool) {
	c.mu.RLock()
	s, ok := c.m[sealedSecret{id, sealed}]
	c.mu.RUnlock()
	return s, ok
}

func (c *openedSecrets) put(id, sealed, secret string) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxOpenedSecrets {
		c.m = map[sealedSecret]string{}
	}
	c.m[sealedSecret{id, sealed}] = secret
	c.mu.Unlock()
}
