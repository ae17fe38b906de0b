// Package memcache keeps the plaintext of small, often-read blobs in memory in
// front of the (encrypted) blob store, so a hot tarball costs no file open,
// read or decryption. Blobs are content-addressed: a key's bytes never change,
// so an entry can never be stale; it is bounded by bytes and per-item size.
// A blob enters the cache only after the inner store's reader reached EOF,
// which for the envelope store means every chunk authenticated and the
// SHA-256 checked.
package memcache

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/wharf-dev/wharf/internal/model"
)

// Blobs is the blob-store surface the package engine uses.
type Blobs interface {
	Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error)
	Open(ctx context.Context, ns, sha256 string) (io.ReadCloser, int64, error)
}

// Cache is a Blobs decorator.
type Cache struct {
	inner    Blobs
	maxBytes int64
	maxItem  int64

	// Gate, when set, is asked before a blob is served from memory: plaintext
	// held here is served only while the inner store could still decrypt it
	// (the domain's key usable), so disabling a key takes effect at once.
	Gate func(ctx context.Context, ns string) error

	mu    sync.RWMutex
	m     map[string][]byte
	bytes int64
}

// New caches blobs of at most maxItem bytes, maxBytes in all.
func New(inner Blobs, maxBytes, maxItem int64) *Cache {
	return &Cache{inner: inner, maxBytes: maxBytes, maxItem: maxItem, m: map[string][]byte{}}
}

// Put passes through (a put blob is not necessarily read soon).
func (c *Cache) Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error) {
	return c.inner.Put(ctx, ns, r, expectSHA256)
}

// reader serves a blob from memory: one allocation where
// io.NopCloser(bytes.NewReader(b)) made two. bytes.Reader's WriteTo lets
// io.Copy hand the whole blob to the response in one Write.
type reader struct{ bytes.Reader }

func (*reader) Close() error { return nil }

func newReader(b []byte) *reader {
	r := &reader{}
	r.Reset(b)
	return r
}

// Open serves a small blob from memory, reading it whole (and so verifying
// it) on first use; larger blobs stream from the inner store.
func (c *Cache) Open(ctx context.Context, ns, sha256 string) (io.ReadCloser, int64, error) {
	// The key is built on the stack and the map indexed with string(key),
	// which allocates nothing: a hit (every cached tarball GET) costs no
	// allocation for it; only a miss stores the key as a string.
	var kb [192]byte
	key := append(append(append(kb[:0], ns...), '|'), sha256...)
	c.mu.RLock()
	b, ok := c.m[string(key)]
	c.mu.RUnlock()
	if ok {
		if c.Gate != nil {
			if err := c.Gate(ctx, ns); err != nil {
				return nil, 0, err
			}
		}
		return newReader(b), int64(len(b)), nil
	}
	rc, size, err := c.inner.Open(ctx, ns, sha256)
	if err != nil || size > c.maxItem {
		return rc, size, err
	}
	defer rc.Close()
	buf := make([]byte, size)
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, 0, err
	}
	// EOF is where the inner reader checks the digest: require it.
	if n, err := rc.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	c.put(string(key), buf)
	return newReader(buf), size, nil
}

// Stats reports the number of blobs held and their bytes.
func (c *Cache) Stats() (entries int, bytes int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m), c.bytes
}

func (c *Cache) put(key string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	c.m[key] = b
	c.bytes += int64(len(b))
	for k, old := range c.m { // over budget: drop arbitrary entries
		if c.bytes <= c.maxBytes {
			break
		}
		delete(c.m, k)
		c.bytes -= int64(len(old))
	}
}
