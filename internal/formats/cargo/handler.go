package cargo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

// Handler serves the cargo endpoints. Upstream may be nil (no public:crates-io).
type Handler struct {
	Engine   *packages.Engine
	Upstream *upstream.Fetcher
	Check    endpoints.Checker
	Log      *slog.Logger
	// MaxCrateBytes bounds a published .crate (--max-publish-bytes);
	// MaxMetaBytes its JSON metadata.
	MaxCrateBytes int64
	MaxMetaBytes  int64
	Crate         CrateLimits
}

// New builds the handler with default limits.
func New(e *packages.Engine, up *upstream.Fetcher, check endpoints.Checker, log *slog.Logger, maxCrateBytes int64) *Handler {
	if log == nil {
		log = slog.Default()
	}
	if maxCrateBytes <= 0 {
		maxCrateBytes = 10 << 20 // crates.io's limit
	}
	// Registered so that a publish is checked against the external index too
	// (a private crate must not shadow a public version).
	e.Register(Format{})
	return &Handler{Engine: e, Upstream: up, Check: check, Log: log, MaxCrateBytes: maxCrateBytes, MaxMetaBytes: 8 << 20, Crate: DefaultCrateLimits()}
}

// StaleHeader is set (to "true") on index files that include an external
// connection's versions served from wharf's cached copy because the upstream
// could not be reached (as on the npm and pypi endpoints).
const StaleHeader = "X-Wharf-Upstream-Stale"

// Public: every cargo request needs the token. config.json too: cargo asks for
// it without one first and, on 401, again with its token (RFC 3139), which is
// how it learns the registry needs authentication.
func (h *Handler) Public(*http.Request, string) bool { return false }

// Serve routes:
//
//	GET    config.json                               index configuration
//	GET    {index path}                              index file (1/a, 2/ab, 3/a/abc, ab/cd/abcd)
//	GET    api/v1/crates/{name}/{version}/download   the .crate
//	PUT    api/v1/crates/new                         cargo publish
//	DELETE api/v1/crates/{name}/{version}/yank       cargo yank
//	PUT    api/v1/crates/{name}/{version}/unyank     cargo yank --undo
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	p := req.Path
	if p == "api/v1/crates/new" {
		if r.Method != http.MethodPut {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.publish(w, r, req)
		return
	}
	if rest, ok := strings.CutPrefix(p, "api/v1/crates/"); ok {
		segs := strings.Split(rest, "/")
		if len(segs) != 3 || !ValidName(segs[0]) || !ValidVersion(segs[1]) {
			h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
			return
		}
		switch {
		case segs[2] == "download" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			h.download(w, r, req, segs[0], segs[1])
		case segs[2] == "yank" && r.Method == http.MethodDelete:
			h.yank(w, r, req, segs[0], segs[1], true)
		case segs[2] == "unyank" && r.Method == http.MethodPut:
			h.yank(w, r, req, segs[0], segs[1], false)
		case segs[2] == "download" || segs[2] == "yank" || segs[2] == "unyank":
			h.WriteError(w, r, methodNotAllowed(r, p))
		default:
			h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
		}
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
	if p == "config.json" {
		h.writeBody(w, r, "application/json", RenderConfig(req.Base))
		return
	}
	name, ok := ParseIndexPath(p)
	if !ok {
		h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
		return
	}
	h.index(w, r, req, name)
}

func methodNotAllowed(r *http.Request, p string) error {
	return apperr.New(apperr.Validation, "method %s not allowed on %s", r.Method, p).WithReason(endpoints.ReasonMethodNotAllowed)
}

// writeBody answers a document with an ETag cargo revalidates with.
func (h *Handler) writeBody(w http.ResponseWriter, r *http.Request, ct string, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// versionEntry is the index entry stored with a version (its Metadata).
func versionEntry(v model.PackageVersion) (Entry, bool) {
	var e Entry
	if json.Unmarshal(v.Metadata, &e) != nil || e.Validate() != nil {
		return Entry{}, false
	}
	return e, true
}

// index serves a crate's index file: the versions the chain holds (an
// Unlisted one, which is what `cargo yank` makes, as yanked: lockfiles keep
// working; Archived and Disposed ones not at all), then the versions the
// external connection's index lists that the chain does not hold.
func (h *Handler) index(w http.ResponseWriter, r *http.Request, req *endpoints.Request, name string) {
	ctx := r.Context()
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	entries, stale, err := h.entries(ctx, chain, name)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if len(entries) == 0 {
		h.WriteError(w, r, apperr.NotFoundf("package", name, "No crate %s found in repository %s or its upstreams%s", name, req.Repo.Name, chain.MissingUpstreamHint(model.FormatCargo, h.Upstream)))
		return
	}
	if stale {
		w.Header().Set(StaleHeader, "true")
	}
	h.writeBody(w, r, "text/plain; charset=utf-8", RenderIndex(entries))
}

func (h *Handler) entries(ctx context.Context, chain packages.Chain, name string) ([]Entry, bool, error) {
	res, err := h.Engine.Resolve(ctx, Format{}, chain, "", Key(name))
	if err != nil {
		return nil, false, err
	}
	var out []Entry
	held := map[string]bool{}
	for _, hit := range res.Hits {
		held[hit.Version.Version] = true
		if !packages.Downloadable(hit.Version) {
			continue
		}
		e, ok := versionEntry(hit.Version)
		if !ok {
			continue
		}
		e.Yanked = hit.Version.Status == model.StatusUnlisted
		out = append(out, e)
	}
	if l, ok := res.Listing.(*Listing); ok {
		for _, e := range l.Entries {
			if !held[e.Vers] {
				out = append(out, e)
			}
		}
	}
	if len(out) == 0 && res.ExternalErr != nil && !apperr.Is(res.ExternalErr, apperr.NotFound) {
		return nil, false, res.ExternalErr
	}
	return out, res.Stale && res.Listing != nil, nil
}

// download serves a crate through the engine: from the nearest repository of
// the chain holding the version (retained in the requesting repository), else
// through the external connection, kept only once its sha256 is the index's
// cksum.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, req *endpoints.Request, name, version string) {
	ctx := r.Context()
	if err := h.Check(ctx, req, endpoints.ActionRead); err != nil {
		h.WriteError(w, r, err)
		return
	}
	key := Key(name)
	// A crate the chain holds needs no upstream config.json: only a miss
	// reads them (the external hop locates the crate with their dl).
	f, err := h.Engine.HeldFile(ctx, model.FormatCargo, req.Repo, "", key, version, CrateFile(key, version), false)
	if errors.Is(err, packages.ErrNotHeld) {
		var chain packages.Chain
		if chain, err = h.Engine.SearchOrder(ctx, req.Repo); err == nil {
			dls, dlErrs := h.upstreamDLs(ctx, chain)
			f, err = h.Engine.FetchFile(ctx, Format{DL: dls, DLErr: dlErrs}, req.Repo, "", key, version, CrateFile(key, version), false)
		}
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
	_ = endpoints.WriteFile(w, r, rc, size, f, crateType)
}

// crateType is a .crate's Content-Type, shared by every response.
var crateType = []string{"application/x-tar"}

// upstreamDLs reads the dl template of every configured cargo connection of
// the chain (config.json, cached as any upstream metadata), keyed by the
// connection's index URL as Format.Parse sees it. A connection whose
// config.json cannot be read is left out: Locate then refuses its crates
// with the error kept in errs (so a timeout is a 504, as for the crate).
func (h *Handler) upstreamDLs(ctx context.Context, chain packages.Chain) (out map[string]string, errs map[string]error) {
	out, errs = map[string]string{}, map[string]error{}
	if h.Upstream == nil {
		return out, errs
	}
	src := h.Upstream.Sources()
	for _, hop := range chain.External(model.FormatCargo) {
		base, ok := src[hop.Connection]
		if !ok {
			continue
		}
		root := base.String()
		if !strings.HasSuffix(root, "/") {
			root += "/"
		}
		dl, err := h.upstreamDL(ctx, hop.Connection)
		if err != nil {
			h.Log.WarnContext(ctx, "cargo upstream config.json unreadable", "connection", hop.Connection, "err", err)
			errs[root] = err
			continue
		}
		out[root] = dl
	}
	return out, errs
}

// upstreamDL reads the upstream index's config.json for its dl template and
// lets the fetcher download from the host it names.
func (h *Handler) upstreamDL(ctx context.Context, conn string) (string, error) {
	doc, err := h.Upstream.FetchMetadataValid(ctx, conn, "config.json", "application/json", func(_ string, b []byte) error {
		_, err := ParseConfig(b)
		return err
	})
	if err != nil {
		return "", err
	}
	c, err := ParseConfig(doc.Body)
	if err != nil {
		return "", apperr.New(apperr.Internal, "upstream %s has an unreadable config.json", conn).Wrap(errors.Join(upstream.ErrUnavailable, err))
	}
	u, err := url.Parse(DownloadURL(c.DL, "x", "0.0.0", strings.Repeat("0", 64)))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", apperr.New(apperr.Internal, "upstream %s's config.json has an unusable dl %q", conn, c.DL).Wrap(upstream.ErrUnavailable)
	}
	h.Upstream.TrustAssetHost(conn, u)
	return c.DL, nil
}

// versionOf is the package version of an index entry (meta, when published
// here, adds what the index does not carry).
func versionOf(e Entry, meta *PublishMeta) model.PackageVersion {
	v := model.PackageVersion{PackageKey: model.PackageKey{Format: model.FormatCargo, Name: Key(e.Name)}, Version: e.Vers, DisplayName: e.Name}
	v.Metadata, _ = json.Marshal(e)
	for _, d := range e.Deps {
		pkg := d.Name
		if d.Package != nil {
			pkg = *d.Package
		}
		v.Dependencies = append(v.Dependencies, model.Dependency{Package: Key(pkg), DependencyType: d.Kind, VersionReq: d.Req})
	}
	if meta != nil {
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		v.Summary, v.HomePage, v.SourceCode, v.Readme = str(meta.Description), str(meta.Homepage), str(meta.Repository), str(meta.Readme)
		if meta.License != nil {
			v.Licenses = model.LicenseNames(*meta.License)
		}
	}
	return v
}

// publish is `cargo publish`: the body is read as it arrives; the .crate
// streams to the blob store while CheckCrate reads the same bytes, and a
// crate that fails the check (or a body that ends early or runs on) fails the
// store, so nothing is kept.
func (h *Handler) publish(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	body := http.MaxBytesReader(w, r.Body, h.MaxMetaBytes+h.MaxCrateBytes+8)
	meta, crate, _, err := ReadPublish(body, h.MaxMetaBytes, h.MaxCrateBytes)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			h.WriteError(w, r, apperr.New(apperr.TooLarge, "%v", err))
			return
		}
		h.WriteError(w, r, apperr.Validationf("%v", err))
		return
	}
	key := Key(meta.Name)
	preq := endpoints.ForPackage(req, model.FormatCargo, "", key)
	if err := h.Check(ctx, preq, endpoints.ActionPublish); err != nil {
		h.WriteError(w, r, err)
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if err := h.checkCollision(ctx, chain, meta.Name); err != nil {
		h.WriteError(w, r, err)
		return
	}
	if err := h.checkSpelling(ctx, chain, meta.Name); err != nil {
		h.WriteError(w, r, err)
		return
	}
	file := CrateFile(key, meta.Vers)
	if err := h.Engine.CheckPublishFile(ctx, chain, model.FormatCargo, "", key, meta.Vers, file); err != nil {
		h.WriteError(w, r, err)
		return
	}
	cr := streamcheck.New(crate, func(r io.Reader) error { return checkCrate(r, meta.Name, meta.Vers, h.Crate) })
	cr.AtEOF = func() error {
		if lr, ok := crate.(*io.LimitedReader); !ok || lr.N != 0 {
			return apperr.Validationf("%v", ErrBodyTruncated)
		}
		var one [1]byte
		if m, _ := io.ReadFull(body, one[:]); m > 0 {
			return apperr.Validationf("publish body has data after the crate")
		}
		return nil
	}
	a, err := h.Engine.PutAsset(ctx, req.Repo, file, cr, "")
	cr.Stop()
	if err := uploadError(cr.Err(), err); err != nil {
		h.WriteError(w, r, err)
		return
	}
	v := versionOf(meta.Entry(a.Hashes.SHA256), &meta)
	if _, err := h.Engine.Publish(ctx, chain, v, []model.Asset{a}); err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"warnings":{"invalid_categories":[],"invalid_badges":[],"other":[]}}`)
}

// checkSpelling refuses a version of an existing crate spelled in another
// case than the crate was first published with, as crates.io does ("crate
// was previously named ..."): every entry of an index file names the crate
// one way.
func (h *Handler) checkSpelling(ctx context.Context, chain packages.Chain, name string) error {
	res, err := h.Engine.Resolve(ctx, Format{}, chain, "", Key(name))
	if err != nil {
		return err
	}
	for _, hit := range res.Hits {
		if dn := hit.Version.DisplayName; dn != "" && dn != name {
			return apperr.Conflictf("package", name, "crate was previously named %s; publish it under that name", dn)
		}
	}
	return nil
}

// checkCollision refuses a crate whose name equals another crate's of the
// chain up to case and '-'/'_' (crates.io's rule: "foo_bar" cannot be
// published once "foo-bar" exists) but is spelled differently.
func (h *Handler) checkCollision(ctx context.Context, chain packages.Chain, name string) error {
	names, err := h.Engine.PackageNames(ctx, chain, model.FormatCargo)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n != Key(name) && Canonical(n) == Canonical(name) {
			return apperr.Conflictf("package", name, "crate %s collides with the existing crate %s (crate names are case-insensitive and treat '-' and '_' alike)", name, n)
		}
	}
	return nil
}

// yank is `cargo yank` (Unlisted, as CodeArtifact maps it) and `cargo yank
// --undo` (Published again), on a version of the requesting repository.
func (h *Handler) yank(w http.ResponseWriter, r *http.Request, req *endpoints.Request, name, version string, yank bool) {
	ctx := r.Context()
	key := Key(name)
	if err := h.Check(ctx, endpoints.ForPackage(req, model.FormatCargo, "", key), endpoints.ActionPublish); err != nil {
		h.WriteError(w, r, err)
		return
	}
	from, to := model.StatusPublished, model.StatusUnlisted
	if !yank {
		from, to = to, from
	}
	_, err := h.Engine.Amend(ctx, req.Repo, model.FormatCargo, "", key, version, func(v *model.PackageVersion) {
		if v.Status == from {
			v.Status = to
		}
	})
	if apperr.Is(err, apperr.NotFound) {
		err = apperr.NotFoundf("package-version", version, "crate %s has no version %s in repository %s", name, version, req.Repo.Name)
	}
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// WriteError answers as crates.io's Web API does ({"errors":[{"detail":…}]},
// which cargo prints), with a Cargo challenge on 401 so cargo retries with its
// token.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := endpoints.HTTPStatus(err)
	if e.Kind == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Cargo`)
	}
	msg := endpoints.ClientMessage(r, h.Log, "cargo", status, err)
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(map[string]any{"errors": []map[string]string{{"detail": fmt.Sprintf("%d %s", status, msg)}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// uploadError is what a failed streamed upload answers: the check's failure as
// a Validation error naming it, a body over the limit as TooLarge, else the
// store's error.
func uploadError(streamErr, storeErr error) error {
	var mbe *http.MaxBytesError
	var ce *streamcheck.CheckError
	switch {
	case streamErr == nil:
		return storeErr
	case errors.As(streamErr, &ce):
		return apperr.Validationf("invalid crate: %v", ce.Err)
	case errors.As(streamErr, &mbe):
		return apperr.New(apperr.TooLarge, "publish body larger than %d bytes", mbe.Limit)
	case apperr.As(streamErr).Kind == apperr.Validation:
		return streamErr
	}
	return apperr.Validationf("reading the crate: %v", streamErr)
}
