package packages

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Register makes a format known to the engine (Publish consults its external
// listings for shadowing). Formats register while the server is built, before
// it serves.
func (e *Engine) Register(f Format) {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	if e.formats == nil {
		e.formats = map[model.Format]Format{}
	}
	e.formats[f.Kind()] = f
}

func (e *Engine) format(k model.Format) Format {
	e.fmu.RLock()
	defer e.fmu.RUnlock()
	return e.formats[k]
}

// Resolution is a package as seen through a repository's chain.
type Resolution struct {
	// Hits are the versions held in the chain, each from the nearest
	// repository holding it, whatever its status (see Visible, Downloadable).
	Hits []Hit
	// Repos are the repositories whose versions Hits may come from: the
	// requester alone when the origin rules keep upstream versions out.
	Repos []model.Repository
	// Listing is the external connection's listing of the package (nil when no
	// connection knows it, none is configured, or the origin rules keep
	// external versions out); Hop names the connection.
	Listing Listing
	Hop     ExternalHop
	// Stale is set when Listing is wharf's cached copy because the upstream
	// could not be reached.
	Stale bool
	// ExternalErr is why no listing could be read when a connection failed
	// (not a 404). Callers serve what the chain holds and say it is partial,
	// or answer the error when the chain holds nothing.
	ExternalErr error
	// Lookups record each upstream lookup and what it returned, so a document
	// rendered from this resolution can be served again while LookupsUnchanged.
	Lookups []Lookup
}

// errUnusable marks a document the format's Valid refused.
var errUnusable = errors.New("unusable upstream document")

// valid is d.Valid with its refusals marked errUnusable.
func (d Document) valid() func(string, []byte) error {
	if d.Valid == nil {
		return nil
	}
	return func(ct string, b []byte) error {
		if err := d.Valid(ct, b); err != nil {
			return errors.Join(errUnusable, err)
		}
		return nil
	}
}

func (d Document) name() string {
	if d.Name == "" {
		return "index"
	}
	return d.Name
}

// Lookup is an upstream metadata lookup and a stamp of what it returned.
type Lookup struct {
	Conn, Path, Accept string
	Stamp              string
	// valid is the check the document passed when it was fetched: repeating
	// the lookup may refresh it, and a refreshed body must pass the same check
	// before it is cached (a cut-short body must not be kept).
	valid func(string, []byte) error
}

// LookupOf stamps a lookup its caller made itself
// (FetchMetadataValid(ctx, conn, path, accept, valid) returning doc, err), so
// that what it renders from the document can be served again while
// LookupsUnchanged. ok is false when err is neither nil nor NotFound: a
// failed lookup has nothing to stamp, and what was rendered without it must
// not be kept.
func LookupOf(conn, path, accept string, valid func(string, []byte) error, doc upstream.Doc, err error) (l Lookup, ok bool) {
	l = Lookup{Conn: conn, Path: path, Accept: accept, valid: valid}
	switch {
	case err == nil:
		l.Stamp = docStamp(doc)
	case apperr.Is(err, apperr.NotFound):
		l.Stamp = lookupNotFound
	default:
		return Lookup{}, false
	}
	return l, true
}

// lookupNotFound is the stamp of a lookup that found nothing.
const lookupNotFound = "404"

// docStamp identifies an upstream document as fetched: FetchedAt moves on
// every refresh or revalidation, so equal stamps mean the very same body.
func docStamp(d upstream.Doc) string {
	return strconv.FormatInt(d.FetchedAt.UnixNano(), 10) + "|" + d.ETag + "|" + strconv.Itoa(len(d.Body)) + "|" + strconv.FormatBool(d.Stale)
}

// LookupsUnchanged repeats a resolution's upstream lookups (from the
// fetcher's cache while fresh) and reports whether each still gives what it
// gave then.
func (e *Engine) LookupsUnchanged(ctx context.Context, ls []Lookup) bool {
	for _, l := range ls {
		if e.Upstream == nil {
			return false
		}
		doc, err := e.Upstream.FetchMetadataValid(ctx, l.Conn, l.Path, l.Accept, l.valid)
		switch {
		case apperr.Is(err, apperr.NotFound):
			if l.Stamp != lookupNotFound {
				return false
			}
		case err != nil:
			return false
		case docStamp(doc) != l.Stamp:
			return false
		}
	}
	return true
}

// Resolve gathers a package through the chain: the versions its repositories
// hold (nearest wins) and the listing of the first external connection that
// knows it, where the origin rules let versions in (Allow: the requester
// retaining from upstreams, the connection's holder ingesting).
func (e *Engine) Resolve(ctx context.Context, f Format, c Chain, ns, name string) (*Resolution, error) {
	res := &Resolution{}
	if len(c.Repos) == 0 {
		return res, nil
	}
	requester := c.Repos[0]
	rs := &rules{}
	internalOK, err := e.allowed(ctx, rs, EntryInternal, requester, f.Kind(), ns, name)
	if err != nil {
		return nil, err
	}
	res.Repos = c.Repos
	if !internalOK {
		res.Repos = c.Repos[:1]
	}
	if res.Hits, err = e.hits(ctx, res.Repos, f.Kind(), ns, name); err != nil {
		return nil, err
	}
	hops, err := e.externalHops(ctx, rs, c, internalOK, f.Kind(), ns, name)
	if err != nil {
		return nil, err
	}
	md := f.Metadata(ns, name)
	if md.Path == "" {
		return res, nil
	}
	for _, hop := range hops {
		doc, err := e.Upstream.FetchMetadataValid(ctx, hop.Connection, md.Path, md.Accept, md.valid())
		if apperr.Is(err, apperr.NotFound) {
			res.Lookups = append(res.Lookups, Lookup{Conn: hop.Connection, Path: md.Path, Accept: md.Accept, Stamp: lookupNotFound, valid: md.valid()})
			continue
		}
		if errors.Is(err, errUnusable) {
			err = apperr.New(apperr.Internal, "upstream %s sent an unusable %s for %s", hop.Connection, md.name(), displayName(f.Kind(), ns, name)).Wrap(err)
		}
		var l Listing
		if err == nil {
			res.Lookups = append(res.Lookups, Lookup{Conn: hop.Connection, Path: md.Path, Accept: md.Accept, Stamp: docStamp(doc), valid: md.valid()})
			if l, err = f.Parse(ns, name, doc); err != nil {
				err = apperr.New(apperr.Internal, "upstream %s sent an unusable %s for %s", hop.Connection, md.name(), displayName(f.Kind(), ns, name)).Wrap(errors.Join(upstream.ErrUnavailable, err))
			}
		}
		if err != nil {
			res.ExternalErr = err
			continue
		}
		res.Listing, res.Hop, res.Stale, res.ExternalErr = l, hop, doc.Stale, nil
		break
	}
	return res, nil
}

// externalHops are the chain's external connections of the format that have
// an upstream URL and through which the origin rules let versions of the
// package in: the holder may ingest it, and the requester (when another
// repository) may retain it.
func (e *Engine) externalHops(ctx context.Context, rs *rules, c Chain, internalOK bool, f model.Format, ns, name string) ([]ExternalHop, error) {
	if e.Upstream == nil || len(c.Repos) == 0 {
		return nil, nil
	}
	var out []ExternalHop
	for _, hop := range c.External(f) {
		if !e.Upstream.Configured(hop.Connection) || (hop.Holder.Name != c.Repos[0].Name && !internalOK) {
			continue
		}
		ok, err := e.allowed(ctx, rs, EntryExternal, hop.Holder, f, ns, name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, hop)
		}
	}
	return out, nil
}

// hits lists the versions held by repos, each from the first holding it.
func (e *Engine) hits(ctx context.Context, repos []model.Repository, f model.Format, ns, name string) ([]Hit, error) {
	var out []Hit
	seen := map[string]bool{}
	for _, r := range repos {
		vs, err := e.Store.ListVersions(ctx, Key(r, f, ns, name))
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if !seen[v.Version] {
				seen[v.Version] = true
				out = append(out, Hit{Version: v, Repo: r})
			}
		}
	}
	return out, nil
}

// Fetch resolves one asset of a version through the chain for a package
// manager: from the nearest repository holding it (retained in the
// requesting repository), else through the first external connection that
// has it — located by the format, fetched once however many ask at the same
// time, verified, ingested in the connection's holder and retained in the
// requester. It answers the version (as held by the requester, or where it
// was found when not retained) and the asset, ready for OpenAsset on the
// requester. allowUnfinished serves an Unfinished version held by the
// requester itself (Maven's deploy reads back what it is uploading).
func (e *Engine) Fetch(ctx context.Context, f Format, c Chain, ns, name, version, file string, allowUnfinished bool) (Hit, model.Asset, error) {
	hit, a, err := e.held(ctx, c, f.Kind(), ns, name, version, file, allowUnfinished)
	if !errors.Is(err, errNotHeld) {
		return hit, a, err
	}
	return e.fetch(ctx, f, c, ns, name, version, file, allowUnfinished)
}

// errNotHeld: the chain does not hold the asset, and an external connection
// may have it.
var errNotHeld = errors.New("not held in the chain")

// held serves an asset from the nearest repository of the chain holding it,
// retaining it in the requester, or answers errNotHeld.
func (e *Engine) held(ctx context.Context, c Chain, f model.Format, ns, name, version, file string, allowUnfinished bool) (Hit, model.Asset, error) {
	requester := c.Repos[0]
	hit, err := e.Find(ctx, c, f, ns, name, version)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return Hit{}, model.Asset{}, errNotHeld
	case err != nil:
		return Hit{}, model.Asset{}, err
	}
	own := hit.Repo.Name == requester.Name
	if !Downloadable(hit.Version) && !(allowUnfinished && own && hit.Version.Status == model.StatusUnfinished) {
		return Hit{}, model.Asset{}, apperr.NotFoundf("package-version", version, "version %s of %s is %s", version, displayName(f, ns, name), strings.ToLower(hit.Version.Status))
	}
	a, err := e.Asset(ctx, hit.Version.PackageKey, version, file)
	switch {
	case err == nil:
	case apperr.Is(err, apperr.NotFound) && hit.Version.Origin.Type == model.OriginExternal:
		// A version fetched from upstream one file at a time may lack this
		// file yet: fetch it. Anything else is final.
		return Hit{}, model.Asset{}, errNotHeld
	default:
		return Hit{}, model.Asset{}, err
	}
	if Downloadable(hit.Version) {
		if err := e.RetainFile(ctx, requester, hit, a); err != nil {
			return Hit{}, model.Asset{}, err
		}
	}
	return hit, a, nil
}

// fetchExternal is Fetch's external hop.
func (e *Engine) fetchExternal(ctx context.Context, f Format, c Chain, ns, name, version, file string) error {
	requester := c.Repos[0]
	kind := f.Kind()
	dn := displayName(kind, ns, name)
	var lastErr error = apperr.NotFoundf("asset", file, "%s of %s %s is not in repository %s, its upstreams or external connections%s",
		file, dn, version, requester.Name, c.MissingUpstreamHint(kind, e.Upstream))
	rs := &rules{}
	internalOK, err := e.allowed(ctx, rs, EntryInternal, requester, kind, ns, name)
	if err != nil {
		return err
	}
	hops, err := e.externalHops(ctx, rs, c, internalOK, kind, ns, name)
	if err != nil {
		return err
	}
	for _, hop := range hops {
		loc, err := e.locate(ctx, f, hop, ns, name, version, file)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err == nil {
			if err = e.pull(ctx, hop, c, kind, ns, name, version, file, loc); err == nil {
				return nil
			}
		}
		lastErr = err
	}
	return lastErr
}

// locate asks the format where the asset lives on hop's upstream and resolves
// its expected digest.
func (e *Engine) locate(ctx context.Context, f Format, hop ExternalHop, ns, name, version, file string) (Located, error) {
	var loc Located
	var err error
	if lf, ok := f.(Locator); ok {
		loc, err = lf.Locate(ns, name, version, file)
	} else {
		md := f.Metadata(ns, name)
		doc, ferr := e.Upstream.FetchMetadataValid(ctx, hop.Connection, md.Path, md.Accept, md.Valid)
		if ferr != nil {
			return Located{}, ferr
		}
		l, perr := f.Parse(ns, name, doc)
		if perr != nil {
			return Located{}, apperr.New(apperr.Internal, "upstream %s sent an unusable %s for %s", hop.Connection, md.name(), displayName(f.Kind(), ns, name)).Wrap(errors.Join(upstream.ErrUnavailable, perr))
		}
		loc, err = l.Locate(version, file)
	}
	if err != nil {
		return Located{}, err
	}
	if !loc.Digest.IsZero() {
		return loc, nil
	}
	for _, cf := range loc.Checksums {
		size := digestSize(cf.Alg)
		if size == 0 {
			continue
		}
		read := func(b []byte) ([]byte, bool) { return parseChecksum(b, size) }
		if cf.Extract != nil {
			// A document that parses but carries no digest (nil) is as
			// good as an absent checksum file.
			read = func(b []byte) ([]byte, bool) {
				sum, err := cf.Extract(b)
				return sum, err == nil && (sum == nil || len(sum) == size)
			}
		}
		doc, err := e.Upstream.FetchMetadataValid(ctx, hop.Connection, cf.Path, "", func(_ string, b []byte) error {
			if _, ok := read(b); !ok {
				return errors.New("not a checksum file")
			}
			return nil
		})
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return Located{}, err
		}
		sum, ok := read(doc.Body)
		if ok && sum == nil && cf.Link != nil && cf.Extract != nil {
			if link := cf.Link(doc.Body); link != "" {
				if sum, err = e.linkedDigest(ctx, hop, link, file, read); err != nil {
					return Located{}, err
				}
			}
		}
		if ok && sum == nil {
			continue
		}
		if !ok {
			return Located{}, apperr.New(apperr.Internal, "upstream %s has a malformed %s; not fetching %s", hop.Connection, cf.Path, file).Wrap(upstream.ErrUnavailable)
		}
		loc.Digest = Digest{Alg: cf.Alg, Sum: sum}
		return loc, nil
	}
	if loc.ContentVerified && loc.Check != nil {
		return loc, nil
	}
	return Located{}, apperr.New(apperr.Internal,
		"upstream %s publishes no checksum or digest for %s of %s %s; wharf does not keep files it cannot verify", hop.Connection, file, displayName(f.Kind(), ns, name), version).Wrap(upstream.ErrUnavailable)
}

// linkedDigest reads the digest from the document a checksum file links
// (ChecksumFile.Link): nil, nil when the link is not on a host trusted for the
// connection (not followed); an error when the linked document cannot be
// read or carries no well-formed digest.
func (e *Engine) linkedDigest(ctx context.Context, hop ExternalHop, link, file string, read func([]byte) ([]byte, bool)) ([]byte, error) {
	if _, err := e.Upstream.ResolveAsset(hop.Connection, link); err != nil {
		if e.Log != nil {
			e.Log.WarnContext(ctx, "upstream checksum link not followed", "connection", hop.Connection, "link", link, "err", err)
		}
		return nil, nil
	}
	doc, err := e.Upstream.FetchMetadataValid(ctx, hop.Connection, link, "", func(_ string, b []byte) error {
		if sum, ok := read(b); !ok || sum == nil {
			return errors.New("carries no digest")
		}
		return nil
	})
	if apperr.Is(err, apperr.NotFound) {
		return nil, apperr.New(apperr.Internal, "upstream %s links the digest of %s to %s, which is not there; not fetching it", hop.Connection, file, link).Wrap(upstream.ErrUnavailable)
	}
	if err != nil {
		return nil, apperr.New(apperr.Internal, "upstream %s's %s, holding the digest of %s, is unusable (%v); not fetching it", hop.Connection, link, file, err).Wrap(errors.Join(upstream.ErrUnavailable, err))
	}
	sum, ok := read(doc.Body)
	if !ok || sum == nil {
		return nil, apperr.New(apperr.Internal, "upstream %s's %s carries no digest of %s; not fetching it", hop.Connection, link, file).Wrap(upstream.ErrUnavailable)
	}
	return sum, nil
}

// pull fetches a located asset once (concurrent requests for it share the
// flight), verifying it as it streams into the blob store, and ingests it.
func (e *Engine) pull(ctx context.Context, hop ExternalHop, c Chain, f model.Format, ns, name, version, file string, loc Located) error {
	requester := c.Repos[0]
	_, err := upstream.FetchAndStore(ctx, e.Upstream, hop.Connection, loc.URL,
		func(ctx context.Context) (model.Asset, bool, error) {
			// Held in the chain already (a concurrent request, maybe from
			// another repository, won)? Then nothing is fetched.
			_, a, err := e.held(ctx, c, f, ns, name, version, file, false)
			if errors.Is(err, errNotHeld) {
				return model.Asset{}, false, nil
			}
			return a, err == nil, err
		},
		func(ctx context.Context, ua upstream.Asset) (model.Asset, error) {
			body := ua.Body
			if !loc.Digest.IsZero() { // zero only for ContentVerified (locate)
				body = VerifyReader(ua.Body, loc.Digest, func(got string) error {
					return apperr.New(apperr.Internal, "upstream %s sent %s of %s %s failing its integrity check: %s %s, where the upstream says %s; not stored",
						hop.Connection, file, displayName(f, ns, name), version, algName(loc.Digest.Alg), got, hex.EncodeToString(loc.Digest.Sum)).Wrap(upstream.ErrUnavailable)
				})
			}
			var finish func(error, *model.PackageVersion) error
			if loc.Check != nil {
				body, finish = loc.Check(body)
			}
			a, err := e.PutAsset(ctx, hop.Holder, file, body, "")
			v := loc.Version
			if finish != nil {
				if ferr := finish(err, &v); ferr != nil {
					return model.Asset{}, ferr
				}
			}
			if err != nil {
				return model.Asset{}, err
			}
			v.PackageKey = model.PackageKey{Format: f, Namespace: ns, Name: name}
			v.Version = version
			if err := e.IngestFile(ctx, requester, hop, v, a); err != nil {
				return model.Asset{}, err
			}
			return a, nil
		})
	return err
}

// algName is how people write a digest algorithm's name.
func algName(alg string) string {
	switch alg {
	case "sha1":
		return "SHA-1"
	case "sha256":
		return "SHA-256"
	case "sha512":
		return "SHA-512"
	case "md5":
		return "MD5"
	}
	return alg
}

func digestSize(alg string) int {
	switch alg {
	case "sha1":
		return sha1.Size
	case "sha256":
		return sha256.Size
	case "sha512":
		return sha512.Size
	case "md5":
		return md5.Size
	}
	return 0
}

func newHash(alg string) hash.Hash {
	switch alg {
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	case "md5":
		return md5.New()
	}
	return sha512.New()
}

// parseChecksum reads a checksum document: the hex digest first, optionally
// followed by a file name.
func parseChecksum(b []byte, size int) ([]byte, bool) {
	fs := strings.Fields(string(b))
	if len(fs) == 0 || len(fs[0]) != 2*size {
		return nil, false
	}
	sum, err := hex.DecodeString(fs[0])
	return sum, err == nil
}

// VerifyReader passes r through and fails the read that would return io.EOF
// with mismatch(hex of what arrived) when the content's digest differs from
// want, so a blob store Put fed from it aborts instead of committing. Every
// EOF re-checks, so a reader that swallows one error still sees the next.
// Only a clean io.EOF is checked and passed on: any other error (a short
// body's io.ErrUnexpectedEOF, a reset) is returned as it is, so the store
// fails on it too rather than keeping a prefix.
func VerifyReader(r io.Reader, want Digest, mismatch func(got string) error) io.Reader {
	return &verifyReader{r: r, h: newHash(want.Alg), want: want, mismatch: mismatch}
}

type verifyReader struct {
	r        io.Reader
	h        hash.Hash
	want     Digest
	mismatch func(string) error
}

func (v *verifyReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := v.h.Sum(nil); subtle.ConstantTimeCompare(got, v.want.Sum) != 1 {
			return n, v.mismatch(hex.EncodeToString(got))
		}
	}
	return n, err
}
