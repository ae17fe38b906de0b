package nuget

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/formats/streamcheck"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Handler serves the NuGet v3 endpoints.
type Handler struct {
	Engine *packages.Engine
	// Upstream may be nil (no public:nuget-org configured).
	Upstream *upstream.Fetcher
	feed     *Feed
	Check    endpoints.Checker
	Log      *slog.Logger
	// MaxNupkgBytes bounds a pushed package (--max-publish-bytes).
	MaxNupkgBytes int64
	Nupkg         Limits
}

// New builds the handler with default limits.
func New(e *packages.Engine, up *upstream.Fetcher, check endpoints.Checker, log *slog.Logger, maxNupkgBytes int64) *Handler {
	if log == nil {
		log = slog.Default()
	}
	if maxNupkgBytes <= 0 {
		maxNupkgBytes = 250 << 20 // nuget.org's limit
	}
	// A package inflating to far more than any upload may weigh is a bomb:
	// the inflated size is bounded by a multiple of the upload limit too.
	lim := DefaultLimits()
	lim.MaxUncompressed = min(lim.MaxUncompressed, 64*maxNupkgBytes)
	feed := &Feed{Limits: lim, MaxNupkg: maxNupkgBytes}
	// Registered with the feed: once a request has read the service index,
	// Publish's shadowing check lists the upstream's versions too.
	e.Register(Format{Feed: feed})
	return &Handler{Engine: e, Upstream: up, feed: feed, Check: check, Log: log, MaxNupkgBytes: maxNupkgBytes, Nupkg: lim}
}

// SetLimits replaces the limits a package (pushed or from the upstream) is
// read with; the inflated size stays at most 64 times the upload limit.
func (h *Handler) SetLimits(lim Limits) {
	lim.MaxUncompressed = min(lim.MaxUncompressed, 64*h.MaxNupkgBytes)
	h.Nupkg = lim
	h.feed.mu.Lock()
	h.feed.Limits = lim
	h.feed.mu.Unlock()
}

// Public: every NuGet request needs the token. The client asks without one
// first and, on 401 with a Basic challenge, again with the credentials of its
// nuget.config (what `aws codeartifact login --tool dotnet|nuget` writes).
func (h *Handler) Public(*http.Request, string) bool { return false }

// Serve routes:
//
//	GET    v3/index.json                              service index
//	GET    v3/package/{id}/index.json                 versions (flat container)
//	GET    v3/package/{id}/{ver}/{id}.{ver}.nupkg     package
//	GET    v3/package/{id}/{ver}/{id}.nuspec          manifest
//	GET    v3/registration/{id}/index.json            registration index (inline page)
//	GET    v3/registration/{id}/{ver}.json            registration leaf
//	GET    v3/query?q=                                search
//	PUT    v2/package (also api/v2/package)           dotnet nuget push
//	DELETE v2/package/{id}/{ver}                      dotnet nuget delete (unlist)
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	p := req.Path
	if rest, ok := strings.CutPrefix(p, "api/"); ok && strings.HasPrefix(rest, "v2/package") {
		p = rest
	}
	if p == "v2/package" || p == "v2/package/" {
		if r.Method != http.MethodPut {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.push(w, r, req)
		return
	}
	if rest, ok := strings.CutPrefix(p, "v2/package/"); ok {
		segs := strings.Split(rest, "/")
		if len(segs) != 2 || r.Method != http.MethodDelete {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.unlist(w, r, req, segs[0], segs[1])
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.WriteError(w, r, methodNotAllowed(r, p))
		return
	}
	if err := h.Check(r.Context(), req, endpoints.ActionRead); err != nil {
		h.WriteError(w, r, err)
		return
	}
	switch {
	case p == "v3/index.json":
		h.writeJSON(w, r, ServiceIndex(req.Base))
		return
	case p == "v3/query":
		h.search(w, r, req)
		return
	}
	if rest, ok := strings.CutPrefix(p, "v3/package/"); ok {
		segs := strings.Split(rest, "/")
		switch {
		case len(segs) == 2 && segs[1] == "index.json" && ValidID(segs[0]):
			h.flatVersions(w, r, req, segs[0])
			return
		case len(segs) == 3 && ValidID(segs[0]):
			h.download(w, r, req, segs[0], segs[1], segs[2])
			return
		}
	}
	if rest, ok := strings.CutPrefix(p, "v3/registration/"); ok {
		segs := strings.Split(rest, "/")
		if len(segs) == 2 && ValidID(segs[0]) {
			if segs[1] == "index.json" {
				h.registration(w, r, req, segs[0], "")
				return
			}
			if v, ok := strings.CutSuffix(segs[1], ".json"); ok {
				h.registration(w, r, req, segs[0], v)
				return
			}
		}
	}
	h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
}

func methodNotAllowed(r *http.Request, p string) error {
	return apperr.New(apperr.Validation, "method %s not allowed on %s", r.Method, p).WithReason(endpoints.ReasonMethodNotAllowed)
}

func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// held is a version of a package the chain holds and may serve.
type held struct {
	hit    packages.Hit
	nuspec Nuspec
}

// versions are the versions of id the chain holds that may be downloaded
// (Published and Unlisted; Archived and Disposed are not served), ascending.
// Versions the chain's external connection lists are not among them (see
// resolve).
func (h *Handler) versions(ctx context.Context, chain packages.Chain, id string) ([]held, error) {
	hs, _, err := h.resolve(ctx, chain, id, false)
	return hs, err
}

// resolve is versions and, with up, the versions only the chain's external
// connection lists (never one the chain holds: a private version is not
// shadowed), normalized.
func (h *Handler) resolve(ctx context.Context, chain packages.Chain, id string, up bool) ([]held, []string, error) {
	f := Format{}
	var feedErr error
	if up {
		f, feedErr = h.format(ctx, chain)
	}
	res, err := h.Engine.Resolve(ctx, f, chain, "", Key(id))
	if err != nil {
		return nil, nil, err
	}
	var out []held
	for _, hit := range res.Hits {
		if !packages.Downloadable(hit.Version) {
			continue
		}
		n, ok := NuspecOf(hit.Version)
		if !ok {
			continue
		}
		out = append(out, held{hit: hit, nuspec: n})
	}
	sortHeld(out)
	var ups []string
	if res.Listing != nil {
		have := map[string]bool{}
		for _, hit := range res.Hits {
			have[strings.ToLower(hit.Version.Version)] = true
		}
		for _, v := range res.Listing.Versions() {
			if !have[strings.ToLower(v)] {
				ups = append(ups, v)
			}
		}
	} else if res.ExternalErr != nil && len(out) == 0 {
		return nil, nil, res.ExternalErr
	} else if feedErr != nil && len(out) == 0 {
		// The upstream could not be asked: the client is told so (502/504),
		// not that the package does not exist.
		return nil, nil, feedErr
	}
	return out, ups, nil
}

// format is the Format for chain: with the feed of its external connection
// when it has one (the service index read, as any upstream metadata, cached).
// A connection whose service index cannot be read is logged and left out,
// and the error (an upstream failure: 502, 504 for a timeout) returned for
// the caller to answer with when the chain holds nothing of the package. A
// connection with no upstream URL is no error (the 404 says so).
func (h *Handler) format(ctx context.Context, chain packages.Chain) (Format, error) {
	if h.Upstream == nil {
		return Format{}, nil
	}
	for _, hop := range chain.External(model.FormatNuget) {
		if !h.Upstream.Configured(hop.Connection) {
			return Format{}, nil
		}
		if err := h.loadFeed(ctx, hop.Connection); err != nil {
			h.Log.WarnContext(ctx, "nuget upstream service index unreadable", "connection", hop.Connection, "err", err)
			if !errors.Is(err, upstream.ErrUnavailable) {
				err = apperr.New(apperr.Internal, "upstream %s sent an unusable service index: %v", hop.Connection, err).Wrap(errors.Join(upstream.ErrUnavailable, err))
			}
			return Format{}, err
		}
		return Format{Feed: h.feed}, nil
	}
	return Format{}, nil
}

// loadFeed reads conn's service index (its configured URL) for the flat
// container and registrations, and lets the fetcher read from their hosts and
// the catalog's (registration leaves may link their catalog leaf there): the
// operator chose the feed, so what its service index names is trusted as
// its URL is (never a URL from package metadata).
func (h *Handler) loadFeed(ctx context.Context, conn string) error {
	base, ok := h.Upstream.Sources()[conn]
	if !ok {
		return fmt.Errorf("%s is not configured", conn)
	}
	valid := func(_ string, b []byte) error { _, _, err := ParseServiceIndex(b); return err }
	doc, err := h.Upstream.FetchMetadataValid(ctx, conn, base.String(), "application/json", valid)
	if err != nil {
		return err
	}
	flat, reg, err := ParseServiceIndex(doc.Body)
	if err != nil {
		return err
	}
	for _, s := range []string{flat, reg, CatalogBase(doc.Body)} {
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fmt.Errorf("service index names an unusable resource %q", s)
		}
		h.Upstream.TrustAssetHost(conn, u)
	}
	h.feed.Set(flat, reg)
	return nil
}

func sortHeld(hs []held) {
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && CompareVersions(hs[j-1].nuspec.Version, hs[j].nuspec.Version) > 0; j-- {
			hs[j-1], hs[j] = hs[j], hs[j-1]
		}
	}
}

func (h *Handler) chainVersions(w http.ResponseWriter, r *http.Request, req *endpoints.Request, id string) ([]held, packages.Chain, bool) {
	hs, _, chain, ok := h.chainAll(w, r, req, id, false)
	return hs, chain, ok
}

// chainAll is chainVersions and, with up, the versions only the external
// connection lists; NotFound when there are neither.
func (h *Handler) chainAll(w http.ResponseWriter, r *http.Request, req *endpoints.Request, id string, up bool) ([]held, []string, packages.Chain, bool) {
	chain, err := h.Engine.SearchOrder(r.Context(), req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return nil, nil, chain, false
	}
	hs, ups, err := h.resolve(r.Context(), chain, id, up)
	if err != nil {
		h.WriteError(w, r, err)
		return nil, nil, chain, false
	}
	if len(hs) == 0 && len(ups) == 0 {
		h.WriteError(w, r, apperr.NotFoundf("package", id, "package %s not found in repository %s or its upstreams%s", id, req.Repo.Name, chain.MissingUpstreamHint(model.FormatNuget, h.Upstream)))
		return nil, nil, chain, false
	}
	return hs, ups, chain, true
}

// flatVersions lists every served version, Unlisted ones included (as
// nuget.org's flat container does: restore of a pinned version keeps working).
func (h *Handler) flatVersions(w http.ResponseWriter, r *http.Request, req *endpoints.Request, id string) {
	hs, ups, _, ok := h.chainAll(w, r, req, id, true)
	if !ok {
		return
	}
	vs := make([]string, len(hs))
	for i, x := range hs {
		vs[i] = x.nuspec.Version
	}
	vs = append(vs, ups...)
	SortVersions(vs)
	h.writeJSON(w, r, FlatVersions(vs))
}

func entries(hs []held) []Entry {
	es := make([]Entry, len(hs))
	for i, x := range hs {
		es[i] = Entry{Nuspec: x.nuspec, Listed: x.hit.Version.Status == model.StatusPublished}
	}
	return es
}

// registration serves the registration index (version "") or one leaf;
// Unlisted versions show as listed=false.
func (h *Handler) registration(w http.ResponseWriter, r *http.Request, req *endpoints.Request, id, version string) {
	hs, _, ok := h.chainVersions(w, r, req, id)
	if !ok {
		return
	}
	g := Registration{Base: req.Base, Key: Key(id)}
	if version == "" {
		h.writeJSON(w, r, g.Index(entries(hs)))
		return
	}
	for _, e := range entries(hs) {
		if strings.EqualFold(e.Nuspec.Version, version) {
			h.writeJSON(w, r, g.Leaf(e))
			return
		}
	}
	h.WriteError(w, r, apperr.NotFoundf("package-version", version, "package %s has no version %s", id, version))
}

// search answers by package id (substring, case-insensitive), listed
// versions only; enough for `dotnet package search` and IDEs to find what
// restore needs.
func (h *Handler) search(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	if len(q) > 256 {
		h.WriteError(w, r, apperr.Validationf("query too long"))
		return
	}
	pre := r.URL.Query().Get("prerelease") == "true"
	skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
	take, err := strconv.Atoi(r.URL.Query().Get("take"))
	if err != nil || take <= 0 || take > 1000 {
		take = 20
	}
	skip = max(skip, 0)
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	names, err := h.Engine.PackageNames(ctx, chain, model.FormatNuget)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	var data []map[string]any
	total := 0
	for _, n := range names {
		if !strings.Contains(n, q) {
			continue
		}
		hs, err := h.versions(ctx, chain, n)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		var es []Entry
		for _, e := range entries(hs) {
			if e.Listed && (pre || !strings.Contains(e.Nuspec.Version, "-")) {
				es = append(es, e)
			}
		}
		if len(es) == 0 {
			continue
		}
		total++
		if total > skip && len(data) < take {
			data = append(data, Registration{Base: req.Base, Key: n}.SearchResult(es))
		}
	}
	if data == nil {
		data = []map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{"totalHits": total, "data": data})
	h.writeJSON(w, r, b)
}

// download serves {id}.{ver}.nupkg and {id}.nuspec of a held version,
// retained in the requesting repository as any fetch through the engine.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, req *endpoints.Request, id, version, file string) {
	ctx := r.Context()
	key := Key(id)
	lv := strings.ToLower(version)
	if file != NupkgFile(key, lv) && file != key+".nuspec" {
		h.WriteError(w, r, apperr.NotFoundf("asset", file, "not found: %s", file))
		return
	}
	hs, ups, chain, ok := h.chainAll(w, r, req, id, true)
	if !ok {
		return
	}
	var x *held
	for i := range hs {
		if strings.ToLower(hs[i].nuspec.Version) == lv {
			x = &hs[i]
		}
	}
	if x == nil {
		// Listed only upstream: pulled (verified, retained) through the
		// engine, then served as held. Its .nuspec comes from the package.
		for _, v := range ups {
			if strings.ToLower(v) != lv {
				continue
			}
			f, err := h.format(ctx, chain)
			if err == nil {
				_, _, err = h.Engine.Fetch(ctx, f, chain, "", key, v, NupkgFile(key, v), false)
			}
			if err != nil {
				h.WriteError(w, r, err)
				return
			}
			if hs, err := h.versions(ctx, chain, id); err == nil {
				for i := range hs {
					if strings.ToLower(hs[i].nuspec.Version) == lv {
						x = &hs[i]
					}
				}
			}
		}
	}
	if x == nil {
		h.WriteError(w, r, apperr.NotFoundf("package-version", version, "package %s has no version %s", id, version))
		return
	}
	if file == key+".nuspec" {
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(x.nuspec.Raw)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, x.nuspec.Raw)
		}
		return
	}
	_, a, err := h.Engine.Fetch(ctx, Format{}, chain, "", key, x.hit.Version.Version, file, false)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	rc, size, err := h.Engine.OpenAsset(ctx, req.Repo, a)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	endpoints.WriteAsset(w, r, rc, size, "application/octet-stream", a.Hashes.SHA256)
}

// push is `dotnet nuget push`: a multipart body whose one file part is the
// .nupkg (NuGet.Protocol's PackageUpdateResource names it "package",
// "package.nupkg"). The package streams to the blob store while
// InspectNupkg reads the same bytes; one that is not a package fails the
// store, so nothing is kept.
func (h *Handler) push(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	// Decided on the repository before any byte is read: an unauthorized
	// caller costs no upload.
	if err := h.Check(ctx, req, endpoints.ActionPublish); err != nil {
		h.WriteError(w, r, err)
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		h.WriteError(w, r, apperr.Validationf("the push body must be multipart/form-data with the .nupkg as its file part"))
		return
	}
	body := http.MaxBytesReader(w, r.Body, h.MaxNupkgBytes+64<<10)
	mr := multipart.NewReader(body, params["boundary"])
	part, err := mr.NextPart()
	if err != nil {
		h.WriteError(w, r, apperr.Validationf("the push body has no package part: %v", err))
		return
	}
	if strings.HasSuffix(strings.ToLower(part.FileName()), ".snupkg") {
		h.WriteError(w, r, symbolsRefused())
		return
	}
	var n Nuspec
	lim := &io.LimitedReader{R: part, N: h.MaxNupkgBytes + 1}
	cr := streamcheck.New(lim, func(r io.Reader) error {
		var err error
		n, err = InspectNupkg(r, h.Nupkg)
		if err == nil && n.Symbols {
			return errSymbols
		}
		return err
	})
	cr.AtEOF = func() error {
		if lim.N <= 0 {
			return apperr.New(apperr.TooLarge, "the package is larger than %d bytes", h.MaxNupkgBytes)
		}
		return nil
	}
	a, err := h.Engine.PutAsset(ctx, req.Repo, "package.nupkg", cr, "")
	cr.Stop()
	if err := uploadError(cr.Err(), err); err != nil {
		h.WriteError(w, r, err)
		return
	}
	key := Key(n.ID)
	a.Name = NupkgFile(key, n.Version)
	if err := h.Check(ctx, endpoints.ForPackage(req, model.FormatNuget, "", key), endpoints.ActionPublish); err != nil {
		h.WriteError(w, r, err)
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	// A version differing from a held one only in case (1.0.0-Beta,
	// 1.0.0-beta) is the same NuGet version.
	hs, err := h.versions(ctx, chain, n.ID)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	for _, x := range hs {
		if strings.EqualFold(x.nuspec.Version, n.Version) {
			h.WriteError(w, r, apperr.Conflictf("package-version", n.Version, "package %s %s already exists", n.ID, x.nuspec.Version))
			return
		}
	}
	// The service index read first, so the engine's shadowing check lists
	// the upstream's versions: publishing one it lists is refused. A feed
	// whose service index cannot be read cannot be listed, so the publish is
	// refused (502) as the engine refuses one whose registry is unreadable,
	// rather than risk shadowing a public version.
	if _, err := h.format(ctx, chain); err != nil {
		h.WriteError(w, r, apperr.New(apperr.Internal,
			"cannot check whether %s %s exists on the external connection, so it is not published (it must not shadow a public version): %s",
			n.ID, n.Version, apperr.As(err).Message).Wrap(err))
		return
	}
	if err := h.Engine.CheckPublishFile(ctx, chain, model.FormatNuget, "", key, n.Version, a.Name); err != nil {
		h.WriteError(w, r, err)
		return
	}
	if _, err := h.Engine.Publish(ctx, chain, VersionOf(n), []model.Asset{a}); err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

var errSymbols = errors.New("symbol packages (.snupkg) are not supported: CodeArtifact does not serve NuGet symbol packages; push the .nupkg only")

func symbolsRefused() error { return apperr.Validationf("%v", errSymbols) }

// unlist is `dotnet nuget delete`: CodeArtifact unlists the version
// (Unlisted), it does not delete it.
func (h *Handler) unlist(w http.ResponseWriter, r *http.Request, req *endpoints.Request, id, version string) {
	ctx := r.Context()
	id, _ = url.PathUnescape(id)
	nv, ok := NormalizeVersion(version)
	if !ValidID(id) || !ok {
		h.WriteError(w, r, apperr.NotFoundf("package-version", version, "not found: %s %s", id, version))
		return
	}
	key := Key(id)
	if err := h.Check(ctx, endpoints.ForPackage(req, model.FormatNuget, "", key), endpoints.ActionPublish); err != nil {
		h.WriteError(w, r, err)
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	hs, err := h.versions(ctx, chain, id)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	stored := ""
	for _, x := range hs {
		if strings.EqualFold(x.nuspec.Version, nv) && x.hit.Repo.Name == req.Repo.Name {
			stored = x.hit.Version.Version
		}
	}
	if stored == "" {
		h.WriteError(w, r, apperr.NotFoundf("package-version", version, "package %s has no version %s in repository %s", id, version, req.Repo.Name))
		return
	}
	_, err = h.Engine.Amend(ctx, req.Repo, model.FormatNuget, "", key, stored, func(v *model.PackageVersion) {
		if v.Status == model.StatusPublished {
			v.Status = model.StatusUnlisted
		}
	})
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// WriteError answers with the status NuGet clients act on (401 with a Basic
// challenge so they retry with their nuget.config credentials, 409 for a
// version that exists, which --skip-duplicate recognizes) and a plain-text
// reason, which dotnet prints.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := endpoints.HTTPStatus(err)
	if e.Kind == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Basic realm="wharf"`)
	}
	msg := endpoints.ClientMessage(r, h.Log, "nuget", status, err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)+1))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

// uploadError is what a failed streamed push answers: the check's failure
// as a Validation error, a body over the limit as TooLarge, else the store's
// error.
func uploadError(streamErr, storeErr error) error {
	var mbe *http.MaxBytesError
	var ce *streamcheck.CheckError
	switch {
	case streamErr == nil:
		return storeErr
	case errors.As(streamErr, &ce):
		return apperr.Validationf("invalid package: %v", ce.Err)
	case errors.As(streamErr, &mbe):
		return apperr.New(apperr.TooLarge, "push body larger than %d bytes", mbe.Limit)
	case apperr.As(streamErr).Kind == apperr.Validation || apperr.As(streamErr).Kind == apperr.TooLarge:
		return streamErr
	}
	return apperr.Validationf("reading the package: %v", streamErr)
}
