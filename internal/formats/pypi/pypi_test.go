package pypi

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"Foo_Bar": "foo-bar", "foo.bar": "foo-bar", "FOO--_.bar": "foo-bar", "requests": "requests"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFilename(t *testing.T) {
	cases := []struct{ fn, project, version string }{
		{"Wharf_Demo-1.0-py3-none-any.whl", "Wharf_Demo", "1.0"},
		{"pkg-2.0.1-1-cp311-cp311-manylinux_2_17_x86_64.whl", "pkg", "2.0.1"},
		{"foo-bar-1.0rc1.tar.gz", "foo-bar", "1.0rc1"},
		{"foo-1.0.zip", "foo", "1.0"},
	}
	for _, c := range cases {
		p, v, ok := ParseFilename(c.fn)
		if !ok || p != c.project || v != c.version {
			t.Errorf("ParseFilename(%q) = %q %q %v", c.fn, p, v, ok)
		}
	}
	for _, bad := range []string{"../foo-1.0.tar.gz", "foo-1.0.exe", "foo.whl", "foo-.tar.gz", "a/b-1.0.tar.gz", "x-1-2.whl"} {
		if _, _, ok := ParseFilename(bad); ok {
			t.Errorf("ParseFilename(%q) accepted", bad)
		}
	}
	if !FileMatches("Foo.Bar-1.0.tar.gz", "foo-bar", "1.0") || FileMatches("foo-1.0.tar.gz", "foo", "1.1") {
		t.Error("FileMatches")
	}
}

func TestNegotiate(t *testing.T) {
	cases := map[string]string{
		"":          TypeHTML,
		"*/*":       TypeHTML,
		"text/html": TypeHTML,
		"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01": TypeJSON,
		"application/vnd.pypi.simple.v1+json;q=0.2, text/html":                                               TypeHTML,
		"application/vnd.pypi.simple.latest+json":                                                            TypeJSON,
		"application/vnd.pypi.simple.v1+html":                                                                TypeHTMLv1,
	}
	for accept, want := range cases {
		if got := Negotiate(accept); got != want {
			t.Errorf("Negotiate(%q) = %q, want %q", accept, got, want)
		}
	}
}

func TestRenderAndParseRoundTrip(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	files := []File{{Filename: "foo-1.0.tar.gz", URL: "http://h/simple/foo/1.0/foo-1.0.tar.gz", SHA256: sum, RequiresPython: ">=3.8"}}
	for _, mt := range []string{TypeHTML, TypeJSON} {
		body := RenderProject(mt, "foo", files)
		if mt == TypeHTML && !strings.Contains(string(body), `href="http://h/simple/foo/1.0/foo-1.0.tar.gz#sha256=`+sum+`" data-requires-python="&gt;=3.8"`) {
			t.Fatalf("HTML:\n%s", body)
		}
		got, err := ParseProject(body, mt, "http://h/simple/foo/")
		if err != nil || len(got) != 1 || got[0] != files[0] {
			t.Fatalf("%s round trip: %+v %v", mt, got, err)
		}
	}
}

func TestParseProjectRelativeAndMalformed(t *testing.T) {
	page := `<html><body><a href="../../files/foo-1.0-py3-none-any.whl#sha256=` + strings.Repeat("0", 64) + `" data-yanked="">foo</a></body></html>`
	got, err := ParseProject([]byte(page), "text/html", "http://up/simple/foo/")
	if err != nil || len(got) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	if got[0].URL != "http://up/files/foo-1.0-py3-none-any.whl" || got[0].Filename != "foo-1.0-py3-none-any.whl" || !got[0].Yanked {
		t.Fatalf("%+v", got[0])
	}
	if _, err := ParseProject([]byte(`{"files": [`), "application/vnd.pypi.simple.v1+json", "http://up/"); err == nil {
		t.Fatal("malformed JSON accepted")
	}
	if _, err := ParseProject([]byte(`just text`), "text/plain", "http://up/"); err == nil {
		t.Fatal("non-HTML accepted")
	}
}

func TestDependencies(t *testing.T) {
	for _, c := range []struct{ line, pkg, req string }{
		{"six", "six", ""},
		{"Requests (>=2.0); extra == 'x'", "requests", ">=2.0; extra == 'x'"},
		{`requests[socks,security] >= 2.0 , < 3 ; python_version < "3.8" and extra == "net"`, "requests", `>=2.0,<3; python_version < "3.8" and extra == "net"`},
		{`pywin32;sys_platform=="win32"`, "pywin32", `; sys_platform=="win32"`},
		{`zope.interface>=5`, "zope-interface", ">=5"},
		{`importlib_metadata; python_version < "3.8"`, "importlib-metadata", `; python_version < "3.8"`},
		{`odd; platform_release == "5;1"`, "odd", `; platform_release == "5;1"`},
		{`pip @ https://example.com/pip.whl?a=1;b=2 ; python_version >= "3"`, "pip", `https://example.com/pip.whl?a=1;b=2; python_version >= "3"`},
		{`Foo_Bar.baz-[x]==1.0`, "foo-bar-baz", "==1.0"},
	} {
		deps := Dependencies([]string{c.line})
		if len(deps) != 1 || deps[0].Package != c.pkg || deps[0].VersionReq != c.req || deps[0].DependencyType != "Requires-Dist" {
			t.Errorf("%s: %+v; want package %q, requirement %q", c.line, deps, c.pkg, c.req)
		}
	}
	for _, bad := range []string{"", "  ", "; extra == 'x'", "[x]>=1", "name[unclosed >=1"} {
		if deps := Dependencies([]string{bad}); len(deps) != 0 {
			t.Errorf("%q: %+v; want skipped", bad, deps)
		}
	}
}
