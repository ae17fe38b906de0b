// Package fs stores blobs on a local filesystem.
//
// Layout under the root:
//
//	<ns-escaped>/sha256/ab/cd/<abcd...64 hex>   committed objects
//	.incoming/put-*                              objects being written
//
// A namespace is escaped into one directory name: every byte outside
// [A-Za-z0-9_-] becomes %XX, so "000000000000/my-domain" is
// "000000000000%2Fmy-domain" and no namespace can name "..", ".incoming" or a
// nested path. Writes go to .incoming (same filesystem), are fsynced, then
// renamed into place: a reader sees a whole object or none, and concurrent
// writers of the same content each rename identical bytes.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
)

const (
	incomingDir = ".incoming"
	// staleAfter is how old a leftover temp file must be before New removes it;
	// generous so a slow upload by another process sharing the root survives.
	staleAfter = 24 * time.Hour
	maxNSLen   = 200 // escaped length stays under common 255-byte name limits
)

// Store is a local-disk blob.Store and blob.Backend.
type Store struct {
	root     string
	incoming string
}

var (
	_ blob.Store   = (*Store)(nil)
	_ blob.Backend = (*Store)(nil)
	_ blob.Lister  = (*Store)(nil)
)

// New opens (creating if needed) a store rooted at root and removes temp files
// left by writers that crashed more than a day ago.
func New(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blob/fs: %w", err)
	}
	s := &Store{root: abs, incoming: filepath.Join(abs, incomingDir)}
	if err := os.MkdirAll(s.incoming, 0o700); err != nil {
		return nil, fmt.Errorf("blob/fs: %w", err)
	}
	s.removeStale(time.Now().Add(-staleAfter))
	return s, nil
}

// Root is the absolute directory the store lives in.
func (s *Store) Root() string { return s.root }

func (s *Store) removeStale(before time.Time) {
	entries, err := os.ReadDir(s.incoming)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			os.Remove(filepath.Join(s.incoming, e.Name()))
		}
	}
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error) {
	return blob.PutContent(ctx, s, ns, r, expectSHA256)
}

// Create implements blob.Backend.
func (s *Store) Create(ctx context.Context, ns string) (blob.Pending, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, err := s.nsDir(ns)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.incoming, "put-*")
	if err != nil {
		return nil, apperr.New(apperr.Internal, "blob/fs: create temp file").Wrap(err)
	}
	return &pending{f: f, nsDir: dir}, nil
}

// Open implements blob.Store and blob.Backend. The reader is an *os.File, so
// io.Copy to a network connection can use sendfile.
func (s *Store) Open(ctx context.Context, ns, key string) (io.ReadCloser, int64, error) {
	p, err := s.path(ctx, ns, key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, s.fsErr(err, ns, key)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, s.fsErr(err, ns, key)
	}
	return f, info.Size(), nil
}

// Stat implements blob.Store and blob.Backend.
func (s *Store) Stat(ctx context.Context, ns, key string) (int64, error) {
	p, err := s.path(ctx, ns, key)
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return 0, s.fsErr(err, ns, key)
	}
	return info.Size(), nil
}

// Delete implements blob.Store and blob.Backend; deleting an absent blob
// succeeds. Empty fan-out directories are left in place: removing them would
// race with a concurrent Commit into the same directory.
func (s *Store) Delete(ctx context.Context, ns, key string) error {
	p, err := s.path(ctx, ns, key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return s.fsErr(err, ns, key)
	}
	return nil
}

func (s *Store) fsErr(err error, ns, key string) error {
	if errors.Is(err, iofs.ErrNotExist) {
		return apperr.NotFoundf("asset", key, "blob %s not found in %s", key, ns)
	}
	return apperr.New(apperr.Internal, "blob/fs: %s", key).Wrap(err)
}

func (s *Store) path(ctx context.Context, ns, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	dir, err := s.nsDir(ns)
	if err != nil {
		return "", err
	}
	key, err = blob.NormalizeSHA256(key)
	if err != nil {
		return "", err
	}
	return objectPath(dir, key), nil
}

func objectPath(nsDir, key string) string {
	return filepath.Join(nsDir, "sha256", key[0:2], key[2:4], key)
}

func (s *Store) nsDir(ns string) (string, error) {
	esc := blob.EscapeNamespace(ns)
	if ns == "" || len(esc) > maxNSLen {
		return "", apperr.Validationf("invalid blob namespace %q", ns)
	}
	return filepath.Join(s.root, esc), nil
}

type pending struct {
	f     *os.File
	nsDir string
	done  bool
}

func (p *pending) Write(b []byte) (int, error) {
	if p.done {
		return 0, errors.New("blob/fs: write after commit or abort")
	}
	return p.f.Write(b)
}

func (p *pending) Commit(key string) error {
	if p.done {
		return errors.New("blob/fs: commit after commit or abort")
	}
	if !blob.ValidSHA256(key) {
		return apperr.Validationf("invalid blob key %q", key)
	}
	p.done = true
	tmp := p.f.Name()
	fail := func(err error) error {
		p.f.Close()
		os.Remove(tmp)
		return apperr.New(apperr.Internal, "blob/fs: commit %s", key).Wrap(err)
	}
	if err := p.f.Sync(); err != nil {
		return fail(err)
	}
	if err := p.f.Close(); err != nil {
		return fail(err)
	}
	dst := objectPath(p.nsDir, key)
	// Already stored (same key, same content): keep it, but mark it stored
	// now, as the garbage collector leaves recently stored objects alone. If
	// it vanished meanwhile (collected), fall through and store ours.
	now := time.Now()
	if err := os.Chtimes(dst, now, now); err == nil {
		os.Remove(tmp)
		return nil
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	// A concurrent writer of the same content may rename first; renaming over
	// it replaces identical bytes atomically, and open readers keep theirs.
	if err := os.Rename(tmp, dst); err != nil {
		return fail(err)
	}
	syncDir(dir)
	return nil
}

func (p *pending) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	p.f.Close()
	return os.Remove(p.f.Name())
}

// syncDir makes a rename durable. Failure is not fatal: the object is already
// visible, and some filesystems refuse fsync on directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Namespaces lists the namespaces with a directory under the root.
func (s *Store) Namespaces(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, apperr.New(apperr.Internal, "blob/fs: list namespaces").Wrap(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || e.Name() == incomingDir {
			continue
		}
		if ns, ok := blob.UnescapeNamespace(e.Name()); ok {
			out = append(out, ns)
		}
	}
	return out, ctx.Err()
}

// List walks ns's objects; an object's modification time is when it was
// last stored (Commit refreshes it for content already present).
func (s *Store) List(ctx context.Context, ns string, fn func(key string, stored time.Time) error) error {
	dir, err := s.nsDir(ns)
	if err != nil {
		return err
	}
	err = filepath.WalkDir(filepath.Join(dir, "sha256"), func(path string, d iofs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, iofs.ErrNotExist) {
				return nil // an empty namespace, or a fan-out directory removed meanwhile
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !blob.ValidSHA256(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, iofs.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		return fn(d.Name(), info.ModTime())
	})
	if err != nil && ctx.Err() == nil {
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			return apperr.New(apperr.Internal, "blob/fs: list %s", ns).Wrap(err)
		}
	}
	return err
}
