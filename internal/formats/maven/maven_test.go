package maven

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

func TestParsePath(t *testing.T) {
	cases := []struct {
		in   string
		want Path
	}{
		{"org/example/app/1.0/app-1.0.jar", Path{Kind: KindFile, Group: "org.example", Artifact: "app", Version: "1.0", File: "app-1.0.jar"}},
		{"org/example/app/1.0/app-1.0.pom.sha512", Path{Kind: KindFile, Group: "org.example", Artifact: "app", Version: "1.0", File: "app-1.0.pom", Checksum: "sha512"}},
		{"org/example/app/maven-metadata.xml.md5", Path{Kind: KindArtifactMetadata, Group: "org.example", Artifact: "app", File: MetadataFile, Checksum: "md5"}},
		{"org/example/app/1.1-SNAPSHOT/maven-metadata.xml", Path{Kind: KindVersionMetadata, Group: "org.example", Artifact: "app", Version: "1.1-SNAPSHOT", File: MetadataFile}},
		{"org/example/app/1.1-SNAPSHOT/app-1.1-20240101.120000-3-sources.jar", Path{Kind: KindFile, Group: "org.example", Artifact: "app", Version: "1.1-SNAPSHOT", File: "app-1.1-20240101.120000-3-sources.jar"}},
	}
	for _, c := range cases {
		got, err := ParsePath(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParsePath(%q) = %+v, %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"org/../app/1.0/app-1.0.jar", "org/%2e%2e/app/1.0/app-1.0.jar", "org/a%2fb/1.0/b-1.0.jar", "org//app/1.0/app-1.0.jar",
		"org/app/1.0/other.jar", "app/1.0/app-1.0.jar", "maven-metadata.xml", "org/app/1.0/app-1.0.jar%00", `org/app/1.0/..\app-1.0.jar`} {
		if p, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted: %+v", bad, p)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	ordered := []string{"1.0-alpha-1", "1.0-beta", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0.1", "1.2", "1.10", "2.0"}
	for i := 0; i+1 < len(ordered); i++ {
		if CompareVersions(ordered[i], ordered[i+1]) >= 0 || CompareVersions(ordered[i+1], ordered[i]) <= 0 {
			t.Errorf("%s should sort before %s", ordered[i], ordered[i+1])
		}
	}
	if CompareVersions("1.0", "1") != 0 {
		t.Error("1.0 != 1")
	}
}

func TestArtifactMetadata(t *testing.T) {
	m := ArtifactMetadata("org.example", "app", []string{"1.10", "1.2", "2.0-SNAPSHOT", "1.2"}, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	doc := string(m.Encode())
	for _, want := range []string{"<latest>2.0-SNAPSHOT</latest>", "<release>1.10</release>", "<version>1.2</version>\n      <version>1.10</version>", "<lastUpdated>20240102030405</lastUpdated>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("missing %q in\n%s", want, doc)
		}
	}
	back, err := ParseMetadata([]byte(doc))
	if err != nil || len(back.Versioning.Versions) != 3 {
		t.Fatalf("%+v %v", back, err)
	}
	if _, err := ParseMetadata([]byte("<metadata><versioning>")); err == nil {
		t.Fatal("malformed metadata accepted")
	}
}

func TestSnapshotMetadata(t *testing.T) {
	files := []string{"app-1.1-20240101.120000-1.jar", "app-1.1-20240101.120000-1.pom", "app-1.1-20240102.120000-2.jar", "app-1.1-20240102.120000-2-sources.jar", "unrelated.txt"}
	m, ok := SnapshotMetadata("org.example", "app", "1.1-SNAPSHOT", files)
	if !ok {
		t.Fatal("no snapshot metadata")
	}
	v := m.Versioning
	if v.Snapshot.BuildNumber != 2 || v.Snapshot.Timestamp != "20240102.120000" || len(v.SnapshotVersions) != 3 {
		t.Fatalf("%+v", v)
	}
	for _, sv := range v.SnapshotVersions {
		if sv.Extension == "pom" && sv.Value != "1.1-20240101.120000-1" {
			t.Errorf("pom value %s", sv.Value)
		}
		if sv.Extension == "jar" && sv.Classifier == "" && sv.Value != "1.1-20240102.120000-2" {
			t.Errorf("jar value %s", sv.Value)
		}
	}
	if _, ok := SnapshotMetadata("org.example", "app", "1.1-SNAPSHOT", []string{"app-1.1-SNAPSHOT.jar"}); ok {
		t.Error("metadata from non-timestamped files")
	}
}

func TestParsePom(t *testing.T) {
	pom := `<project><parent><groupId>org.example</groupId><version>1.0</version></parent><artifactId>app</artifactId>
<description>An app</description><licenses><license><name>MIT</name></license>
<license><name> Apache-2.0 </name><url> https://www.apache.org/licenses/LICENSE-2.0.txt </url></license></licenses>
<dependencies><dependency><groupId>org.x</groupId><artifactId>y</artifactId><version>2</version><scope>test</scope></dependency></dependencies></project>`
	p, err := ParsePom([]byte(pom), "org.example", "app", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePom([]byte(pom), "org.example", "app", "2.0"); err == nil {
		t.Fatal("mismatched version accepted")
	}
	if _, err := ParsePom([]byte("<project>"), "org.example", "app", "1.0"); err == nil {
		t.Fatal("malformed POM accepted")
	}
	var v model.PackageVersion
	p.Apply(&v)
	want := []model.License{{Name: "MIT"}, {Name: "Apache-2.0", URL: "https://www.apache.org/licenses/LICENSE-2.0.txt"}}
	if !reflect.DeepEqual(v.Licenses, want) || v.Summary != "An app" {
		t.Fatalf("applied licenses %+v, summary %q; want %+v", v.Licenses, v.Summary, want)
	}
}

// TestParsePomListLimit: a POM listing more than MaxPomListItems dependencies
// or licenses is refused as too large while it is decoded; one at the bound
// is read whole.
func TestParsePomListLimit(t *testing.T) {
	pom := func(list, item string, n int) []byte {
		return []byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><` + list + `>` + strings.Repeat(item, n) + `</` + list + `></project>`)
	}
	p, err := ParsePom(pom("dependencies", `<dependency><groupId>x</groupId><artifactId>y</artifactId><version>1</version></dependency>`, MaxPomListItems), "g", "a", "1")
	if err != nil || len(p.Dependencies) != MaxPomListItems || p.Dependencies[MaxPomListItems-1].ArtifactID != "y" {
		t.Fatalf("at the bound: %v, %d dependencies", err, len(p.Dependencies))
	}
	var v model.PackageVersion
	p.Apply(&v)
	if len(v.Dependencies) != MaxPomListItems || v.Dependencies[0].DependencyType != "compile" {
		t.Fatalf("applied %d dependencies", len(v.Dependencies))
	}
	for list, item := range map[string]string{"dependencies": "<dependency/>", "licenses": "<license/>"} {
		_, err := ParsePom(pom(list, item, MaxPomListItems+1), "g", "a", "1")
		if !apperr.Is(err, apperr.TooLarge) || !strings.Contains(err.Error(), fmt.Sprintf("more than %d", MaxPomListItems)) {
			t.Errorf("%s over the bound: %v", list, err)
		}
	}
}

// TestParseXMLAttributeLimit: a POM or maven-metadata.xml that may hold more
// than MaxXMLAttributes attributes is refused as too large before it is
// parsed, however they are spaced; one at the bound, and '=' rules in
// comments, are read.
func TestParseXMLAttributeLimit(t *testing.T) {
	pom := func(attrs, comment string) []byte {
		return []byte(`<project` + attrs + `><!--` + comment + `--><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project>`)
	}
	if _, err := ParsePom(pom(strings.Repeat(` a=""`, MaxXMLAttributes), strings.Repeat("=", 2*MaxXMLAttributes)), "g", "a", "1"); err != nil {
		t.Fatalf("at the bound, with a long rule: %v", err)
	}
	for name, attrs := range map[string]string{
		"plain":   strings.Repeat(` a=""`, MaxXMLAttributes+1),
		"spaced":  strings.Repeat(" a = \r\n\t''", MaxXMLAttributes+1),
		"xmlns":   strings.Repeat(` xmlns:p="u"`, MaxXMLAttributes+1),
		"in text": "",
	} {
		b := pom(attrs, "")
		if name == "in text" {
			b = pom("", strings.Repeat(`x="`, MaxXMLAttributes+1))
		}
		if _, err := ParsePom(b, "g", "a", "1"); !apperr.Is(err, apperr.TooLarge) || !strings.Contains(err.Error(), "attributes") {
			t.Errorf("POM, %s: %v", name, err)
		}
	}
	md := []byte(`<metadata` + strings.Repeat(` a=""`, MaxXMLAttributes+1) + `><groupId>g</groupId></metadata>`)
	if _, err := ParseMetadata(md); !apperr.Is(err, apperr.TooLarge) {
		t.Errorf("maven-metadata.xml: %v", err)
	}
}
