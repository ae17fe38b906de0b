package nuget

import (
	"encoding/json"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Format is NuGet's part of the package engine. Feed, once the handler has
// read a connection's service index, locates the flat container; without it
// the engine resolves NuGet packages from the repositories of a chain only.
type Format struct{ Feed *Feed }

var _ packages.Format = Format{}

// Kind implements packages.Format.
func (Format) Kind() model.Format { return model.FormatNuget }

// Metadata implements packages.Format: the flat container's index of the
// package (an absolute URL the service index gave).
func (f Format) Metadata(_, name string) packages.Document {
	flat, _ := f.Feed.get()
	if flat == "" {
		return packages.Document{}
	}
	return packages.Document{Name: "flat container index", Path: flat + name + "/index.json", Accept: "application/json",
		Valid: func(_ string, b []byte) error { _, err := ParseFlatIndex(b); return err }}
}

// Parse implements packages.Format.
func (f Format) Parse(_, name string, doc upstream.Doc) (packages.Listing, error) {
	flat, reg := f.Feed.get()
	if flat == "" {
		return nil, apperr.NotFoundf("package", name, "the upstream service index was not read")
	}
	vs, err := ParseFlatIndex(doc.Body)
	if err != nil {
		return nil, err
	}
	return &Listing{key: name, flat: flat, reg: reg, versions: vs, feed: f.Feed}, nil
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
