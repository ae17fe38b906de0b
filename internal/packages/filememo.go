package packages

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strconv"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/gencache"
	"github.com/wharf-dev/wharf/internal/model"
)

// File is one asset of a version, resolved for serving: the asset row (for
// OpenAsset) and its response headers' values, built once.
type File struct {
	Asset model.Asset
	// ETag (the quoted SHA-256) and ContentLength are ready to assign into a
	// response's header map: a memoized File serves many requests, and
	// formatting them again would cost two allocations each time. Each slice
	// has cap == len, so an Add by anyone further down reallocates instead of
	// writing into the shared array; net/http only reads them.
	ETag, ContentLength []string

	ns string // the blob namespace of the requester's domain (OpenFile)
}

func newFile(repo model.Repository, a model.Asset) *File {
	return &File{Asset: a, ns: Namespace(repo.DomainOwner, repo.DomainName),
		ETag:          []string{`"` + a.Hashes.SHA256 + `"`},
		ContentLength: []string{strconv.FormatInt(a.Size, 10)}}
}

func (f *File) size() int64 {
	h := f.Asset.Hashes
	return int64(len(f.Asset.Name)+len(h.MD5)+len(h.SHA1)+len(h.SHA256)+len(h.SHA512)+len(f.ETag[0])+len(f.ContentLength[0])+len(f.ns)) + 256
}

// fileMemo remembers files the requesting repository itself holds, each for
// the generation of the domain it was resolved under.
//
// Why it is exact: serving a file the requester holds reads only that
// repository's version row (its status) and asset rows (Find never consults
// the origin rules, the upstreams or the external connections for the
// requester's own versions: they decide what enters it, not what it serves).
// Every change to those rows — a publish, a status change, a deletion, a
// disposal, a retained or ingested copy — goes through internal/store/cached,
// which bumps the domain's generation, in shared mode on every replica; so do
// upstream, origin and package-group changes, which could make a miss resolve
// elsewhere. An entry filed under an older generation is never served.
// A file found in an upstream repository or through an external connection
// is not memoized: serving it retained it, which moved the generation, and
// the next request finds it held by the requester.
type fileMemo = gencache.Cache[*File]

// EnableFileMemo turns on the memo of resolved files (FetchFile), bounded to
// maxBytes; 0 or less leaves it off. Call it before serving.
func (e *Engine) EnableFileMemo(maxBytes int64) {
	if maxBytes <= 0 {
		e.files = nil
		return
	}
	// One entry is a few hundred bytes; no single one may take more than a
	// sixteenth (a pathological asset name).
	e.files = gencache.New(maxBytes, max(maxBytes/16, 1024), (*File).size)
}

// FileMemoStats reports the memoized files and their bytes.
func (e *Engine) FileMemoStats() (entries int, bytes int64) { return e.files.Stats() }

// fileKeyBytes is the room on the stack for a memo key (a longer one moves
// to the heap).
const fileKeyBytes = 320

// fileKey appends the memo key of a file: each part length-prefixed, so no
// two different files share a key whatever characters their names hold.
func fileKey(b []byte, repo model.Repository, f model.Format, ns, name, version, file string, allowUnfinished bool) []byte {
	if allowUnfinished {
		b = append(b, 'u')
	} else {
		b = append(b, '-')
	}
	for _, p := range [...]string{repo.DomainOwner, repo.DomainName, repo.Name, string(f), ns, name, version, file} {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

// FetchFile is SearchOrder and Fetch for a package manager's file GET: it
// resolves one asset of a version through repo's chain and answers it ready
// to serve. A file repo itself holds is remembered for the domain's current
// generation (fileMemo), so serving it again costs one generation read and
// one map read instead of the chain walk and the version and asset lookups.
// Authorization is not part of it: callers check it on every request.
func (e *Engine) FetchFile(ctx context.Context, f Format, repo model.Repository, ns, name, version, file string, allowUnfinished bool) (*File, error) {
	fl, c, err := e.heldFile(ctx, f.Kind(), repo, ns, name, version, file, allowUnfinished)
	if !errors.Is(err, errNotHeld) {
		return fl, err
	}
	// Not held in the chain: the external hop, as Fetch does; not memoized
	// (it stored the file, moving the generation).
	_, a, err := e.fetch(ctx, f, c, ns, name, version, file, allowUnfinished)
	if err != nil {
		return nil, err
	}
	return newFile(repo, a), nil
}

// ErrNotHeld is HeldFile's answer when no repository of the chain holds the
// file (an external connection may have it: FetchFile).
var ErrNotHeld = errNotHeld

// HeldFile is FetchFile without the external hop: for a format that must do
// work of its own before an external fetch (Cargo reads its upstreams'
// config.json), which a file the chain holds does not need.
func (e *Engine) HeldFile(ctx context.Context, f model.Format, repo model.Repository, ns, name, version, file string, allowUnfinished bool) (*File, error) {
	fl, _, err := e.heldFile(ctx, f, repo, ns, name, version, file, allowUnfinished)
	return fl, err
}

// heldFile answers a file from the memo, else from the nearest repository of
// the chain holding it (retained in repo), else errNotHeld with the chain.
func (e *Engine) heldFile(ctx context.Context, f model.Format, repo model.Repository, ns, name, version, file string, allowUnfinished bool) (*File, Chain, error) {
	var kb [fileKeyBytes]byte
	var key []byte
	var gen int64
	if e.files != nil {
		// The generation is read before anything it guards: a resolution
		// racing a write is filed under the generation before the write, and
		// is not served after it.
		var err error
		if gen, err = e.Generation(ctx, repo); err != nil {
			return nil, Chain{}, err
		}
		key = fileKey(kb[:0], repo, f, ns, name, version, file, allowUnfinished)
		if fl, ok := e.files.GetBytes(key, gen); ok {
			return fl, Chain{}, nil
		}
	}
	c, err := e.SearchOrder(ctx, repo)
	if err != nil {
		return nil, Chain{}, err
	}
	hit, a, err := e.held(ctx, c, f, ns, name, version, file, allowUnfinished)
	if err != nil {
		return nil, c, err
	}
	fl := newFile(repo, a)
	if e.files != nil && hit.Repo.Name == repo.Name {
		e.files.Put(string(key), gen, fl)
	}
	return fl, c, nil
}

// OpenFile streams a file FetchFile answered (OpenAsset on the repository it
// was asked for, without building the namespace string again).
func (e *Engine) OpenFile(ctx context.Context, f *File) (io.ReadCloser, int64, error) {
	return e.Blobs.Open(ctx, f.ns, f.Asset.Hashes.SHA256)
}

// fetch is Fetch after its first held lookup answered errNotHeld.
func (e *Engine) fetch(ctx context.Context, f Format, c Chain, ns, name, version, file string, allowUnfinished bool) (Hit, model.Asset, error) {
	if err := e.fetchExternal(ctx, f, c, ns, name, version, file); err != nil {
		return Hit{}, model.Asset{}, err
	}
	hit, a, err := e.held(ctx, c, f.Kind(), ns, name, version, file, allowUnfinished)
	if errors.Is(err, errNotHeld) {
		err = apperr.NotFoundf("asset", file, "%s of %s %s is not in repository %s", file, displayName(f.Kind(), ns, name), version, c.Repos[0].Name)
	}
	return hit, a, err
}
