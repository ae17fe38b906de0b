package swift

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/mod/semver"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/formats/streamcheck"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
)

// Media types of the registry API (Registry.md §3.5).
const (
	ContentVersion = "1"
	ProblemJSON    = "application/problem+json"
)

// Handler serves the Swift package registry endpoints.
type Handler struct {
	Engine *packages.Engine
	Check  endpoints.Checker
	Log    *slog.Logger
	// MaxArchiveBytes bounds a published source archive (--max-publish-bytes).
	MaxArchiveBytes int64
	Archive         ArchiveLimits
	// TempDir is where an archive being published is spooled for its check
	// (a zip's directory is at its end); "" is os.TempDir.
	TempDir string
	// Now is the clock (tests).
	Now func() time.Time

	index       *indexCache  // nil: the identifiers lookup reads every package
	indexBuilds atomic.Int64 // identifiers index builds (tests)
}

// New builds the handler with default limits.
func New(e *packages.Engine, check endpoints.Checker, log *slog.Logger, maxArchiveBytes int64) *Handler {
	if log == nil {
		log = slog.Default()
	}
	if maxArchiveBytes <= 0 {
		maxArchiveBytes = 100 << 20
	}
	e.Register(Format{})
	return &Handler{Engine: e, Check: check, Log: log, MaxArchiveBytes: maxArchiveBytes, Archive: DefaultArchiveLimits(), Now: time.Now,
		index: newIndexCache(IdentifiersIndexBytes)}
}

// Public: every request needs the token.
func (h *Handler) Public(*http.Request, string) bool { return false }

var acceptVersionRe = regexp.MustCompile(`application/vnd\.swift\.registry\.v([^+;,\s]*)`)

// checkAccept refuses an Accept naming another API version than v1 (§3.5:
// 415 Unsupported Media Type); no Accept, or a generic one, is v1.
func checkAccept(r *http.Request) error {
	for _, m := range acceptVersionRe.FindAllStringSubmatch(r.Header.Get("Accept"), -1) {
		if m[1] != ContentVersion {
			return apperr.New(apperr.Validation, "unsupported API version %q in Accept; this registry serves v1", m[1]).WithReason(reasonUnsupportedMedia)
		}
	}
	return nil
}

const reasonUnsupportedMedia = "UNSUPPORTED_MEDIA_TYPE"

// Serve routes (Registry.md §4):
//
//	GET  {scope}/{name}                         releases list
//	GET  {scope}/{name}/{version}               release metadata
//	PUT  {scope}/{name}/{version}               publish
//	GET  {scope}/{name}/{version}/Package.swift manifest (?swift-version=)
//	GET  {scope}/{name}/{version}.zip           source archive
//	GET  identifiers?url=                       identifiers lookup
//	POST login                                  swift package-registry login
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	w.Header().Set("Content-Version", ContentVersion)
	if err := checkAccept(r); err != nil {
		h.WriteError(w, r, err)
		return
	}
	p := req.Path
	segs := strings.Split(p, "/")
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case p == "login":
		if r.Method != http.MethodPost {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		if err := h.Check(r.Context(), req, endpoints.ActionRead); err != nil {
			h.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	case p == "identifiers":
		if !get {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.identifiers(w, r, req)
		return
	case len(segs) < 2 || len(segs) > 4 || !ValidScope(segs[0]):
		h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
		return
	}
	scope, name := segs[0], segs[1]
	if len(segs) == 2 {
		name = strings.TrimSuffix(name, ".json")
		if !ValidName(name) {
			h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
			return
		}
		if !get {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.releases(w, r, req, scope, name)
		return
	}
	if !ValidName(name) {
		h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
		return
	}
	version := segs[2]
	switch {
	case len(segs) == 4:
		if segs[3] != "Package.swift" || !ValidVersion(version) {
			h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
			return
		}
		if !get {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.manifest(w, r, req, scope, name, version)
	case strings.HasSuffix(version, ".zip") && ValidVersion(strings.TrimSuffix(version, ".zip")):
		if !get {
			h.WriteError(w, r, methodNotAllowed(r, p))
			return
		}
		h.archive(w, r, req, scope, name, strings.TrimSuffix(version, ".zip"))
	case r.Method == http.MethodPut:
		if !ValidVersion(version) {
			h.WriteError(w, r, apperr.Validationf("invalid version %q: versions must be SemVer 2.0 (MAJOR.MINOR.PATCH)", version))
			return
		}
		h.publish(w, r, req, scope, name, version)
	case get:
		version = strings.TrimSuffix(version, ".json")
		if !ValidVersion(version) {
			h.WriteError(w, r, apperr.NotFoundf("package", p, "not found: %s", p))
			return
		}
		h.release(w, r, req, scope, name, version)
	default:
		h.WriteError(w, r, methodNotAllowed(r, p))
	}
}

func methodNotAllowed(r *http.Request, p string) error {
	return apperr.New(apperr.Validation, "method %s not allowed on %s", r.Method, p).WithReason(endpoints.ReasonMethodNotAllowed)
}

func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// pkgURL is the package's URL as the client spells it.
func pkgURL(req *endpoints.Request, scope, name string) string { return req.Base + scope + "/" + name }

// visibleReleases are the versions of the package the chain serves in its
// releases list (Published; Unlisted hidden, Archived/Disposed not served),
// SemVer-sorted, newest first, with their releases.
func (h *Handler) visibleReleases(ctx context.Context, req *endpoints.Request, scope, name string) ([]string, map[string]Release, error) {
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		return nil, nil, err
	}
	return h.releasesIn(ctx, chain, scope, name)
}

// releasesIn is visibleReleases through a chain already read.
func (h *Handler) releasesIn(ctx context.Context, chain packages.Chain, scope, name string) ([]string, map[string]Release, error) {
	res, err := h.Engine.Resolve(ctx, Format{}, chain, Key(scope), Key(name))
	if err != nil {
		return nil, nil, err
	}
	var out []string
	rels := map[string]Release{}
	for _, hit := range res.Hits {
		if !packages.Visible(hit.Version) {
			continue
		}
		if rel, ok := ReleaseOf(hit.Version); ok {
			out = append(out, hit.Version.Version)
			rels[hit.Version.Version] = rel
		}
	}
	sortVersions(out)
	return out, rels, nil
}

func sortVersions(vs []string) {
	sort.SliceStable(vs, func(i, j int) bool { return semver.Compare("v"+vs[i], "v"+vs[j]) > 0 })
}

func (h *Handler) releases(w http.ResponseWriter, r *http.Request, req *endpoints.Request, scope, name string) {
	ctx := r.Context()
	if err := h.Check(ctx, req, endpoints.ActionRead); err != nil {
		h.WriteError(w, r, err)
		return
	}
	vs, rels, err := h.visibleReleases(ctx, req, scope, name)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if len(vs) == 0 {
		h.WriteError(w, r, apperr.NotFoundf("package", ID(scope, name), "package %s not found in repository %s or its upstreams", ID(scope, name), req.Repo.Name))
		return
	}
	base := pkgURL(req, scope, name)
	links := []string{`<` + base + "/" + vs[0] + `>; rel="latest-version"`}
	for i, u := range rels[vs[0]].RepositoryURLs {
		rel := "alternate"
		if i == 0 {
			rel = "canonical"
		}
		links = append(links, `<`+u+`>; rel="`+rel+`"`)
	}
	w.Header().Set("Link", strings.Join(links, ", "))
	h.writeJSON(w, r, http.StatusOK, ReleasesDocument(base, vs))
}

// served finds a version the chain serves (Published or Unlisted: a pinned
// resolution keeps working) and its release.
func (h *Handler) served(ctx context.Context, req *endpoints.Request, scope, name, version string) (packages.Chain, Release, error) {
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		return chain, Release{}, err
	}
	hit, err := h.Engine.Find(ctx, chain, model.FormatSwift, Key(scope), Key(name), version)
	if err == nil && !packages.Downloadable(hit.Version) {
		err = apperr.NotFoundf("package-version", version, "version %s of %s is %s", version, ID(scope, name), strings.ToLower(hit.Version.Status))
	}
	if err != nil {
		return chain, Release{}, err
	}
	rel, ok := ReleaseOf(hit.Version)
	if !ok {
		return chain, Release{}, apperr.New(apperr.Internal, "version %s of %s has no release metadata", version, ID(scope, name))
	}
	return chain, rel, nil
}

func (h *Handler) release(w http.ResponseWriter, r *http.Request, req *endpoints.Request, scope, name, version string) {
	ctx := r.Context()
	if err := h.Check(ctx, req, endpoints.ActionRead); err != nil {
		h.WriteError(w, r, err)
		return
	}
	_, rel, err := h.served(ctx, req, scope, name, version)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	// Links to the latest, next and previous listed versions (§4.2).
	if vs, _, err := h.visibleReleases(ctx, req, scope, name); err == nil && len(vs) > 0 {
		base := pkgURL(req, scope, name)
		links := []string{`<` + base + "/" + vs[0] + `>; rel="latest-version"`}
		for i, v := range vs {
			if v != version {
				continue
			}
			if i > 0 {
				links = append(links, `<`+base+"/"+vs[i-1]+`>; rel="successor-version"`)
			}
			if i+1 < len(vs) {
				links = append(links, `<`+base+"/"+vs[i+1]+`>; rel="predecessor-version"`)
			}
		}
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	h.writeJSON(w, r, http.StatusOK, ReleaseDocument(rel, version))
}

func (h *Handler) manifest(w http.ResponseWriter, r *http.Request, req *endpoints.Request, scope, name, version string) {
	ctx := r.Context()
	if err := h.Check(ctx, req, endpoints.ActionRead); err != nil {
		h.WriteError(w, r, err)
		return
	}
	sv := r.URL.Query().Get("swift-version")
	if sv != "" && !ValidSwiftVersion(sv) {
		h.WriteError(w, r, apperr.Validationf("invalid swift-version %q", sv))
		return
	}
	chain, rel, err := h.served(ctx, req, scope, name, version)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	base := pkgURL(req, scope, name) + "/" + version + "/Package.swift"
	if sv != "" {
		found := false
		for _, m := range rel.Manifests {
			found = found || m.SwiftVersion == sv
		}
		if !found {
			// §4.3.1: no manifest for that Swift version: see the unqualified one.
			w.Header().Set("Location", base)
			w.WriteHeader(http.StatusSeeOther)
			return
		}
	} else {
		var links []string
		for _, m := range rel.Manifests {
			if m.SwiftVersion == "" {
				continue
			}
			l := `<` + base + `?swift-version=` + m.SwiftVersion + `>; rel="alternate"; filename="` + ManifestFile(m.SwiftVersion) + `"`
			if m.ToolsVersion != "" {
				l += `; swift-tools-version="` + m.ToolsVersion + `"`
			}
			links = append(links, l)
		}
		if len(links) > 0 {
			w.Header().Set("Link", strings.Join(links, ", "))
		}
	}
	file := ManifestFile(sv)
	_, a, err := h.Engine.Fetch(ctx, Format{}, chain, Key(scope), Key(name), version, file, false)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	h.serveAsset(w, r, req.Repo, a, "text/x-swift")
}

func (h *Handler) archive(w http.ResponseWriter, r *http.Request, req *endpoints.Request, scope, name, version string) {
	ctx := r.Context()
	if err := h.Check(ctx, req, endpoints.ActionRead); err != nil {
		h.WriteError(w, r, err)
		return
	}
	chain, _, err := h.served(ctx, req, scope, name, version)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	_, a, err := h.Engine.Fetch(ctx, Format{}, chain, Key(scope), Key(name), version, ArchiveAsset, false)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if sum, err := hex.DecodeString(a.Hashes.SHA256); err == nil {
		w.Header().Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum))
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"-"+version+`.zip"`)
	h.serveAsset(w, r, req.Repo, a, "application/zip")
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request, repo model.Repository, a model.Asset, ct string) {
	rc, size, err := h.Engine.OpenAsset(r.Context(), repo, a)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, immutable")
	endpoints.WriteAsset(w, r, rc, size, ct, a.Hashes.SHA256)
}

// identifiers answers which packages of the chain name a repository URL
// among their repositoryURLs (§4.5), 404 when none does.
func (h *Handler) identifiers(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	if err := h.Check(ctx, req, endpoints.ActionRead); err != nil {
		h.WriteError(w, r, err)
		return
	}
	raw := r.URL.Query().Get("url")
	want := CanonicalURL(raw)
	if want == "" || len(raw) > maxURLLen {
		h.WriteError(w, r, apperr.Validationf("the url parameter must be a source-control URL"))
		return
	}
	ids, err := h.identifiersFor(ctx, req.Repo, want)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if len(ids) == 0 {
		h.WriteError(w, r, apperr.NotFoundf("package", raw, "no package in repository %s or its upstreams has the repository URL %s", req.Repo.Name, raw))
		return
	}
	b, _ := json.Marshal(map[string][]string{"identifiers": ids})
	h.writeJSON(w, r, http.StatusOK, b)
}

// publish is `swift package-registry publish` (§4.6): a multipart/form-data
// body with source-archive (application/zip), optional
// source-archive-signature, metadata (JSON) and metadata-signature. The
// archive streams to the blob store while a copy is spooled (bounded) for
// the zip check, whose failure fails the store: nothing is kept.
func (h *Handler) publish(w http.ResponseWriter, r *http.Request, req *endpoints.Request, scope, name, version string) {
	ctx := r.Context()
	if !ValidName(name) || !ValidScope(scope) {
		h.WriteError(w, r, apperr.Validationf("invalid package identifier %s", ID(scope, name)))
		return
	}
	ns, key := Key(scope), Key(name)
	preq := endpoints.ForPackage(req, model.FormatSwift, ns, key)
	if err := h.Check(ctx, preq, endpoints.ActionPublish); err != nil {
		h.WriteError(w, r, err)
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		h.WriteError(w, r, apperr.New(apperr.Validation, "the publish body must be multipart/form-data with a boundary").WithReason(reasonUnsupportedMedia))
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if err := h.checkSpelling(ctx, chain, scope, name); err != nil {
		h.WriteError(w, r, err)
		return
	}
	if err := h.Engine.CheckPublish(ctx, chain, model.FormatSwift, ns, key, version); err != nil {
		h.WriteError(w, r, err)
		return
	}
	body := http.MaxBytesReader(w, r.Body, h.MaxArchiveBytes+2*MaxMetadataBytes+64<<10)
	mr := multipart.NewReader(body, params["boundary"])
	var (
		archive   *model.Asset
		manifests []Manifest
		meta      []byte
		sawMeta   bool
		metaQP    bool
	)
	for {
		// Raw parts: NextPart would decode a part declared quoted-printable,
		// and SwiftPM declares the metadata so while sending the JSON as is —
		// decoded, a JSON line longer than 4 KiB fails ("buffer full") and
		// an "=" in a URL is mangled. metadataJSON decodes only what is not
		// JSON as sent.
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			h.WriteError(w, r, formError(err))
			return
		}
		switch part.FormName() {
		case "source-archive":
			if archive != nil {
				h.WriteError(w, r, apperr.Validationf("the publish body has two source-archive parts"))
				return
			}
			a, ms, err := h.storeArchive(ctx, req.Repo, part)
			if err != nil {
				h.WriteError(w, r, err)
				return
			}
			archive, manifests = &a, ms
		case "metadata":
			if sawMeta {
				h.WriteError(w, r, apperr.Validationf("the publish body has two metadata parts"))
				return
			}
			sawMeta = true
			metaQP = strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable")
			meta, err = io.ReadAll(io.LimitReader(part, MaxMetadataBytes+1))
			if err != nil {
				h.WriteError(w, r, formError(err))
				return
			}
			// Refused at the first byte over the limit: returning stops
			// reading the body, where moving on to the next part would
			// read the rest of this one first.
			if len(meta) > MaxMetadataBytes {
				h.WriteError(w, r, partTooLarge("metadata"))
				return
			}
		case "source-archive-signature", "metadata-signature":
			// Signatures are accepted and not kept: wharf does not serve
			// signed releases (recorded in docs/compatibility.md).
			n, err := io.Copy(io.Discard, io.LimitReader(part, MaxMetadataBytes+1))
			if err != nil {
				h.WriteError(w, r, formError(err))
				return
			}
			if n > MaxMetadataBytes {
				h.WriteError(w, r, partTooLarge(part.FormName()))
				return
			}
		default:
			h.WriteError(w, r, apperr.Validationf("unexpected form field %q in the publish body", part.FormName()))
			return
		}
	}
	if archive == nil {
		h.WriteError(w, r, apperr.Validationf("the publish body has no source-archive part"))
		return
	}
	rawMeta, urls, err := metadataJSON(meta, metaQP)
	if err != nil {
		h.WriteError(w, r, apperr.Validationf("%v", err))
		return
	}
	rel := Release{Scope: scope, Name: name, Checksum: archive.Hashes.SHA256, PublishedAt: h.Now().UTC(), Metadata: rawMeta, RepositoryURLs: urls}
	assets := []model.Asset{*archive}
	for _, m := range manifests {
		a, err := h.Engine.PutAsset(ctx, req.Repo, ManifestFile(m.SwiftVersion), bytes.NewReader(m.Body), "")
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		assets = append(assets, a)
		rel.Manifests = append(rel.Manifests, ManifestInfo{SwiftVersion: m.SwiftVersion, ToolsVersion: ToolsVersion(m.Body)})
	}
	v := VersionOf(rel)
	v.Version = version
	if _, err := h.Engine.Publish(ctx, chain, v, assets); err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", pkgURL(req, scope, name)+"/"+version)
	h.writeJSON(w, r, http.StatusCreated, []byte(`{}`))
}

// storeArchive streams the source-archive part to the blob store and, in
// the same pass, to a bounded temporary file that CheckArchive reads once
// the part has ended.
func (h *Handler) storeArchive(ctx context.Context, repo model.Repository, part io.Reader) (model.Asset, []Manifest, error) {
	var manifests []Manifest
	lim := &io.LimitedReader{R: part, N: h.MaxArchiveBytes + 1}
	cr := streamcheck.New(lim, func(r io.Reader) error {
		f, err := os.CreateTemp(h.TempDir, "wharf-swift-*.zip")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		n, err := io.Copy(f, r)
		if err != nil {
			return err
		}
		manifests, err = CheckArchive(f, n, h.Archive)
		return err
	})
	cr.AtEOF = func() error {
		if lim.N <= 0 {
			return apperr.New(apperr.TooLarge, "the source archive is larger than %d bytes", h.MaxArchiveBytes)
		}
		return nil
	}
	a, err := h.Engine.PutAsset(ctx, repo, ArchiveAsset, cr, "")
	cr.Stop()
	if err := uploadError(cr.Err(), err); err != nil {
		return model.Asset{}, nil, err
	}
	return a, manifests, nil
}

// checkSpelling refuses a release of an existing package spelled in another
// case than it was first published with: identifiers are case-insensitive,
// and one package answers one id.
func (h *Handler) checkSpelling(ctx context.Context, chain packages.Chain, scope, name string) error {
	res, err := h.Engine.Resolve(ctx, Format{}, chain, Key(scope), Key(name))
	if err != nil {
		return err
	}
	for _, hit := range res.Hits {
		if rel, ok := ReleaseOf(hit.Version); ok && ID(rel.Scope, rel.Name) != ID(scope, name) {
			return apperr.Conflictf("package", ID(scope, name), "package was previously published as %s; publish it under that identifier", ID(rel.Scope, rel.Name))
		}
	}
	return nil
}

func formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apperr.New(apperr.TooLarge, "publish body larger than %d bytes", mbe.Limit)
	}
	return apperr.Validationf("the publish body is not valid multipart/form-data: %v", err)
}

// metadataJSON parses the metadata part: as sent, and only if that is not
// JSON and the part is declared quoted-printable, decoded (a client that
// really encodes it).
func metadataJSON(meta []byte, quotedPrintable bool) (json.RawMessage, []string, error) {
	raw, urls, err := ParseMetadata(bytes.TrimSpace(meta))
	if err == nil || !quotedPrintable {
		return raw, urls, err
	}
	decoded, qerr := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(meta)))
	if qerr != nil {
		return nil, nil, err
	}
	return ParseMetadata(bytes.TrimSpace(decoded))
}

// partTooLarge is the refusal of a metadata or signature part longer than
// MaxMetadataBytes (413, as every limit of a publish body).
func partTooLarge(name string) error {
	return apperr.New(apperr.TooLarge, "the %s part is larger than %d bytes", name, MaxMetadataBytes)
}

// uploadError is what a failed streamed archive answers.
func uploadError(streamErr, storeErr error) error {
	var mbe *http.MaxBytesError
	var ce *streamcheck.CheckError
	switch {
	case streamErr == nil:
		return storeErr
	case errors.As(streamErr, &ce):
		return apperr.Validationf("invalid source archive: %v", ce.Err)
	case errors.As(streamErr, &mbe):
		return apperr.New(apperr.TooLarge, "publish body larger than %d bytes", mbe.Limit)
	case apperr.As(streamErr).Kind == apperr.Validation || apperr.As(streamErr).Kind == apperr.TooLarge:
		return streamErr
	}
	return apperr.Validationf("reading the source archive: %v", streamErr)
}

// WriteError answers a problem details document (RFC 7807, §3.3 of
// Registry.md), which SwiftPM prints (its "detail").
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := endpoints.HTTPStatus(err)
	if e.Reason == reasonUnsupportedMedia {
		status = http.StatusUnsupportedMediaType
	}
	if e.Kind == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Basic realm="wharf", Bearer`)
	}
	msg := endpoints.ClientMessage(r, h.Log, "swift", status, err)
	b, _ := json.Marshal(map[string]any{"status": status, "title": http.StatusText(status), "detail": msg})
	w.Header().Set("Content-Version", ContentVersion)
	w.Header().Set("Content-Type", ProblemJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
