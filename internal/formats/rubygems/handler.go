package rubygems

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/formats/streamcheck"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Handler serves the ruby endpoints. Upstream may be nil (no public:ruby-gems-org).
type Handler struct {
	Engine   *packages.Engine
	Upstream *upstream.Fetcher
	Check    endpoints.Checker
	Log      *slog.Logger
	// MaxGemBytes bounds a pushed .gem (--max-publish-bytes).
	MaxGemBytes int64
	Limits      Limits
	// MaxDependencyNames bounds the gems one /api/v1/dependencies asks for.
	MaxDependencyNames int

	versionsCache   *versionsCache     // nil: every versions request renders
	versionsFlights singleflight.Group // one rendering of a repository's lines at a time
	versionsRenders atomic.Int64       // renderings of the chain's lines (tests)
}

// New builds the handler with default limits.
func New(e *packages.Engine, up *upstream.Fetcher, check endpoints.Checker, log *slog.Logger, maxGemBytes int64) *Handler {
	if log == nil {
		log = slog.Default()
	}
	if maxGemBytes <= 0 {
		maxGemBytes = 2 << 30
	}
	// Registered so that a push is checked against the external index too
	// (a private gem must not shadow a public version).
	e.Register(Format{})
	return &Handler{Engine: e, Upstream: up, Check: check, Log: log, MaxGemBytes: maxGemBytes, Limits: DefaultLimits(), MaxDependencyNames: 200,
		versionsCache: newVersionsCache(VersionsCacheBytes)}
}

// StaleHeader is set (to "true") on info files that include an external
// registry's versions served from wharf's cached copy because the upstream
// could not be reached (as on the npm and pypi endpoints).
const StaleHeader = "X-Wharf-Upstream-Stale"

// Public: every request needs the token.
func (h *Handler) Public(*http.Request, string) bool { return false }

// Serve routes:
//
//	POST   api/v1/gems                              gem push
//	DELETE api/v1/gems/yank                         gem yank (Unlisted)
//	GET    versions                                 compact index: every gem
//	GET    info/{name}                              compact index: one gem
//	GET    api/v1/dependencies[.json]?gems=a,b      dependency API
//	GET    gems/{name}-{version}.gem                download
//	GET    quick/Marshal.4.8/{name}-{version}.gemspec.rz  gemspec for gem install
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	p := req.Path
	switch {
	case p == "api/v1/gems":
		if r.Method != http.MethodPost {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.push(w, r, req)
		return
	case p == "api/v1/gems/yank":
		if r.Method != http.MethodDelete {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.yank(w, r, req)
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
	case p == "versions":
		h.versions(w, r, req)
	case strings.HasPrefix(p, "info/"):
		name := strings.TrimPrefix(p, "info/")
		if !ValidName(name) {
			h.WriteError(w, r, apperr.NotFoundf("package", name, "invalid gem name %q", name))
			return
		}
		h.info(w, r, req, name)
	case p == "specs.4.8.gz" || p == "latest_specs.4.8.gz" || p == "prerelease_specs.4.8.gz":
		h.specsIndex(w, r, req, p)
	case p == "api/v1/dependencies" || p == "api/v1/dependencies.json":
		h.dependencies(w, r, req, strings.HasSuffix(p, ".json"))
	case strings.HasPrefix(p, "gems/") && strings.HasSuffix(p, ".gem"):
		h.download(w, r, req, strings.TrimPrefix(p, "gems/"))
	case strings.HasPrefix(p, "quick/Marshal.4.8/") && strings.HasSuffix(p, ".gemspec.rz"):
		h.quickSpec(w, r, req, strings.TrimSuffix(strings.TrimPrefix(p, "quick/Marshal.4.8/"), ".gemspec.rz"))
	default:
		h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
	}
}

func methodNotAllowed(r *http.Request, p string) error {
	return apperr.New(apperr.Validation, "method %s not allowed on %s", r.Method, p).WithReason(endpoints.ReasonMethodNotAllowed)
}

// serveIndex answers a compact index file with the ETag Bundler checks (the
// quoted MD5 of the whole file) and byte ranges (Bundler asks for what it
// does not have yet).
func serveIndex(w http.ResponseWriter, r *http.Request, body []byte) {
	serveIndexTagged(w, r, body, `"`+MD5(body)+`"`)
}

// serveIndexTagged is serveIndex with the ETag already computed.
func serveIndexTagged(w http.ResponseWriter, r *http.Request, body []byte, etag string) {
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=0, private, must-revalidate")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// visibleSpecs is a gem's versions as clients see them: each version held in
// the chain (Published only: Unlisted is how CodeArtifact maps gem yank, and
// Archived/Disposed are not served), then the external registry's versions
// the chain does not hold at all. stale reports a cached external listing.
func (h *Handler) visibleSpecs(ctx context.Context, chain packages.Chain, name string) ([]Spec, error) {
	specs, _, err := h.resolveSpecs(ctx, chain, name)
	return specs, err
}

// resolveSpecs is visibleSpecs, also reporting a stale external listing.
func (h *Handler) resolveSpecs(ctx context.Context, chain packages.Chain, name string) (specs []Spec, stale bool, err error) {
	r, err := h.resolveGem(ctx, chain, name)
	return r.specs, r.stale, err
}

// resolvedGem is a gem as seen through a chain, with what a rendering of it
// depends on upstream: the lookups made, and whether one failed (partial:
// what was rendered is a fallback and must not be kept).
type resolvedGem struct {
	specs   []Spec
	stale   bool
	lookups []packages.Lookup
	partial bool
}

func (h *Handler) resolveGem(ctx context.Context, chain packages.Chain, name string) (resolvedGem, error) {
	res, err := h.Engine.Resolve(ctx, Format{}, chain, "", name)
	if err != nil {
		return resolvedGem{}, err
	}
	out := resolvedGem{lookups: res.Lookups, partial: res.ExternalErr != nil}
	held := map[string]bool{}
	for _, hit := range res.Hits {
		held[hit.Version.Version] = true
		if !packages.Visible(hit.Version) {
			continue
		}
		if s, ok := SpecOfVersion(hit.Version); ok {
			out.specs = append(out.specs, s)
		}
	}
	if l, ok := res.Listing.(*Listing); ok {
		for _, e := range l.Entries {
			if !held[e.FullVersion] {
				out.specs = append(out.specs, SpecOf(name, e))
			}
		}
	}
	if len(out.specs) == 0 && res.ExternalErr != nil && !apperr.Is(res.ExternalErr, apperr.NotFound) && len(res.Hits) == 0 {
		return resolvedGem{}, res.ExternalErr
	}
	out.stale = res.Stale && res.Listing != nil
	return out, nil
}

func infoOf(specs []Spec) []byte {
	es := make([]InfoEntry, len(specs))
	for i, s := range specs {
		es[i] = s.Entry()
	}
	return RenderInfo(es)
}

func (h *Handler) info(w http.ResponseWriter, r *http.Request, req *endpoints.Request, name string) {
	ctx := r.Context()
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	specs, stale, err := h.resolveSpecs(ctx, chain, name)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if stale {
		w.Header().Set(StaleHeader, "true")
	}
	if len(specs) == 0 {
		h.WriteError(w, r, apperr.NotFoundf("package", name, "No gem %s found in repository %s or its upstreams%s", name, req.Repo.Name, chain.MissingUpstreamHint(model.FormatRuby, h.Upstream)))
		return
	}
	serveIndex(w, r, infoOf(specs))
}

// versions is the compact index's list of every gem: the external
// registry's own versions file first (so Bundler looks up the info of a
// public gem wharf has not fetched yet), then a line for each gem the chain
// holds, whose MD5 is that of the info file wharf serves for it.
//
// Bundler fetches it on every `bundle install`, and the chain's part resolves
// every gem the chain holds, so that part is kept (versionsCache) while what
// it reflects is unchanged: the domain's generation (every publish, yank,
// status change, upstream or origin change in the domain bumps it, on every
// replica) and each held gem's upstream info file. The whole file is kept
// too, while the upstream versions file is also unchanged and it fits.
func (h *Handler) versions(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	// Read before anything it guards.
	gen, err := h.Engine.Generation(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	key := req.Repo.DomainOwner + "/" + req.Repo.DomainName + "/" + req.Repo.Name
	d := h.versionsCache.get(key, gen)
	if d == nil || !h.Engine.LookupsUnchanged(ctx, d.held) {
		// One rendering per repository and generation however many clients
		// ask at once (each was authorized; the result is the same), not
		// bound to the first asker: its leaving must not fail the others.
		v, err, _ := h.versionsFlights.Do(key+"|"+strconv.FormatInt(gen, 10), func() (any, error) {
			return h.renderChainLines(context.WithoutCancel(ctx), req)
		})
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		d = v.(*versionsDoc)
	} else if d.body != nil && h.Engine.LookupsUnchanged(ctx, d.upstream) {
		serveIndexTagged(w, r, d.body, d.etag)
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	upBody, upLookups, upOK := h.upstreamVersions(ctx, chain)
	// created_at stays fixed so the file only grows between requests while
	// nothing changes upstream, as Bundler's ranged requests expect. The
	// lines may be shared with other requests: RenderVersions gets a copy.
	body := RenderVersions(time.Unix(0, 0), upBody, append([]VersionsLine(nil), d.lines...))
	etag := `"` + MD5(body) + `"`
	if d.complete && upOK {
		h.versionsCache.put(key, gen, &versionsDoc{lines: d.lines, held: d.held, complete: true, upstream: upLookups, body: body, etag: etag})
	}
	serveIndexTagged(w, r, body, etag)
}

// upstreamVersions is the versions file of the chain's first external
// connection that has one, and the lookups made for it; ok is false when one
// failed (what is served without it must not be kept).
func (h *Handler) upstreamVersions(ctx context.Context, chain packages.Chain) (body []byte, lookups []packages.Lookup, ok bool) {
	ok = true
	if h.Upstream == nil {
		return nil, nil, true
	}
	for _, hop := range chain.External(model.FormatRuby) {
		if !h.Upstream.Configured(hop.Connection) {
			continue
		}
		doc, err := h.Upstream.FetchMetadataValid(ctx, hop.Connection, "versions", "", ValidVersionsBody)
		if l, stamped := packages.LookupOf(hop.Connection, "versions", "", ValidVersionsBody, doc, err); stamped {
			lookups = append(lookups, l)
		} else {
			ok = false
		}
		if err != nil {
			h.Log.WarnContext(ctx, "ruby upstream versions file unavailable", "connection", hop.Connection, "err", err)
			continue
		}
		return doc.Body, lookups, ok
	}
	return nil, lookups, ok
}

// renderChainLines builds the versions file's lines for the gems req's
// repository's chain holds.
func (h *Handler) renderChainLines(ctx context.Context, req *endpoints.Request) (*versionsDoc, error) {
	h.versionsRenders.Add(1)
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		return nil, err
	}
	names, err := h.Engine.PackageNames(ctx, chain, model.FormatRuby)
	if err != nil {
		return nil, err
	}
	d := &versionsDoc{complete: true}
	for _, n := range names {
		g, err := h.resolveGem(ctx, chain, n)
		if err != nil || g.partial {
			d.complete = false
		}
		d.held = append(d.held, g.lookups...)
		if err != nil || len(g.specs) == 0 {
			continue
		}
		l := VersionsLine{Name: n, InfoMD5: MD5(infoOf(g.specs))}
		for _, s := range g.specs {
			l.Versions = append(l.Versions, s.FullVersion())
		}
		d.lines = append(d.lines, l)
	}
	return d, nil
}

// specsIndex serves RubyGems' legacy name indexes for the gems the chain
// holds (with every version of theirs the chain or the external registry
// offers); a public gem the chain has never fetched is not in them, so `gem
// install` finds it only once fetched (Bundler, which reads the compact
// index, finds it at once).
func (h *Handler) specsIndex(w http.ResponseWriter, r *http.Request, req *endpoints.Request, which string) {
	ctx := r.Context()
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	names, err := h.Engine.PackageNames(ctx, chain, model.FormatRuby)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	var ts []Tuple
	for _, n := range names {
		specs, err := h.visibleSpecs(ctx, chain, n)
		if err != nil {
			continue
		}
		for _, s := range specs {
			if Prerelease(s.Version) == (which == "prerelease_specs.4.8.gz") {
				ts = append(ts, Tuple{Name: s.Name, Version: s.Version, Platform: s.Platform})
			}
		}
	}
	if which == "latest_specs.4.8.gz" {
		ts = Latest(ts)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(SpecsIndex(ts))
}

// dependencies is the dependency API Bundler falls back to without the
// compact index (Marshal, or JSON for the .json form).
func (h *Handler) dependencies(w http.ResponseWriter, r *http.Request, req *endpoints.Request, asJSON bool) {
	ctx := r.Context()
	var names []string
	for _, n := range strings.Split(r.URL.Query().Get("gems"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			if !ValidName(n) {
				h.WriteError(w, r, apperr.Validationf("invalid gem name %q", n))
				return
			}
			names = append(names, n)
		}
	}
	if len(names) > h.MaxDependencyNames {
		h.WriteError(w, r, apperr.Validationf("at most %d gems per request", h.MaxDependencyNames))
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	var all []Spec
	for _, n := range names {
		specs, err := h.visibleSpecs(ctx, chain, n)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		all = append(all, specs...)
	}
	if asJSON {
		type dep struct {
			Name         string      `json:"name"`
			Number       string      `json:"number"`
			Platform     string      `json:"platform"`
			Dependencies [][2]string `json:"dependencies"`
		}
		out := []dep{}
		for _, s := range all {
			d := dep{Name: s.Name, Number: s.Version, Platform: s.Platform, Dependencies: [][2]string{}}
			for _, x := range s.Runtime() {
				rs := x.Reqs
				if len(rs) == 0 {
					rs = []string{">= 0"}
				}
				d.Dependencies = append(d.Dependencies, [2]string{x.Name, strings.Join(rs, ", ")})
			}
			out = append(out, d)
		}
		b, _ := json.Marshal(out)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(DependencyAPI(all))
}

// maxSplits bounds the name/version readings of a file name tried, so a
// crafted name cannot make one request look up many gems upstream.
const maxSplits = 3

// splitFile finds the gem name and full version in NAME-FULLVERSION (a name
// may contain "-"; versions start with a digit): candidates from the
// rightmost split, at most maxSplits.
func splitFile(base string) [][2]string {
	var out [][2]string
	for i := len(base) - 1; i > 0 && len(out) < maxSplits; i-- {
		if base[i] != '-' || i+1 >= len(base) || base[i+1] < '0' || base[i+1] > '9' {
			continue
		}
		if name, fv := base[:i], base[i+1:]; ValidName(name) && ValidFullVersion(fv) {
			out = append(out, [2]string{name, fv})
		}
	}
	return out
}

// download serves a .gem through the engine: from the chain, else from the
// external registry, kept once its sha256 is the info file's checksum.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, req *endpoints.Request, file string) {
	ctx := r.Context()
	cands := splitFile(strings.TrimSuffix(file, ".gem"))
	if len(cands) == 0 {
		h.WriteError(w, r, apperr.NotFoundf("asset", file, "%s is not a gem file name", file))
		return
	}
	for i, c := range cands {
		f, err := h.Engine.FetchFile(ctx, Format{}, req.Repo, "", c[0], c[1], file, false)
		if apperr.Is(err, apperr.NotFound) && i < len(cands)-1 {
			continue
		}
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		rc, size, err := h.Engine.OpenFile(ctx, f)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		_ = endpoints.WriteFile(w, r, rc, size, f, endpoints.OctetStream)
		return
	}
}

// quickSpec serves the marshalled gemspec `gem install` loads before it
// downloads, rendered from what wharf keeps of the version (or what the
// external registry's info file says of it).
func (h *Handler) quickSpec(w http.ResponseWriter, r *http.Request, req *endpoints.Request, base string) {
	ctx := r.Context()
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	for _, c := range splitFile(base) {
		specs, err := h.visibleSpecs(ctx, chain, c[0])
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		for _, s := range specs {
			if s.FullVersion() == c[1] {
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(GemspecRZ(s))
				return
			}
		}
	}
	h.WriteError(w, r, apperr.NotFoundf("package-version", base, "no gem version %s in repository %s or its upstreams", base, req.Repo.Name))
}

// push is `gem push`: the body is the .gem. Its first entry, metadata.gz,
// is read first (as `gem build` writes it) so the gem's name and version are
// authorized and checked before anything is stored; then the whole gem
// streams to the blob store while ReadGem checks it, and a gem that fails the
// check is not kept.
func (h *Handler) push(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	body := http.MaxBytesReader(w, r.Body, h.MaxGemBytes)
	var head bytes.Buffer
	spec, err := readHead(io.TeeReader(body, &head), h.Limits)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.WriteError(w, r, apperr.New(apperr.TooLarge, "gem larger than %d bytes", mbe.Limit))
			return
		}
		h.WriteError(w, r, apperr.Validationf("invalid gem: %v", err))
		return
	}
	if err := h.Check(ctx, endpoints.ForPackage(req, model.FormatRuby, "", spec.Name), endpoints.ActionPublish); err != nil {
		h.WriteError(w, r, err)
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if err := h.checkCollision(ctx, chain, spec.Name); err != nil {
		h.WriteError(w, r, err)
		return
	}
	fv := spec.FullVersion()
	file := GemFile(spec.Name, fv)
	if err := h.Engine.CheckPublishFile(ctx, chain, model.FormatRuby, "", spec.Name, fv, file); err != nil {
		h.WriteError(w, r, err)
		return
	}
	var full Spec
	gem := streamcheck.New(io.MultiReader(&head, body), func(rd io.Reader) error {
		s, err := readGem(rd, h.Limits)
		full = s
		return err
	})
	a, err := h.Engine.PutAsset(ctx, req.Repo, file, gem, "")
	gem.Stop()
	if serr := gem.Err(); serr != nil {
		var ce *streamcheck.CheckError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(serr, &ce):
			err = apperr.Validationf("invalid gem: %v", ce.Err)
		case errors.As(serr, &mbe):
			err = apperr.New(apperr.TooLarge, "gem larger than %d bytes", mbe.Limit)
		default:
			err = apperr.Validationf("reading the gem: %v", serr)
		}
	}
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if full.Name != spec.Name || full.FullVersion() != fv {
		h.WriteError(w, r, apperr.Validationf("invalid gem: its metadata changed while it was read"))
		return
	}
	full.SHA256 = a.Hashes.SHA256
	if _, err := h.Engine.Publish(ctx, chain, VersionOf(full), []model.Asset{a}); err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Successfully registered gem: %s (%s)", spec.Name, fv)
}

// readHead reads a .gem's first entry, which must be metadata.gz, and
// returns its spec.
func readHead(r io.Reader, lim Limits) (Spec, error) {
	tr := tar.NewReader(r)
	hd, err := tr.Next()
	if err != nil {
		return Spec{}, fmt.Errorf("not a tar archive: %v", err)
	}
	if hd.Name != "metadata.gz" || hd.Typeflag != tar.TypeReg {
		return Spec{}, fmt.Errorf("the first entry is %q, not metadata.gz (as gem build writes it)", hd.Name)
	}
	// push tees what this reads into memory: gunzipEntry bounds it by the
	// entry's size, not only by what it inflates to.
	meta, err := gunzipEntry(hd, tr, lim.MaxMetadata)
	if err != nil {
		return Spec{}, fmt.Errorf("metadata.gz: %v", err)
	}
	return ParseSpec(meta)
}

// checkCollision refuses a gem whose name equals another gem's of the chain
// up to case and "-"/"_" but is spelled differently.
func (h *Handler) checkCollision(ctx context.Context, chain packages.Chain, name string) error {
	names, err := h.Engine.PackageNames(ctx, chain, model.FormatRuby)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n != name && Canonical(n) == Canonical(name) {
			return apperr.Conflictf("package", name, "gem name %s is too close to the existing gem %s (names differing only in case, '-' or '_' are refused)", name, n)
		}
	}
	return nil
}

// yank is `gem yank NAME -v VERSION [--platform P]`: the version becomes
// Unlisted (as CodeArtifact maps it): gone from the indexes, still
// downloadable by a lockfile that pins it.
func (h *Handler) yank(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		h.WriteError(w, r, apperr.Validationf("reading the request: %v", err))
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		h.WriteError(w, r, apperr.Validationf("the request body is not a form: %v", err))
		return
	}
	for k, v := range r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	name, version, platform := form.Get("gem_name"), form.Get("version"), form.Get("platform")
	if !ValidName(name) || !ValidVersion(version) || (platform != "" && !ValidPlatform(platform)) {
		h.WriteError(w, r, apperr.Validationf("gem_name and version must name a gem version"))
		return
	}
	if err := h.Check(ctx, endpoints.ForPackage(req, model.FormatRuby, "", name), endpoints.ActionPublish); err != nil {
		h.WriteError(w, r, err)
		return
	}
	fv := FullVersion(version, platform)
	_, err = h.Engine.Amend(ctx, req.Repo, model.FormatRuby, "", name, fv, func(v *model.PackageVersion) {
		if v.Status == model.StatusPublished {
			v.Status = model.StatusUnlisted
		}
	})
	if apperr.Is(err, apperr.NotFound) {
		err = apperr.NotFoundf("package-version", fv, "The version %s does not exist for gem %s in repository %s", fv, name, req.Repo.Name)
	}
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Successfully deleted gem: %s (%s)", name, fv)
}

// WriteError answers as rubygems.org does: a status and a plain-text
// message, which gem and Bundler print; Basic challenges on 401.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := endpoints.HTTPStatus(err)
	if e.Kind == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Basic realm="wharf"`)
	}
	msg := endpoints.ClientMessage(r, h.Log, "ruby", status, err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}
