// Package npm serves the npm registry protocol at a repository's npm endpoint:
// packuments (full and abbreviated), tarballs, publish, dist-tags, ping and
// whoami. Resolution, retention, origin controls and blob storage belong to the
// package engine (internal/packages); fetching from public:npmjs belongs to
// internal/upstream. This package owns the npm document shapes and the wire.
package npm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/sync/singleflight"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// AssetName is the name of an npm version's one asset, as CodeArtifact names it.
const AssetName = "package.tgz"

// StaleHeader is set (to "true") on packuments built from an upstream copy
// wharf could not revalidate because the upstream is unreachable.
const StaleHeader = "X-Wharf-Upstream-Stale"

// DefaultMaxPublishBytes bounds a publish body when Options leave it zero.
const DefaultMaxPublishBytes = 2 << 30

// Options configure the handler.
type Options struct {
	Engine *packages.Engine
	// Upstream fetches from external connections; nil serves internal versions only.
	Upstream *upstream.Fetcher
	// Check authorizes an action on the request's repository (endpoints.Router.Check).
	Check endpoints.Checker
	// MaxPublishBytes bounds a publish request body (base64 and all).
	MaxPublishBytes int64
	// RenderCacheBytes bounds the rendered-packument cache (default 16 MiB;
	// negative disables it).
	RenderCacheBytes int64
	// Limits bound the metadata of a publish (zero fields: DefaultLimits);
	// readmes and descriptions kept from upstream packuments are cut to them.
	Limits Limits
	Log    *slog.Logger
}

// Handler is the npm endpoints.Handler.
type Handler struct {
	o      Options
	format Format
	// pformat is format as the engine's interface, converted once: passing
	// the struct where a packages.Format is expected allocates per call.
	pformat  packages.Format
	log      *slog.Logger
	rendered *renderCache // nil when disabled
	renders  singleflight.Group
}

var _ endpoints.Handler = (*Handler)(nil)

// New builds the npm handler.
func New(o Options) *Handler {
	if o.MaxPublishBytes <= 0 {
		o.MaxPublishBytes = DefaultMaxPublishBytes
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	o.Limits.defaults()
	h := &Handler{o: o, log: o.Log.With("format", "npm"), format: Format{Limits: o.Limits}}
	h.pformat = h.format
	o.Engine.Register(h.format)
	switch {
	case o.RenderCacheBytes == 0:
		h.rendered = newRenderCache(16 << 20)
	case o.RenderCacheBytes > 0:
		h.rendered = newRenderCache(o.RenderCacheBytes)
	}
	return h
}

// Public: only ping answers without a token (npm ping is a reachability check).
func (h *Handler) Public(r *http.Request, path string) bool {
	return strings.Trim(path, "/") == "-/ping" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// Serve dispatches an authenticated request.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	if err := h.serve(w, r, req); err != nil {
		h.WriteError(w, r, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, req *endpoints.Request) error {
	segs, err := splitPath(req.Path)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return apperr.NotFoundf("package", "", "no package named in the request")
	}
	if segs[0] == "-" {
		return h.special(w, r, req, segs[1:])
	}
	n, rest, err := takeName(segs)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return h.getPackument(w, r, req, n)
	case len(rest) == 0 && r.Method == http.MethodPut:
		return h.publish(w, r, req, n)
	case len(rest) == 2 && rest[0] == "-" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return h.getTarball(w, r, req, n, rest[1])
	case len(rest) == 1 && r.Method == http.MethodGet:
		return h.getVersion(w, r, req, n, rest[0])
	}
	return methodNotAllowed(r)
}

func methodNotAllowed(r *http.Request) error {
	return apperr.New(apperr.NotImplemented, "%s %s is not supported by wharf's npm endpoint", r.Method, r.URL.Path)
}

// special serves the "-/…" routes.
func (h *Handler) special(w http.ResponseWriter, r *http.Request, req *endpoints.Request, segs []string) error {
	if len(segs) == 0 {
		return methodNotAllowed(r)
	}
	switch {
	case segs[0] == "ping" && len(segs) == 1:
		return writeJSON(w, r, http.StatusOK, map[string]any{})
	case segs[0] == "whoami" && len(segs) == 1:
		if err := h.o.Check(r.Context(), req, endpoints.ActionRead); err != nil {
			return err
		}
		return writeJSON(w, r, http.StatusOK, map[string]string{"username": req.Principal.ARN})
	case segs[0] == "package" && len(segs) >= 2:
		n, rest, err := takeName(segs[1:])
		if err != nil {
			return err
		}
		if len(rest) == 0 || rest[0] != "dist-tags" || len(rest) > 2 {
			return methodNotAllowed(r)
		}
		tag := ""
		if len(rest) == 2 {
			tag = rest[1]
		}
		return h.distTags(w, r, req, n, tag)
	case segs[0] == "v1" && len(segs) == 2 && segs[1] == "search":
		// Search spans registries in npm; wharf answers "nothing" rather than an error.
		return writeJSON(w, r, http.StatusOK, map[string]any{"objects": []any{}, "total": 0, "time": ""})
	}
	return methodNotAllowed(r)
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeBody(w, r, status, "application/json", body)
}

func writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// WriteError answers an error as npm expects: JSON {"error": "..."} with the
// status npm keys its messages on.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := endpoints.HTTPStatus(err)
	msg := e.Message
	switch e.Kind {
	case apperr.NotFound:
		msg = "Not found: " + e.Message
	case apperr.Unauthenticated:
		w.Header().Set("WWW-Authenticate", `Bearer realm="wharf", Basic realm="wharf"`)
	// Where npm differs from endpoints.HTTPStatus:
	case apperr.QuotaExceeded:
		status = http.StatusPaymentRequired
	case apperr.NotImplemented:
		status = http.StatusMethodNotAllowed
	case apperr.Validation:
		status = http.StatusBadRequest // npm has no METHOD_NOT_ALLOWED reason
	case apperr.Internal:
		switch {
		case status == http.StatusGatewayTimeout:
		case errors.Is(err, ErrBadUpstream):
			// A malformed upstream document is a bad gateway, and npm shows why.
			status, msg = http.StatusBadGateway, err.Error()
		case status == http.StatusInternalServerError:
			msg = "internal error" // the cause is logged, never shown
		}
	}
	if status >= 500 {
		h.log.WarnContext(r.Context(), "npm request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	}
	body, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// resolved is a package as seen through a repository's chain, merged.
type resolved struct {
	entries []Entry
	tags    map[string]string
	stale   bool
	// lookups are the upstream lookups it was built from, so a rendered
	// packument can tell later whether the upstream side changed;
	// uncacheable is set when a lookup failed (what was served is a fallback).
	lookups     []packages.Lookup
	uncacheable bool
	held        map[string]model.PackageKey // where each visible version of the chain is stored
}

// resolve gathers the versions of n visible through the chain (the engine's
// Resolve: internal ones, nearest repository first, and the external
// listing where the origin rules allow it) and merges them (Merge).
func (h *Handler) resolve(ctx context.Context, chain packages.Chain, n Name) (*resolved, error) {
	eng := h.o.Engine
	r, err := eng.Resolve(ctx, h.format, chain, n.Scope, n.Pkg)
	if err != nil {
		return nil, err
	}
	res := &resolved{held: map[string]model.PackageKey{}, lookups: r.Lookups}
	have := map[string]bool{}
	for _, hit := range r.Hits {
		have[hit.Version.Version] = true
		if !packages.Visible(hit.Version) {
			continue
		}
		res.held[hit.Version.Version] = hit.Version.PackageKey
		res.entries = append(res.entries, Entry{Version: hit.Version.Version, Doc: hit.Version.Metadata, Published: hit.Version.PublishedAt})
	}
	// Dist-tags are package state in the store (set by publish and `npm
	// dist-tag`); ones naming a version the chain no longer shows are dropped
	// when served (DistTags), so a deleted version takes its tags with it.
	if res.tags, err = eng.DistTags(ctx, r.Repos, model.FormatNpm, n.Scope, n.Pkg); err != nil {
		return nil, err
	}
	if r.Listing == nil {
		if r.ExternalErr != nil {
			res.uncacheable = true
			if len(res.entries) == 0 {
				return nil, r.ExternalErr
			}
			// Serve what the domain holds; say the upstream part is missing.
			h.log.WarnContext(ctx, "upstream packument unavailable; serving internal versions", "package", n.String(), "error", r.ExternalErr)
			res.stale = true
		}
		return res, nil
	}
	res.entries, res.tags = Merge(res.entries, have, res.tags, r.Listing.(*Listing).Upstream)
	res.stale = r.Stale
	return res, nil
}

func (h *Handler) getPackument(w http.ResponseWriter, r *http.Request, req *endpoints.Request, n Name) error {
	ctx := r.Context()
	if err := h.o.Check(ctx, req, endpoints.ActionRead); err != nil {
		return err
	}
	abbreviated := acceptsAbbreviated(r.Header.Get("Accept"))
	// A rendered packument is served again while the domain's generation (every
	// metadata write bumps it) and the upstream documents it was built from are
	// unchanged. The generation is read before anything it guards.
	var cacheKey string
	var gen int64
	if h.rendered != nil {
		var err error
		if gen, err = h.o.Engine.Generation(ctx, req.Repo); err != nil {
			return err
		}
		// The key is built on the stack and looked up without allocating;
		// it becomes a string only on a miss.
		var kb [256]byte
		key := renderKey(kb[:0], req, n, abbreviated)
		if d, ok := h.rendered.GetBytes(key, gen); ok && h.o.Engine.LookupsUnchanged(ctx, d.upstreams) {
			d.serve(w, r)
			return nil
		}
		cacheKey = string(key)
		// One rendering per packument and generation however many clients
		// ask at once (each was authorized above; the result is the same).
		v, err, _ := h.renders.Do(cacheKey+"|"+strconv.FormatInt(gen, 10), func() (any, error) {
			// Not bound to the first asker: its leaving must not fail the others.
			return h.render(context.WithoutCancel(ctx), req, n, abbreviated, cacheKey, gen)
		})
		if err != nil {
			return err
		}
		v.(*rendered).serve(w, r)
		return nil
	}
	d, err := h.render(ctx, req, n, abbreviated, "", 0)
	if err != nil {
		return err
	}
	d.serve(w, r)
	return nil
}

// renderKey appends the rendered-packument cache key of n as req asks it:
// repository, package, form and endpoint base (tarball URLs are built on it).
func renderKey(b []byte, req *endpoints.Request, n Name, abbreviated bool) []byte {
	b = append(append(append(append(append(b, req.Repo.DomainOwner...), '/'), req.Repo.DomainName...), '/'), req.Repo.Name...)
	b = append(b, '|')
	if n.Scope != "" {
		b = append(append(append(b, '@'), n.Scope...), '/')
	}
	b = append(append(b, n.Pkg...), '|')
	b = strconv.AppendBool(b, abbreviated)
	return append(append(b, '|'), req.Base...)
}

// render resolves n through the chain and renders its packument, keeping it in
// the cache under gen when cacheKey is set and the result is cacheable.
func (h *Handler) render(ctx context.Context, req *endpoints.Request, n Name, abbreviated bool, cacheKey string, gen int64) (*rendered, error) {
	chain, err := h.o.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		return nil, err
	}
	res, err := h.resolve(ctx, chain, n)
	if err != nil {
		return nil, err
	}
	if len(res.entries) == 0 {
		return nil, apperr.NotFoundf("package", n.String(), "package %s is not in repository %s or its upstreams%s", n, req.Repo.Name, chain.MissingUpstreamHint(model.FormatNpm, h.o.Upstream))
	}
	if !abbreviated {
		if err := h.latestReadme(ctx, res); err != nil {
			return nil, err
		}
	}
	body, err := Packument(n, res.entries, res.tags, req.Base+n.String()+"/-/", abbreviated)
	if err != nil {
		return nil, err
	}
	ct := "application/json"
	if abbreviated {
		ct = AbbreviatedType
	}
	d := newRendered(body, ct, res.stale, res.lookups)
	if cacheKey != "" && !res.uncacheable && !res.stale {
		h.rendered.Put(cacheKey, gen, d)
	}
	return d, nil
}

// latestReadme loads the readme of the version "latest" names, the only one
// a packument shows. Version listings carry no readmes (each may be up to the
// readme limit), so a package with many versions does not cost every readme
// on every request.
func (h *Handler) latestReadme(ctx context.Context, res *resolved) error {
	versions := make(map[string]json.RawMessage, len(res.entries))
	for _, e := range res.entries {
		versions[e.Version] = nil
	}
	latest := DistTags(res.tags, versions)["latest"]
	k, ok := res.held[latest]
	if !ok {
		return nil
	}
	v, err := h.o.Engine.Version(ctx, k, latest)
	if err != nil {
		return err
	}
	for i := range res.entries {
		if res.entries[i].Version == latest {
			res.entries[i].Readme = v.Readme
		}
	}
	return nil
}

// getVersion answers GET /{name}/{version|tag} with one version document.
func (h *Handler) getVersion(w http.ResponseWriter, r *http.Request, req *endpoints.Request, n Name, spec string) error {
	ctx := r.Context()
	if err := h.o.Check(ctx, req, endpoints.ActionRead); err != nil {
		return err
	}
	chain, err := h.o.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		return err
	}
	res, err := h.resolve(ctx, chain, n)
	if err != nil {
		return err
	}
	body, err := Packument(n, res.entries, res.tags, req.Base+n.String()+"/-/", false)
	if err != nil {
		return err
	}
	var p struct {
		DistTags map[string]string          `json:"dist-tags"`
		Versions map[string]json.RawMessage `json:"versions"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	if v, ok := p.DistTags[spec]; ok {
		spec = v
	}
	doc, ok := p.Versions[spec]
	if !ok {
		return apperr.NotFoundf("package-version", spec, "version %s of %s not found", spec, n)
	}
	return writeBody(w, r, http.StatusOK, "application/json", doc)
}

func (h *Handler) getTarball(w http.ResponseWriter, r *http.Request, req *endpoints.Request, n Name, file string) error {
	ctx := r.Context()
	if err := h.o.Check(ctx, req, endpoints.ActionRead); err != nil {
		return err
	}
	version, err := versionOfFile(n, file)
	if err != nil {
		return err
	}
	eng := h.o.Engine
	f, err := eng.FetchFile(ctx, h.pformat, req.Repo, n.Scope, n.Pkg, version, AssetName, false)
	if err != nil {
		return err
	}
	rc, size, err := eng.OpenFile(ctx, f)
	if err != nil {
		return err
	}
	w.Header()["Cache-Control"] = endpoints.ImmutablePrivate
	if err := endpoints.WriteFile(w, r, rc, size, f, endpoints.OctetStream); err != nil {
		h.log.WarnContext(ctx, "tarball stream interrupted", "package", n.String(), "version", version, "error", err)
	}
	return nil
}

// publish handles `npm publish`: PUT /{name} with the version documents and
// the tarball as a base64 attachment, streamed into the blob store.
func (h *Handler) publish(w http.ResponseWriter, r *http.Request, req *endpoints.Request, n Name) error {
	ctx := r.Context()
	if err := h.o.Check(ctx, endpoints.ForPackage(req, model.FormatNpm, n.Scope, n.Pkg), endpoints.ActionPublish); err != nil {
		return err
	}
	limit := h.o.MaxPublishBytes
	if r.ContentLength > limit {
		return apperr.New(apperr.TooLarge, "publish body of %d bytes exceeds the limit of %d bytes", r.ContentLength, limit)
	}
	eng := h.o.Engine
	// A publish the origin rules refuse is refused before the body is read
	// (Publish decides again, with the version, once it is).
	if err := eng.Allow(ctx, packages.EntryPublish, req.Repo, model.FormatNpm, n.Scope, n.Pkg); err != nil {
		return err
	}
	chain, err := eng.SearchOrder(ctx, req.Repo)
	if err != nil {
		return err
	}
	assets := map[string]model.Asset{}
	doc, err := ParsePublishLimited(blob.LimitReader(r.Body, limit), h.o.Limits, func(att string, data io.Reader) error {
		if len(assets) > 0 {
			return apperr.Validationf("a publish carries one tarball; got a second attachment %q", att)
		}
		a, err := eng.PutAsset(ctx, req.Repo, AssetName, data, "")
		if err != nil {
			return err
		}
		assets[att] = a
		return nil
	})
	if err != nil {
		return err
	}
	if doc.Name != n.String() {
		return apperr.Validationf("publish body names package %q, the URL names %q", doc.Name, n)
	}
	if len(assets) == 0 {
		return apperr.New(apperr.NotImplemented, "changing published versions through npm (deprecate, unpublish) is not supported; use UpdatePackageVersionsStatus or DeletePackageVersions")
	}
	if len(doc.Versions) != 1 {
		return apperr.Validationf("a publish carries exactly one version, got %d", len(doc.Versions))
	}
	var version string
	var raw json.RawMessage
	for version, raw = range doc.Versions { // the only one
	}
	info, err := ParseVersion(n, version, raw)
	if err != nil {
		return apperr.Validationf("version %s: %v", version, err)
	}
	if err := CheckDist(info.Dist); err != nil {
		return apperr.Validationf("version %s: %v", version, err)
	}
	if l := h.o.Limits.MaxReadmeBytes; int64(len(info.Fields.Readme)) > l {
		return apperr.New(apperr.TooLarge, "readme of version %s is %d bytes, over the limit of %d bytes", version, len(info.Fields.Readme), l)
	}
	if l := h.o.Limits.MaxDescriptionBytes; int64(len(info.Fields.Summary)) > l {
		return apperr.New(apperr.TooLarge, "description of version %s is %d bytes, over the limit of %d bytes", version, len(info.Fields.Summary), l)
	}
	var asset model.Asset
	for att, a := range assets {
		if att != n.String()+"-"+version+".tgz" && att != n.TarballFile(version) {
			return apperr.Validationf("attachment %q does not match version %s", att, version)
		}
		if l := doc.Attachments[att].Length; l != 0 && l != a.Size {
			return apperr.Validationf("attachment %q is %d bytes, the body says %d", att, a.Size, l)
		}
		asset = a
	}
	if want, ok := ExpectedDigest(info.Dist); ok && !want.Matches(asset.Hashes) {
		return apperr.Validationf("tarball of %s@%s does not match its dist integrity %s", n, version, want)
	}
	v := info.Fields
	v.PackageKey = packages.Key(req.Repo, model.FormatNpm, n.Scope, n.Pkg)
	if v.Readme == "" {
		v.Readme = doc.Readme
	}
	if v.Metadata, err = WithDigests(v.Metadata, asset.Hashes); err != nil {
		return err
	}
	if _, err := eng.Publish(ctx, chain, v, []model.Asset{asset}); err != nil {
		return err
	}
	tags := map[string]string{}
	for t, tv := range doc.DistTags {
		if tv == version && validTag(t) == nil {
			tags[t] = tv
		}
	}
	if len(tags) > 0 {
		if err := eng.SetDistTags(ctx, req.Repo, model.FormatNpm, n.Scope, n.Pkg, tags); err != nil {
			return err
		}
	}
	return writeJSON(w, r, http.StatusOK, map[string]any{"ok": true, "id": n.String(), "success": true})
}

// distTags serves `npm dist-tag ls|add|rm`.
func (h *Handler) distTags(w http.ResponseWriter, r *http.Request, req *endpoints.Request, n Name, tag string) error {
	ctx := r.Context()
	eng := h.o.Engine
	switch {
	case r.Method == http.MethodGet && tag == "":
		if err := h.o.Check(ctx, req, endpoints.ActionRead); err != nil {
			return err
		}
		chain, err := eng.SearchOrder(ctx, req.Repo)
		if err != nil {
			return err
		}
		res, err := h.resolve(ctx, chain, n)
		if err != nil {
			return err
		}
		if len(res.entries) == 0 {
			return apperr.NotFoundf("package", n.String(), "package %s not found", n)
		}
		versions := map[string]json.RawMessage{}
		for _, e := range res.entries {
			versions[e.Version] = nil
		}
		return writeJSON(w, r, http.StatusOK, DistTags(res.tags, versions))

	case (r.Method == http.MethodPut || r.Method == http.MethodPost) && tag != "":
		if err := h.o.Check(ctx, endpoints.ForPackage(req, model.FormatNpm, n.Scope, n.Pkg), endpoints.ActionPublish); err != nil {
			return err
		}
		if err := validTag(tag); err != nil {
			return err
		}
		var version string
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&version); err != nil {
			return apperr.Validationf("the body must be a JSON string naming a version")
		}
		if err := CheckVersion(version); err != nil {
			return err
		}
		chain, err := eng.SearchOrder(ctx, req.Repo)
		if err != nil {
			return err
		}
		hit, err := eng.Find(ctx, chain, model.FormatNpm, n.Scope, n.Pkg, version)
		if err != nil {
			return err
		}
		if !packages.Visible(hit.Version) {
			return apperr.Validationf("version %s of %s is %s and cannot be tagged", version, n, strings.ToLower(hit.Version.Status))
		}
		// The tag lives in this repository: so must the version it names.
		if err := eng.Retain(ctx, req.Repo, hit); err != nil {
			return err
		}
		if err := eng.SetDistTags(ctx, req.Repo, model.FormatNpm, n.Scope, n.Pkg, map[string]string{tag: version}); err != nil {
			return err
		}
		return writeJSON(w, r, http.StatusCreated, map[string]any{"ok": true})

	case r.Method == http.MethodDelete && tag != "":
		if err := h.o.Check(ctx, endpoints.ForPackage(req, model.FormatNpm, n.Scope, n.Pkg), endpoints.ActionPublish); err != nil {
			return err
		}
		if tag == "latest" {
			return apperr.Validationf("the latest tag cannot be removed")
		}
		err := eng.DeleteDistTag(ctx, req.Repo, model.FormatNpm, n.Scope, n.Pkg, tag)
		if apperr.Is(err, apperr.NotFound) {
			return apperr.NotFoundf("dist-tag", tag, "dist-tag %s of %s is not set in repository %s", tag, n, req.Repo.Name).Wrap(err)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, r, http.StatusOK, map[string]any{"ok": true})
	}
	return methodNotAllowed(r)
}
