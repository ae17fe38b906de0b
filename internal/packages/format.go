package packages

import (
	"io"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// The format-facing contract of the engine.
//
// A format package (npm, pypi, maven, ...) supplies a Format: what is
// specific to it and nothing stateful — where its metadata and assets live on
// an external connection, a pure parser of that metadata, and (in its own
// package, not here) how to render its index for its clients. Everything
// else is the engine's, in one place for every format:
//
//   - Resolve: a package's versions through a repository's chain (the
//     repository, its upstreams, then the first external connection that knows
//     the package), each internal version from the nearest repository, the
//     external listing only where the origin rules let it in.
//   - Fetch: one asset through the chain: served from the nearest repository
//     holding it (retained in the requesting one), else located on the external
//     connection, fetched once however many ask at the same time, verified on
//     every way the stream can end (short read, reset, digest mismatch: nothing
//     kept), ingested in the repository holding the connection and retained in
//     the requesting one.
//   - Publish / PublishFile: a direct publish, with the origin rules (Allow)
//     and shadowing (a version any repository of the chain or its external
//     connection has is refused with a Conflict) decided before anything is
//     recorded.
//   - Allow: the one origin-rules function (origin.go).
//
// Handlers keep the wire: paths, bodies, content negotiation, their native
// error documents. They never touch the store.
//
// A new format plugs in by: a Format (and its Listing type) in its package,
// pure and tested without a server; Engine.Register(format) in its handler's
// constructor (Publish then checks shadowing against its registries); in its
// handlers, SearchOrder(repo) then Resolve (index pages), Fetch (downloads),
// Publish or PublishFile after CheckPublish/CheckPublishFile (uploads: refusals
// are decided before any bytes are stored), Allow for an early refusal.
// Errors come back as apperr kinds: AccessDenied (an origin rule: 403),
// Conflict (409), NotFound, and Internal wrapping upstream.ErrUnavailable (502)
// for an upstream that failed or sent what does not verify.

// Format is what a package format supplies to the engine. Implementations are
// pure: no I/O, no state beyond configuration (limits).
type Format interface {
	// Kind is the format's model name.
	Kind() model.Format
	// Metadata says where the index document of a package lives on an
	// external connection (a path relative to the connection's URL, the
	// Accept header to send) and how to tell a complete document from a
	// cut-short one (Valid; nil accepts anything). Path "" means the format
	// keeps no per-package index upstream.
	Metadata(ns, name string) Document
	// Parse reads a fetched index document into a Listing. A document that is
	// not the package's index is an error (the engine answers 502).
	Parse(ns, name string, doc upstream.Doc) (Listing, error)
}

// Document is an upstream metadata document's location and validity check.
type Document struct {
	// Name is what the format calls the document ("packument", "project
	// page"), for error messages.
	Name   string
	Path   string
	Accept string
	Valid  func(contentType string, body []byte) error
}

// Listing is a package as an external registry lists it (the parsed index).
// A format's own listing type carries whatever it needs to render its index
// (npm: the version documents); handlers type-assert to it.
type Listing interface {
	// Versions lists the versions the registry offers.
	Versions() []string
	// Locate says where an asset of a listed version lives, the digest it
	// must have, and the version row to store when it is ingested.
	// apperr.NotFound when the registry does not list it.
	Locate(version, file string) (Located, error)
}

// Locator is implemented by formats whose assets are addressed by their path
// alone (Maven): Fetch asks it instead of reading the package's index first.
type Locator interface {
	Locate(ns, name, version, file string) (Located, error)
}

// Located is an upstream asset ready to fetch.
type Located struct {
	// URL is absolute or a path relative to the connection's URL.
	URL string
	// Digest is what the bytes must hash to. When it is zero, Checksums are
	// fetched in order and the first one present gives it (Maven's .sha1
	// beside the file); with neither, the asset is refused: wharf keeps
	// nothing it cannot verify.
	Digest    Digest
	Checksums []ChecksumFile
	// Version is the row stored when the asset is ingested (Format, Namespace,
	// Name and Version are filled in by the engine; Status, Origin, Revision
	// default as for any ingestion).
	Version model.PackageVersion
	// Check, when set, checks the asset's content as it streams to the blob
	// store (after the digest): it wraps the verified stream, and finish is
	// called with PutAsset's error once the store returns. finish returns the
	// error to answer (a content check's failure: the stream failed, nothing
	// was kept) or nil and may then fill in v from what the content says
	// (NuGet: the version row from the package's own manifest).
	// ContentVerified lets an asset whose upstream publishes no digest be
	// fetched all the same, verified by Check alone (NuGet feeds whose
	// registrations carry no packageHash: the package must still be a
	// package of this id and version). Without Check it means nothing.
	ContentVerified bool
	Check           func(r io.Reader) (checked io.Reader, finish func(putErr error, v *model.PackageVersion) error)
}

// ChecksumFile is an upstream document holding an asset's hex digest (its
// first field).
type ChecksumFile struct {
	Path string
	Alg  string // sha1, sha256, sha512 or md5
	// Extract, when set, reads the raw digest from the document instead
	// (NuGet's base64 packageHash in a JSON document). Path may then be an
	// absolute URL on the connection's own or trusted hosts.
	Extract func(body []byte) ([]byte, error)
	// Link, with Extract, names the document that holds the digest when this
	// one carries none itself but points to it (NuGet: a registration leaf
	// linking its catalog leaf, as nuget.org's do). The link is an absolute
	// URL and is followed only to the connection's own or trusted hosts (as
	// Path; never a host only package metadata names): a link elsewhere is not
	// followed, and the asset is then as if no digest were published. A
	// followed document is read with Extract; one that cannot be read, is
	// malformed or is missing fails the fetch (the upstream promised a digest
	// wharf cannot check). "" when there is no link.
	Link func(body []byte) string
}

// Digest is an expected digest: Alg is sha1, sha256, sha512 or md5, Sum the
// raw bytes.
type Digest struct {
	Alg string
	Sum []byte
}

// IsZero reports whether no digest is set.
func (d Digest) IsZero() bool { return d.Alg == "" || len(d.Sum) == 0 }
