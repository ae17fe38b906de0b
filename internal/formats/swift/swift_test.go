package swift

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

// zipOf builds a zip of name → body ("dir/" names a directory).
func zipOf(t testing.TB, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func check(b []byte) ([]Manifest, error) {
	return CheckArchive(bytes.NewReader(b), int64(len(b)), DefaultArchiveLimits())
}

func TestCheckArchive(t *testing.T) {
	ms, err := check(zipOf(t,
		"mona.LinkedList/Package.swift", "// swift-tools-version:5.7\nlet package = 1",
		"mona.LinkedList/Package@swift-5.5.swift", "// swift-tools-version: 5.5\n",
		"mona.LinkedList/Sources/LinkedList/LinkedList.swift", "struct L {}",
		"mona.LinkedList/Sources/Package.swift", "not a top manifest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].SwiftVersion != "" || ms[1].SwiftVersion != "5.5" || ToolsVersion(ms[0].Body) != "5.7" || ToolsVersion(ms[1].Body) != "5.5" {
		t.Fatalf("manifests %+v", ms)
	}
	bad := map[string][]byte{
		"not a zip":          []byte("PK\x03\x04 but not really"),
		"empty":              zipOf(t),
		"traversal":          zipOf(t, "p/Package.swift", "x", "p/../../etc/passwd", "x"),
		"absolute":           zipOf(t, "/p/Package.swift", "x"),
		"backslash":          zipOf(t, "p/Package.swift", "x", "p\\..\\x", "x"),
		"two tops":           zipOf(t, "p/Package.swift", "x", "q/file", "x"),
		"no manifest":        zipOf(t, "p/Sources/a.swift", "x"),
		"manifest too deep":  zipOf(t, "p/sub/Package.swift", "x"),
		"file at top":        zipOf(t, "Package.swift", "x"),
		"duplicate manifest": zipOf(t, "p/Package.swift", "x", "p/Package.swift", "y"),
	}
	for name, b := range bad {
		if _, err := check(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestCheckArchiveBomb: the entries are read, not trusted, and reading stops
// at the limit.
func TestCheckArchiveBomb(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("p/Package.swift")
	_, _ = w.Write([]byte("x"))
	w, _ = zw.Create("p/zeros")
	zero := make([]byte, 1<<20)
	for i := 0; i < 8; i++ {
		_, _ = w.Write(zero)
	}
	_ = zw.Close()
	lim := DefaultArchiveLimits()
	lim.MaxUnpacked = 4 << 20
	_, err := CheckArchive(bytes.NewReader(b.Bytes()), int64(b.Len()), lim)
	if err == nil || !strings.Contains(err.Error(), "unpacks to more than") {
		t.Fatalf("bomb: %v", err)
	}
	lim = DefaultArchiveLimits()
	lim.MaxEntries = 1
	if _, err := CheckArchive(bytes.NewReader(b.Bytes()), int64(b.Len()), lim); err == nil {
		t.Fatal("entry limit not enforced")
	}
}

func TestNames(t *testing.T) {
	for _, s := range []string{"mona", "Mona-1", "a"} {
		if !ValidScope(s) {
			t.Errorf("scope %q refused", s)
		}
	}
	for _, s := range []string{"", "-a", "a--b", "a_b", strings.Repeat("a", 40), "..", "a/b"} {
		if ValidScope(s) {
			t.Errorf("scope %q accepted", s)
		}
	}
	for _, s := range []string{"LinkedList", "linked_list", "a-b", "1a"} {
		if !ValidName(s) {
			t.Errorf("name %q refused", s)
		}
	}
	for _, s := range []string{"", "_a", "-a", "a.b", "..", strings.Repeat("a", 101)} {
		if ValidName(s) {
			t.Errorf("name %q accepted", s)
		}
	}
	for _, s := range []string{"1.0.0", "1.0.0-beta.1", "1.0.0+build.5", "10.20.30"} {
		if !ValidVersion(s) {
			t.Errorf("version %q refused", s)
		}
	}
	for _, s := range []string{"1.0", "v1.0.0", "01.0.0", "1.0.0-", "..", "1.0.0/../x", "latest"} {
		if ValidVersion(s) {
			t.Errorf("version %q accepted", s)
		}
	}
}

func TestCanonicalURL(t *testing.T) {
	want := "github.com/mona/linkedlist"
	for _, s := range []string{"https://github.com/mona/LinkedList", "https://github.com/mona/LinkedList.git", "git@github.com:mona/LinkedList.git", "ssh://git@github.com/mona/LinkedList.git", "https://github.com/mona/LinkedList/"} {
		if got := CanonicalURL(s); got != want {
			t.Errorf("CanonicalURL(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"", "LinkedList", "https://github.com/", "/mona/x"} {
		if got := CanonicalURL(s); got != "" {
			t.Errorf("CanonicalURL(%q) = %q, want none", s, got)
		}
	}
}

func TestParseMetadata(t *testing.T) {
	raw, urls, err := ParseMetadata([]byte(`{"description":"d","repositoryURLs":["https://github.com/mona/LinkedList"]}`))
	if err != nil || len(urls) != 1 || !strings.Contains(string(raw), `"description":"d"`) {
		t.Fatalf("%s %v %v", raw, urls, err)
	}
	for _, b := range []string{`[]`, `"x"`, `{"repositoryURLs":"x"}`, `{"repositoryURLs":["not a url"]}`, `{`, `{"repositoryURLs":["git@github.com:a\rb"]}`, `{"repositoryURLs":["https://github.com/a>; rel=x"]}`} {
		if _, _, err := ParseMetadata([]byte(b)); err == nil {
			t.Errorf("%s accepted", b)
		}
	}
	if _, _, err := ParseMetadata(bytes.Repeat([]byte(" "), MaxMetadataBytes+1)); err == nil {
		t.Error("oversized metadata accepted")
	}
}
