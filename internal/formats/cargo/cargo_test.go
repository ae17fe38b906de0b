package cargo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	for _, c := range []struct {
		name, path string
	}{{"a", "1/a"}, {"ab", "2/ab"}, {"Abc", "3/a/abc"}, {"Serde_JSON", "se/rd/serde_json"}} {
		if got := IndexPath(c.name); got != c.path {
			t.Errorf("IndexPath(%q) = %q, want %q", c.name, got, c.path)
		}
		if n, ok := ParseIndexPath(c.path); !ok || n != strings.ToLower(c.name) {
			t.Errorf("ParseIndexPath(%q) = %q %v", c.path, n, ok)
		}
	}
	for _, p := range []string{"se/rd/../x", "3/b/abc", "ab/cd/abxx", "1/..", "x", "2/a.", "se/rd/serde%2f"} {
		if n, ok := ParseIndexPath(p); ok {
			t.Errorf("ParseIndexPath(%q) accepted %q", p, n)
		}
	}
	for _, n := range []string{"", "1abc", "a/b", "..", "a.b", "a b", strings.Repeat("a", 65), "ä"} {
		if ValidName(n) {
			t.Errorf("ValidName(%q)", n)
		}
	}
	if Canonical("Foo-Bar") != Canonical("foo_bar") {
		t.Error("Foo-Bar and foo_bar must collide")
	}
	for _, v := range []string{"1.0", "01.0.0", "1.0.0/../x", "1.0.0-", "../1.0.0"} {
		if ValidVersion(v) {
			t.Errorf("ValidVersion(%q)", v)
		}
	}
	if !ValidVersion("1.2.3-rc.1+build.5") {
		t.Error("prerelease with build metadata refused")
	}
}

func TestDownloadURL(t *testing.T) {
	const ck = "abc"
	for _, c := range []struct{ dl, want string }{
		{"http://h/crates", "http://h/crates/Serde/1.0.0/download"},
		{"http://h/{crate}/{version}/download", "http://h/Serde/1.0.0/download"},
		{"http://h/{prefix}/{lowerprefix}/{crate}-{version}.crate?{sha256-checksum}", "http://h/Se/rd/se/rd/Serde-1.0.0.crate?abc"},
	} {
		if got := DownloadURL(c.dl, "Serde", "1.0.0", ck); got != c.want {
			t.Errorf("DownloadURL(%q) = %q, want %q", c.dl, got, c.want)
		}
	}
}

func TestIndexRoundTrip(t *testing.T) {
	pkg := "real-name"
	meta := PublishMeta{Name: "My_Crate", Vers: "1.0.0",
		Deps:     []PublishDep{{Name: "real-name", VersionReq: "^1", ExplicitNameInToml: strPtr("alias")}, {Name: "b", VersionReq: "=2.0.0", Kind: "dev"}},
		Features: map[string][]string{"default": {"x"}, "x": {"dep:b"}}}
	e := meta.Entry(strings.Repeat("a", 64))
	if e.Deps[0].Name != "alias" || e.Deps[0].Package == nil || *e.Deps[0].Package != pkg || e.Deps[1].Kind != "dev" {
		t.Fatalf("deps %+v", e.Deps)
	}
	if e.V != 2 || e.Features2["x"] == nil || e.Features["default"] == nil {
		t.Fatalf("features %+v %+v v=%d", e.Features, e.Features2, e.V)
	}
	body := RenderIndex([]Entry{e, {Name: "my_crate", Vers: "1.1.0", Cksum: strings.Repeat("b", 64), Yanked: true}})
	got, err := ParseIndex("MY_CRATE", body)
	if err != nil || len(got) != 2 || got[1].Yanked != true || got[0].Deps[0].Req != "^1" {
		t.Fatalf("ParseIndex: %v %+v\n%s", err, got, body)
	}
	if !strings.Contains(string(body), `"deps":[]`) || !strings.Contains(string(body), `"features":{}`) {
		t.Fatalf("empty deps/features must be present: %s", body)
	}
	for _, bad := range []string{
		`{"name":"other","vers":"1.0.0","cksum":"` + strings.Repeat("a", 64) + `"}`,
		`{"name":"my_crate","vers":"../1","cksum":"` + strings.Repeat("a", 64) + `"}`,
		`{"name":"my_crate","vers":"1.0.0","cksum":"zz"}`,
		`{"name":"my_crate","vers":"1.0.0","cksum":"` + strings.Repeat("a", 64) + `"`,
	} {
		if _, err := ParseIndex("my_crate", []byte(bad)); err == nil {
			t.Errorf("ParseIndex accepted %s", bad)
		}
	}
}

func strPtr(s string) *string { return &s }

// crateFile builds a .crate with the given entries (name → body; a name ending
// in "/" is a directory; typeflags may be forced with the "link:" prefix).
func crateFile(t testing.TB, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e[0], Mode: 0o644, Size: int64(len(e[1])), Typeflag: tar.TypeReg}
		if strings.HasPrefix(e[0], "link:") {
			h = &tar.Header{Name: strings.TrimPrefix(e[0], "link:"), Linkname: e[1], Typeflag: tar.TypeSymlink, Mode: 0o777}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			_, _ = tw.Write([]byte(e[1]))
		}
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

func TestCheckCrate(t *testing.T) {
	lim := DefaultCrateLimits()
	good := crateFile(t, [2]string{"demo-1.0.0/Cargo.toml", "[package]\nname=\"demo\"\n"}, [2]string{"demo-1.0.0/src/lib.rs", "pub fn f() {}\n"})
	if err := CheckCrate(bytes.NewReader(good), "demo", "1.0.0", lim); err != nil {
		t.Fatalf("good crate: %v", err)
	}
	bomb := func() []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		_ = tw.WriteHeader(&tar.Header{Name: "demo-1.0.0/Cargo.toml", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte("x"))
		_ = tw.WriteHeader(&tar.Header{Name: "demo-1.0.0/zeros", Mode: 0o644, Size: 64 << 20, Typeflag: tar.TypeReg})
		_, _ = io.CopyN(tw, zeroReader{}, 64<<20)
		_ = tw.Close()
		_ = zw.Close()
		return buf.Bytes()
	}()
	for name, c := range map[string]struct {
		body []byte
		want string
	}{
		"not gzip":    {[]byte("PK\x03\x04 a zip, not a crate"), "not a gzip"},
		"no manifest": {crateFile(t, [2]string{"demo-1.0.0/src/lib.rs", ""}), "no demo-1.0.0/Cargo.toml"},
		"other crate": {crateFile(t, [2]string{"evil-1.0.0/Cargo.toml", ""}), "not under demo-1.0.0/"},
		"traversal":   {crateFile(t, [2]string{"demo-1.0.0/Cargo.toml", ""}, [2]string{"demo-1.0.0/../../etc/passwd", "x"}), "climbs out"},
		"absolute":    {crateFile(t, [2]string{"/demo-1.0.0/Cargo.toml", ""}), "not a relative path"},
		"symlink":     {crateFile(t, [2]string{"demo-1.0.0/Cargo.toml", ""}, [2]string{"link:demo-1.0.0/x", "/etc/passwd"}), "not a regular file"},
		"bomb":        {bomb, "unpacks to more than"},
		"truncated":   {good[:len(good)/2], "cut short"},
	} {
		l := lim
		if name == "bomb" {
			l.MaxUnpacked = 16 << 20
		}
		err := CheckCrate(bytes.NewReader(c.body), "demo", "1.0.0", l)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			if name == "truncated" && err != nil {
				continue // a cut gzip may fail in the gzip or the tar layer
			}
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestReadPublish(t *testing.T) {
	meta := `{"name":"demo","vers":"1.0.0","deps":[]}`
	body := EncodePublish([]byte(meta), []byte("CRATE"))
	m, cr, n, err := ReadPublish(bytes.NewReader(body), 1<<20, 1<<20)
	if err != nil || m.Name != "demo" || n != 5 {
		t.Fatalf("%+v %d %v", m, n, err)
	}
	b, _ := io.ReadAll(cr)
	if string(b) != "CRATE" {
		t.Fatalf("crate %q", b)
	}
	if _, _, _, err := ReadPublish(bytes.NewReader(body[:10]), 1<<20, 1<<20); !errors.Is(err, ErrBodyTruncated) {
		t.Fatalf("truncated: %v", err)
	}
	if _, _, _, err := ReadPublish(bytes.NewReader(body), 8, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("json limit: %v", err)
	}
	if _, _, _, err := ReadPublish(bytes.NewReader(body), 1<<20, 4); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("crate limit: %v", err)
	}
	for _, bad := range []string{`{"name":"../x","vers":"1.0.0"}`, `{"name":"demo","vers":"1.0.0/.."}`, `{"name":"demo","vers":"1.0.0","deps":[{"name":"a/b"}]}`, `not json`} {
		if _, _, _, err := ReadPublish(bytes.NewReader(EncodePublish([]byte(bad), []byte("x"))), 1<<20, 1<<20); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestReadPublishManyValues: a JSON part within the byte limit but made of
// more values than MaxMetaTokens is refused as too large before it is
// decoded; the largest metadata Validate accepts (1,000 dependencies, 1,000
// features) is under the bound, and brackets, commas and escaped quotes
// inside strings do not count.
func TestReadPublishManyValues(t *testing.T) {
	many := `{"name":"demo","vers":"1.0.0","deps":[` + strings.Repeat(`{},`, MaxMetaTokens/2) + `{}]}`
	if _, _, _, err := ReadPublish(bytes.NewReader(EncodePublish([]byte(many), []byte("x"))), 8<<20, 1<<20); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "JSON values") {
		t.Fatalf("many empty deps: %v", err)
	}

	var deps, features []string
	for i := range 1000 {
		deps = append(deps, fmt.Sprintf(`{"name":"dep%d","version_req":"^1.0","features":["a","b"],"optional":true,"default_features":true,"target":null,"kind":"normal","registry":null,"explicit_name_in_toml":null}`, i))
		features = append(features, fmt.Sprintf(`"f%d":["dep%d/a","dep%d/b","dep:dep%d"]`, i, i, i, i))
	}
	readme := strings.Repeat(`[{,:\"`, MaxMetaTokens)
	big := `{"name":"demo","vers":"1.0.0","deps":[` + strings.Join(deps, ",") + `],"features":{` + strings.Join(features, ",") + `},"readme":"` + readme + `"}`
	m, _, _, err := ReadPublish(bytes.NewReader(EncodePublish([]byte(big), []byte("x"))), 8<<20, 1<<20)
	if err != nil || len(m.Deps) != 1000 || len(m.Features) != 1000 || *m.Readme != strings.ReplaceAll(readme, `\"`, `"`) {
		t.Fatalf("largest valid metadata: %v (%d deps)", err, len(m.Deps))
	}
}
