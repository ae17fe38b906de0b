package blob

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// Hasher computes the four digests CodeArtifact reports (MD5, SHA-1, SHA-256,
// SHA-512) in one streaming pass. Write to it (e.g. through io.TeeReader or
// io.MultiWriter) and call Sum at the end. The zero value is not usable; call
// NewHasher.
type Hasher struct {
	md5, sha1, sha256, sha512 hash.Hash
	all                       io.Writer
	n                         int64
}

// NewHasher returns a Hasher that has seen no bytes.
func NewHasher() *Hasher {
	h := &Hasher{md5: md5.New(), sha1: sha1.New(), sha256: sha256.New(), sha512: sha512.New()}
	h.all = io.MultiWriter(h.md5, h.sha1, h.sha256, h.sha512)
	return h
}

// Write hashes p. It never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	h.n += int64(len(p))
	return h.all.Write(p)
}

// Size is the number of bytes written so far.
func (h *Hasher) Size() int64 { return h.n }

// Sum returns the lowercase hex digests of everything written so far.
func (h *Hasher) Sum() model.Hashes {
	return model.Hashes{
		MD5:    hex.EncodeToString(h.md5.Sum(nil)),
		SHA1:   hex.EncodeToString(h.sha1.Sum(nil)),
		SHA256: hex.EncodeToString(h.sha256.Sum(nil)),
		SHA512: hex.EncodeToString(h.sha512.Sum(nil)),
	}
}

// ValidSHA256 reports whether s is 64 lowercase hex digits, the only form a key
// takes inside the store (so it is always safe as a file or object name).
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// NormalizeSHA256 lowercases a hex SHA-256 and checks it, returning an
// apperr.Validation error when it is not one.
func NormalizeSHA256(s string) (string, error) {
	l := strings.ToLower(s)
	if !ValidSHA256(l) {
		return "", apperr.Validationf("%q is not a hex SHA-256 digest", s)
	}
	return l, nil
}

// LimitReader returns a reader of r's content that fails with apperr.TooLarge
// once r yields more than max bytes, so a Put of an oversized body stores
// nothing. Exactly max bytes are accepted.
func LimitReader(r io.Reader, max int64) io.Reader {
	return &limitReader{r: r, left: max, max: max}
}

type limitReader struct {
	r         io.Reader
	left, max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.left <= 0 {
		// At the limit: one more byte means too large, EOF means exactly right.
		var one [1]byte
		for {
			n, err := l.r.Read(one[:])
			if n > 0 {
				return 0, apperr.New(apperr.TooLarge, "content exceeds the limit of %d bytes", l.max)
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// ContextReader returns a reader that fails with ctx's error once ctx ends, so
// a long Put stops when its request is cancelled.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	if ctx.Done() == nil {
		return r
	}
	return ctxReader{ctx, r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
