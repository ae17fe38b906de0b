package maven

import (
	"encoding/hex"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wharf-dev/wharf/internal/packages"
)

// FuzzParsePath: a layout path that parses has only plain segments, and its
// parts rebuild the path it came from.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"org/example/lib/1.0/lib-1.0.jar", "org/example/lib/1.0/lib-1.0.jar.sha1", "org/example/lib/maven-metadata.xml",
		"org/example/lib/1.0-SNAPSHOT/maven-metadata.xml.md5", "a/%2e%2e/b/c", "a//b", "org/x/y/1/y-1-sources.jar"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, escaped string) {
		p, err := ParsePath(escaped)
		if err != nil {
			return
		}
		for _, part := range append(strings.Split(p.Group, "."), p.Artifact, p.Version, p.File) {
			if part == ".." || strings.ContainsAny(part, "/\\") {
				t.Fatalf("%q parsed to %+v", escaped, p)
			}
		}
		unescaped, _ := url.PathUnescape(strings.ReplaceAll(escaped, "/", "%2F"))
		var rebuilt string
		switch p.Kind {
		case KindFile:
			rebuilt = relPath(p)
		case KindVersionMetadata:
			rebuilt = GroupPath(p.Group) + "/" + p.Artifact + "/" + p.Version + "/" + MetadataFile
		default:
			rebuilt = GroupPath(p.Group) + "/" + p.Artifact + "/" + MetadataFile
		}
		if p.Checksum != "" {
			rebuilt += "." + p.Checksum
		}
		if rebuilt != unescaped {
			t.Fatalf("%q parsed to %+v, which rebuilds as %q", escaped, p, rebuilt)
		}
	})
}

// FuzzParseMetadata: maven-metadata.xml from a deploy or an upstream parses or
// is refused, and what wharf writes back from it parses again.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><metadata><groupId>g</groupId><artifactId>a</artifactId><versioning><latest>2</latest><release>2</release><versions><version>1</version><version>2</version></versions><lastUpdated>20200101000000</lastUpdated></versioning></metadata>`))
	f.Add([]byte(`<metadata><version>1.0-SNAPSHOT</version><versioning><snapshot><timestamp>20200101.000000</timestamp><buildNumber>3</buildNumber></snapshot><snapshotVersions><snapshotVersion><extension>jar</extension><value>1.0-20200101.000000-3</value></snapshotVersion></snapshotVersions></versioning></metadata>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><metadata>&a;</metadata>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMetadata(b)
		if err != nil {
			return
		}
		if _, err := ParseMetadata(m.Encode()); err != nil {
			t.Fatalf("re-encoded metadata does not parse: %v\n%s", err, m.Encode())
		}
	})
}

// FuzzParsePom: a deployed POM parses or is refused; never a panic.
func FuzzParsePom(f *testing.F) {
	f.Add([]byte(`<project><parent><groupId>g</groupId><version>1</version></parent><artifactId>a</artifactId><licenses><license><name>MIT</name></license></licenses><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>2</version></dependency></dependencies></project>`))
	f.Add([]byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := ParsePom(b, "g", "a", "1"); err == nil {
			var v = p
			_ = v
		}
	})
}

// TestVerifyingReaderEndings: only a clean end whose digest matches is an end.
func TestVerifyingReaderEndings(t *testing.T) {
	fail := func(string) error { return errors.New("digest mismatch") }
	want, _ := hex.DecodeString("a9993e364706816aba3e25717850c26c9cd0d89d") // sha1("abc")
	read := func(r io.Reader) error {
		_, err := io.ReadAll(packages.VerifyReader(r, packages.Digest{Alg: "sha1", Sum: want}, fail))
		return err
	}
	if err := read(strings.NewReader("abc")); err != nil {
		t.Fatalf("good: %v", err)
	}
	if err := read(strings.NewReader("ab")); err == nil {
		t.Fatal("short but clean: accepted")
	}
	if err := read(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(io.ErrUnexpectedEOF))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ErrUnexpectedEOF after the right bytes: %v", err)
	}
}
