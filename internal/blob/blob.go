// Package blob defines wharf's content-addressed blob storage.
//
// A blob is addressed by a namespace (the dedup boundary: one per domain, e.g.
// "000000000000/my-domain") and the lowercase hex SHA-256 of its content. Two
// layers exist so that encryption and new backends slot in without touching
// format code:
//
//   - Store is what format handlers call: Put streams content in and returns its
//     digests; Open/Stat/Delete address it by SHA-256.
//   - Backend is what a storage medium (local disk, S3) implements: raw objects
//     under caller-chosen keys, written through a Pending writer that becomes
//     visible only on Commit. PutContent turns any Backend into a Store; the
//     envelope package uses the same Backend to store ciphertext under the
//     plaintext's SHA-256.
//
// Nothing in this package or its backends holds a whole blob in memory.
package blob

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// Store is content-addressed blob storage, deduplicated per namespace.
//
// Conventions every implementation follows (blobtest.Run checks them):
//   - an absent blob is apperr.NotFound; a malformed namespace or digest is
//     apperr.Validation;
//   - digests are accepted in either case and returned in lowercase hex;
//   - Put of content already present stores nothing new and succeeds;
//   - a failed, cancelled or crashed Put leaves nothing visible;
//   - Delete of an absent blob succeeds (deletes are idempotent, as in S3).
type Store interface {
	// Put streams r into the store under ns, computing its digests in the same
	// pass, and returns them with the size. If expectSHA256 is not "" and the
	// content's SHA-256 differs, nothing is stored and an apperr.Validation error
	// is returned. An error from r (e.g. LimitReader's apperr.TooLarge) is
	// returned as is and nothing is stored.
	Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error)
	// Open streams a blob's content and reports its size.
	Open(ctx context.Context, ns, sha256 string) (io.ReadCloser, int64, error)
	// Stat reports a blob's size.
	Stat(ctx context.Context, ns, sha256 string) (int64, error)
	// Delete removes a blob.
	Delete(ctx context.Context, ns, sha256 string) error
}

// Backend stores opaque objects under caller-chosen keys within a namespace.
// Keys are lowercase hex SHA-256 strings (ValidSHA256); a key always names the
// same logical content, which is what lets Commit keep an existing object.
// Open, Stat and Delete follow the Store conventions, with sizes being stored
// (possibly ciphertext) sizes.
type Backend interface {
	// Create starts a new object in ns. Nothing is visible until Commit.
	Create(ctx context.Context, ns string) (Pending, error)
	Open(ctx context.Context, ns, key string) (io.ReadCloser, int64, error)
	Stat(ctx context.Context, ns, key string) (int64, error)
	Delete(ctx context.Context, ns, key string) error
}

// Lister is implemented by backends whose objects the blob garbage collector
// (internal/blobgc) can enumerate; a backend without it is collected only
// for the blobs disposal dereferences.
type Lister interface {
	// Namespaces lists the namespaces holding objects (or that once did).
	Namespaces(ctx context.Context) ([]string, error)
	// List calls fn for each object of ns with its key and when it was last
	// stored: a Commit of a key already present counts as storing it again,
	// so "stored long ago" means no writer is about to reference it.
	List(ctx context.Context, ns string, fn func(key string, stored time.Time) error) error
}

// Pending is an object being written. Exactly one of Commit or Abort ends it;
// Abort after Commit is a harmless no-op, so `defer p.Abort()` is the idiom.
type Pending interface {
	io.Writer
	// Commit makes the written bytes durable and visible under key, atomically.
	// If key already exists the existing object is kept and the new bytes are
	// discarded: the key names the content, so either copy is as good.
	Commit(key string) error
	// Abort discards the written bytes.
	Abort() error
}

// ErrCorrupt marks stored data that failed an integrity check (a bad
// authentication tag, a truncated object, a digest mismatch on read). It is
// wrapped in an apperr.Internal error; test with errors.Is.
var ErrCorrupt = errors.New("blob: stored object is corrupt")

// Corrupt returns the apperr error for a failed integrity check.
func Corrupt(format string, args ...any) error {
	return apperr.New(apperr.Internal, "blob integrity check failed: "+format, args...).Wrap(ErrCorrupt)
}

// PutContent implements Store.Put over a Backend: it streams r into a Pending
// object while hashing it, then commits it under its SHA-256, or aborts when
// the read fails, the context ends or the digest differs from expectSHA256.
// Backends call it from their own Put method.
func PutContent(ctx context.Context, b Backend, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error) {
	expect, err := normalizeExpect(expectSHA256)
	if err != nil {
		return model.Hashes{}, 0, err
	}
	p, err := b.Create(ctx, ns)
	if err != nil {
		return model.Hashes{}, 0, err
	}
	defer p.Abort()
	h := NewHasher()
	if _, err := io.Copy(io.MultiWriter(p, h), ContextReader(ctx, r)); err != nil {
		return model.Hashes{}, 0, err
	}
	sum := h.Sum()
	if err := CheckExpected(sum.SHA256, expect); err != nil {
		return model.Hashes{}, 0, err
	}
	if err := p.Commit(sum.SHA256); err != nil {
		return model.Hashes{}, 0, err
	}
	return sum, h.Size(), nil
}

// CheckExpected returns the apperr.Validation error Put reports when the
// content's SHA-256 (got) differs from a normalized expected one ("" = any).
func CheckExpected(got, expect string) error {
	if expect != "" && got != expect {
		return apperr.Validationf("content SHA-256 %s does not match the expected %s", got, expect)
	}
	return nil
}

func normalizeExpect(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return NormalizeSHA256(s)
}
