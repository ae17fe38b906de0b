package rubygems

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/wharf-demo-1.2.0.gem is `gem build` output (RubyGems 3.3.15).
func realGem(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/wharf-demo-1.2.0.gem")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadGem(t *testing.T) {
	s, err := ReadGemBytes(realGem(t), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "wharf-demo" || s.Version != "1.2.0" || s.Platform != "ruby" || len(s.Deps) != 2 ||
		s.Deps[1].Name != "rake" || strings.Join(s.Deps[1].Reqs, "&") != ">= 1.0&< 99" || s.Deps[0].Type != "development" ||
		strings.Join(s.RequiredRuby, "") != ">= 2.5" || s.RequiredRubygems != nil || s.Licenses[0] != "MIT" {
		t.Fatalf("%+v", s)
	}
	s.SHA256 = strings.Repeat("a", 64)
	info := string(RenderInfo([]InfoEntry{s.Entry()}))
	if want := "---\n1.2.0 rake:>= 1.0&< 99|checksum:" + s.SHA256 + ",ruby:>= 2.5\n"; info != want {
		t.Fatalf("info %q, want %q", info, want)
	}
	es, err := ParseInfo([]byte(info))
	if err != nil || len(es) != 1 || es[0].Deps[0].Reqs[1] != "< 99" {
		t.Fatalf("ParseInfo: %v %+v", err, es)
	}
}

// gemWith builds a .gem from the real one's metadata with other entries.
func gemWith(t testing.TB, entries map[string][]byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"metadata.gz", "data.tar.gz", "checksums.yaml.gz", "extra"} {
		b, ok := entries[name]
		if !ok {
			continue
		}
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o444, Size: int64(len(b)), Typeflag: tar.TypeReg})
		_, _ = tw.Write(b)
	}
	_ = tw.Close()
	return buf.Bytes()
}

func entry(t testing.TB, gem []byte, name string) []byte {
	tr := tar.NewReader(bytes.NewReader(gem))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in gem", name)
		}
		if h.Name == name {
			b, _ := io.ReadAll(tr)
			return b
		}
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func dataTar(files map[string]string, link string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, body := range files {
		_ = tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(body))
	}
	if link != "" {
		_ = tw.WriteHeader(&tar.Header{Name: "lib/link", Linkname: link, Typeflag: tar.TypeSymlink})
	}
	_ = tw.Close()
	return gz(buf.Bytes())
}

func TestReadGemRefuses(t *testing.T) {
	g := realGem(t)
	meta := entry(t, g, "metadata.gz")
	lim := DefaultLimits()
	metaYAML, _ := io.ReadAll(must(gzip.NewReader(bytes.NewReader(meta))))
	bombData := func() []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		_ = tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: 32 << 20, Typeflag: tar.TypeReg})
		_, _ = tw.Write(make([]byte, 32<<20))
		_ = tw.Close()
		_ = zw.Close()
		return buf.Bytes()
	}()
	for name, c := range map[string]struct {
		gem  []byte
		want string
	}{
		"not a tar":         {[]byte("PK\x03\x04 a zip"), "not a tar"},
		"no data":           {gemWith(t, map[string][]byte{"metadata.gz": meta}), "no data.tar.gz"},
		"traversal in data": {gemWith(t, map[string][]byte{"metadata.gz": meta, "data.tar.gz": dataTar(map[string]string{"../../etc/passwd": "x"}, "")}), "climbs out"},
		"absolute in data":  {gemWith(t, map[string][]byte{"metadata.gz": meta, "data.tar.gz": dataTar(map[string]string{"/etc/passwd": "x"}, "")}), "not a relative path"},
		"link outside":      {gemWith(t, map[string][]byte{"metadata.gz": meta, "data.tar.gz": dataTar(nil, "../../../etc/passwd")}), "points outside"},
		"data bomb":         {gemWith(t, map[string][]byte{"metadata.gz": meta, "data.tar.gz": bombData}), "unpacks to more than"},
		"metadata bomb":     {gemWith(t, map[string][]byte{"metadata.gz": gz(append(metaYAML, make([]byte, 8<<20)...)), "data.tar.gz": dataTar(nil, "")}), "larger than"},
		"unexpected entry":  {gemWith(t, map[string][]byte{"metadata.gz": meta, "data.tar.gz": dataTar(nil, ""), "extra": []byte("x")}), "unexpected gem entry"},
		"checksum mismatch": {gemWith(t, map[string][]byte{"metadata.gz": meta, "data.tar.gz": dataTar(nil, ""), "checksums.yaml.gz": entry(t, g, "checksums.yaml.gz")}), "checksums.yaml.gz says"},
		"name traversal":    {gemWith(t, map[string][]byte{"metadata.gz": gz(bytes.Replace(metaYAML, []byte("name: wharf-demo"), []byte("name: ../../x"), 1)), "data.tar.gz": dataTar(nil, "")}), "invalid gem name"},
		"version traversal": {gemWith(t, map[string][]byte{"metadata.gz": gz(bytes.Replace(metaYAML, []byte("version: 1.2.0"), []byte("version: 1.2.0/../x"), 1)), "data.tar.gz": dataTar(nil, "")}), "invalid version"},
		"not yaml":          {gemWith(t, map[string][]byte{"metadata.gz": gz([]byte("{{{")), "data.tar.gz": dataTar(nil, "")}), "not a gemspec"},
		"truncated":         {g[:len(g)/3], ""},
	} {
		l := lim
		l.MaxUnpacked = 16 << 20
		_, err := ReadGemBytes(c.gem, l)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestNames(t *testing.T) {
	for _, n := range []string{"", "..", ".hidden", "a/b", "a b", "-_."} {
		if ValidName(n) {
			t.Errorf("ValidName(%q)", n)
		}
	}
	if Canonical("Foo_Bar") != Canonical("foo-bar") {
		t.Error("Foo_Bar and foo-bar must collide")
	}
	for fv, ok := range map[string]bool{"1.0.0": true, "1.0.0-java": true, "1.2.3-x86_64-linux": true, "1.0/../x": false, "1.0.0-../x": false, "": false} {
		if ValidFullVersion(fv) != ok {
			t.Errorf("ValidFullVersion(%q) != %v", fv, ok)
		}
	}
	if v, ok := ParseGemFile("a-b", "a-b-1.0.0-java.gem"); !ok || v != "1.0.0-java" {
		t.Errorf("ParseGemFile: %q %v", v, ok)
	}
}

// TestMarshalLoadsInRuby: the dependency API's answer and the quick gemspec
// load in the real Ruby (skipped only where Ruby is not installed, which
// scripts/install-deps.sh installs).
func TestMarshalLoadsInRuby(t *testing.T) {
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		t.Fatal("ruby is not installed (scripts/install-deps.sh installs it)")
	}
	s, err := ReadGemBytes(realGem(t), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rz := GemspecRZ(s)
	zr, _ := zlib.NewReader(bytes.NewReader(rz))
	spec, _ := io.ReadAll(zr)
	_ = os.WriteFile(filepath.Join(dir, "spec"), spec, 0o644)
	specs, _ := io.ReadAll(must(gzip.NewReader(bytes.NewReader(SpecsIndex(Latest([]Tuple{{"a", "1.10.0", "ruby"}, {"a", "1.9.0", "ruby"}, {"a", "2.0.0.rc1", "ruby"}, {"b", "0.1", "java"}}))))))
	_ = os.WriteFile(filepath.Join(dir, "specs"), specs, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "deps"), DependencyAPI([]Spec{s, {Name: "x", Version: "2.0", Platform: "java"}}), 0o644)
	script := `
require "rubygems"
s = Marshal.load(File.binread(ARGV[0] + "/spec"))
raise "spec #{s.inspect}" unless s.name == "wharf-demo" && s.version.to_s == "1.2.0" && s.platform == "ruby"
raise "deps #{s.dependencies.inspect}" unless s.runtime_dependencies.map(&:to_s) == ["rake (>= 1.0, < 99)"] && s.development_dependencies.size == 1
raise "ruby #{s.required_ruby_version}" unless s.required_ruby_version.to_s == ">= 2.5"
# licenses: RubyGems' own _load drops them (it sets @license from the dumped list)
d = Marshal.load(File.binread(ARGV[0] + "/deps"))
raise "dependency api #{d.inspect}" unless d == [{name: "wharf-demo", number: "1.2.0", platform: "ruby", dependencies: [["rake", ">= 1.0, < 99"]]}, {name: "x", number: "2.0", platform: "java", dependencies: []}]
l = Marshal.load(File.binread(ARGV[0] + "/specs"))
raise "specs #{l.inspect}" unless l == [["a", Gem::Version.new("1.10.0"), "ruby"], ["b", Gem::Version.new("0.1"), "java"]]
puts "ok"
`
	out, err := exec.Command(ruby, "-e", script, dir).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("ruby: %v\n%s", err, out)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"1.10", "1.9", 1}, {"1.0", "1.0.0", 0}, {"2.0.0.rc1", "2.0.0", -1}, {"2.0.0.rc1", "1.9", 1}, {"1.0.a", "1.0.b", -1}} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestSplitFile(t *testing.T) {
	got := splitFile("foo-1-1.0.0")
	if len(got) != 2 || got[0] != [2]string{"foo-1", "1.0.0"} || got[1] != [2]string{"foo", "1-1.0.0"} {
		t.Fatalf("%v", got)
	}
	if got := splitFile("nokogiri-1.16.0-x86_64-linux"); len(got) != 1 || got[0] != [2]string{"nokogiri", "1.16.0-x86_64-linux"} {
		t.Fatalf("%v", got)
	}
	if got := splitFile(strings.Repeat("a-1", 100)); len(got) > maxSplits {
		t.Fatalf("%d readings of a crafted name", len(got))
	}
}

// emptyGzip is a gzip stream of empty stored deflate blocks: about 5 bytes
// a block on the wire, nothing once inflated.
func emptyGzip(blocks int) []byte {
	b := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	b = append(b, bytes.Repeat([]byte{0, 0, 0, 0xff, 0xff}, blocks)...)
	return append(b, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
}

// TestGemMetadataCompressedBound: a metadata.gz or checksums.yaml.gz is
// refused by its own size, not only by what it inflates to, so one that
// inflates to nothing cannot be sent (and held by push) up to the whole
// upload limit; a stored (uncompressed) one at the limit is still read.
func TestGemMetadataCompressedBound(t *testing.T) {
	g := realGem(t)
	metaYAML, _ := io.ReadAll(must(gzip.NewReader(bytes.NewReader(entry(t, g, "metadata.gz")))))
	lim := DefaultLimits()
	lim.MaxMetadata = int64(len(metaYAML))
	empty := emptyGzip(int(maxGzipped(lim.MaxMetadata)/5) + 1)
	if _, err := gzip.NewReader(bytes.NewReader(empty)); err != nil {
		t.Fatal(err)
	}
	data := dataTar(nil, "")
	for name, gem := range map[string][]byte{
		"metadata.gz":       gemWith(t, map[string][]byte{"metadata.gz": empty, "data.tar.gz": data}),
		"checksums.yaml.gz": gemWith(t, map[string][]byte{"metadata.gz": gz(metaYAML), "data.tar.gz": data, "checksums.yaml.gz": empty}),
	} {
		if _, err := ReadGemBytes(gem, lim); err == nil || !strings.Contains(err.Error(), name+": ") || !strings.Contains(err.Error(), "bytes compressed") {
			t.Errorf("ReadGem, %s inflating to nothing: %v", name, err)
		}
	}
	if _, err := readHead(bytes.NewReader(gemWith(t, map[string][]byte{"metadata.gz": empty, "data.tar.gz": data})), lim); err == nil || !strings.Contains(err.Error(), "bytes compressed") {
		t.Errorf("readHead, metadata.gz inflating to nothing: %v", err)
	}

	var stored bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&stored, gzip.NoCompression)
	_, _ = zw.Write(metaYAML)
	_ = zw.Close()
	gem := gemWith(t, map[string][]byte{"metadata.gz": stored.Bytes(), "data.tar.gz": data})
	if s, err := readHead(bytes.NewReader(gem), lim); err != nil || s.Name != "wharf-demo" {
		t.Errorf("readHead, stored metadata.gz at the limit: %v %+v", err, s)
	}
	if s, err := ReadGemBytes(gem, lim); err != nil || s.Name != "wharf-demo" {
		t.Errorf("ReadGem, stored metadata.gz at the limit: %v %+v", err, s)
	}
}
