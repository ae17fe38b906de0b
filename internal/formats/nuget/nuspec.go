package nuget

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// MaxNuspecBytes bounds the .nuspec read from a package (nuget.org's are a
// few KiB; the limit is generous and keeps a hostile one from costing memory).
const MaxNuspecBytes = 1 << 20

// MaxNuspecDependencies bounds the dependencies a .nuspec lists, over all its
// groups: each becomes a stored dependency row, and 1 MiB holds 50,000 of
// them (Maven's POM limit is the same 10,000; real packages list hundreds).
const MaxNuspecDependencies = 10000

// Nuspec is what wharf reads from a package's manifest.
type Nuspec struct {
	ID          string     `json:"id"`
	Version     string     `json:"version"` // normalized
	Authors     string     `json:"authors,omitempty"`
	Description string     `json:"description,omitempty"`
	ProjectURL  string     `json:"projectUrl,omitempty"`
	License     string     `json:"license,omitempty"`
	Tags        string     `json:"tags,omitempty"`
	Groups      []DepGroup `json:"dependencyGroups,omitempty"`
	Symbols     bool       `json:"symbols,omitempty"` // a symbol package (.snupkg)
	Raw         string     `json:"nuspec"`            // the manifest as published, served as {id}.nuspec
}

// DepGroup is a dependency group (per target framework; "" for any).
type DepGroup struct {
	TargetFramework string       `json:"targetFramework,omitempty"`
	Deps            []Dependency `json:"dependencies,omitempty"`
}

// Dependency is a package dependency and its version range.
type Dependency struct {
	ID    string `json:"id"`
	Range string `json:"range,omitempty"`
}

type xmlDep struct {
	ID      string `xml:"id,attr"`
	Version string `xml:"version,attr"`
}

type xmlNuspec struct {
	XMLName  xml.Name `xml:"package"`
	Metadata struct {
		ID          string `xml:"id"`
		Version     string `xml:"version"`
		Authors     string `xml:"authors"`
		Description string `xml:"description"`
		ProjectURL  string `xml:"projectUrl"`
		License     string `xml:"license"`
		Tags        string `xml:"tags"`
		Types       []struct {
			Name string `xml:"name,attr"`
		} `xml:"packageTypes>packageType"`
		Deps struct {
			Flat   []xmlDep `xml:"dependency"`
			Groups []struct {
				TargetFramework string   `xml:"targetFramework,attr"`
				Deps            []xmlDep `xml:"dependency"`
			} `xml:"group"`
		} `xml:"dependencies"`
	} `xml:"metadata"`
}

// ParseNuspec reads a .nuspec: its id must be a NuGet id and its version a
// NuGet version (returned normalized).
func ParseNuspec(b []byte) (Nuspec, error) {
	if len(b) > MaxNuspecBytes {
		return Nuspec{}, fmt.Errorf("the .nuspec is larger than %d bytes", MaxNuspecBytes)
	}
	var x xmlNuspec
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(&x); err != nil {
		return Nuspec{}, fmt.Errorf("the .nuspec is not a NuGet manifest: %v", err)
	}
	m := x.Metadata
	deps := len(m.Deps.Flat)
	for _, g := range m.Deps.Groups {
		deps += len(g.Deps)
	}
	if deps > MaxNuspecDependencies {
		return Nuspec{}, fmt.Errorf("the .nuspec lists %d dependencies, more than %d", deps, MaxNuspecDependencies)
	}
	id := strings.TrimSpace(m.ID)
	if !ValidID(id) {
		return Nuspec{}, fmt.Errorf("the .nuspec's id %q is not a valid package id", id)
	}
	ver, ok := NormalizeVersion(strings.TrimSpace(m.Version))
	if !ok {
		return Nuspec{}, fmt.Errorf("the .nuspec's version %q is not a valid NuGet version", m.Version)
	}
	n := Nuspec{ID: id, Version: ver, Authors: m.Authors, Description: m.Description, ProjectURL: m.ProjectURL, License: m.License, Tags: m.Tags, Raw: string(b)}
	for _, t := range m.Types {
		if strings.EqualFold(t.Name, "SymbolsPackage") {
			n.Symbols = true
		}
	}
	conv := func(ds []xmlDep) ([]Dependency, error) {
		var out []Dependency
		for _, d := range ds {
			if !ValidID(d.ID) {
				return nil, fmt.Errorf("the .nuspec names a dependency %q that is not a valid package id", d.ID)
			}
			out = append(out, Dependency{ID: d.ID, Range: d.Version})
		}
		return out, nil
	}
	if len(m.Deps.Flat) > 0 {
		ds, err := conv(m.Deps.Flat)
		if err != nil {
			return Nuspec{}, err
		}
		n.Groups = append(n.Groups, DepGroup{Deps: ds})
	}
	for _, g := range m.Deps.Groups {
		ds, err := conv(g.Deps)
		if err != nil {
			return Nuspec{}, err
		}
		n.Groups = append(n.Groups, DepGroup{TargetFramework: g.TargetFramework, Deps: ds})
	}
	return n, nil
}

var errNotNupkg = errors.New("not a NuGet package")
