package nuget_test

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// feedPkg is one version a fixture v3 feed offers.
type feedPkg struct {
	nupkg []byte
	hash  []byte // the registration leaf's packageHash; nil: the leaf carries none
	cut   bool   // the .nupkg body ends early (Content-Length promises more)
}

// v3Feed serves a NuGet v3 feed as nuget.org lays it out: the service index
// at /v3/index.json, the flat container under /v3-flatcontainer/, the
// registration leaves (catalogEntry inlined with packageHash) under
// /v3/registration/. pkgs is keyed by "id-lower/version-lower".
func v3Feed(t *testing.T, pkgs map[string]feedPkg) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		switch {
		case p == "/v3/index.json":
			_, _ = w.Write([]byte(`{"version":"3.0.0","resources":[
{"@id":"` + srv.URL + `/v3-flatcontainer/","@type":"PackageBaseAddress/3.0.0"},
{"@id":"` + srv.URL + `/v3/registration/","@type":"RegistrationsBaseUrl/3.6.0"}]}`))
		case strings.HasPrefix(p, "/v3-flatcontainer/") && strings.HasSuffix(p, "/index.json"):
			id := strings.TrimSuffix(strings.TrimPrefix(p, "/v3-flatcontainer/"), "/index.json")
			var vs []string
			for k := range pkgs {
				if pid, v, _ := strings.Cut(k, "/"); pid == id {
					vs = append(vs, v)
				}
			}
			if vs == nil {
				http.NotFound(w, r)
				return
			}
			b, _ := json.Marshal(map[string]any{"versions": vs})
			_, _ = w.Write(b)
		case strings.HasPrefix(p, "/v3-flatcontainer/") && strings.HasSuffix(p, ".nupkg"):
			parts := strings.Split(strings.TrimPrefix(p, "/v3-flatcontainer/"), "/")
			pk, ok := pkgs[parts[0]+"/"+parts[1]]
			if !ok || len(parts) != 3 {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.Itoa(len(pk.nupkg)))
			if pk.cut {
				_, _ = w.Write(pk.nupkg[:len(pk.nupkg)/2])
				panic(http.ErrAbortHandler) // the connection drops mid-body
			}
			_, _ = w.Write(pk.nupkg)
		case strings.HasPrefix(p, "/v3/registration/") && strings.HasSuffix(p, ".json"):
			rest := strings.TrimSuffix(strings.TrimPrefix(p, "/v3/registration/"), ".json")
			pk, ok := pkgs[rest]
			if !ok {
				http.NotFound(w, r)
				return
			}
			id, v, _ := strings.Cut(rest, "/")
			entry := map[string]any{"id": id, "version": v}
			if pk.hash != nil {
				entry["packageHash"] = base64.StdEncoding.EncodeToString(pk.hash)
				entry["packageHashAlgorithm"] = "SHA512"
			}
			b, _ := json.Marshal(map[string]any{"@id": srv.URL + p, "catalogEntry": entry, "listed": true})
			_, _ = w.Write(b)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sha512Of(b []byte) []byte { s := sha512.Sum512(b); return s[:] }

// TestNuGetProxy: a repository downstream of one holding public:nuget-org
// restores (flat container, .nuspec, .nupkg, as dotnet restore reads a v3
// feed) what the upstream feed has; the package is verified against the
// registration leaf's packageHash and read as a push is, retained, and still
// served once the feed is gone. A package failing either check, or cut
// short, is refused with 502 and not kept.
func TestNuGetProxy(t *testing.T) {
	good := nupkg(t, "Up.Lib", "1.0.0", "")
	other := nupkg(t, "Up.Lib", "1.0.1", "")
	bad := nupkg(t, "Up.Bad", "1.0.0", "")
	cut := nupkg(t, "Up.Cut", "1.0.0", "")
	nohash := nupkg(t, "Up.NoHash", "1.0.0", "")
	liar := nupkg(t, "Up.Other", "1.0.0", "") // served as up.liar: its nuspec names another package
	feed := v3Feed(t, map[string]feedPkg{
		"up.lib/1.0.0":    {nupkg: good, hash: sha512Of(good)},
		"up.lib/1.0.1":    {nupkg: other, hash: sha512Of(other)},
		"up.bad/1.0.0":    {nupkg: bad, hash: sha512Of(good)},
		"up.cut/1.0.0":    {nupkg: cut, hash: sha512Of(cut), cut: true},
		"up.nohash/1.0.0": {nupkg: nohash},
		"up.liar/1.0.0":   {nupkg: liar},
	})
	// The source URL as users paste it: the feed's service index.
	u, _ := url.Parse(feed.URL + "/v3/index.json")
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:nuget-org": u}})
	const dom = "nugetproxy"
	ca := srv.Setup(t, dom, []string{"store", "app"}, map[string][]string{"app": {"store"}}, map[string]string{"store": "public:nuget-org"})
	tok := apptest.Token(t, ca, dom)
	ep := apptest.Endpoint(t, ca, dom, "app", types.PackageFormatNuget)
	epStore := apptest.Endpoint(t, ca, dom, "store", types.PackageFormatNuget)
	c := &client{t: t, user: "aws", tok: tok}
	ctx := context.Background()

	// A version the upstream lists cannot be published (shadowing).
	if st, b := c.push(epStore+"v3/index.json", nupkg(t, "Up.Lib", "1.0.1", ""), "az"); st != http.StatusConflict {
		t.Errorf("push Up.Lib 1.0.1, listed upstream: %d %s, want 409", st, b)
	}

	// Restore as dotnet restore reads a v3 feed: the flat container's
	// versions, the .nuspec, then the .nupkg.
	var up struct{ Versions []string }
	if st := c.getJSON(ep+"v3/package/up.lib/index.json", &up); st != 200 || strings.Join(up.Versions, ",") != "1.0.0,1.0.1" {
		t.Fatalf("flat container versions: %d %v, want the upstream's", st, up.Versions)
	}
	st, b, _ := c.do(http.MethodGet, ep+"v3/package/up.lib/1.0.0/up.lib.nuspec", "", nil, nil)
	if st != 200 || !strings.Contains(string(b), "<id>Up.Lib</id>") {
		t.Fatalf("nuspec of an upstream version: %d %s", st, b)
	}
	st, b, _ = c.do(http.MethodGet, ep+"v3/package/up.lib/1.0.0/up.lib.1.0.0.nupkg", "", nil, nil)
	if st != 200 || string(b) != string(good) {
		t.Fatalf("nupkg from upstream: %d (%d bytes)", st, len(b))
	}
	for _, repo := range []string{"store", "app"} {
		if _, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String(repo),
			Format: types.PackageFormatNuget, Package: aws.String("up.lib"), PackageVersion: aws.String("1.0.0")}); err != nil {
			t.Errorf("%s did not keep up.lib 1.0.0: %v", repo, err)
		}
	}
	// Now held, the registration shows it as pushed packages are shown.
	var reg registrationIndex
	if st := c.getJSON(ep+"v3/registration/up.lib/index.json", &reg); st != 200 || reg.Count == 0 {
		t.Errorf("registration after the pull: %d %+v", st, reg)
	}

	// A private version the upstream does not list (once the origin rules
	// let both in: a package first ingested from upstream blocks publishing)
	// is listed beside the upstream's.
	if _, err := ca.PutPackageOriginConfiguration(ctx, &codeartifact.PutPackageOriginConfigurationInput{Domain: aws.String(dom), Repository: aws.String("app"),
		Format: types.PackageFormatNuget, Package: aws.String("up.lib"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: types.AllowUpstreamAllow}}); err != nil {
		t.Fatal(err)
	}
	if st, b := c.push(ep+"v3/index.json", nupkg(t, "Up.Lib", "2.0.0", ""), "az"); st != http.StatusCreated {
		t.Fatalf("push Up.Lib 2.0.0: %d %s", st, b)
	}
	var vs struct{ Versions []string }
	if st := c.getJSON(ep+"v3/package/up.lib/index.json", &vs); st != 200 || strings.Join(vs.Versions, ",") != "1.0.0,1.0.1,2.0.0" {
		t.Errorf("flat container versions: %d %v, want upstream's and the private one", st, vs.Versions)
	}

	// A feed without packageHash: the package is kept when it is the package
	// asked for, refused when its manifest names another.
	if st, b, _ := c.do(http.MethodGet, ep+"v3/package/up.nohash/1.0.0/up.nohash.1.0.0.nupkg", "", nil, nil); st != 200 || string(b) != string(nohash) {
		t.Errorf("nupkg without packageHash: %d", st)
	}
	refused := map[string]struct {
		pkg []byte
		why string
	}{"up.bad": {bad, "integrity check"}, "up.cut": {cut, ""}, "up.liar": {liar, "not a valid package"}}
	for id, x := range refused {
		pkg := x.pkg
		if st, b, _ := c.do(http.MethodGet, ep+"v3/package/"+id+"/1.0.0/"+id+".1.0.0.nupkg", "", nil, nil); st != http.StatusBadGateway || !strings.Contains(string(b), x.why) {
			t.Errorf("%s: %d %s, want 502 (%s)", id, st, b, x.why)
		}
		if blobExists(srv.DataDir, pkg) {
			t.Errorf("%s: the refused package was kept", id)
		}
		if _, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String("store"),
			Format: types.PackageFormatNuget, Package: aws.String(id), PackageVersion: aws.String("1.0.0")}); err == nil {
			t.Errorf("%s: a version was recorded", id)
		}
	}

	// The feed gone: what was pulled is still restored.
	feed.Close()
	st, b, _ = c.do(http.MethodGet, ep+"v3/package/up.lib/1.0.0/up.lib.1.0.0.nupkg", "", nil, nil)
	if st != 200 || string(b) != string(good) {
		t.Errorf("nupkg after the feed stopped: %d", st)
	}
}
