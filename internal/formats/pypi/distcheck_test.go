package pypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func metadata(name, version string) string {
	return "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nSummary: x\n\nlong description\n"
}

// goWheel is a wheel as Go's zip writer makes it: deflate with data descriptors.
func goWheel(t testing.TB, name, version string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ n, b string }{
		{"mod/__init__.py", strings.Repeat("x = 1\n", 5000)},
		{strings.ReplaceAll(name, "-", "_") + "-" + version + ".dist-info/METADATA", metadata(name, version)},
	} {
		w, _ := zw.Create(f.n)
		_, _ = w.Write([]byte(f.b))
	}
	_ = zw.Close()
	return buf.Bytes()
}

// pyWheel is a wheel as Python's zipfile makes it: sizes in the local headers,
// stored entries.
func pyWheel(t testing.TB, name, version string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ n, b string }{
		{"mod/__init__.py", "x = 1\n"},
		{name + "-" + version + ".dist-info/METADATA", metadata(name, version)},
	} {
		h := &zip.FileHeader{Name: f.n, Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte(f.b)),
			CompressedSize64: uint64(len(f.b)), UncompressedSize64: uint64(len(f.b))}
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(f.b))
	}
	_ = zw.Close()
	return buf.Bytes()
}

func sdist(t testing.TB, name, version string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ n, b string }{
		{name + "-" + version + "/setup.py", "from setuptools import setup\n"},
		{name + "-" + version + "/PKG-INFO", metadata(name, version)},
	} {
		_ = tw.WriteHeader(&tar.Header{Name: f.n, Mode: 0o644, Size: int64(len(f.b)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(f.b))
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func TestInspectDist(t *testing.T) {
	good := []struct {
		file string
		b    []byte
	}{
		{"demo_pkg-1.0-py3-none-any.whl", goWheel(t, "Demo-Pkg", "1.0")},
		{"demo_pkg-1.0-py3-none-any.whl", pyWheel(t, "demo_pkg", "1.0")},
		{"demo-pkg-1.0.tar.gz", sdist(t, "demo-pkg", "1.0")},
	}
	for _, g := range good {
		if err := InspectDist(bytes.NewReader(g.b), g.file, "demo-pkg", "1.0"); err != nil {
			t.Errorf("%s: %v", g.file, err)
		}
		// One byte at a time: nothing depends on how reads are cut.
		if err := InspectDist(iotest.OneByteReader(bytes.NewReader(g.b)), g.file, "demo-pkg", "1.0"); err != nil {
			t.Errorf("%s, byte by byte: %v", g.file, err)
		}
	}
	w := goWheel(t, "demo-pkg", "1.0")
	bad := []struct {
		what, file string
		b          []byte
	}{
		{"arbitrary bytes", "demo_pkg-1.0-py3-none-any.whl", []byte("not a wheel at all")},
		{"empty", "demo_pkg-1.0-py3-none-any.whl", nil},
		{"truncated", "demo_pkg-1.0-py3-none-any.whl", w[:len(w)/3]},
		{"another project", "demo_pkg-1.0-py3-none-any.whl", goWheel(t, "other", "1.0")},
		{"another version", "demo_pkg-1.0-py3-none-any.whl", pyWheel(t, "demo_pkg", "2.0")},
		{"sdist of another version", "demo-pkg-1.0.tar.gz", sdist(t, "demo-pkg", "1.1")},
		{"wheel named as sdist", "demo-pkg-1.0.tar.gz", w},
		{"no metadata", "demo-pkg-1.0.zip", pyWheel(t, "demo_pkg", "1.0")},
	}
	for _, b := range bad {
		if err := InspectDist(bytes.NewReader(b.b), b.file, "demo-pkg", "1.0"); !errors.Is(err, errNotDist) {
			t.Errorf("%s: %v, want a refusal", b.what, err)
		}
	}
}

// TestDistCheckerFailsTheLastRead: the verdict is the error of the read that
// would have returned io.EOF, so a blob Put reading through it stores nothing.
func TestDistCheckerFailsTheLastRead(t *testing.T) {
	dc := newDistChecker(bytes.NewReader([]byte("garbage")), "demo_pkg-1.0-py3-none-any.whl", "demo-pkg", "1.0")
	defer dc.Close()
	if _, err := io.ReadAll(dc); !errors.Is(err, errNotDist) {
		t.Fatalf("err = %v", err)
	}
	w := goWheel(t, "demo-pkg", "1.0")
	dc = newDistChecker(bytes.NewReader(w), "demo_pkg-1.0-py3-none-any.whl", "demo-pkg", "1.0")
	defer dc.Close()
	if b, err := io.ReadAll(dc); err != nil || !bytes.Equal(b, w) {
		t.Fatalf("good wheel: %d bytes, %v", len(b), err)
	}
}

func TestValidPage(t *testing.T) {
	for _, ok := range []struct{ ct, body string }{
		{"application/vnd.pypi.simple.v1+json", `{"files":[]}`},
		{"text/html", "\xef\xbb\xbf\n<!DOCTYPE html><html></html>"},
		{"text/html", ""},
		{"", `  {"files":[]}`},
	} {
		if err := validPage(ok.ct, []byte(ok.body)); err != nil {
			t.Errorf("%q %q: %v", ok.ct, ok.body, err)
		}
	}
	for _, bad := range []struct{ ct, body string }{
		{"application/vnd.pypi.simple.v1+json", `{"files":[`},
		{"text/html", "\x00\x01garbage"},
		{"", `{"files":`},
	} {
		if err := validPage(bad.ct, []byte(bad.body)); err == nil {
			t.Errorf("%q %q accepted", bad.ct, bad.body)
		}
	}
}
