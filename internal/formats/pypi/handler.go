package pypi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Handler serves the pypi endpoints. Upstream may be nil (no public:pypi).
type Handler struct {
	Engine   *packages.Engine
	Upstream *upstream.Fetcher
	Check    endpoints.Checker
	Log      *slog.Logger
	// Limits bound an upload (zero fields: DefaultLimits).
	Limits Limits
}

// New builds the handler.
func New(e *packages.Engine, up *upstream.Fetcher, check endpoints.Checker, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{Engine: e, Upstream: up, Check: check, Log: log}
	h.Limits.defaults()
	e.Register(Format{})
	return h
}

// StaleHeader is set (to "true") on project pages that include an external
// connection's listing served from wharf's cached copy because the upstream
// could not be reached (the same header the npm endpoint sets).
const StaleHeader = "X-Wharf-Upstream-Stale"

// Public: every pypi request needs the token.
func (h *Handler) Public(*http.Request, string) bool { return false }

// Serve routes:
//
//	POST   ""  (or "legacy/")                 legacy upload API (twine)
//	GET    simple/                             root index
//	GET    simple/{project}/                   project page (HTML or JSON by Accept)
//	GET    simple/{project}/{version}/{file}   file download
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	p := req.Path
	if r.Method == http.MethodPost && (p == "" || p == "legacy/" || p == "legacy") {
		h.upload(w, r, req)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.WriteError(w, r, apperr.New(apperr.Validation, "method %s not allowed on %s", r.Method, p).WithReason(endpoints.ReasonMethodNotAllowed))
		return
	}
	if err := h.Check(r.Context(), req, endpoints.ActionRead); err != nil {
		h.WriteError(w, r, err)
		return
	}
	rest, ok := strings.CutPrefix(p, "simple/")
	if !ok {
		if p == "simple" {
			http.Redirect(w, r, req.Base+"simple/", http.StatusMovedPermanently)
			return
		}
		h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
		return
	}
	segs, err := splitPath(rest)
	if err != nil {
		h.WriteError(w, r, apperr.Validationf("invalid path %q", p))
		return
	}
	switch {
	case rest == "":
		h.index(w, r, req)
	case len(segs) == 1 || (len(segs) == 2 && segs[1] == ""):
		if !ValidName(segs[0]) {
			h.WriteError(w, r, apperr.NotFoundf("package", segs[0], "invalid project name %q", segs[0]))
			return
		}
		if n := Normalize(segs[0]); n != segs[0] || len(segs) == 1 {
			// PEP 503: a non-normalized name may redirect to the normalized URL.
			http.Redirect(w, r, req.Base+"simple/"+n+"/", http.StatusMovedPermanently)
			return
		}
		h.project(w, r, req, segs[0])
	case len(segs) == 3 && segs[2] != "":
		h.download(w, r, req, Normalize(segs[0]), segs[1], segs[2])
	default:
		h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
	}
}

// splitPath unescapes the segments of a path under simple/; "." and "..",
// and segments that decode to a slash or backslash, are refused.
func splitPath(rest string) ([]string, error) {
	segs := strings.Split(rest, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || u == "." || u == ".." || strings.ContainsAny(u, "/\\") {
			return nil, fmt.Errorf("invalid segment %q", s)
		}
		segs[i] = u
	}
	return segs, nil
}

func (h *Handler) logf(r *http.Request, msg string, args ...any) {
	h.Log.InfoContext(r.Context(), msg, args...)
}

// index lists the projects of the repository and its upstreams (not external
// connections: a public index's full list is not wharf's to mirror).
func (h *Handler) index(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	names, err := h.Engine.PackageNames(ctx, chain, model.FormatPypi)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	mt := Negotiate(r.Header.Get("Accept"))
	h.writeDoc(w, r, mt, RenderIndex(mt, names))
}

func (h *Handler) writeDoc(w http.ResponseWriter, r *http.Request, mt string, body []byte) {
	ct := mt
	if mt != TypeJSON {
		ct += "; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// fileURL is the wharf URL of a file: {endpoint}simple/{project}/{version}/{file}.
func fileURL(base, project, version, filename string) string {
	return base + "simple/" + url.PathEscape(project) + "/" + url.PathEscape(version) + "/" + url.PathEscape(filename)
}

// project serves a project page: every file of every version visible through
// the chain (nearest repository wins), plus the files the external connection's
// upstream lists for versions the chain does not hold.
func (h *Handler) project(w http.ResponseWriter, r *http.Request, req *endpoints.Request, name string) {
	ctx := r.Context()
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	res, err := h.Engine.Resolve(ctx, Format{}, chain, "", name)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	hits := res.Hits
	var files []File
	have := map[string]bool{}
	localVersions := map[string]bool{}
	for _, hit := range hits {
		if !packages.Visible(hit.Version) {
			continue
		}
		localVersions[hit.Version.Version] = true
		assets, err := h.Engine.Assets(ctx, hit)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		meta := DecodeMeta(hit.Version.Metadata)
		for _, a := range assets {
			have[a.Name] = true
			files = append(files, File{
				Filename:       a.Name,
				URL:            fileURL(req.Base, name, hit.Version.Version, a.Name),
				SHA256:         a.Hashes.SHA256,
				RequiresPython: meta.requiresPython(a.Name),
			})
		}
	}
	var ext []File
	if l, ok := res.Listing.(*Listing); ok {
		ext = l.Files
	}
	stale, extErr := res.Stale, res.ExternalErr
	for _, f := range ext {
		if have[f.Filename] {
			continue
		}
		_, version, ok := ParseFilename(f.Filename)
		if !ok || !ValidVersion(version) {
			continue
		}
		// A version the chain holds is complete as published there: upstream
		// files are not mixed into it unless it came from upstream itself.
		if localVersions[version] && !h.externalOrigin(hits, version) {
			continue
		}
		f.URL = fileURL(req.Base, name, version, f.Filename)
		have[f.Filename] = true
		files = append(files, f)
	}
	if len(files) == 0 {
		if extErr != nil && !apperr.Is(extErr, apperr.NotFound) {
			h.WriteError(w, r, extErr)
			return
		}
		h.WriteError(w, r, apperr.NotFoundf("package", name, "No package %s found in repository %s or its upstreams%s", name, req.Repo.Name, chain.MissingUpstreamHint(model.FormatPypi, h.Upstream)))
		return
	}
	if stale {
		w.Header().Set(StaleHeader, "true")
	}
	mt := Negotiate(r.Header.Get("Accept"))
	h.writeDoc(w, r, mt, RenderProject(mt, name, files))
}

func (h *Handler) externalOrigin(hits []packages.Hit, version string) bool {
	for _, hit := range hits {
		if hit.Version.Version == version {
			return hit.Version.Origin.Type == model.OriginExternal
		}
	}
	return false
}

// download serves a file: from the nearest repository of the chain holding the
// version (retaining it in the requesting repository), else through the
// external connection, storing it once its SHA-256 matches the upstream's.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, req *endpoints.Request, name, version, filename string) {
	ctx := r.Context()
	if !FileMatches(filename, name, version) {
		h.WriteError(w, r, apperr.NotFoundf("asset", filename, "%s is not a file of %s %s", filename, name, version))
		return
	}
	f, err := h.Engine.FetchFile(ctx, Format{}, req.Repo, "", name, version, filename, false)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	rc, size, err := h.Engine.OpenFile(ctx, f)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	_ = endpoints.WriteFile(w, r, rc, size, f, contentType(f.Asset.Name))
}

// Content types of distribution files, shared by every response
// (endpoints.WriteFile assigns them into the header map as they are).
var (
	zipType = []string{"application/zip"}
	tarType = []string{"application/x-tar"}
)

func contentType(file string) []string {
	switch {
	case strings.HasSuffix(file, ".whl"), strings.HasSuffix(file, ".zip"), strings.HasSuffix(file, ".egg"):
		return zipType
	case strings.HasSuffix(file, ".tar.gz"), strings.HasSuffix(file, ".tgz"):
		return tarType // no Content-Encoding: the bytes are the gzip file itself
	}
	return endpoints.OctetStream
}

// WriteError answers as PyPI does: a status with a reason line in plain text
// (twine prints it), and Basic challenges so pip asks for or retries credentials.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	// A Conflict is 409, which twine --skip-existing treats as "already
	// there", as it does PyPI's 400 "File already exists".
	status := endpoints.HTTPStatus(err)
	if e.Kind == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Basic realm="wharf"`)
	}
	msg := endpoints.ClientMessage(r, h.Log, "pypi", status, err)
	// twine prints the reason phrase: it carries the message, as on PyPI.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	endpoints.WriteWithReason(w, r, status, msg, "text/plain; charset=utf-8", []byte(strconv.Itoa(status)+" "+msg+"\n"))
}
