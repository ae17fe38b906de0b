package pypi

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseProject: any project page an upstream sends (PEP 691 JSON or PEP
// 503 HTML) is parsed or refused; every file accepted has an absolute URL
// without a fragment and, when it has one, a well-formed sha256.
func FuzzParseProject(f *testing.F) {
	f.Add([]byte(`{"meta":{"api-version":"1.0"},"name":"x","files":[{"filename":"x-1.0.tar.gz","url":"../../files/x-1.0.tar.gz","hashes":{"sha256":"`+strings.Repeat("a", 64)+`"},"yanked":"bad","requires-python":">=3"}]}`), "application/vnd.pypi.simple.v1+json")
	f.Add([]byte(`<html><body><a href="../../f/x-1.0-py3-none-any.whl#sha256=`+strings.Repeat("0", 64)+`" data-requires-python="&gt;=3.7" data-yanked="">x</a><a href='/y.whl'>y</a></body></html>`), "text/html")
	f.Add([]byte(`<a href=x-1.0.zip>x-1.0.zip</a>`), "")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		files, err := ParseProject(body, ct, "http://up.example/simple/x/")
		if err != nil {
			return
		}
		for _, fl := range files {
			u, err := url.Parse(fl.URL)
			if err != nil || u.Fragment != "" {
				t.Fatalf("file URL %q: %v", fl.URL, err)
			}
			if fl.SHA256 != "" && !sha256Re.MatchString(fl.SHA256) {
				t.Fatalf("sha256 %q", fl.SHA256)
			}
		}
		for _, mt := range []string{TypeJSON, TypeHTMLv1} {
			_ = RenderProject(mt, "x", files)
		}
	})
}

// FuzzParseCoreMetadata: METADATA / PKG-INFO from an upload never panics.
func FuzzParseCoreMetadata(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: s\n continued\n\nbody"))
	f.Add([]byte("Name:\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, v, err := ParseCoreMetadata(b)
		if err == nil && (n == "" || v == "") {
			t.Fatalf("accepted without name or version: %q %q", n, v)
		}
	})
}

// FuzzInspectDist: any bytes uploaded as a wheel or sdist are inspected
// without panicking or hanging, and refused unless they hold the metadata.
func FuzzInspectDist(f *testing.F) {
	f.Add(goWheel(f, "demo", "1.0"), uint8(0))
	f.Add(pyWheel(f, "demo", "1.0"), uint8(0))
	f.Add(sdist(f, "demo", "1.0"), uint8(1))
	f.Add([]byte("PK\x03\x04garbage"), uint8(0))
	names := []string{"demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz", "demo-1.0.zip", "demo-1.0.egg", "demo-1.0.tar.bz2", "demo-1.0.tar"}
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		_ = InspectDist(bytes.NewReader(b), names[int(which)%len(names)], "demo", "1.0")
	})
}

// FuzzParseFilename: a distribution file name that parses is one path segment
// and belongs to the project and version it parses to.
func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{"Wharf_Demo-1.0-py3-none-any.whl", "pkg-2.0.1-1-cp311-cp311-manylinux_2_17_x86_64.whl", "x-1.0.tar.gz", "x-1.0.egg", "../x-1.0.zip", "x-.tar.gz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fn string) {
		p, v, ok := ParseFilename(fn)
		if !ok {
			return
		}
		if strings.ContainsAny(fn, "/\\") || strings.Contains(fn, "..") || p == "" || v == "" {
			t.Fatalf("%q parsed as %q %q", fn, p, v)
		}
		if !FileMatches(fn, Normalize(p), v) {
			t.Fatalf("%q does not match its own parse %q %q", fn, p, v)
		}
	})
}

// FuzzSplitPath: the path under simple/ splits into segments that are never
// ".", ".." or hold a slash, however they were escaped.
func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"requests/", "requests/2.0/requests-2.0.tar.gz", "%2e%2e/x", "a%2fb/c", "a%5c..", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		segs, err := splitPath(rest)
		if err != nil {
			return
		}
		for _, s := range segs {
			if s == "." || s == ".." || strings.ContainsAny(s, "/\\") {
				t.Fatalf("%q gave segment %q", rest, s)
			}
		}
	})
}
