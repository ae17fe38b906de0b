package nuget

import (
	"encoding/json"
	"strings"
)

// ServiceIndex is the v3 service index (index.json) of a repository whose
// endpoint is base (ending in "/"): the resources dotnet restore and dotnet
// nuget push look up, under each type name and version nuget.org lists.
func ServiceIndex(base string) []byte {
	type res struct {
		ID      string `json:"@id"`
		Type    string `json:"@type"`
		Comment string `json:"comment,omitempty"`
	}
	var rs []res
	add := func(path, comment string, types ...string) {
		for _, t := range types {
			rs = append(rs, res{ID: base + path, Type: t, Comment: comment})
		}
	}
	add("v3/package/", "flat container: versions lists and .nupkg/.nuspec downloads", "PackageBaseAddress/3.0.0")
	add("v3/registration/", "package metadata (registrations, inline pages, SemVer 2.0.0 included)",
		"RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.0.0-rc", "RegistrationsBaseUrl/3.4.0", "RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/Versioned")
	add("v3/query", "search by package id", "SearchQueryService", "SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc", "SearchQueryService/3.5.0")
	add("v2/package", "push (PUT, multipart) and unlist (DELETE {id}/{version})", "PackagePublish/2.0.0")
	b, _ := json.Marshal(map[string]any{"version": "3.0.0", "resources": rs})
	return b
}

// FlatVersions is a flat container's versions list ({id}/index.json):
// lowercased normalized versions, ascending.
func FlatVersions(versions []string) []byte {
	out := make([]string, len(versions))
	for i, v := range versions {
		out[i] = strings.ToLower(v)
	}
	SortVersions(out)
	b, _ := json.Marshal(map[string][]string{"versions": out})
	return b
}

// Entry is one version as the registration and search documents show it.
type Entry struct {
	Nuspec Nuspec
	Listed bool
}

// Registration builds registration documents of one package for a
// repository endpoint base.
type Registration struct {
	Base string
	Key  string
}

func (g Registration) index() string { return g.Base + "v3/registration/" + g.Key + "/index.json" }
func (g Registration) leaf(v string) string {
	return g.Base + "v3/registration/" + g.Key + "/" + strings.ToLower(v) + ".json"
}
func (g Registration) content(v string) string {
	lv := strings.ToLower(v)
	return g.Base + "v3/package/" + g.Key + "/" + lv + "/" + NupkgFile(g.Key, lv)
}

func (g Registration) catalogEntry(e Entry) map[string]any {
	groups := []map[string]any{}
	for _, dg := range e.Nuspec.Groups {
		deps := []map[string]string{}
		for _, d := range dg.Deps {
			r := d.Range
			if r == "" {
				r = "(, )"
			}
			deps = append(deps, map[string]string{"@id": g.leaf(e.Nuspec.Version) + "#dependency/" + Key(d.ID), "@type": "PackageDependency", "id": d.ID, "range": r,
				"registration": g.Base + "v3/registration/" + Key(d.ID) + "/index.json"})
		}
		m := map[string]any{"@id": g.leaf(e.Nuspec.Version) + "#dependencygroup", "@type": "PackageDependencyGroup", "dependencies": deps}
		if dg.TargetFramework != "" {
			m["targetFramework"] = dg.TargetFramework
		}
		groups = append(groups, m)
	}
	return map[string]any{"@id": g.leaf(e.Nuspec.Version), "@type": "PackageDetails", "id": e.Nuspec.ID, "version": e.Nuspec.Version,
		"listed": e.Listed, "authors": e.Nuspec.Authors, "description": e.Nuspec.Description, "projectUrl": e.Nuspec.ProjectURL,
		"tags": e.Nuspec.Tags, "dependencyGroups": groups, "packageContent": g.content(e.Nuspec.Version)}
}

// Index is the registration index with every version inline in one page
// (entries ascending).
func (g Registration) Index(es []Entry) []byte {
	items := make([]map[string]any, len(es))
	for i, e := range es {
		items[i] = map[string]any{"@id": g.leaf(e.Nuspec.Version), "@type": "Package", "catalogEntry": g.catalogEntry(e),
			"packageContent": g.content(e.Nuspec.Version), "registration": g.index()}
	}
	page := map[string]any{"@id": g.index() + "#page/" + es[0].Nuspec.Version + "/" + es[len(es)-1].Nuspec.Version, "@type": "catalog:CatalogPage",
		"count": len(es), "lower": es[0].Nuspec.Version, "upper": es[len(es)-1].Nuspec.Version, "parent": g.index(), "items": items}
	b, _ := json.Marshal(map[string]any{"@id": g.index(), "@type": []string{"catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"},
		"count": 1, "items": []any{page}})
	return b
}

// Leaf is the registration leaf of one version.
func (g Registration) Leaf(e Entry) []byte {
	b, _ := json.Marshal(map[string]any{"@id": g.leaf(e.Nuspec.Version), "@type": []string{"Package", "http://schema.nuget.org/catalog#Permalink"},
		"catalogEntry": g.leaf(e.Nuspec.Version), "listed": e.Listed, "packageContent": g.content(e.Nuspec.Version), "registration": g.index()})
	return b
}

// SearchResult is one package of a search answer: its listed versions
// (ascending), the latest last.
func (g Registration) SearchResult(es []Entry) map[string]any {
	last := es[len(es)-1].Nuspec
	vs := make([]map[string]any, len(es))
	for i, e := range es {
		vs[i] = map[string]any{"version": e.Nuspec.Version, "downloads": 0, "@id": g.leaf(e.Nuspec.Version)}
	}
	return map[string]any{"@id": g.index(), "@type": "Package", "registration": g.index(), "id": last.ID, "version": last.Version,
		"description": last.Description, "authors": []string{last.Authors}, "projectUrl": last.ProjectURL, "totalDownloads": 0, "verified": false, "versions": vs}
}
