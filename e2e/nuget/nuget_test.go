// Package nuget_test drives wharf's NuGet endpoints with requests shaped as
// dotnet restore and dotnet nuget push send them (there is no dotnet client on
// these machines; see docs/compatibility.md, "NuGet").
package nuget_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"math/rand"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

// What NuGet's HTTP source sends with every request (NuGet.Protocol's
// HttpSource / UserAgent): dotnet restore's user agent and the protocol
// version header.
const userAgent = "NuGet .NET Core MSBuild Task/6.8.0 (Linux 6.1 Debian GNU/Linux 12)"

type client struct {
	t    *testing.T
	user string // Basic auth as nuget.config's packageSourceCredentials (aws codeartifact login writes user "aws")
	tok  string
}

// do sends a request as the NuGet client does: first without credentials,
// and, on a 401 with a Basic challenge, again with them.
func (c *client) do(method, url, ct string, body []byte, hdr map[string]string) (int, []byte, http.Header) {
	c.t.Helper()
	send := func(auth bool) *http.Response {
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		req.Header.Set("User-Agent", userAgent)
		req.Header.Set("X-NuGet-Session-Id", "6f1ccd0c-0000-4000-8000-000000000000")
		req.Header.Set("Accept-Encoding", "gzip, deflate")
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if auth && c.tok != "" {
			req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.tok)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		return resp
	}
	resp := send(false)
	if resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") && c.tok != "" {
		resp.Body.Close()
		resp = send(true)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (c *client) getJSON(url string, v any) int {
	c.t.Helper()
	st, b, _ := c.do(http.MethodGet, url, "", nil, nil)
	if st == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			c.t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
	return st
}

func nuspec(id, version, extra string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>` + id + `</id>
    <version>` + version + `</version>
    <authors>wharf</authors>
    <description>test package</description>` + extra + `
  </metadata>
</package>`
}

// nupkg is a package as dotnet pack lays it out.
func nupkg(t testing.TB, id, version, extra string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range [][2]string{
		{"_rels/.rels", `<?xml version="1.0"?><Relationships/>`},
		{id + ".nuspec", nuspec(id, version, extra)},
		{"lib/net8.0/" + id + ".dll", "MZ not really a dll " + version},
		{"[Content_Types].xml", `<?xml version="1.0"?><Types/>`},
	} {
		w, _ := zw.Create(f[0])
		_, _ = w.Write([]byte(f[1]))
	}
	_ = zw.Close()
	return b.Bytes()
}

// pushBody is the multipart body NuGet.Protocol's PackageUpdateResource
// builds: one part named "package", file name "package.nupkg",
// application/octet-stream, .NET's unquoted Content-Disposition parameters.
func pushBody(pkg []byte, filename string) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", "form-data; name=package; filename="+filename+"; filename*=utf-8''"+filename)
	w, _ := mw.CreatePart(h)
	_, _ = w.Write(pkg)
	_ = mw.Close()
	return `multipart/form-data; boundary="` + mw.Boundary() + `"`, b.Bytes()
}

// push is `dotnet nuget push`: it reads the service index for
// PackagePublish/2.0.0 and PUTs the package there with X-NuGet-ApiKey.
func (c *client) push(index string, pkg []byte, apiKey string) (int, string) {
	c.t.Helper()
	var si serviceIndex
	if st := c.getJSON(index, &si); st != 200 {
		c.t.Fatalf("service index: %d", st)
	}
	ct, body := pushBody(pkg, "package.nupkg")
	st, b, _ := c.do(http.MethodPut, si.resource("PackagePublish/2.0.0"), ct, body, map[string]string{"X-NuGet-ApiKey": apiKey, "X-NuGet-Protocol-Version": "4.1.0"})
	return st, string(b)
}

type serviceIndex struct {
	Version   string `json:"version"`
	Resources []struct {
		ID   string `json:"@id"`
		Type string `json:"@type"`
	} `json:"resources"`
}

func (s serviceIndex) resource(typ string) string {
	for _, r := range s.Resources {
		if r.Type == typ {
			return r.ID
		}
	}
	return ""
}

type registrationIndex struct {
	Count int `json:"count"`
	Items []struct {
		Lower, Upper string
		Items        []struct {
			PackageContent string `json:"packageContent"`
			CatalogEntry   struct {
				ID               string `json:"id"`
				Version          string `json:"version"`
				Listed           bool   `json:"listed"`
				DependencyGroups []struct {
					TargetFramework string `json:"targetFramework"`
					Dependencies    []struct{ ID, Range string }
				} `json:"dependencyGroups"`
			} `json:"catalogEntry"`
		} `json:"items"`
	} `json:"items"`
}

// restore is what dotnet restore does for one package and version: the
// service index, the registration index (RegistrationsBaseUrl/3.6.0) for
// the dependency graph, the flat container's versions list
// (PackageBaseAddress/3.0.0) and the .nupkg. It returns the package bytes.
func (c *client) restore(index, id, version string) (registrationIndex, []byte) {
	c.t.Helper()
	var si serviceIndex
	if st := c.getJSON(index, &si); st != 200 || si.Version != "3.0.0" {
		c.t.Fatalf("service index: %d %+v", st, si)
	}
	lid, lv := strings.ToLower(id), strings.ToLower(version)
	var reg registrationIndex
	if st := c.getJSON(si.resource("RegistrationsBaseUrl/3.6.0")+lid+"/index.json", &reg); st != 200 {
		c.t.Fatalf("registration of %s: %d", id, st)
	}
	base := si.resource("PackageBaseAddress/3.0.0")
	var vs struct{ Versions []string }
	if st := c.getJSON(base+lid+"/index.json", &vs); st != 200 || !contains(vs.Versions, lv) {
		c.t.Fatalf("flat container versions of %s: %d %v, want %s", id, st, vs.Versions, lv)
	}
	st, b, h := c.do(http.MethodGet, base+lid+"/"+lv+"/"+lid+"."+lv+".nupkg", "", nil, nil)
	if st != 200 || h.Get("Content-Type") != "application/octet-stream" {
		c.t.Fatalf("nupkg %s %s: %d %s", id, version, st, b)
	}
	return reg, b
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func blobExists(dir string, b []byte) bool {
	name := sha(b)
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), name) {
			found = true
		}
		return nil
	})
	return found
}

// TestNuGetPushAndRestore: two packages (one depending on the other) pushed
// into repository A, restored from B whose upstream is A; ids
// case-insensitive, versions normalized; dotnet nuget delete unlists.
func TestNuGetPushAndRestore(t *testing.T) {
	srv := apptest.Start(t)
	const dom = "nugetdom"
	ca := srv.Setup(t, dom, []string{"ra", "rb"}, map[string][]string{"rb": {"ra"}}, nil)
	tok := apptest.Token(t, ca, dom)
	epA := apptest.Endpoint(t, ca, dom, "ra", types.PackageFormatNuget)
	epB := apptest.Endpoint(t, ca, dom, "rb", types.PackageFormatNuget)
	if !strings.HasSuffix(epA, "/nuget/ra/") {
		t.Fatalf("endpoint %s", epA)
	}
	c := &client{t: t, user: "aws", tok: tok}
	// Without credentials: 401 with a Basic challenge.
	anon := &client{t: t}
	if st, _, h := anon.do(http.MethodGet, epA+"v3/index.json", "", nil, nil); st != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous service index: %d %v", st, h)
	}

	core := nupkg(t, "Wharf.Core", "1.0", "")
	app := nupkg(t, "Wharf.App", "2.0.0-Beta.1+build.7", `<dependencies><group targetFramework="net8.0"><dependency id="Wharf.Core" version="[1.0.0, )" /></group></dependencies>`)
	// The token as the API key (dotnet nuget push --api-key TOKEN) ...
	apiKeyed := &client{t: t}
	req := func(pkg []byte, key string) (int, string) {
		ct, body := pushBody(pkg, "package.nupkg")
		st, b, _ := apiKeyed.do(http.MethodPut, epA+"v2/package", ct, body, map[string]string{"X-NuGet-ApiKey": key, "X-NuGet-Protocol-Version": "4.1.0"})
		return st, string(b)
	}
	if st, b := req(core, tok); st != http.StatusCreated {
		t.Fatalf("push Wharf.Core with the token as API key: %d %s", st, b)
	}
	// ... or the nuget.config credentials (Basic), API key anything.
	if st, b := c.push(epA+"v3/index.json", app, "az"); st != http.StatusCreated {
		t.Fatalf("push Wharf.App: %d %s", st, b)
	}
	// The same version again, in any case: 409 (what --skip-duplicate skips).
	if st, b := c.push(epA+"v3/index.json", nupkg(t, "wharf.core", "1.0.0.0", ""), "az"); st != http.StatusConflict {
		t.Errorf("push wharf.core 1.0.0.0 again: %d %s", st, b)
	}
	if st, b := req(core, "not-a-token"); st != http.StatusUnauthorized {
		t.Errorf("push with a wrong API key: %d %s", st, b)
	}

	// Restore from B (upstream A).
	reg, got := c.restore(epB+"v3/index.json", "wharf.app", "2.0.0-beta.1")
	if !bytes.Equal(got, app) {
		t.Error("restored Wharf.App differs from the pushed package")
	}
	e := reg.Items[0].Items[0].CatalogEntry
	if e.ID != "Wharf.App" || e.Version != "2.0.0-Beta.1" || !e.Listed || len(e.DependencyGroups) != 1 || e.DependencyGroups[0].TargetFramework != "net8.0" ||
		e.DependencyGroups[0].Dependencies[0].ID != "Wharf.Core" || e.DependencyGroups[0].Dependencies[0].Range != "[1.0.0, )" {
		t.Errorf("registration of Wharf.App: %+v", e)
	}
	if _, got := c.restore(epB+"v3/index.json", "WHARF.CORE", "1.0.0"); !bytes.Equal(got, core) {
		t.Error("restored Wharf.Core differs")
	}
	st, b, _ := c.do(http.MethodGet, epB+"v3/package/wharf.core/1.0.0/wharf.nuspec", "", nil, nil)
	if st != 404 {
		t.Errorf("nuspec under another name: %d", st)
	}
	st, b, _ = c.do(http.MethodGet, epB+"v3/package/wharf.core/1.0.0/wharf.core.nuspec", "", nil, nil)
	if st != 200 || !strings.Contains(string(b), "<id>Wharf.Core</id>") {
		t.Errorf("nuspec: %d %s", st, b)
	}
	// B retained what it served (CodeArtifact copies from upstreams on fetch).
	ctx := context.Background()
	if _, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String("rb"),
		Format: types.PackageFormatNuget, Package: aws.String("wharf.core"), PackageVersion: aws.String("1.0.0")}); err != nil {
		t.Errorf("B did not retain wharf.core 1.0.0: %v", err)
	}
	var search struct {
		TotalHits int
		Data      []struct{ ID, Version string }
	}
	if st := c.getJSON(epB+"v3/query?q=wharf&prerelease=true&semVerLevel=2.0.0", &search); st != 200 || search.TotalHits != 2 {
		t.Errorf("search: %d %+v", st, search)
	}

	// dotnet nuget delete: Unlisted, hidden from search, listed=false in
	// registrations, still restorable.
	st, b, _ = c.do(http.MethodDelete, epA+"v2/package/Wharf.Core/1.0", "", nil, map[string]string{"X-NuGet-ApiKey": "az"})
	if st != http.StatusNoContent {
		t.Fatalf("delete: %d %s", st, b)
	}
	dv, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String("ra"),
		Format: types.PackageFormatNuget, Package: aws.String("wharf.core"), PackageVersion: aws.String("1.0.0")})
	if err != nil || dv.PackageVersion.Status != types.PackageVersionStatusUnlisted {
		t.Fatalf("after delete: %v %+v", err, dv)
	}
	reg, _ = c.restore(epA+"v3/index.json", "wharf.core", "1.0.0")
	if reg.Items[0].Items[0].CatalogEntry.Listed {
		t.Error("unlisted version shown as listed")
	}
	if st := c.getJSON(epA+"v3/query?q=wharf.core", &search); st != 200 || search.TotalHits != 0 {
		t.Errorf("search shows an unlisted version: %+v", search)
	}
	// Archived: not served at all.
	if _, err := ca.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String(dom), Repository: aws.String("ra"),
		Format: types.PackageFormatNuget, Package: aws.String("wharf.app"), Versions: []string{"2.0.0-Beta.1"}, TargetStatus: types.PackageVersionStatusArchived}); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := c.do(http.MethodGet, epA+"v3/package/wharf.app/2.0.0-beta.1/wharf.app.2.0.0-beta.1.nupkg", "", nil, nil); st != 404 {
		t.Errorf("archived nupkg: %d, want 404", st)
	}
	if st, _, _ := c.do(http.MethodGet, epA+"v3/registration/wharf.app/index.json", "", nil, nil); st != 404 {
		t.Errorf("archived registration: %d, want 404", st)
	}
}

// TestNuGetBadInput: what a client or an attacker can push is refused with a
// clear reason and leaves nothing behind.
func TestNuGetBadInput(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Mutate: func(c *config.Config) { c.MaxPublishBytes = 2 << 20 }})
	const dom = "nugetbad"
	ca := srv.Setup(t, dom, []string{"repo"}, nil, nil)
	tok := apptest.Token(t, ca, dom)
	ep := apptest.Endpoint(t, ca, dom, "repo", types.PackageFormatNuget)
	c := &client{t: t, user: "aws", tok: tok}
	zipOf := func(entries ...string) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for i := 0; i+1 < len(entries); i += 2 {
			w, _ := zw.Create(entries[i])
			_, _ = w.Write([]byte(entries[i+1]))
		}
		_ = zw.Close()
		return b.Bytes()
	}
	// 160 MiB of zeros deflate to about 160 KiB; with 2 MiB uploads the
	// inflated limit is 128 MiB.
	bomb := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.Create("bomb.nuspec")
		_, _ = w.Write([]byte(nuspec("bomb", "1.0.0", "")))
		w, _ = zw.Create("zeros")
		zero := make([]byte, 1<<20)
		for i := 0; i < 160; i++ {
			_, _ = w.Write(zero)
		}
		_ = zw.Close()
		return b.Bytes()
	}()
	sym := zipOf("sym.nuspec", nuspec("sym", "1.0.0", `<packageTypes><packageType name="SymbolsPackage" /></packageTypes>`), "lib/sym.pdb", "x")
	noise := make([]byte, 3<<20) // incompressible: the package stays over 2 MiB
	_, _ = rand.New(rand.NewSource(1)).Read(noise)
	big := zipOf("big.nuspec", nuspec("big", "1.0.0", ""), "noise", string(noise))
	cases := []struct {
		name     string
		pkg      []byte
		filename string
		want     int
		reason   string
	}{
		{"not a zip", []byte("this is not a zip file"), "package.nupkg", 400, "not a zip"},
		{"path traversal", zipOf("evil.nuspec", nuspec("evil", "1.0.0", ""), "../../../etc/cron.d/x", "x"), "package.nupkg", 400, "path traversal"},
		{"traversal in id", zipOf("evil.nuspec", nuspec("../evil", "1.0.0", "")), "package.nupkg", 400, "not a valid package id"},
		{"traversal in version", zipOf("evil.nuspec", nuspec("evil", "1.0.0/../../x", "")), "package.nupkg", 400, "not a valid NuGet version"},
		{"nuspec id mismatch", zipOf("evil.nuspec", nuspec("Other.Package", "1.0.0", "")), "package.nupkg", 400, "names the package Other.Package"},
		{"two manifests", zipOf("a.nuspec", nuspec("a", "1.0.0", ""), "b.nuspec", nuspec("b", "1.0.0", "")), "package.nupkg", 400, ".nuspec files at its root"},
		{"zip bomb", bomb, "package.nupkg", 400, "inflates to more than"},
		{"symbol package", sym, "package.nupkg", 400, "symbol packages (.snupkg) are not supported"},
		{"snupkg by name", sym, "sym.1.0.0.snupkg", 400, "symbol packages"},
		{"oversized", big, "package.nupkg", 413, "larger than"},
		{"truncated", nupkg(t, "trunc", "1.0.0", "")[:300], "package.nupkg", 400, "invalid package"},
	}
	for _, cs := range cases {
		ct, body := pushBody(cs.pkg, cs.filename)
		st, b, _ := c.do(http.MethodPut, ep+"v2/package", ct, body, map[string]string{"X-NuGet-ApiKey": "az"})
		if st != cs.want || !strings.Contains(string(b), cs.reason) {
			t.Errorf("%s: %d %s, want %d %q", cs.name, st, b, cs.want, cs.reason)
		}
		if blobExists(srv.DataDir, cs.pkg) {
			t.Errorf("%s: the refused package's bytes were kept", cs.name)
		}
	}
	// Not multipart.
	if st, b, _ := c.do(http.MethodPut, ep+"v2/package", "application/octet-stream", nupkg(t, "x", "1.0.0", ""), nil); st != 400 {
		t.Errorf("raw body push: %d %s", st, b)
	}
	// Nothing was recorded.
	out, err := ca.ListPackages(context.Background(), &codeartifact.ListPackagesInput{Domain: aws.String(dom), Repository: aws.String("repo")})
	if err != nil || len(out.Packages) != 0 {
		t.Errorf("packages after refused pushes: %v %+v", err, out)
	}
	// Read paths that are not a package's.
	for _, p := range []string{"v3/package/..%2f..%2fx/index.json", "v3/package/x/1.0.0%2f..%2f..%2fy/x.nupkg", "v3/registration/..%2f/index.json", "v3/package/a..b/index.json", "v3/other"} {
		if st, _, _ := c.do(http.MethodGet, ep+p, "", nil, nil); st != 404 && st != 400 {
			t.Errorf("GET %s: %d, want 404 or 400", p, st)
		}
	}
}
