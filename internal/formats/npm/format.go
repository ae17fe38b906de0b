package npm

import (
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Format is npm's part of the package engine's pull-through
// (packages.Format): an upstream registry keeps a package's packument at
// /{name} (scoped names escaped), its tarballs wherever dist.tarball says,
// each checked against dist.integrity (or dist.shasum).
type Format struct {
	// Limits cut what is kept from upstream packuments (readme, description)
	// as a publish is limited: every later reader pays for its size.
	Limits Limits
}

var _ packages.Format = Format{}

// Kind implements packages.Format.
func (Format) Kind() model.Format { return model.FormatNpm }

// Metadata implements packages.Format: the packument.
func (Format) Metadata(ns, name string) packages.Document {
	return packages.Document{Name: "packument", Path: Name{Scope: ns, Pkg: name}.Escaped(), Accept: "application/json", Valid: validJSON}
}

// validJSON keeps a cut-short or non-JSON upstream answer out of the metadata
// cache (json.Valid scans without allocating).
func validJSON(_ string, b []byte) error {
	if !json.Valid(b) {
		return ErrBadUpstream
	}
	return nil
}

// Parse implements packages.Format.
func (f Format) Parse(ns, name string, doc upstream.Doc) (packages.Listing, error) {
	n := Name{Scope: ns, Pkg: name}
	up, err := ParseUpstream(n, doc.Body)
	if err != nil {
		return nil, err
	}
	return &Listing{Upstream: up, name: n, limits: f.Limits}, nil
}

// Listing is an upstream packument as the engine sees it; the handler renders
// from Upstream.
type Listing struct {
	Upstream *Upstream
	name     Name
	limits   Limits
}

// Versions implements packages.Listing: the versions npm could install.
func (l *Listing) Versions() []string {
	out := make([]string, 0, len(l.Upstream.Versions))
	for v := range l.Upstream.Versions {
		if CheckVersion(v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// Locate implements packages.Listing: a version's tarball, its dist
// integrity, and the version as CodeArtifact would describe it.
func (l *Listing) Locate(version, file string) (packages.Located, error) {
	n, up := l.name, l.Upstream
	raw, ok := up.Versions[version]
	if !ok || file != AssetName {
		return packages.Located{}, apperr.NotFoundf("package-version", version, "version %s of %s is not in the upstream registry", version, n)
	}
	info, err := ParseVersion(n, version, raw)
	if err != nil {
		return packages.Located{}, apperr.New(apperr.Internal, "upstream sent an unusable version %s of %s", version, n).Wrap(errors.Join(upstream.ErrUnavailable, ErrBadUpstream, err))
	}
	want, ok := ExpectedDigest(info.Dist)
	if !ok || info.Dist.Tarball == "" {
		return packages.Located{}, apperr.New(apperr.Internal, "upstream gives no tarball with a checkable integrity for %s@%s", n, version).Wrap(errors.Join(upstream.ErrUnavailable, ErrBadUpstream))
	}
	v := info.Fields
	v.PublishedAt = up.Published(version)
	if v.Readme == "" && up.DistTags["latest"] == version {
		v.Readme = up.Readme // registries keep only the latest readme, at the top
	}
	lim := l.limits
	lim.defaults()
	v.Readme = truncateUTF8(v.Readme, lim.MaxReadmeBytes)
	v.Summary = truncateUTF8(v.Summary, lim.MaxDescriptionBytes)
	return packages.Located{URL: info.Dist.Tarball, Digest: packages.Digest{Alg: want.Algo, Sum: want.Digest}, Version: v}, nil
}

// Merge is the packument merge, pure: the versions the chain holds (held
// names every one, visible or not: a version the chain has hides its
// upstream namesake) with an upstream packument's, internal ones winning, and
// versions npm could not install skipped. Dist-tags set in the chain win over
// the upstream's.
func Merge(entries []Entry, held map[string]bool, tags map[string]string, up *Upstream) ([]Entry, map[string]string) {
	out := append([]Entry(nil), entries...)
	merged := make(map[string]string, len(tags)+len(up.DistTags))
	for t, v := range tags {
		merged[t] = v
	}
	for v, raw := range up.Versions {
		if held[v] || CheckVersion(v) != nil {
			continue
		}
		out = append(out, Entry{Version: v, Doc: raw, Published: up.Published(v)})
	}
	for t, v := range up.DistTags {
		if _, set := merged[t]; !set {
			merged[t] = v
		}
	}
	return out, merged
}

// truncateUTF8 cuts s to at most max bytes without splitting a character.
func truncateUTF8(s string, max int64) string {
	if int64(len(s)) <= max {
		return s
	}
	cut := int(max)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
