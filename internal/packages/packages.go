// Package packages is the format-neutral package engine behind every package
// endpoint: it resolves packages and assets through a repository's upstream
// chain (the repository, then its upstreams depth-first in order, at most 25
// searched, then external connections), fetches, verifies and ingests what an
// external registry has, retains what it serves where CodeArtifact would, and
// publishes — every way in decided by one origin-rules function (Allow,
// origin.go). Bytes go to the blob store once per domain. Format packages
// (npm, pypi, maven, ...) supply what is format-specific through the Format
// contract (format.go) and keep their wire protocols; they call this package
// for everything stateful and never touch the store.
package packages

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// MaxSearched is CodeArtifact's limit on repositories searched per request.
const MaxSearched = 25

// Blobs is the part of the blob store the engine needs.
type Blobs interface {
	Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error)
	Open(ctx context.Context, ns, sha256 string) (io.ReadCloser, int64, error)
}

// Engine is the package engine.
type Engine struct {
	Store store.Store
	Blobs Blobs
	Now   func() time.Time
	Log   *slog.Logger
	// Audit records every version the engine stores or changes (nil: none).
	Audit *audit.Recorder
	// Upstream fetches from external connections (nil: none are consulted).
	Upstream *upstream.Fetcher
	// Hold pins a domain's blobs that a version about to be recorded
	// references, so that blob collection (internal/blobgc) cannot remove them
	// in between; NotFound when one is already gone. nil: no collection runs.
	Hold func(ctx context.Context, owner, domain string, sha256s []string) error

	fmu     sync.RWMutex
	formats map[model.Format]Format

	files *fileMemo // FetchFile's memo (EnableFileMemo); nil: off
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// Namespace is the blob namespace of a domain: the deduplication boundary.
func Namespace(domainOwner, domain string) string { return domainOwner + "/" + domain }

// NewRevision returns an opaque package version revision.
func NewRevision() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// Chain is a repository's resolution order.
type Chain struct {
	// Repos are the repositories searched, in order, starting with the requested one.
	Repos []model.Repository
	// Broken names upstreams that no longer exist (deleted while still referenced);
	// they are skipped, as AWS reports a broken upstream graph until it is repaired.
	Broken []string
}

// External returns the repositories of the chain holding an external connection of
// the format, in search order.
func (c Chain) External(f model.Format) []ExternalHop {
	var out []ExternalHop
	for _, r := range c.Repos {
		for _, ec := range r.ExternalConnections {
			if ec.Format == f {
				out = append(out, ExternalHop{Holder: r, Connection: ec.Name})
			}
		}
	}
	return out
}

// Configured reports whether an external connection has an upstream URL
// (upstream.Fetcher satisfies it, nil-safe).
type Configured interface{ Configured(conn string) bool }

// MissingUpstreamHint explains a miss caused by the chain's external
// connections of format f having no upstream URL: "; the external connection
// public:npmjs has no upstream URL configured; ..." to append to a 404
// message, or "" when every connection of the chain is configured (or there is
// none). Without it a user whose wharf was started without --upstream sees a
// bare "not found" for every public package.
func (c Chain) MissingUpstreamHint(f model.Format, up Configured) string {
	var hints []string
	for _, hop := range c.External(f) {
		if up == nil || !up.Configured(hop.Connection) {
			hints = append(hints, fmt.Sprintf("the external connection %s has no upstream URL configured; start wharf with --upstream %s=URL", hop.Connection, hop.Connection))
		}
	}
	if len(hints) == 0 {
		return ""
	}
	return "; " + strings.Join(hints, "; ")
}

// ExternalHop is a repository holding an external connection.
type ExternalHop struct {
	Holder     model.Repository
	Connection string
}

// SearchOrder computes the depth-first, pre-order search of repo's upstream graph,
// visiting each repository once and at most MaxSearched in all.
func (e *Engine) SearchOrder(ctx context.Context, repo model.Repository) (Chain, error) {
	var c Chain
	seen := map[string]bool{}
	var walk func(r model.Repository) error
	walk = func(r model.Repository) error {
		if seen[r.Name] || len(c.Repos) >= MaxSearched {
			return nil
		}
		seen[r.Name] = true
		c.Repos = append(c.Repos, r)
		for _, name := range r.Upstreams {
			if seen[name] {
				continue
			}
			up, err := e.Store.GetRepository(ctx, r.DomainOwner, r.DomainName, name)
			if apperr.Is(err, apperr.NotFound) {
				c.Broken = append(c.Broken, name)
				continue
			}
			if err != nil {
				return err
			}
			if err := walk(up); err != nil {
				return err
			}
		}
		return nil
	}
	return c, walk(repo)
}

// Key builds the package key of a package in a repository.
func Key(r model.Repository, f model.Format, namespace, name string) model.PackageKey {
	return model.PackageKey{DomainOwner: r.DomainOwner, DomainName: r.DomainName, Repository: r.Name, Format: f, Namespace: namespace, Name: name}
}

// Visible reports whether a version is served to package managers.
func Visible(v model.PackageVersion) bool {
	return v.Status == model.StatusPublished
}

// Downloadable reports whether a version's assets may be fetched (unlisted ones
// still can, e.g. when pinned in a lockfile).
func Downloadable(v model.PackageVersion) bool {
	return v.Status == model.StatusPublished || v.Status == model.StatusUnlisted
}

// Hit is a version found in a repository of the chain.
type Hit struct {
	Version model.PackageVersion
	Repo    model.Repository // the repository that holds it
}

// upstreamAllowed reports whether repo may take versions of the package from
// its upstream repositories (Allow with EntryInternal).
func (e *Engine) upstreamAllowed(ctx context.Context, repo model.Repository, f model.Format, ns, name string) (bool, error) {
	return e.allowed(ctx, &rules{}, EntryInternal, repo, f, ns, name)
}

// Find returns the nearest repository of the chain holding the version. The
// requested repository's own versions are found without consulting the
// origin rules (they decide what enters it, not what it serves), so serving
// what it holds costs one lookup.
func (e *Engine) Find(ctx context.Context, c Chain, f model.Format, ns, name, version string) (Hit, error) {
	// Worded only when nothing is found: a hit (the hot path) formats nothing.
	notFound := func() error {
		return apperr.NotFoundf("package-version", version, "Package version %s of %s not found", version, displayName(f, ns, name))
	}
	if len(c.Repos) == 0 {
		return Hit{}, notFound()
	}
	for i, r := range c.Repos {
		if i == 1 {
			ok, err := e.upstreamAllowed(ctx, c.Repos[0], f, ns, name)
			if err != nil {
				return Hit{}, err
			}
			if !ok {
				break
			}
		}
		v, err := e.Store.GetVersion(ctx, Key(r, f, ns, name), version)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return Hit{}, err
		}
		return Hit{Version: v, Repo: r}, nil
	}
	return Hit{}, notFound()
}

func displayName(f model.Format, ns, name string) string {
	switch {
	case ns == "":
		return name
	case f == model.FormatNpm:
		return "@" + ns + "/" + name
	case f == model.FormatMaven:
		return ns + ":" + name
	default:
		return ns + "/" + name
	}
}

// Retain copies a version found upstream into the requesting repository (a
// metadata row pointing at the same blobs), as CodeArtifact retains what was
// fetched through upstreams; intermediate repositories get nothing. It is a no-op
// when the version is already there or when the hit is the requesting repository.
// The hit must come from Find or Resolve on the requester's chain: they only
// reach past the requester where the origin rules let it retain.
func (e *Engine) Retain(ctx context.Context, requester model.Repository, hit Hit) error {
	if hit.Repo.Name == requester.Name {
		return nil
	}
	assets, err := e.Store.ListAssets(ctx, hit.Version.PackageKey, hit.Version.Version)
	if err != nil {
		return err
	}
	// The retained row references the upstream version's blobs: pin them
	// until it is recorded, or a disposal of that version at the same
	// instant could remove them under it.
	if err := e.hold(ctx, requester, assets); err != nil {
		return err
	}
	stored, created, err := e.storeCopy(ctx, requester, hit.Version, assets, model.OriginRestrictions{Publish: model.Block, Upstream: model.Allow})
	if created {
		e.auditRetain(ctx, stored, assets, hit.Repo.Name)
	}
	return err
}

// hold pins the blobs of assets in repo's domain (Engine.Hold) before a row
// that references them is recorded.
func (e *Engine) hold(ctx context.Context, repo model.Repository, assets []model.Asset) error {
	if e.Hold == nil || len(assets) == 0 {
		return nil
	}
	digests := make([]string, len(assets))
	for i, a := range assets {
		digests[i] = a.Hashes.SHA256
	}
	return e.Hold(ctx, repo.DomainOwner, repo.DomainName, digests)
}

// auditRetain records a version copied downstream from an upstream repository.
func (e *Engine) auditRetain(ctx context.Context, v model.PackageVersion, assets []model.Asset, from string) {
	rec := audit.Version(model.AuditRetain, model.OpCreated, v, assets)
	rec.Detail.SourceRepository = from
	e.Audit.Record(ctx, rec)
}

// storeCopy writes v (with assets) into repo, creating the package with the given
// default origin restrictions if it does not exist. A version already present is
// left as it is (created false).
func (e *Engine) storeCopy(ctx context.Context, repo model.Repository, v model.PackageVersion, assets []model.Asset, defaults model.OriginRestrictions) (stored model.PackageVersion, created bool, err error) {
	k := Key(repo, v.Format, v.Namespace, v.Name)
	pkg, err := e.Store.GetPackage(ctx, k)
	if apperr.Is(err, apperr.NotFound) {
		pkg = model.Package{PackageKey: k, Origin: defaults}
	} else if err != nil {
		return v, false, err
	}
	v.PackageKey = k
	err = e.Store.CreateVersion(ctx, pkg, v, assets)
	if apperr.Is(err, apperr.Conflict) {
		return v, false, nil
	}
	return v, err == nil, err
}

// Ingest stores a version fetched through an external connection: in the
// repository holding the connection and in the requesting repository (not in
// intermediates). Assets must already be in the blob store. The origin rules
// (Allow) decide for the holder (EntryExternal) and the requester
// (EntryInternal); a refusal is an AccessDenied and nothing is stored.
func (e *Engine) Ingest(ctx context.Context, requester model.Repository, hop ExternalHop, v model.PackageVersion, assets []model.Asset) error {
	rs := &rules{}
	if err := e.allow(ctx, rs, EntryExternal, hop.Holder, v.Format, v.Namespace, v.Name); err != nil {
		return err
	}
	if requester.Name != hop.Holder.Name {
		if err := e.allow(ctx, rs, EntryInternal, requester, v.Format, v.Namespace, v.Name); err != nil {
			return err
		}
	}
	v.Origin = model.VersionOrigin{Type: model.OriginExternal, Repository: hop.Holder.Name, ExternalConnection: hop.Connection}
	if v.Status == "" {
		v.Status = model.StatusPublished
	}
	if v.Revision == "" {
		v.Revision = NewRevision()
	}
	if v.PublishedAt.IsZero() {
		v.PublishedAt = e.now()
	}
	external := model.OriginRestrictions{Publish: model.Block, Upstream: model.Allow}
	stored, created, err := e.storeCopy(ctx, hop.Holder, v, assets, external)
	if err != nil {
		return err
	}
	if created {
		rec := audit.Version(model.AuditIngest, model.OpCreated, stored, assets)
		rec.Detail.ExternalConnection = hop.Connection
		e.Audit.Record(ctx, rec)
	}
	if requester.Name != hop.Holder.Name {
		stored, created, err := e.storeCopy(ctx, requester, v, assets, external)
		if created {
			e.auditRetain(ctx, stored, assets, hop.Holder.Name)
		}
		return err
	}
	return nil
}

// PutAsset streams an asset's bytes into the domain's blob store, verifying its
// SHA-256 when one is expected, and returns the asset row to record.
func (e *Engine) PutAsset(ctx context.Context, repo model.Repository, name string, r io.Reader, expectSHA256 string) (model.Asset, error) {
	h, n, err := e.Blobs.Put(ctx, Namespace(repo.DomainOwner, repo.DomainName), r, expectSHA256)
	if err != nil {
		return model.Asset{}, err
	}
	return model.Asset{Name: name, Size: n, Hashes: h}, nil
}

// OpenAsset streams an asset of a version held in repo.
func (e *Engine) OpenAsset(ctx context.Context, repo model.Repository, a model.Asset) (io.ReadCloser, int64, error) {
	return e.Blobs.Open(ctx, Namespace(repo.DomainOwner, repo.DomainName), a.Hashes.SHA256)
}

// Asset returns the named asset of a version.
func (e *Engine) Asset(ctx context.Context, k model.PackageKey, version, name string) (model.Asset, error) {
	assets, err := e.Store.ListAssets(ctx, k, version)
	if err != nil {
		return model.Asset{}, err
	}
	for _, a := range assets {
		if a.Name == name {
			return a, nil
		}
	}
	return model.Asset{}, apperr.NotFoundf("asset", name, "Asset %s not found in %s %s", name, displayName(k.Format, k.Namespace, k.Name), version)
}
