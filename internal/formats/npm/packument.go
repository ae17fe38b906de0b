package npm

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// AbbreviatedType is the media type of npm's abbreviated ("corgi") packument.
const AbbreviatedType = "application/vnd.npm.install-v1+json"

// ErrBadUpstream marks an upstream document wharf cannot use (not JSON, wrong
// shape). Handlers answer it with 502: the upstream's fault, not the client's.
var ErrBadUpstream = errors.New("malformed upstream document")

// Dist is a version's "dist" object, the part wharf reads.
type Dist struct {
	Tarball   string `json:"tarball"`
	Integrity string `json:"integrity,omitempty"`
	Shasum    string `json:"shasum,omitempty"`
}

// versionFields is what wharf reads from a version document (package.json as
// published, plus "dist").
type versionFields struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Description          string            `json:"description"`
	Homepage             any               `json:"homepage"`
	Repository           any               `json:"repository"`
	License              any               `json:"license"`
	Licenses             any               `json:"licenses"`
	Readme               string            `json:"readme"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	Dist                 Dist              `json:"dist"`
}

// VersionInfo is a parsed version document.
type VersionInfo struct {
	Version string
	Dist    Dist
	// Fields is the version as CodeArtifact describes it; Metadata holds the
	// document itself (with readme removed: it is kept in Readme).
	Fields model.PackageVersion
}

// ParseVersion reads a version document of package n. The document's name and
// version must match n and, when given, version.
func ParseVersion(n Name, version string, raw json.RawMessage) (VersionInfo, error) {
	var f versionFields
	if err := json.Unmarshal(raw, &f); err != nil {
		return VersionInfo{}, fmt.Errorf("version %s: %w", version, err)
	}
	if version == "" {
		version = f.Version
	}
	if f.Version != version {
		return VersionInfo{}, fmt.Errorf("version document says %q, listed as %q", f.Version, version)
	}
	if err := CheckVersion(version); err != nil {
		return VersionInfo{}, err
	}
	if f.Name != "" && f.Name != n.String() {
		return VersionInfo{}, fmt.Errorf("version %s names package %q, not %q", version, f.Name, n.String())
	}
	doc, err := withoutKeys(raw, "readme", "_attachments")
	if err != nil {
		return VersionInfo{}, err
	}
	pv := model.PackageVersion{
		Version:     version,
		Summary:     f.Description,
		HomePage:    str(f.Homepage),
		SourceCode:  repoURL(f.Repository),
		Licenses:    model.LicenseNames(licenses(f.License, f.Licenses)...),
		Readme:      f.Readme,
		Metadata:    doc,
		DisplayName: n.String(),
	}
	add := func(m map[string]string, typ string) {
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			d := model.Dependency{Package: k, DependencyType: typ, VersionReq: m[k]}
			if dn, err := ParseName(k); err == nil {
				d.Namespace, d.Package = dn.Scope, dn.Pkg
			}
			pv.Dependencies = append(pv.Dependencies, d)
		}
	}
	add(f.Dependencies, "regular")
	add(f.DevDependencies, "dev")
	add(f.PeerDependencies, "peer")
	add(f.OptionalDependencies, "optional")
	return VersionInfo{Version: version, Dist: f.Dist, Fields: pv}, nil
}

// CheckVersion accepts the version strings npm can publish: semver, no path
// characters.
func CheckVersion(v string) error {
	if v == "" || len(v) > 256 || strings.ContainsAny(v, "/\\ \t?#%") || strings.Contains(v, "..") || !validSemver(v) {
		return apperr.Validationf("invalid version %q", v)
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func repoURL(v any) string {
	switch r := v.(type) {
	case string:
		return r
	case map[string]any:
		return str(r["url"])
	}
	return ""
}

func licenses(license, legacy any) []string {
	var out []string
	add := func(v any) {
		switch l := v.(type) {
		case string:
			if l != "" {
				out = append(out, l)
			}
		case map[string]any:
			if t := str(l["type"]); t != "" {
				out = append(out, t)
			}
		case []any:
			for _, x := range l {
				if m, ok := x.(map[string]any); ok && str(m["type"]) != "" {
					out = append(out, str(m["type"]))
				} else if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	add(license)
	add(legacy)
	return out
}

func withoutKeys(raw json.RawMessage, keys ...string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for _, k := range keys {
		delete(m, k)
	}
	return json.Marshal(m)
}

// WithDigests sets a version document's dist.integrity and dist.shasum to the
// digests of the tarball wharf stored, so every packument carries them even
// when the publisher left them out.
func WithDigests(raw json.RawMessage, h model.Hashes) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	dist := map[string]json.RawMessage{}
	if d, ok := m["dist"]; ok {
		_ = json.Unmarshal(d, &dist)
	}
	sum, err := hex.DecodeString(h.SHA512)
	if err != nil {
		return nil, err
	}
	dist["integrity"], _ = json.Marshal("sha512-" + base64.StdEncoding.EncodeToString(sum))
	dist["shasum"], _ = json.Marshal(h.SHA1)
	m["dist"], _ = json.Marshal(dist)
	return json.Marshal(m)
}

// Upstream is a packument from an external registry, parsed.
type Upstream struct {
	Name     string                     `json:"name"`
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]json.RawMessage `json:"versions"`
	Time     map[string]json.RawMessage `json:"time"`
	Readme   string                     `json:"readme"`
}

// ParseUpstream reads an upstream packument of n. A document that is not a
// packument of n is an error wrapping ErrBadUpstream.
func ParseUpstream(n Name, body []byte) (*Upstream, error) {
	var u Upstream
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, fmt.Errorf("%w: packument of %s: %v", ErrBadUpstream, n, err)
	}
	if u.Name != "" && u.Name != n.String() {
		return nil, fmt.Errorf("%w: asked for %s, got a packument of %q", ErrBadUpstream, n, u.Name)
	}
	if u.Versions == nil && u.Name == "" {
		return nil, fmt.Errorf("%w: packument of %s has neither name nor versions", ErrBadUpstream, n)
	}
	return &u, nil
}

// Published returns when the upstream says version v was published (zero if
// it does not say).
func (u *Upstream) Published(v string) time.Time {
	var s string
	if raw, ok := u.Time[v]; ok && json.Unmarshal(raw, &s) == nil {
		t, _ := time.Parse(time.RFC3339Nano, s)
		return t
	}
	return time.Time{}
}

// Entry is one version going into a packument.
type Entry struct {
	Version   string
	Doc       json.RawMessage // the version document
	Published time.Time
	Readme    string
}

// Packument builds the document npm reads, full or abbreviated, with every
// tarball URL pointing at tarballBase ("{endpoint}{name}/-/").
func Packument(n Name, entries []Entry, tags map[string]string, tarballBase string, abbreviated bool) ([]byte, error) {
	sort.Slice(entries, func(i, j int) bool { return compareVersions(entries[i].Version, entries[j].Version) < 0 })
	versions := make(map[string]json.RawMessage, len(entries))
	times := map[string]string{}
	var created, modified time.Time
	for _, e := range entries {
		doc, err := rewriteDoc(n, e, tarballBase+n.TarballFile(e.Version), abbreviated)
		if err != nil {
			continue // one unreadable version must not hide the others
		}
		versions[e.Version] = doc
		if !e.Published.IsZero() {
			times[e.Version] = e.Published.UTC().Format(time.RFC3339Nano)
			if created.IsZero() || e.Published.Before(created) {
				created = e.Published
			}
			if e.Published.After(modified) {
				modified = e.Published
			}
		}
	}
	tags = DistTags(tags, versions)
	if modified.IsZero() {
		modified = time.Unix(0, 0)
	}
	if abbreviated {
		return json.Marshal(struct {
			Name     string                     `json:"name"`
			Modified string                     `json:"modified"`
			DistTags map[string]string          `json:"dist-tags"`
			Versions map[string]json.RawMessage `json:"versions"`
		}{n.String(), modified.UTC().Format(time.RFC3339Nano), tags, versions})
	}
	times["created"] = created.UTC().Format(time.RFC3339Nano)
	times["modified"] = modified.UTC().Format(time.RFC3339Nano)
	var latest versionFields
	readme := ""
	for _, e := range entries {
		if e.Version == tags["latest"] {
			_ = json.Unmarshal(e.Doc, &latest)
			readme = e.Readme
		}
	}
	return json.Marshal(struct {
		ID          string                     `json:"_id"`
		Name        string                     `json:"name"`
		Description string                     `json:"description,omitempty"`
		DistTags    map[string]string          `json:"dist-tags"`
		Versions    map[string]json.RawMessage `json:"versions"`
		Time        map[string]string          `json:"time"`
		Readme      string                     `json:"readme,omitempty"`
		License     any                        `json:"license,omitempty"`
		Homepage    any                        `json:"homepage,omitempty"`
		Repository  any                        `json:"repository,omitempty"`
	}{n.String(), n.String(), latest.Description, tags, versions, times, readme, latest.License, latest.Homepage, latest.Repository})
}

// abbreviatedKeys are the version fields of the abbreviated packument.
var abbreviatedKeys = []string{"name", "version", "deprecated", "dependencies", "optionalDependencies",
	"peerDependencies", "peerDependenciesMeta", "bundleDependencies", "bundledDependencies", "bin", "directories",
	"dist", "engines", "_hasShrinkwrap", "hasInstallScript", "cpu", "os", "libc", "funding", "license", "acceptDependencies"}

// rewriteDoc points dist.tarball at wharf and, for the abbreviated form, keeps
// only the fields npm install reads.
func rewriteDoc(n Name, e Entry, tarball string, abbreviated bool) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(e.Doc, &m); err != nil {
		return nil, err
	}
	var dist map[string]json.RawMessage
	if raw, ok := m["dist"]; ok {
		_ = json.Unmarshal(raw, &dist)
	}
	if dist == nil {
		dist = map[string]json.RawMessage{}
	}
	t, _ := json.Marshal(tarball)
	dist["tarball"] = t
	m["dist"], _ = json.Marshal(dist)
	if _, ok := m["name"]; !ok {
		m["name"], _ = json.Marshal(n.String())
	}
	m["version"], _ = json.Marshal(e.Version)
	if abbreviated {
		keep := make(map[string]json.RawMessage, len(abbreviatedKeys))
		for _, k := range abbreviatedKeys {
			if v, ok := m[k]; ok {
				keep[k] = v
			}
		}
		m = keep
	} else {
		if _, ok := m["_id"]; !ok {
			m["_id"], _ = json.Marshal(n.String() + "@" + e.Version)
		}
	}
	return json.Marshal(m)
}

// DistTags keeps the tags that point at a listed version and, when "latest"
// is missing, sets it to the highest release (or, with none, the highest
// version) listed.
func DistTags(tags map[string]string, versions map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	for t, v := range tags {
		if _, ok := versions[v]; ok {
			out[t] = v
		}
	}
	if _, ok := out["latest"]; !ok && len(versions) > 0 {
		best, bestRelease := "", ""
		for v := range versions {
			if best == "" || compareVersions(v, best) > 0 {
				best = v
			}
			if !isPrerelease(v) && (bestRelease == "" || compareVersions(v, bestRelease) > 0) {
				bestRelease = v
			}
		}
		if bestRelease != "" {
			best = bestRelease
		}
		out["latest"] = best
	}
	return out
}
