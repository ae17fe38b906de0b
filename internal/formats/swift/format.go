package swift

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Format is Swift's part of the package engine. CodeArtifact has no external
// connection for Swift, so there is no upstream index: Metadata's Path is
// empty and the engine resolves through upstream repositories only.
type Format struct{}

var _ packages.Format = Format{}

// Kind implements packages.Format.
func (Format) Kind() model.Format { return model.FormatSwift }

// Metadata implements packages.Format: no external index.
func (Format) Metadata(_, _ string) packages.Document {
	return packages.Document{Name: "releases list"}
}

// Parse implements packages.Format; never called (no external index).
func (Format) Parse(_, _ string, _ upstream.Doc) (packages.Listing, error) {
	return nil, errors.New("swift has no external connection")
}

// Limits of the publish metadata document.
const (
	MaxMetadataBytes = 256 << 10
	maxRepoURLs      = 32
	maxURLLen        = 2048
)

// Release is what wharf stores with a version (its Metadata): what the
// release metadata document and the identifiers lookup need.
type Release struct {
	Scope, Name    string // as published (identifiers are case-insensitive)
	Checksum       string // sha256 hex of the source archive
	PublishedAt    time.Time
	Metadata       json.RawMessage `json:",omitempty"` // the client's metadata document
	RepositoryURLs []string        `json:",omitempty"`
	Manifests      []ManifestInfo
}

// ManifestInfo is a manifest of the archive's top directory.
type ManifestInfo struct {
	SwiftVersion string `json:",omitempty"`
	ToolsVersion string `json:",omitempty"`
}

// ParseMetadata checks the publish request's metadata part: a JSON object
// (Registry.md §4.6.1, "package release metadata"); repositoryURLs, when
// present, an array of URLs (what the identifiers lookup answers from).
func ParseMetadata(b []byte) (json.RawMessage, []string, error) {
	if len(b) == 0 {
		return nil, nil, nil
	}
	if len(b) > MaxMetadataBytes {
		return nil, nil, fmt.Errorf("the metadata is larger than %d bytes", MaxMetadataBytes)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("the metadata is not a JSON object: %v", err)
	}
	var urls []string
	if raw, ok := m["repositoryURLs"]; ok {
		if err := json.Unmarshal(raw, &urls); err != nil {
			return nil, nil, fmt.Errorf("the metadata's repositoryURLs is not an array of strings")
		}
		if len(urls) > maxRepoURLs {
			return nil, nil, fmt.Errorf("the metadata lists more than %d repositoryURLs", maxRepoURLs)
		}
		for _, u := range urls {
			// They are served in Link headers: no spaces, controls or <>"".
			if len(u) > maxURLLen || CanonicalURL(u) == "" || strings.IndexFunc(u, func(c rune) bool { return c <= ' ' || c == 0x7f || strings.ContainsRune("<>\"", c) }) >= 0 {
				return nil, nil, fmt.Errorf("the metadata's repository URL %q is not usable", u)
			}
		}
	}
	var compact strings.Builder
	_ = json.NewEncoder(&compact).Encode(m) // re-encoded: nothing but a JSON object is stored
	return json.RawMessage(strings.TrimSpace(compact.String())), urls, nil
}

var scpLike = regexp.MustCompile(`^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(.+)$`)

// CanonicalURL is a source-control URL reduced to host and path, lowercased,
// without scheme, user, ".git" or trailing slash, so that the forms SwiftPM
// may send for one repository (https, ssh, scp-like git@host:path) match.
// "" for what is not such a URL.
func CanonicalURL(s string) string {
	s = strings.TrimSpace(s)
	var host, p string
	if m := scpLike.FindStringSubmatch(s); m != nil && !strings.Contains(s, "://") {
		host, p = m[1], m[2]
	} else {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.Scheme == "" {
			return ""
		}
		host, p = u.Hostname(), u.Path
	}
	p = strings.Trim(p, "/")
	p = strings.TrimSuffix(p, ".git")
	if host == "" || p == "" {
		return ""
	}
	return strings.ToLower(host + "/" + p)
}

var toolsRe = regexp.MustCompile(`^//\s*swift-tools-version\s*:\s*([0-9]+(?:\.[0-9]+){0,2})`)

// ToolsVersion is the swift-tools-version a manifest declares on its first
// line ("" when it declares none).
func ToolsVersion(manifest []byte) string {
	line, _, _ := strings.Cut(string(manifest[:min(len(manifest), 256)]), "\n")
	if m := toolsRe.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
		return m[1]
	}
	return ""
}

// VersionOf is the package version row of a published release.
func VersionOf(rel Release) model.PackageVersion {
	v := model.PackageVersion{PackageKey: model.PackageKey{Format: model.FormatSwift, Namespace: Key(rel.Scope), Name: Key(rel.Name)},
		DisplayName: rel.Name}
	var m struct {
		Description string `json:"description"`
		ReadmeURL   string `json:"readmeURL"`
		LicenseURL  string `json:"licenseURL"`
	}
	_ = json.Unmarshal(rel.Metadata, &m)
	v.Summary = m.Description
	if len(rel.RepositoryURLs) > 0 {
		v.SourceCode = rel.RepositoryURLs[0]
	}
	if m.LicenseURL != "" {
		v.Licenses = []model.License{{URL: m.LicenseURL}}
	}
	v.Metadata, _ = json.Marshal(rel)
	return v
}

// ReleaseOf reads a stored version's Release.
func ReleaseOf(v model.PackageVersion) (Release, bool) {
	var r Release
	if json.Unmarshal(v.Metadata, &r) != nil || r.Checksum == "" {
		return Release{}, false
	}
	return r, true
}

// ReleaseDocument is the release metadata (Registry.md §4.2).
func ReleaseDocument(rel Release, version string) []byte {
	type resource struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Checksum string `json:"checksum"`
	}
	doc := struct {
		ID          string          `json:"id"`
		Version     string          `json:"version"`
		Resources   []resource      `json:"resources"`
		Metadata    json.RawMessage `json:"metadata"`
		PublishedAt string          `json:"publishedAt,omitempty"`
	}{ID: ID(rel.Scope, rel.Name), Version: version,
		Resources: []resource{{Name: "source-archive", Type: "application/zip", Checksum: rel.Checksum}},
		Metadata:  rel.Metadata}
	if len(doc.Metadata) == 0 {
		doc.Metadata = json.RawMessage(`{}`)
	}
	if !rel.PublishedAt.IsZero() {
		doc.PublishedAt = rel.PublishedAt.UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(doc)
	return b
}

// ReleasesDocument is the releases list (Registry.md §4.1): each version with
// the URL of its release metadata.
func ReleasesDocument(pkgURL string, versions []string) []byte {
	type rel struct {
		URL string `json:"url"`
	}
	m := map[string]rel{}
	for _, v := range versions {
		m[v] = rel{URL: pkgURL + "/" + v}
	}
	b, _ := json.Marshal(map[string]any{"releases": m})
	return b
}
