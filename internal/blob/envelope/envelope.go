// Package envelope encrypts blobs at rest over any blob.Backend.
//
// Each stored object gets its own random data key (DEK) from a keys.Provider,
// wrapped under the namespace's key ARN (the domain's KMS key). Objects are
// still addressed by the PLAINTEXT SHA-256, so per-domain dedup works exactly
// as without encryption.
//
// Object format (all integers big-endian):
//
//	header:  "WHRE" | version u8 (1) | chunk size u32 | nonce prefix [4] | wrapped-DEK length u16 | wrapped DEK
//	chunks:  AES-256-GCM(chunk i) ...
//
// The plaintext is cut into chunks of exactly chunk-size bytes followed by one
// final chunk of 0..chunk-size-1 bytes (so the final chunk is always present
// and always short). Chunk i's nonce is prefix || u64(i); its associated data
// is namespace || 0x00 || header || final-flag. Hence a reordered, dropped,
// truncated or extended chunk, an altered header, or an object copied from
// another namespace fails authentication. A reader additionally checks the
// plaintext SHA-256 against the object's key at EOF, so swapping two objects
// within a namespace is caught too.
package envelope

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"io"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/keys"
	"github.com/wharf-dev/wharf/internal/model"
)

const (
	magic            = "WHRE"
	version          = 1
	DefaultChunkSize = 64 << 10
	fixedHeaderLen   = 4 + 1 + 4 + 4 + 2
	tagLen           = 16
	minChunk         = 16       // readers refuse headers outside these bounds,
	maxChunk         = 16 << 20 // so a corrupt header cannot force a huge allocation
	maxWrappedLen    = 4096     // KMS ciphertext blobs are well under this
)

// KeyFunc returns the key ARN that encrypts namespace ns (the domain's
// encryption key, fixed at domain creation).
type KeyFunc func(ctx context.Context, ns string) (keyARN string, err error)

// Store is an encrypting blob.Store over a blob.Backend.
type Store struct {
	inner     blob.Backend
	keys      keys.Provider
	keyFor    KeyFunc
	chunkSize int
}

var _ blob.Store = (*Store)(nil)

// New returns a Store that encrypts into inner with data keys from kp, wrapped
// under keyFor(ns).
func New(inner blob.Backend, kp keys.Provider, keyFor KeyFunc) *Store {
	return &Store{inner: inner, keys: kp, keyFor: keyFor, chunkSize: DefaultChunkSize}
}

// WithChunkSize returns a copy of s writing chunks of n plaintext bytes (tests
// use small chunks; objects record their own size, so mixed sizes read fine).
func (s *Store) WithChunkSize(n int) *Store {
	if n < minChunk || n > maxChunk {
		panic("envelope: chunk size out of range")
	}
	c := *s
	c.chunkSize = n
	return &c
}

// Put implements blob.Store: it hashes the plaintext while encrypting it into a
// pending inner object, and commits that under the plaintext SHA-256.
func (s *Store) Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error) {
	var expect string
	if expectSHA256 != "" {
		var err error
		if expect, err = blob.NormalizeSHA256(expectSHA256); err != nil {
			return model.Hashes{}, 0, err
		}
	}
	arn, err := s.keyFor(ctx, ns)
	if err != nil {
		return model.Hashes{}, 0, err
	}
	dek, wrapped, err := s.keys.GenerateDataKey(ctx, arn)
	if err != nil {
		return model.Hashes{}, 0, err
	}
	aead, err := newAEAD(dek)
	if err != nil {
		return model.Hashes{}, 0, err
	}
	var prefix [4]byte
	if _, err := rand.Read(prefix[:]); err != nil {
		return model.Hashes{}, 0, apperr.New(apperr.Internal, "envelope: random").Wrap(err)
	}
	header := encodeHeader(s.chunkSize, prefix, wrapped)

	p, err := s.inner.Create(ctx, ns)
	if err != nil {
		return model.Hashes{}, 0, err
	}
	defer p.Abort()
	if _, err := p.Write(header); err != nil {
		return model.Hashes{}, 0, err
	}
	c := newChunker(aead, ns, header, prefix)
	h := blob.NewHasher()
	src := io.TeeReader(blob.ContextReader(ctx, r), h)
	buf := make([]byte, s.chunkSize, s.chunkSize+tagLen)
	cs := &chunkSource{r: src}
	for {
		n, err := cs.fill(buf)
		final := false
		switch {
		case err == io.EOF:
			final = true
		case err != nil:
			return model.Hashes{}, 0, err
		}
		if _, err := p.Write(c.seal(buf[:n], final)); err != nil {
			return model.Hashes{}, 0, err
		}
		if final {
			break
		}
	}
	sum := h.Sum()
	if err := blob.CheckExpected(sum.SHA256, expect); err != nil {
		return model.Hashes{}, 0, err
	}
	if err := p.Commit(sum.SHA256); err != nil {
		return model.Hashes{}, 0, err
	}
	return sum, h.Size(), nil
}

// chunkSource fills chunks from r. A chunk is full (nil), or r ended cleanly
// (io.EOF, with n < len(buf): the final chunk is always short, even when r
// returns its last bytes together with io.EOF and they fill the chunk). Unlike
// io.ReadFull it never turns an error into an end: io.ErrUnexpectedEOF from r
// (net/http's report of a body shorter than its Content-Length) is a failed
// read, and storing what came before it would keep a truncated download as if
// it were whole.
type chunkSource struct {
	r   io.Reader
	eof bool
}

func (c *chunkSource) fill(buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		if c.eof {
			return n, io.EOF
		}
		m, err := c.r.Read(buf[n:])
		n += m
		switch {
		case err == io.EOF:
			c.eof = true
		case err != nil:
			return n, err
		}
	}
	return n, nil
}

// Open implements blob.Store. The size is the plaintext size. The reader
// authenticates every chunk before returning its bytes and returns an error
// wrapping blob.ErrCorrupt for any tampering, never wrong data; at EOF it has
// also checked the plaintext SHA-256.
func (s *Store) Open(ctx context.Context, ns, key string) (io.ReadCloser, int64, error) {
	key, err := blob.NormalizeSHA256(key)
	if err != nil {
		return nil, 0, err
	}
	rc, stored, err := s.inner.Open(ctx, ns, key)
	if err != nil {
		return nil, 0, err
	}
	hdr, err := readHeader(rc, stored)
	if err != nil {
		rc.Close()
		return nil, 0, err
	}
	arn, err := s.keyFor(ctx, ns)
	if err != nil {
		rc.Close()
		return nil, 0, err
	}
	dek, err := s.keys.Decrypt(ctx, arn, hdr.wrapped)
	if err != nil {
		rc.Close()
		if errors.Is(err, keys.ErrInvalidCiphertext) {
			return nil, 0, blob.Corrupt("%s: data key does not unwrap", key)
		}
		return nil, 0, err
	}
	aead, err := newAEAD(dek)
	if err != nil {
		rc.Close()
		return nil, 0, err
	}
	want, _ := hex.DecodeString(key)
	return &reader{
		src:  rc,
		c:    newChunker(aead, ns, hdr.raw, hdr.prefix),
		buf:  make([]byte, hdr.chunkSize+tagLen),
		hash: sha256.New(),
		want: want,
		key:  key,
	}, hdr.plainSize, nil
}

// Stat implements blob.Store, reporting the plaintext size (computed from the
// stored size and the header, without decrypting).
func (s *Store) Stat(ctx context.Context, ns, key string) (int64, error) {
	key, err := blob.NormalizeSHA256(key)
	if err != nil {
		return 0, err
	}
	rc, stored, err := s.inner.Open(ctx, ns, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	hdr, err := readHeader(rc, stored)
	if err != nil {
		return 0, err
	}
	return hdr.plainSize, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, ns, key string) error {
	key, err := blob.NormalizeSHA256(key)
	if err != nil {
		return err
	}
	return s.inner.Delete(ctx, ns, key)
}

func newAEAD(dek []byte) (cipher.AEAD, error) {
	defer clear(dek)
	if len(dek) != 32 {
		return nil, apperr.New(apperr.Internal, "envelope: data key is %d bytes, want 32", len(dek))
	}
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, apperr.New(apperr.Internal, "envelope: cipher").Wrap(err)
	}
	return cipher.NewGCM(block)
}

func encodeHeader(chunkSize int, prefix [4]byte, wrapped []byte) []byte {
	h := make([]byte, 0, fixedHeaderLen+len(wrapped))
	h = append(h, magic...)
	h = append(h, version)
	h = binary.BigEndian.AppendUint32(h, uint32(chunkSize))
	h = append(h, prefix[:]...)
	h = binary.BigEndian.AppendUint16(h, uint16(len(wrapped)))
	return append(h, wrapped...)
}

type header struct {
	raw       []byte
	chunkSize int
	prefix    [4]byte
	wrapped   []byte
	plainSize int64
}

// readHeader parses the header from r and derives the plaintext size from the
// stored size: n full chunks of chunkSize+tag, then a final chunk of r+tag
// bytes with r < chunkSize.
func readHeader(r io.Reader, stored int64) (header, error) {
	var h header
	fixed := make([]byte, fixedHeaderLen)
	if _, err := io.ReadFull(r, fixed); err != nil {
		return h, headerErr(err)
	}
	if string(fixed[:4]) != magic || fixed[4] != version {
		return h, blob.Corrupt("not an envelope object (magic or version)")
	}
	h.chunkSize = int(binary.BigEndian.Uint32(fixed[5:9]))
	copy(h.prefix[:], fixed[9:13])
	wl := int(binary.BigEndian.Uint16(fixed[13:15]))
	if h.chunkSize < minChunk || h.chunkSize > maxChunk || wl == 0 || wl > maxWrappedLen {
		return h, blob.Corrupt("header out of range")
	}
	h.raw = make([]byte, fixedHeaderLen+wl)
	copy(h.raw, fixed)
	if _, err := io.ReadFull(r, h.raw[fixedHeaderLen:]); err != nil {
		return h, headerErr(err)
	}
	h.wrapped = h.raw[fixedHeaderLen:]
	body := stored - int64(len(h.raw)) - tagLen
	if body < 0 {
		return h, blob.Corrupt("object truncated")
	}
	full, rest := body/int64(h.chunkSize+tagLen), body%int64(h.chunkSize+tagLen)
	if rest >= int64(h.chunkSize) {
		return h, blob.Corrupt("object size does not fit the chunk layout")
	}
	h.plainSize = full*int64(h.chunkSize) + rest
	return h, nil
}

func headerErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return blob.Corrupt("header truncated")
	}
	return err
}

// chunker seals and opens chunks in order, tracking the counter.
type chunker struct {
	aead  cipher.AEAD
	nonce [12]byte
	aad   []byte // ns || 0 || header || final flag (last byte, set per chunk)
	n     uint64
}

func newChunker(aead cipher.AEAD, ns string, header []byte, prefix [4]byte) *chunker {
	c := &chunker{aead: aead}
	copy(c.nonce[:4], prefix[:])
	c.aad = make([]byte, 0, len(ns)+1+len(header)+1)
	c.aad = append(c.aad, ns...)
	c.aad = append(c.aad, 0)
	c.aad = append(c.aad, header...)
	c.aad = append(c.aad, 0)
	return c
}

func (c *chunker) next(final bool) {
	binary.BigEndian.PutUint64(c.nonce[4:], c.n)
	c.n++
	c.aad[len(c.aad)-1] = 0
	if final {
		c.aad[len(c.aad)-1] = 1
	}
}

// seal encrypts p in place (p must have tagLen spare capacity).
func (c *chunker) seal(p []byte, final bool) []byte {
	c.next(final)
	return c.aead.Seal(p[:0], c.nonce[:], p, c.aad)
}

func (c *chunker) open(p []byte, final bool) ([]byte, error) {
	c.next(final)
	return c.aead.Open(p[:0], c.nonce[:], p, c.aad)
}

// reader decrypts chunk by chunk; it never returns unauthenticated bytes.
type reader struct {
	src   io.ReadCloser
	c     *chunker
	buf   []byte
	plain []byte // decrypted bytes not yet returned
	hash  hash.Hash
	want  []byte
	key   string
	done  bool
	err   error // sticky
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			if sum := r.hash.Sum(nil); string(sum) != string(r.want) {
				r.err = blob.Corrupt("%s: content does not match its digest", r.key)
			} else {
				r.err = io.EOF
			}
			return 0, r.err
		}
		r.err = r.fill()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// fill reads and authenticates the next chunk. A full-size chunk is never
// final; a short one must be, and must end the object.
func (r *reader) fill() error {
	n, err := io.ReadFull(r.src, r.buf)
	final := false
	switch {
	case err == nil:
	case err == io.ErrUnexpectedEOF:
		final = true
	case err == io.EOF:
		return blob.Corrupt("%s: truncated (no final chunk)", r.key)
	default:
		return err
	}
	if n < tagLen {
		return blob.Corrupt("%s: truncated chunk", r.key)
	}
	pt, err := r.c.open(r.buf[:n], final)
	if err != nil {
		return blob.Corrupt("%s: chunk %d does not authenticate", r.key, r.c.n-1)
	}
	r.hash.Write(pt)
	r.plain, r.done = pt, final
	return nil
}

func (r *reader) Close() error { return r.src.Close() }
