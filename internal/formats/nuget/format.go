package nuget

import (
	"encoding/json"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Format is NuGet's part of the package engine. Proxying public:nuget-org is
// not implemented yet (Metadata has no upstream document), so the engine
// resolves NuGet packages from the repositories of a chain only.
type Format struct{}

var _ packages.Format = Format{}

// Kind implements packages.Format.
func (Format) Kind() model.Format { return model.FormatNuget }

// Metadata implements packages.Format: no upstream index is read yet.
func (Format) Metadata(_, _ string) packages.Document { return packages.Document{} }

// Parse implements packages.Format.
func (Format) Parse(_, name string, _ upstream.Doc) (packages.Listing, error) {
	return nil, apperr.NotFoundf("package", name, "NuGet upstreams are not supported yet")
}

// VersionOf is the package version row of a manifest (its Metadata is the
// manifest).
func VersionOf(n Nuspec) model.PackageVersion {
	v := model.PackageVersion{PackageKey: model.PackageKey{Format: model.FormatNuget, Name: Key(n.ID)}, Version: n.Version, DisplayName: n.ID,
		Summary: n.Description, HomePage: n.ProjectURL}
	if n.License != "" {
		v.Licenses = model.LicenseNames(n.License)
	}
	v.Metadata, _ = json.Marshal(n)
	for _, g := range n.Groups {
		for _, d := range g.Deps {
			v.Dependencies = append(v.Dependencies, model.Dependency{Package: Key(d.ID), DependencyType: strings.TrimSpace(g.TargetFramework), VersionReq: d.Range})
		}
	}
	return v
}

// NuspecOf reads back the manifest stored with a version.
func NuspecOf(v model.PackageVersion) (Nuspec, bool) {
	var n Nuspec
	if json.Unmarshal(v.Metadata, &n) != nil || !ValidID(n.ID) {
		return Nuspec{}, false
	}
	return n, true
}
