package pypi

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/model"
)

// Meta is the version metadata wharf keeps for a PyPI version (stored as
// PackageVersion.Metadata): the core metadata fields twine sends with the
// first file, plus per-file facts later files add.
type Meta struct {
	Name                   string              `json:"name"`
	Version                string              `json:"version"`
	MetadataVersion        string              `json:"metadata_version,omitempty"`
	Summary                string              `json:"summary,omitempty"`
	HomePage               string              `json:"home_page,omitempty"`
	License                string              `json:"license,omitempty"`
	Author                 string              `json:"author,omitempty"`
	AuthorEmail            string              `json:"author_email,omitempty"`
	RequiresPython         string              `json:"requires_python,omitempty"`
	RequiresDist           []string            `json:"requires_dist,omitempty"`
	ProjectURLs            []string            `json:"project_urls,omitempty"`
	Classifiers            []string            `json:"classifiers,omitempty"`
	DescriptionContentType string              `json:"description_content_type,omitempty"`
	Files                  map[string]FileMeta `json:"files,omitempty"`
}

// FileMeta is what differs per file of a version.
type FileMeta struct {
	RequiresPython string `json:"requires_python,omitempty"`
	Filetype       string `json:"filetype,omitempty"`
	PythonVersion  string `json:"pyversion,omitempty"`
}

// DecodeMeta reads a version's Metadata; unknown or empty input gives a zero Meta.
func DecodeMeta(b []byte) Meta {
	var m Meta
	_ = json.Unmarshal(b, &m)
	return m
}

// requiresPython is the Requires-Python of one file of the version.
func (m Meta) requiresPython(filename string) string {
	if f, ok := m.Files[filename]; ok && f.RequiresPython != "" {
		return f.RequiresPython
	}
	return m.RequiresPython
}

var hexRe = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// upload handles the legacy upload API: a multipart/form-data POST with
// ":action"=file_upload, the core metadata fields and the file as "content".
// The file streams into the blob store; sha256_digest is checked while it does
// (a mismatch stores nothing), md5_digest right after.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, req *endpoints.Request) {
	ctx := r.Context()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		h.WriteError(w, r, apperr.Validationf("upload must be multipart/form-data"))
		return
	}
	lim := h.Limits
	lim.defaults()
	// The whole request may carry the file plus the form around it.
	if r.ContentLength > lim.MaxFileBytes+lim.MaxFormBytes {
		h.WriteError(w, r, apperr.New(apperr.TooLarge, "upload of %d bytes exceeds the limit of %d bytes", r.ContentLength, lim.MaxFileBytes+lim.MaxFormBytes))
		return
	}
	mr := multipart.NewReader(blob.LimitReader(r.Body, lim.MaxFileBytes+lim.MaxFormBytes), params["boundary"])
	form := map[string][]string{}
	var asset model.Asset
	var filename string
	var fields int
	var formBytes int64
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			h.WriteError(w, r, partErr(err))
			return
		}
		field := part.FormName()
		if field != "content" {
			if fields++; fields > lim.MaxFields {
				h.WriteError(w, r, apperr.New(apperr.TooLarge, "upload has more than %d form fields", lim.MaxFields))
				return
			}
			max := min(lim.MaxFieldBytes, lim.MaxFormBytes-formBytes)
			b, err := io.ReadAll(io.LimitReader(part, max+1))
			if err != nil {
				h.WriteError(w, r, partErr(err))
				return
			}
			if int64(len(b)) > max {
				if max < lim.MaxFieldBytes {
					h.WriteError(w, r, apperr.New(apperr.TooLarge, "upload form fields exceed %d bytes together", lim.MaxFormBytes))
				} else {
					h.WriteError(w, r, apperr.New(apperr.TooLarge, "form field %q exceeds %d bytes", field, lim.MaxFieldBytes))
				}
				return
			}
			formBytes += int64(len(b))
			form[field] = append(form[field], string(b))
			continue
		}
		if filename != "" {
			h.WriteError(w, r, apperr.Validationf("more than one file in the upload"))
			return
		}
		// The raw name, not part.FileName(): that strips directories, and a
		// name with a path in it is refused rather than silently rewritten.
		_, cd, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		filename = cd["filename"]
		name, version := first(form, "name"), first(form, "version")
		if err := checkUpload(form, filename, name, version); err != nil {
			h.WriteError(w, r, err)
			return
		}
		// Publishing is decided on the package's own ARN, as in AWS, so it
		// waits for the name: twine sends the metadata fields before the
		// file, and nothing of the file is read before this.
		if err := h.Check(ctx, endpoints.ForPackage(req, model.FormatPypi, "", Normalize(name)), endpoints.ActionPublish); err != nil {
			h.WriteError(w, r, err)
			return
		}
		expect := strings.ToLower(first(form, "sha256_digest"))
		if expect != "" && (len(expect) != 64 || !hexRe.MatchString(expect)) {
			h.WriteError(w, r, apperr.Validationf("sha256_digest is not a hex SHA-256"))
			return
		}
		// Refusals that do not depend on the bytes are decided before any are
		// written, so they leave no unreferenced blob behind.
		chain, err := h.Engine.SearchOrder(ctx, req.Repo)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		if err := h.Engine.CheckPublishFile(ctx, chain, model.FormatPypi, "", Normalize(name), version, filename); err != nil {
			h.WriteError(w, r, err)
			return
		}
		var content io.Reader = part
		wantMD5 := strings.ToLower(first(form, "md5_digest"))
		if wantMD5 != "" {
			// Checked as the last byte is read, so a mismatch aborts the blob
			// instead of committing it.
			content = &md5Reader{r: part, h: md5.New(), want: wantMD5}
		}
		// The bytes must be a distribution of the name and version the form
		// claims (twine reads them from the file itself, so they agree).
		dc := newDistChecker(content, filename, name, version)
		defer dc.Close()
		asset, err = h.Engine.PutAsset(ctx, req.Repo, filename, blob.LimitReader(dc, lim.MaxFileBytes), expect)
		if err != nil {
			if apperr.Is(err, apperr.Validation) && expect != "" && !errors.Is(err, errMD5) && !errors.Is(err, errNotDist) {
				err = apperr.Validationf("The digest supplied does not match a digest calculated from the uploaded file (sha256_digest %s)", expect)
			}
			h.WriteError(w, r, err)
			return
		}
	}
	if filename == "" {
		h.WriteError(w, r, apperr.Validationf("upload has no file (the \"content\" field)"))
		return
	}
	if got := first(form, "sha256_digest"); got != "" && !strings.EqualFold(got, asset.Hashes.SHA256) {
		h.WriteError(w, r, apperr.Validationf("The digest supplied does not match a digest calculated from the uploaded file (sha256_digest)"))
		return
	}
	if got := first(form, "md5_digest"); got != "" && !strings.EqualFold(got, asset.Hashes.MD5) {
		h.WriteError(w, r, apperr.Validationf("The digest supplied does not match a digest calculated from the uploaded file (md5_digest)"))
		return
	}
	v, meta := versionFromForm(form, filename)
	chain, err := h.Engine.SearchOrder(ctx, req.Repo)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	stored, created, err := h.Engine.PublishFile(ctx, chain, v, asset)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if !created {
		// A later file of the version: remember what is particular to it.
		fm := meta.Files[filename]
		if _, err := h.Engine.Amend(ctx, req.Repo, model.FormatPypi, "", stored.Name, stored.Version, func(pv *model.PackageVersion) {
			m := DecodeMeta(pv.Metadata)
			if m.Files == nil {
				m.Files = map[string]FileMeta{}
			}
			m.Files[filename] = fm
			pv.Metadata, _ = json.Marshal(m)
		}); err != nil {
			h.WriteError(w, r, err)
			return
		}
	}
	h.logf(r, "pypi upload", "repository", req.Repo.Name, "package", v.Name, "version", v.Version, "file", filename)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "OK\n")
}

// partErr reports a failed read of the multipart body: a size limit as is
// (413), anything else as a malformed body (400).
func partErr(err error) error {
	if apperr.Is(err, apperr.TooLarge) {
		return err
	}
	return apperr.Validationf("malformed multipart body: %v", err)
}

func first(form map[string][]string, k string) string {
	if vs := form[k]; len(vs) > 0 {
		return strings.TrimSpace(vs[0])
	}
	return ""
}

// nonEmpty drops blank values (twine sends empty fields for unset metadata).
func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// checkUpload validates the form fields that must come before the file.
func checkUpload(form map[string][]string, filename, name, version string) error {
	if a := first(form, ":action"); a != "" && a != "file_upload" {
		return apperr.Validationf("unsupported :action %q (only file_upload)", a)
	}
	switch {
	case name == "" || !ValidName(name):
		return apperr.Validationf("invalid or missing project name %q", name)
	case version == "" || !ValidVersion(version):
		return apperr.Validationf("invalid or missing version %q", version)
	case filename == "":
		return apperr.Validationf("the file has no name")
	}
	if !FileMatches(filename, Normalize(name), version) {
		return apperr.Validationf("invalid distribution file name %q for %s %s", filename, name, version)
	}
	return nil
}

// versionFromForm builds the version row from the core metadata twine sends.
func versionFromForm(form map[string][]string, filename string) (model.PackageVersion, Meta) {
	name := Normalize(first(form, "name"))
	m := Meta{
		Name:                   first(form, "name"),
		Version:                first(form, "version"),
		MetadataVersion:        first(form, "metadata_version"),
		Summary:                first(form, "summary"),
		HomePage:               first(form, "home_page"),
		License:                first(form, "license"),
		Author:                 first(form, "author"),
		AuthorEmail:            first(form, "author_email"),
		RequiresPython:         first(form, "requires_python"),
		RequiresDist:           nonEmpty(form["requires_dist"]),
		ProjectURLs:            nonEmpty(form["project_urls"]),
		Classifiers:            nonEmpty(form["classifiers"]),
		DescriptionContentType: first(form, "description_content_type"),
		Files: map[string]FileMeta{filename: {
			RequiresPython: first(form, "requires_python"),
			Filetype:       first(form, "filetype"),
			PythonVersion:  first(form, "pyversion"),
		}},
	}
	v := model.PackageVersion{
		PackageKey:   model.PackageKey{Format: model.FormatPypi, Name: name},
		Version:      m.Version,
		DisplayName:  m.Name,
		Summary:      m.Summary,
		HomePage:     m.HomePage,
		Readme:       first(form, "description"),
		Dependencies: Dependencies(m.RequiresDist),
	}
	if m.License != "" && m.License != "UNKNOWN" {
		v.Licenses = model.LicenseNames(m.License)
	}
	for _, pu := range m.ProjectURLs {
		label, u, ok := strings.Cut(pu, ",")
		label = strings.ToLower(strings.TrimSpace(label))
		if ok && (label == "source" || label == "source code" || label == "repository" || label == "code") {
			v.SourceCode = strings.TrimSpace(u)
		}
	}
	v.Metadata, _ = json.Marshal(m)
	return v, m
}

// Dependencies turns Requires-Dist lines (PEP 508 requirements such as
// `requests[socks] (>=2.0,<3) ; extra == "net"`) into dependency rows: the
// normalized name as the package, "Requires-Dist" as the type (the model's
// value for pypi), and as the version requirement the version specifiers
// (parentheses and spaces dropped), or the URL of a direct reference,
// followed by "; " and the environment markers when there are any. Extras
// name features of the dependency, not a version: they are left out. Lines
// that are not requirements are skipped.
func Dependencies(requiresDist []string) []model.Dependency {
	var out []model.Dependency
	for _, rd := range requiresDist {
		name, req, ok := splitRequirement(rd)
		if !ok {
			continue
		}
		out = append(out, model.Dependency{Package: Normalize(name), DependencyType: "Requires-Dist", VersionReq: req})
	}
	return out
}

// splitRequirement splits a PEP 508 requirement into its name and the rest
// as Dependencies records it; ok is false when it does not start with a
// valid project name or its extras are unclosed.
func splitRequirement(s string) (name, req string, ok bool) {
	body, marker := s, ""
	if i := markerStart(s); i >= 0 {
		body, marker = s[:i], strings.TrimSpace(s[i+1:])
	}
	body = strings.TrimSpace(body)
	n := 0
	for n < len(body) && isNameByte(body[n]) {
		n++
	}
	name = strings.TrimRight(body[:n], "._-")
	if name == "" || !isAlnum(name[0]) {
		return "", "", false
	}
	rest := strings.TrimSpace(body[n:])
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", false
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if url, isURL := strings.CutPrefix(rest, "@"); isURL {
		req = strings.TrimSpace(url)
	} else {
		if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
			rest = rest[1 : len(rest)-1]
		}
		req = strings.Join(strings.Fields(rest), "")
	}
	if marker != "" {
		if req != "" {
			req += "; "
		} else {
			req = "; "
		}
		req += marker
	}
	return name, req, true
}

// markerStart is the index of the ';' that starts a requirement's
// environment markers, -1 when there are none; a ';' inside a quoted marker
// value does not count. A direct reference's URL may itself hold ';', so
// there PEP 508 requires whitespace before the marker's ';'.
func markerStart(s string) int {
	url := strings.Contains(s, "@")
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ';':
			if !url || (i > 0 && (s[i-1] == ' ' || s[i-1] == '\t')) {
				return i
			}
		}
	}
	return -1
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isNameByte(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' }

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// errMD5 marks the refusal of an upload whose md5_digest does not match.
var errMD5 = errors.New("md5_digest mismatch")

// md5Reader fails the read that would return EOF when the content's MD5
// differs from the form's md5_digest, so the blob store aborts the object.
type md5Reader struct {
	r    io.Reader
	h    hash.Hash
	want string
}

func (m *md5Reader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.h.Write(p[:n])
	if errors.Is(err, io.EOF) && hex.EncodeToString(m.h.Sum(nil)) != m.want {
		return n, apperr.Validationf("The digest supplied does not match a digest calculated from the uploaded file (md5_digest)").Wrap(errMD5)
	}
	return n, err
}
