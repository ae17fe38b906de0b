package rubygems

import (
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Format is RubyGems' part of the package engine's pull-through
// (packages.Format): a registry's compact index keeps each gem's versions in
// info/NAME with the sha256 of each .gem, served at gems/NAME-VERSION.gem.
type Format struct{}

var _ packages.Format = Format{}

// Kind implements packages.Format.
func (Format) Kind() model.Format { return model.FormatRuby }

// Metadata implements packages.Format: the gem's info file.
func (Format) Metadata(_, name string) packages.Document {
	return packages.Document{Name: "compact index info file", Path: "info/" + name, Valid: ValidInfoBody}
}

// Parse implements packages.Format.
func (Format) Parse(_, name string, doc upstream.Doc) (packages.Listing, error) {
	es, err := ParseInfo(doc.Body)
	if err != nil {
		return nil, err
	}
	return &Listing{Name: name, Entries: es}, nil
}

// Listing is a gem's info file on an external registry.
type Listing struct {
	Name    string
	Entries []InfoEntry
}

// Versions implements packages.Listing.
func (l *Listing) Versions() []string {
	out := make([]string, len(l.Entries))
	for i, e := range l.Entries {
		out[i] = e.FullVersion
	}
	return out
}

// Locate implements packages.Listing: gems/NAME-VERSION.gem on the
// registry, its sha256 from the info file, and the spec an ingestion keeps.
func (l *Listing) Locate(version, file string) (packages.Located, error) {
	for _, e := range l.Entries {
		if e.FullVersion != version || file != GemFile(l.Name, version) {
			continue
		}
		sum, err := hex.DecodeString(e.SHA256)
		if err != nil || len(sum) != 32 {
			return packages.Located{}, apperr.New(apperr.Internal, "the upstream info file lists %s without a sha256 checksum", file).Wrap(upstream.ErrUnavailable)
		}
		return packages.Located{URL: "gems/" + file, Digest: packages.Digest{Alg: "sha256", Sum: sum}, Version: VersionOf(SpecOf(l.Name, e))}, nil
	}
	return packages.Located{}, apperr.NotFoundf("asset", file, "%s is not in the upstream compact index", file)
}

// SpecOf is what an info line says of a version.
func SpecOf(name string, e InfoEntry) Spec {
	v, p, _ := strings.Cut(e.FullVersion, "-")
	if p == "" {
		p = "ruby"
	}
	return Spec{Name: name, Version: v, Platform: p, Deps: e.Deps, RequiredRuby: e.Ruby, RequiredRubygems: e.Rubygems, SHA256: e.SHA256}
}

// VersionOf is the package version row of a spec (its Metadata is the spec).
func VersionOf(s Spec) model.PackageVersion {
	v := model.PackageVersion{PackageKey: model.PackageKey{Format: model.FormatRuby, Name: s.Name}, Version: s.FullVersion(), DisplayName: s.Name,
		Summary: s.Summary, HomePage: s.Homepage, Licenses: model.LicenseNames(s.Licenses...)}
	v.Metadata, _ = json.Marshal(s)
	for _, d := range s.Deps {
		v.Dependencies = append(v.Dependencies, model.Dependency{Package: d.Name, DependencyType: d.Type, VersionReq: strings.Join(d.Reqs, ", ")})
	}
	return v
}

// SpecOfVersion reads back the spec stored with a version.
func SpecOfVersion(v model.PackageVersion) (Spec, bool) {
	var s Spec
	if json.Unmarshal(v.Metadata, &s) != nil || !ValidName(s.Name) || !ValidVersion(s.Version) || !ValidPlatform(s.Platform) {
		return Spec{}, false
	}
	return s, true
}
