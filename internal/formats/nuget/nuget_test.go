package nuget

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

func TestNormalizeVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1.0": "1.0.0", "1.0.0": "1.0.0", "01.002.0003": "1.2.3", "1.2.3.0": "1.2.3", "1.2.3.4": "1.2.3.4",
		"1.0.0-Beta.1": "1.0.0-Beta.1", "1.0.0+build.5": "1.0.0", "1.0-rc+x": "1.0.0-rc", "2": "",
		"1.0.0/../x": "", "../1.0.0": "", "1.0.0-": "", "1.0.0-a..b": "",
	} {
		got, ok := NormalizeVersion(in)
		if want == "" {
			if ok {
				t.Errorf("NormalizeVersion(%q) = %q, want refused", in, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("NormalizeVersion(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// A normalized version is itself a version NormalizeVersion accepts, unchanged:
// what a push stores under its normalized version can be asked for by it.
// "1.2-" and 60 letters normalizes to "1.2.0-…", 66 characters, past the
// 64-character limit: it is refused, not stored under a version that
// dotnet nuget delete (which wharf normalizes) cannot name.
func TestNormalizeVersionIsIdempotent(t *testing.T) {
	for _, in := range []string{"1.2-" + strings.Repeat("a", 60), "1-" + strings.Repeat("b", 62), "1.0.0-" + strings.Repeat("c", 58), "01.2.3.0"} {
		n, ok := NormalizeVersion(in)
		if !ok {
			continue
		}
		if again, ok := NormalizeVersion(n); !ok || again != n {
			t.Errorf("NormalizeVersion(%q) = %q, which normalizes to %q %v", in, n, again, ok)
		}
	}
	if _, ok := NormalizeVersion("1.0.0-" + strings.Repeat("c", 58)); !ok {
		t.Error("a 64-character normalized version refused")
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{"Newtonsoft.Json": true, "a": true, "x_y-z.1": true, "..": false, "a/../b": false, "../a": false,
		"a..b": false, ".a": false, "a.": false, "": false, strings.Repeat("a", 101): false, "a b": false} {
		if ValidID(id) != want {
			t.Errorf("ValidID(%q) = %v", id, !want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	vs := []string{"1.0.0", "1.0.0-beta.10", "1.0.0-beta.2", "1.0.0-Alpha", "0.9.0", "1.0.0.1", "10.0.0"}
	SortVersions(vs)
	want := "0.9.0 1.0.0-Alpha 1.0.0-beta.2 1.0.0-beta.10 1.0.0 1.0.0.1 10.0.0"
	if got := strings.Join(vs, " "); got != want {
		t.Errorf("sorted %s, want %s", got, want)
	}
}

func nuspecXML(id, version string) string {
	return `<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>` + id +
		`</id><version>` + version + `</version><authors>a</authors><description>d</description><dependencies><group targetFramework="net8.0"><dependency id="Dep.One" version="[1.0.0, )" /></group></dependencies></metadata></package>`
}

// buildZip writes entries in order (name, content), deflated.
func buildZip(t testing.TB, entries ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(entries); i += 2 {
		w, err := zw.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(entries[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestInspectNupkg(t *testing.T) {
	good := buildZip(t, "_rels/.rels", "x", "Foo.Bar.nuspec", nuspecXML("Foo.Bar", "1.0"), "lib/net8.0/Foo.Bar.dll", "MZ")
	n, err := InspectNupkg(bytes.NewReader(good), DefaultLimits())
	if err != nil || n.ID != "Foo.Bar" || n.Version != "1.0.0" || len(n.Groups) != 1 || n.Groups[0].Deps[0].ID != "Dep.One" || n.Groups[0].TargetFramework != "net8.0" {
		t.Fatalf("good package: %+v %v", n, err)
	}
	bad := map[string][]byte{
		"not a zip":       []byte("hello, this is not a zip file at all"),
		"empty":           buildZip(t),
		"no nuspec":       buildZip(t, "lib/a.dll", "x"),
		"two nuspecs":     buildZip(t, "a.nuspec", nuspecXML("a", "1.0.0"), "B.nuspec", nuspecXML("b", "1.0.0")),
		"nested nuspec":   buildZip(t, "x/a.nuspec", nuspecXML("a", "1.0.0")),
		"traversal":       buildZip(t, "a.nuspec", nuspecXML("a", "1.0.0"), "../../etc/passwd", "x"),
		"backslash":       buildZip(t, "a.nuspec", nuspecXML("a", "1.0.0"), `lib\..\..\x`, "x"),
		"absolute":        buildZip(t, "a.nuspec", nuspecXML("a", "1.0.0"), "/etc/x", "x"),
		"bad id":          buildZip(t, "a.nuspec", nuspecXML("../a", "1.0.0")),
		"id mismatch":     buildZip(t, "a.nuspec", nuspecXML("b", "1.0.0")),
		"bad version":     buildZip(t, "a.nuspec", nuspecXML("a", "1.0.0/../../x")),
		"not xml":         buildZip(t, "a.nuspec", "<package><metadata"),
		"truncated":       good[:len(good)/2],
		"oversize nuspec": buildZip(t, "a.nuspec", strings.Repeat(" ", MaxNuspecBytes+1)),
	}
	for name, b := range bad {
		if n, err := InspectNupkg(bytes.NewReader(b), DefaultLimits()); err == nil {
			t.Errorf("%s: accepted as %+v", name, n)
		}
	}
	// A zip bomb is refused once it inflates past the limit.
	bomb := buildZip(t, "a.nuspec", nuspecXML("a", "1.0.0"), "zeros", strings.Repeat("\x00", 8<<20))
	if _, err := InspectNupkg(bytes.NewReader(bomb), Limits{MaxEntries: 10, MaxUncompressed: 1 << 20}); err == nil || !strings.Contains(err.Error(), "inflates to more than") {
		t.Errorf("bomb: %v", err)
	}
	many := []string{"a.nuspec", nuspecXML("a", "1.0.0")}
	for i := 0; i < 20; i++ {
		many = append(many, "f"+strings.Repeat("x", i), "")
	}
	if _, err := InspectNupkg(bytes.NewReader(buildZip(t, many...)), Limits{MaxEntries: 10, MaxUncompressed: 1 << 20}); err == nil {
		t.Error("too many entries accepted")
	}
	if _, err := InspectNupkg(bytes.NewReader(buildZip(t, "A.NUSPEC", nuspecXML("a", "1.0.0"))), DefaultLimits()); err != nil {
		t.Errorf("manifest name in another case: %v", err)
	}
	sym := buildZip(t, "a.nuspec", strings.Replace(nuspecXML("a", "1.0.0"), "<authors>", `<packageTypes><packageType name="SymbolsPackage" /></packageTypes><authors>`, 1))
	if n, err := InspectNupkg(bytes.NewReader(sym), DefaultLimits()); err != nil || !n.Symbols {
		t.Errorf("symbol package: %+v %v, want Symbols", n, err)
	}
}

func TestServiceIndexResources(t *testing.T) {
	s := string(ServiceIndex("http://h/d-1/nuget/r/"))
	for _, want := range []string{`"@id":"http://h/d-1/nuget/r/v3/package/","@type":"PackageBaseAddress/3.0.0"`, `"RegistrationsBaseUrl/3.6.0"`,
		`"@id":"http://h/d-1/nuget/r/v2/package","@type":"PackagePublish/2.0.0"`, `"SearchQueryService"`} {
		if !strings.Contains(s, want) {
			t.Errorf("service index lacks %s: %s", want, s)
		}
	}
}

func TestUpstreamDocuments(t *testing.T) {
	flat, reg, err := ParseServiceIndex([]byte(`{"version":"3.0.0","resources":[{"@id":"https://f.example/flat","@type":"PackageBaseAddress/3.0.0"},
{"@id":"https://f.example/reg/","@type":"RegistrationsBaseUrl/3.6.0"}]}`))
	if err != nil || flat != "https://f.example/flat/" || reg != "https://f.example/reg/" {
		t.Errorf("ParseServiceIndex: %q %q %v", flat, reg, err)
	}
	if _, _, err := ParseServiceIndex([]byte(`{"version":"3.0.0","resources":[]}`)); err == nil {
		t.Error("a service index without PackageBaseAddress accepted")
	}
	vs, err := ParseFlatIndex([]byte(`{"versions":["1.0","1.0.0","2.0.0-Beta"]}`))
	if err != nil || len(vs) != 2 || vs[0] != "1.0.0" || vs[1] != "2.0.0-Beta" {
		t.Errorf("ParseFlatIndex: %v %v", vs, err)
	}
	if _, err := ParseFlatIndex([]byte(`{"versions":["not a version"]}`)); err == nil {
		t.Error("a flat index with a bad version accepted")
	}
	if _, err := ParseFlatIndex([]byte(`{"versions":["1.0.0"`)); err == nil {
		t.Error("a cut-short flat index accepted")
	}
	sum, err := PackageHash([]byte(`{"catalogEntry":{"packageHash":"AAEC","packageHashAlgorithm":"SHA512"}}`))
	if err != nil || len(sum) != 3 || sum[2] != 2 {
		t.Errorf("PackageHash inlined: %v %v", sum, err)
	}
	if sum, err := PackageHash([]byte(`{"catalogEntry":"https://f.example/catalog/x.json"}`)); err != nil || sum != nil {
		t.Errorf("PackageHash of a linked catalog entry: %v %v, want none", sum, err)
	}
	if _, err := PackageHash([]byte(`{"packageHash":"!!"}`)); err == nil {
		t.Error("a packageHash that is not base64 accepted")
	}
	for leaf, want := range map[string]string{
		`{"catalogEntry":"https://f.example/catalog/x.json"}`:   "https://f.example/catalog/x.json",
		`{"catalogEntry":{"@id":"https://f.example/c/x.json"}}`: "", // inlined: nothing to follow
		`{"listed":true}`: "",
		`not json`:        "",
	} {
		if got := CatalogLink([]byte(leaf)); got != want {
			t.Errorf("CatalogLink(%s) = %q, want %q", leaf, got, want)
		}
	}
	if got := CatalogBase([]byte(`{"version":"3.0.0","resources":[{"@id":"https://f.example/flat/","@type":"PackageBaseAddress/3.0.0"},
		{"@id":"https://c.example/catalog0/index.json","@type":"Catalog/3.0.0"}]}`)); got != "https://c.example/catalog0/index.json" {
		t.Errorf("CatalogBase = %q", got)
	}
}

// TestNuspecDependenciesBounded: a .nuspec within its byte limit may still
// not list more than MaxNuspecDependencies dependencies (each a stored row).
func TestNuspecDependenciesBounded(t *testing.T) {
	nuspec := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>Many.Deps</id><version>1.0.0</version><authors>a</authors><description>d</description><dependencies><group targetFramework="net8.0">`)
		for range n {
			b.WriteString(`<dependency id="A" version="1.0"/>`)
		}
		b.WriteString(`</group></dependencies></metadata></package>`)
		return []byte(b.String())
	}
	if n, err := ParseNuspec(nuspec(MaxNuspecDependencies)); err != nil || len(n.Groups) != 1 || len(n.Groups[0].Deps) != MaxNuspecDependencies {
		t.Fatalf("at the limit: %v", err)
	}
	if _, err := ParseNuspec(nuspec(MaxNuspecDependencies + 1)); err == nil || !strings.Contains(err.Error(), "more than 10000") {
		t.Fatalf("over the limit: %v", err)
	}
}
