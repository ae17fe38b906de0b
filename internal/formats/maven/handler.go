package maven

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Handler serves the maven endpoints. Upstream may be nil.
type Handler struct {
	Engine   *packages.Engine
	Upstream *upstream.Fetcher
	Check    endpoints.Checker
	Log      *slog.Logger
	// Limits bound a deploy (zero fields: DefaultLimits).
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

// Public: every maven request needs the token.
func (h *Handler) Public(*http.Request, string) bool { return false }

// Serve handles GET/HEAD/PUT on the layout.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	if req.Path == "" || strings.HasSuffix(req.Path, "/") {
		// Directory listings are not served, as in CodeArtifact.
		h.WriteError(w, r, apperr.NotFoundf("package", req.Path, "not found: /%s", req.Path))
		return
	}
	p, err := ParsePath(req.Path)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if err := h.Check(r.Context(), req, endpoints.ActionRead); err != nil {
			h.WriteError(w, r, err)
			return
		}
		h.get(w, r, req, p)
	case http.MethodPut:
		if err := h.Check(r.Context(), endpoints.ForPackage(req, model.FormatMaven, p.Group, p.Artifact), endpoints.ActionPublish); err != nil {
			h.WriteError(w, r, err)
			return
		}
		h.put(w, r, req, p)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		h.WriteError(w, r, apperr.New(apperr.Validation, "method %s not allowed", r.Method).WithReason(endpoints.ReasonMethodNotAllowed))
	}
}

// ---- GET / HEAD ----

func (h *Handler) get(w http.ResponseWriter, r *http.Request, req *endpoints.Request, p Path) {
	ctx := r.Context()
	if p.Kind != KindArtifactMetadata && p.Kind != KindVersionMetadata {
		// A file (or its checksum): resolved by FetchFile, which serves a
		// file the repository holds from its memo without walking the chain.
		f, err := h.resolveFile(ctx, req.Repo, p)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		if p.Checksum != "" {
			h.serveText(w, r, checksumOf(f.Asset.Hashes, p.Checksum))
			return
		}
		h.serveAsset(w, r, f)
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	switch p.Kind {
	case KindArtifactMetadata:
		body, err := h.artifactMetadata(ctx, chain, req.Repo, p)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		h.serveBytes(w, r, p, body)
	case KindVersionMetadata:
		body, err := h.versionMetadata(ctx, chain, p)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		h.serveBytes(w, r, p, body)
	}
}

// resolveFile finds a file in the chain (retaining it in the requesting
// repository) or fetches it through an external connection. An Unfinished
// version of the repository's own is served too: Maven's deploy reads back
// what it is uploading.
func (h *Handler) resolveFile(ctx context.Context, requester model.Repository, p Path) (*packages.File, error) {
	return h.Engine.FetchFile(ctx, Format{}, requester, p.Group, p.Artifact, p.Version, p.File, true)
}

// artifactMetadata generates group/artifact/maven-metadata.xml from the
// versions visible through the chain and, when allowed, the external
// connection's own document.
func (h *Handler) artifactMetadata(ctx context.Context, chain packages.Chain, requester model.Repository, p Path) ([]byte, error) {
	res, err := h.Engine.Resolve(ctx, Format{}, chain, p.Group, p.Artifact)
	if err != nil {
		return nil, err
	}
	hits := res.Hits
	var versions []string
	var updated time.Time
	for _, hit := range hits {
		if !packages.Visible(hit.Version) {
			continue
		}
		versions = append(versions, hit.Version.Version)
		if hit.Version.PublishedAt.After(updated) {
			updated = hit.Version.PublishedAt
		}
	}
	var ext Metadata
	if l, ok := res.Listing.(*Listing); ok {
		ext = l.Metadata
	}
	extErr := res.ExternalErr
	if ext.Versioning != nil {
		versions = append(versions, ext.Versioning.Versions...)
		if t, err := time.Parse(tsLayout, ext.Versioning.LastUpdated); err == nil && t.After(updated) {
			updated = t
		}
	}
	if len(versions) == 0 {
		if extErr != nil && !apperr.Is(extErr, apperr.NotFound) {
			return nil, extErr
		}
		return nil, apperr.NotFoundf("package", p.Artifact, "no versions of %s:%s in repository %s or its upstreams%s", p.Group, p.Artifact, requester.Name, chain.MissingUpstreamHint(model.FormatMaven, h.Upstream))
	}
	return ArtifactMetadata(p.Group, p.Artifact, versions, updated).Encode(), nil
}

// versionMetadata generates a SNAPSHOT version's maven-metadata.xml from its
// timestamped files (the deploying client reads it to number the next build).
func (h *Handler) versionMetadata(ctx context.Context, chain packages.Chain, p Path) ([]byte, error) {
	hit, err := h.Engine.Find(ctx, chain, model.FormatMaven, p.Group, p.Artifact, p.Version)
	if err != nil {
		return nil, err
	}
	if !packages.Downloadable(hit.Version) && hit.Version.Status != model.StatusUnfinished {
		return nil, apperr.NotFoundf("package-version", p.Version, "version %s is %s", p.Version, hit.Version.Status)
	}
	assets, err := h.Engine.Assets(ctx, hit)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(assets))
	for i, a := range assets {
		names[i] = a.Name
	}
	m, ok := SnapshotMetadata(p.Group, p.Artifact, p.Version, names)
	if !ok {
		return nil, apperr.NotFoundf("asset", MetadataFile, "no timestamped files in %s:%s:%s", p.Group, p.Artifact, p.Version)
	}
	return m.Encode(), nil
}

// ---- PUT ----

func (h *Handler) put(w http.ResponseWriter, r *http.Request, req *endpoints.Request, p Path) {
	ctx := r.Context()
	lim := h.limits()
	if r.ContentLength > lim.MaxFileBytes {
		h.WriteError(w, r, apperr.New(apperr.TooLarge, "%s of %d bytes exceeds the limit of %d bytes", p.File, r.ContentLength, lim.MaxFileBytes))
		return
	}
	r.Body = readCloser{blob.LimitReader(r.Body, lim.MaxFileBytes), r.Body}
	switch {
	case p.Checksum != "":
		h.putChecksum(w, r, req, p)
	case p.Kind == KindArtifactMetadata || p.Kind == KindVersionMetadata:
		h.putMetadata(w, r, req, p)
	default:
		h.putFile(ctx, w, r, req, p)
	}
}

// putChecksum verifies an uploaded checksum against the stored file; nothing
// is stored (checksums are computed from the file on GET). Checksums of the
// metadata documents are accepted as they are: wharf regenerates those.
func (h *Handler) putChecksum(w http.ResponseWriter, r *http.Request, req *endpoints.Request, p Path) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1024))
	if err != nil {
		h.WriteError(w, r, apperr.Validationf("reading checksum: %v", err))
		return
	}
	fields := strings.Fields(string(body))
	if len(fields) == 0 {
		h.WriteError(w, r, apperr.Validationf("empty %s checksum for %s", p.Checksum, p.File))
		return
	}
	got := strings.ToLower(fields[0])
	if p.Kind != KindFile {
		if _, err := hex.DecodeString(got); err != nil {
			h.WriteError(w, r, apperr.Validationf("malformed %s checksum", p.Checksum))
			return
		}
		w.WriteHeader(http.StatusCreated)
		return
	}
	a, err := h.Engine.Asset(r.Context(), packages.Key(req.Repo, model.FormatMaven, p.Group, p.Artifact), p.Version, p.File)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			err = apperr.Validationf("checksum uploaded for %s, which has not been uploaded", p.File)
		}
		h.WriteError(w, r, err)
		return
	}
	if want := checksumOf(a.Hashes, p.Checksum); got != want {
		h.WriteError(w, r, apperr.Validationf("%s checksum %s does not match the stored %s (%s)", p.Checksum, got, p.File, want))
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// putMetadata accepts maven-metadata.xml as the end of a deploy: it must parse
// and name the path's coordinates; the versions it lists that this repository
// holds as Unfinished become Published (CodeArtifact keeps a Maven version
// Unfinished until its metadata is uploaded). The document itself is not kept:
// wharf serves one generated from the versions it holds.
func (h *Handler) putMetadata(w http.ResponseWriter, r *http.Request, req *endpoints.Request, p Path) {
	ctx := r.Context()
	body, err := io.ReadAll(blob.LimitReader(r.Body, h.limits().MaxMetadataBytes))
	if err != nil {
		h.WriteError(w, r, bodyErr(err, "maven-metadata.xml"))
		return
	}
	m, err := ParseMetadata(body)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if (m.GroupID != "" && m.GroupID != p.Group) || (m.ArtifactID != "" && m.ArtifactID != p.Artifact) ||
		(p.Kind == KindVersionMetadata && m.Version != "" && m.Version != p.Version) {
		h.WriteError(w, r, apperr.Validationf("maven-metadata.xml names %s:%s:%s, not the path's %s:%s:%s", m.GroupID, m.ArtifactID, m.Version, p.Group, p.Artifact, p.Version))
		return
	}
	var versions []string
	if p.Kind == KindVersionMetadata {
		versions = []string{p.Version}
	} else if m.Versioning != nil {
		versions = append(versions, m.Versioning.Versions...)
		versions = append(versions, m.Versioning.Release, m.Versioning.Latest)
	}
	done := map[string]bool{}
	for _, v := range versions {
		if v == "" || done[v] {
			continue
		}
		done[v] = true
		if err := h.finish(ctx, req.Repo, p.Group, p.Artifact, v); err != nil {
			h.WriteError(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusCreated)
}

// finish publishes an Unfinished version of repo; others are left alone.
func (h *Handler) finish(ctx context.Context, repo model.Repository, group, artifact, version string) error {
	_, err := h.Engine.Amend(ctx, repo, model.FormatMaven, group, artifact, version, func(v *model.PackageVersion) {
		if v.Status == model.StatusUnfinished {
			v.Status = model.StatusPublished
			v.PublishedAt = time.Now().UTC()
		}
	})
	if apperr.Is(err, apperr.NotFound) {
		return nil // a version the client knows from elsewhere (e.g. upstream)
	}
	return err
}

// putFile stores one artifact file. The first file of a version creates it
// Unfinished; a POM fills in its description and dependencies (a malformed
// POM or one naming other coordinates is refused). Re-uploading a file with
// the same content succeeds; with other content it is a conflict.
func (h *Handler) putFile(ctx context.Context, w http.ResponseWriter, r *http.Request, req *endpoints.Request, p Path) {
	key := packages.Key(req.Repo, model.FormatMaven, p.Group, p.Artifact)
	var body io.Reader = r.Body
	var pom *Pom
	if strings.HasSuffix(p.File, ".pom") {
		b, err := io.ReadAll(blob.LimitReader(r.Body, h.limits().MaxPomBytes))
		if err != nil {
			h.WriteError(w, r, bodyErr(err, "POM"))
			return
		}
		pp, err := ParsePom(b, p.Group, p.Artifact, p.Version)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		pom, body = &pp, bytes.NewReader(b)
	}
	expect := strings.ToLower(r.Header.Get("X-Checksum-Sha256"))
	if len(expect) != 64 {
		expect = ""
	}
	// Refusals that do not need the bytes stored are decided first, so they
	// leave no unreferenced blob behind. A file the version already has is
	// compared by hashing the upload without keeping it.
	if cur, err := h.Engine.Asset(ctx, key, p.Version, p.File); err == nil {
		hs := blob.NewHasher()
		if _, err := io.Copy(hs, body); err != nil {
			h.WriteError(w, r, bodyErr(err, p.File))
			return
		}
		if hs.Sum().SHA256 == cur.Hashes.SHA256 {
			w.WriteHeader(http.StatusOK) // an idempotent retry
			return
		}
		h.WriteError(w, r, apperr.Conflictf("asset", p.File, "%s already exists in %s:%s:%s with other content", p.File, p.Group, p.Artifact, p.Version))
		return
	} else if !apperr.Is(err, apperr.NotFound) {
		h.WriteError(w, r, err)
		return
	}
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if err := h.Engine.CheckPublishFile(ctx, chain, model.FormatMaven, p.Group, p.Artifact, p.Version, p.File); err != nil {
		h.WriteError(w, r, err)
		return
	}
	// The checksum headers are verified as the body streams in: a mismatch
	// aborts the blob.
	for _, c := range []struct{ hdr, alg string }{{"X-Checksum-Sha1", "sha1"}, {"X-Checksum-Md5", "md5"}} {
		if want := strings.ToLower(strings.TrimSpace(r.Header.Get(c.hdr))); want != "" {
			hdr := c.hdr
			mismatch := func(string) error {
				return apperr.Validationf("%s header %s does not match the uploaded %s", hdr, want, p.File)
			}
			sum, err := hex.DecodeString(want)
			if err != nil {
				h.WriteError(w, r, mismatch(""))
				return
			}
			body = packages.VerifyReader(body, packages.Digest{Alg: c.alg, Sum: sum}, mismatch)
		}
	}
	a, err := h.Engine.PutAsset(ctx, req.Repo, p.File, body, expect)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	v := model.PackageVersion{
		PackageKey: model.PackageKey{Format: model.FormatMaven, Namespace: p.Group, Name: p.Artifact},
		Version:    p.Version,
		Status:     model.StatusUnfinished,
	}
	if pom != nil {
		pom.Apply(&v)
	}
	_, created, err := h.Engine.PublishFile(ctx, chain, v, a)
	if err != nil {
		// A concurrent identical PUT that won the race is still a retry.
		if cur, aerr := h.Engine.Asset(ctx, key, p.Version, p.File); apperr.Is(err, apperr.Conflict) && aerr == nil && cur.Hashes.SHA256 == a.Hashes.SHA256 {
			w.WriteHeader(http.StatusOK)
			return
		}
		h.WriteError(w, r, err)
		return
	}
	if pom != nil && !created {
		if _, err := h.Engine.Amend(ctx, req.Repo, model.FormatMaven, p.Group, p.Artifact, p.Version, pom.Apply); err != nil {
			h.WriteError(w, r, err)
			return
		}
	}
	h.Log.InfoContext(ctx, "maven deploy", "repository", req.Repo.Name, "group", p.Group, "artifact", p.Artifact, "version", p.Version, "file", p.File)
	w.WriteHeader(http.StatusCreated)
}

// limits are h.Limits with defaults for zero fields.
func (h *Handler) limits() Limits {
	l := h.Limits
	l.defaults()
	return l
}

// readCloser pairs a limited reader with the body it reads.
type readCloser struct {
	io.Reader
	io.Closer
}

// bodyErr reports a failed read of an uploaded body: over a limit is 413,
// anything else (a client that hung up mid-body) 400.
func bodyErr(err error, what string) error {
	if apperr.Is(err, apperr.TooLarge) {
		return apperr.New(apperr.TooLarge, "%s: %s", what, apperr.As(err).Message)
	}
	return apperr.Validationf("reading %s: %v", what, err)
}

// ---- responses ----

// serveBytes serves a generated document or one of its checksums.
func (h *Handler) serveBytes(w http.ResponseWriter, r *http.Request, p Path, body []byte) {
	if p.Checksum != "" {
		h.serveText(w, r, digest(p.Checksum, body))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func (h *Handler) serveText(w http.ResponseWriter, r *http.Request, s string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(s)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, s)
	}
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request, f *packages.File) {
	a := f.Asset
	rc, size, err := h.Engine.OpenFile(r.Context(), f)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	defer rc.Close()
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(a.Name, ".pom"), strings.HasSuffix(a.Name, ".xml"):
		ct = "text/xml"
	case strings.HasSuffix(a.Name, ".jar"), strings.HasSuffix(a.Name, ".war"):
		ct = "application/java-archive"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("ETag", `"`+a.Hashes.SHA1+`"`)
	// Maven resolvers read these instead of fetching the checksum files.
	w.Header().Set("X-Checksum-Sha1", a.Hashes.SHA1)
	w.Header().Set("X-Checksum-Md5", a.Hashes.MD5)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, rc)
	}
}

// WriteError answers with a status and a plain-text reason, which mvn prints;
// 401 carries a Basic challenge so Maven sends its <server> credentials.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := endpoints.HTTPStatus(err)
	if e.Kind == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Basic realm="wharf"`)
	}
	msg := endpoints.ClientMessage(r, h.Log, "maven", status, err)
	// mvn prints the reason phrase ("status code: 403, reason phrase: …"):
	// it carries the message.
	endpoints.WriteWithReason(w, r, status, msg, "text/plain; charset=utf-8", []byte(strconv.Itoa(status)+" "+msg+"\n"))
}
