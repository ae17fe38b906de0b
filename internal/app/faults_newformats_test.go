package app_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	cargofmt "github.com/wharf-dev/wharf/internal/formats/cargo"
	"github.com/wharf-dev/wharf/internal/upstream/upstreamtest"
)

// Issue 8 asks the fault-injection tests of npm, PyPI and Maven for the
// formats added after them too: Cargo (public:crates-io), RubyGems
// (public:ruby-gems-org) and NuGet (public:nuget-org), each pointed at the
// same misbehaving upstream. Swift has no external connection in
// CodeArtifact, so no upstream bytes to verify.
var newFormatConns = []faultConn{
	{"public:crates-io", "cargo-store", types.PackageFormatCargo, "/index/"},
	{"public:ruby-gems-org", "ruby-store", types.PackageFormatRuby, "/"},
	{"public:nuget-org", "nuget-store", types.PackageFormatNuget, "/v3/index.json"},
}

// setNewFormatUpstream serves on up the documents the three connections read:
// cargo's config.json (dl on the upstream itself) and a crate's index file,
// a compact-index info file, a NuGet v3 service index, flat container index
// and registration leaf. The package files are crate, gem and nupkg.
func setNewFormatUpstream(up *upstreamtest.Server, name string, crate, gem, nupkg []byte) {
	up.Set("/index/config.json", "application/json", []byte(fmt.Sprintf(`{"dl":"%s/files/{crate}/{version}/download"}`, up.URL)))
	idx := cargofmt.RenderIndex([]cargofmt.Entry{{Name: name, Vers: "1.0.0", Cksum: sha(crate), Deps: []cargofmt.Dep{}, Features: map[string][]string{}}})
	up.Set("/index/"+cargofmt.IndexPath(name), "text/plain", idx)
	up.Set("/files/"+name+"/1.0.0/download", "", crate)

	up.Set("/info/"+name, "text/plain", []byte("---\n1.0.0 |checksum:"+sha(gem)+"\n"))
	up.Set("/gems/"+name+"-1.0.0.gem", "", gem)

	up.Set("/v3/index.json", "application/json", []byte(`{"version":"3.0.0","resources":[
{"@id":"`+up.URL+`/v3-flatcontainer/","@type":"PackageBaseAddress/3.0.0"},
{"@id":"`+up.URL+`/v3/registration/","@type":"RegistrationsBaseUrl/3.6.0"}]}`))
	up.Set("/v3-flatcontainer/"+name+"/index.json", "application/json", []byte(`{"versions":["1.0.0"]}`))
	up.Set("/v3-flatcontainer/"+name+"/1.0.0/"+name+".1.0.0.nupkg", "", nupkg)
	h := sha512.Sum512(nupkg)
	leaf, _ := json.Marshal(map[string]any{"catalogEntry": map[string]any{"id": name, "version": "1.0.0",
		"packageHash": base64.StdEncoding.EncodeToString(h[:]), "packageHashAlgorithm": "SHA512"}})
	up.Set("/v3/registration/"+name+"/1.0.0.json", "application/json", leaf)
}

// testNupkg is a package as dotnet pack lays it out, with a payload of random
// bytes (deflate cannot shrink them) so that it spans several envelope chunks.
func testNupkg(t *testing.T, id, version string, payload []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	// Deflated entries: wharf reads a package as a stream, and a stored entry
	// followed by a data descriptor (what zip.Writer writes) cannot be.
	add := func(name string, body []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(body)
	}
	add("_rels/.rels", []byte(`<?xml version="1.0"?><Relationships/>`))
	add(id+".nuspec", []byte(`<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata><id>`+id+`</id><version>`+version+`</version><authors>wharf</authors><description>fault test</description></metadata>
</package>`))
	add("lib/net8.0/"+id+".dll", payload)
	add("[Content_Types].xml", []byte(`<?xml version="1.0"?><Types/>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestNewFormatUpstreamFaultsStoreNothing is TestUpstreamFaultsStoreNothing
// for Cargo, RubyGems and NuGet: every fault of upstreamtest on the package
// file answers 502 (504 for the stalls) with a message, keeps no blob and no
// version, and the next good answer is stored and served — and still served
// once the upstream fails again.
func TestNewFormatUpstreamFaultsStoreNothing(t *testing.T) {
	e := newFaultEnvFor(t, newFormatConns)
	const name = "fpkg"
	crate, gem := randomBytes(11, 300<<10), randomBytes(12, 300<<10)
	nupkg := testNupkg(t, name, "1.0.0", randomBytes(13, 300<<10))
	setNewFormatUpstream(e.up, name, crate, gem, nupkg)

	cases := []struct {
		payload  []byte
		format   types.PackageFormat
		upPath   string
		wharfGet string
	}{
		{crate, types.PackageFormatCargo, "/files/" + name + "/1.0.0/download", "api/v1/crates/" + name + "/1.0.0/download"},
		{gem, types.PackageFormatRuby, "/gems/" + name + "-1.0.0.gem", "gems/" + name + "-1.0.0.gem"},
		{nupkg, types.PackageFormatNuget, "/v3-flatcontainer/" + name + "/1.0.0/" + name + ".1.0.0.nupkg", "v3/package/" + name + "/1.0.0/" + name + ".1.0.0.nupkg"},
	}
	for _, c := range cases {
		t.Run(string(c.format), func(t *testing.T) {
			blobs := e.blobFiles()
			for _, fault := range upstreamtest.Faults {
				e.up.Fail(c.upPath, fault)
				status, body := e.via(fault).get(c.format, c.wharfGet)
				if status != wantStatus(fault) || len(body) == 0 {
					t.Errorf("%s: status %d (%q), want %d with a message", fault, status, body, wantStatus(fault))
				}
				if n := e.blobFiles(); n != blobs {
					t.Fatalf("%s: %d files in the blob directory, want %d", fault, n, blobs)
				}
				if n := e.versions(c.format, "", name); n != 0 {
					t.Fatalf("%s: %d versions stored, want none", fault, n)
				}
			}
			e.up.Fail(c.upPath, upstreamtest.Good)
			status, body := e.get(c.format, c.wharfGet)
			if status != http.StatusOK || !bytes.Equal(body, c.payload) {
				t.Fatalf("after the faults: status %d, %d bytes (want %d): %.200q", status, len(body), len(c.payload), body)
			}
			if e.blobFiles() != blobs+1 || e.versions(c.format, "", name) == 0 {
				t.Fatalf("the good download was not kept: %d blobs (want %d), %d versions", e.blobFiles(), blobs+1, e.versions(c.format, "", name))
			}
			e.up.Fail(c.upPath, upstreamtest.Status500)
			if status, body := e.get(c.format, c.wharfGet); status != http.StatusOK || !bytes.Equal(body, c.payload) {
				t.Fatalf("stored copy: status %d", status)
			}
		})
	}
}

// TestNewFormatUpstreamMetadataFaultsCacheNothing: the same faults on the
// documents that list a package's versions (cargo index file, compact-index
// info file, NuGet flat container index) answer 502/504 and are not cached:
// the first good answer afterwards is used at once.
func TestNewFormatUpstreamMetadataFaultsCacheNothing(t *testing.T) {
	e := newFaultEnvFor(t, newFormatConns)
	for i, fault := range upstreamtest.Faults {
		name := fmt.Sprintf("m%d", i)
		nupkg := testNupkg(t, name, "1.0.0", randomBytes(uint64(20+i), 1<<10))
		setNewFormatUpstream(e.up, name, randomBytes(uint64(40+i), 1<<10), randomBytes(uint64(60+i), 1<<10), nupkg)
		docs := []struct {
			format        types.PackageFormat
			upPath, wharf string
		}{
			{types.PackageFormatCargo, "/index/" + cargofmt.IndexPath(name), cargofmt.IndexPath(name)},
			{types.PackageFormatRuby, "/info/" + name, "info/" + name},
			{types.PackageFormatNuget, "/v3-flatcontainer/" + name + "/index.json", "v3/package/" + name + "/index.json"},
		}
		for _, d := range docs {
			e.up.Fail(d.upPath, fault)
			w := e.via(fault)
			if status, body := w.get(d.format, d.wharf); status != wantStatus(fault) {
				t.Errorf("%s %s: status %d (%q), want %d", d.format, fault, status, body, wantStatus(fault))
			}
			e.up.Fail(d.upPath, upstreamtest.Good)
			if status, body := w.get(d.format, d.wharf); status != http.StatusOK {
				t.Errorf("%s after %s: status %d (%q), want 200 from the good answer", d.format, fault, status, body)
			}
		}
	}
}

// TestNewFormatUpstreamConfigFaults: a fault on the document a connection is
// configured by — cargo's config.json, NuGet's service index — makes a
// download of an upstream package answer 502/504, never a 404 that tells the
// client the package does not exist, and is not cached: once the document
// is good the package downloads.
func TestNewFormatUpstreamConfigFaults(t *testing.T) {
	e := newFaultEnvFor(t, newFormatConns)
	const name = "cfgpkg"
	crate := randomBytes(31, 4<<10)
	nupkg := testNupkg(t, name, "1.0.0", randomBytes(32, 4<<10))
	setNewFormatUpstream(e.up, name, crate, randomBytes(33, 4<<10), nupkg)
	cases := []struct {
		format        types.PackageFormat
		upPath, wharf string
		payload       []byte
	}{
		{types.PackageFormatCargo, "/index/config.json", "api/v1/crates/" + name + "/1.0.0/download", crate},
		{types.PackageFormatNuget, "/v3/index.json", "v3/package/" + name + "/1.0.0/" + name + ".1.0.0.nupkg", nupkg},
	}
	for _, c := range cases {
		t.Run(string(c.format), func(t *testing.T) {
			for _, fault := range upstreamtest.Faults {
				e.up.Fail(c.upPath, fault)
				if status, body := e.via(fault).get(c.format, c.wharf); status != wantStatus(fault) {
					t.Errorf("%s: status %d (%q), want %d", fault, status, body, wantStatus(fault))
				}
			}
			e.up.Fail(c.upPath, upstreamtest.Good)
			if status, body := e.get(c.format, c.wharf); status != http.StatusOK || !bytes.Equal(body, c.payload) {
				t.Fatalf("after the faults: status %d (%.200q)", status, body)
			}
		})
	}
}

// TestNuGetPublishRefusedWhileTheFeedIsUnreadable: a push into a repository
// whose chain proxies a NuGet feed lists the feed's versions first (a private
// package must not shadow a public one). While the feed's service index
// cannot be read the push is refused with 502 and nothing is recorded, as the
// engine refuses a publish whose external registry is unreadable; once the
// feed answers again the same push is accepted.
func TestNuGetPublishRefusedWhileTheFeedIsUnreadable(t *testing.T) {
	e := newFaultEnvFor(t, newFormatConns)
	const name = "pushpkg"
	setNewFormatUpstream(e.up, "other", nil, nil, testNupkg(t, "other", "1.0.0", nil))
	nupkg := testNupkg(t, name, "2.0.0", randomBytes(34, 1<<10))
	push := func() (int, []byte) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("package", name+".2.0.0.nupkg")
		_, _ = fw.Write(nupkg)
		_ = mw.Close()
		return e.do(types.PackageFormatNuget, http.MethodPut, "v2/package", mw.FormDataContentType(), &body)
	}
	e.up.Fail("/v3/index.json", upstreamtest.Status500)
	if status, body := push(); status != http.StatusBadGateway || !bytes.Contains(body, []byte("shadow")) {
		t.Fatalf("push with the feed unreadable: status %d (%.300q), want 502 naming the shadowing check", status, body)
	}
	if n := e.versions(types.PackageFormatNuget, "", name); n != 0 {
		t.Fatalf("%d versions recorded by a refused push", n)
	}
	e.up.Fail("/v3/index.json", upstreamtest.Good)
	if status, body := push(); status != http.StatusCreated {
		t.Fatalf("push with the feed readable: status %d (%.300q)", status, body)
	}
}
