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
	"sync/atomic"
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
	// link, when set, makes the registration leaf link its catalog leaf (as
	// nuget.org's do) instead of inlining it: "catalog" on the feed's
	// Catalog/3.0.0 host, "rogue" on a host the service index does not name.
	// The catalog leaf carries hash; catalogStatus, when set, is what the
	// catalog host answers instead.
	link          string
	catalogStatus int
	catalogCut    bool // the catalog leaf's JSON ends early
}

// feed is a fixture v3 feed; rogueHits counts requests to the host its
// service index does not name.
type feed struct {
	*httptest.Server
	rogueHits atomic.Int64
}

// v3Feed serves a NuGet v3 feed as nuget.org lays it out: the service index
// at /v3/index.json, the flat container under /v3-flatcontainer/, the
// registration leaves (catalogEntry inlined with packageHash) under
// /v3/registration/. pkgs is keyed by "id-lower/version-lower".
func v3Feed(t *testing.T, pkgs map[string]feedPkg) *feed {
	f := &feed{}
	// The catalog leaves, at /v3/catalog0/data/{id}.{version}.json on a host
	// of their own (the catalog host, listed in the service index; the rogue
	// host, not listed, serves leaves whose hash matches nothing).
	catalog := func(rogue bool) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rogue {
				f.rogueHits.Add(1)
			}
			leaf := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v3/catalog0/data/"), ".json")
			for k, pk := range pkgs {
				id, v, _ := strings.Cut(k, "/")
				if leaf != id+"."+v || pk.link == "" {
					continue
				}
				if pk.catalogStatus != 0 && !rogue {
					w.WriteHeader(pk.catalogStatus)
					return
				}
				hash := pk.hash
				if rogue {
					hash = sha512Of([]byte("not the package"))
				}
				w.Header().Set("Content-Type", "application/json")
				b, _ := json.Marshal(map[string]any{"@type": []string{"PackageDetails", "catalog:Permalink"}, "id": id, "version": v,
					"packageHash": base64.StdEncoding.EncodeToString(hash), "packageHashAlgorithm": "SHA512"})
				if pk.catalogCut && !rogue {
					b = b[:len(b)-20] // a whole HTTP answer, but the document cut short
				}
				_, _ = w.Write(b)
				return
			}
			http.NotFound(w, r)
		}))
		t.Cleanup(s.Close)
		return s
	}
	cat, rogue := catalog(false), catalog(true)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		switch {
		case p == "/v3/index.json":
			_, _ = w.Write([]byte(`{"version":"3.0.0","resources":[
{"@id":"` + srv.URL + `/v3-flatcontainer/","@type":"PackageBaseAddress/3.0.0"},
{"@id":"` + srv.URL + `/v3/registration/","@type":"RegistrationsBaseUrl/3.6.0"},
{"@id":"` + cat.URL + `/v3/catalog0/index.json","@type":"Catalog/3.0.0"}]}`))
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
			var entry any = map[string]any{"id": id, "version": v}
			if pk.hash != nil {
				entry.(map[string]any)["packageHash"] = base64.StdEncoding.EncodeToString(pk.hash)
				entry.(map[string]any)["packageHashAlgorithm"] = "SHA512"
			}
			switch pk.link {
			case "catalog":
				entry = cat.URL + "/v3/catalog0/data/" + id + "." + v + ".json"
			case "rogue":
				entry = rogue.URL + "/v3/catalog0/data/" + id + "." + v + ".json"
			}
			b, _ := json.Marshal(map[string]any{"@id": srv.URL + p, "catalogEntry": entry, "listed": true})
			_, _ = w.Write(b)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	f.Server = srv
	return f
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
			t.Errorf("%s: %d %.200q, want 502 (%s)", id, st, b, x.why)
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

// TestNuGetProxyCatalogLeaf (N7): a registration leaf that links its catalog
// leaf (as nuget.org's do) has it read — only on a host the service index
// names (its Catalog/3.0.0 resource here) — and the .nupkg verified against
// its packageHash: a match is kept, a mismatch or a catalog leaf that cannot
// be read (missing, cut short, 503) is 502 with nothing kept. A link to any other host is not followed
// (the package is then checked by its content alone, as with no hash).
func TestNuGetProxyCatalogLeaf(t *testing.T) {
	good := nupkg(t, "Cat.Good", "1.0.0", "")
	rogue := nupkg(t, "Cat.Rogue", "1.0.0", "")
	bad := nupkg(t, "Cat.Bad", "1.0.0", "")
	gone := nupkg(t, "Cat.Gone", "1.0.0", "")
	down := nupkg(t, "Cat.Down", "1.0.0", "")
	cut := nupkg(t, "Cat.Cut", "1.0.0", "")
	f := v3Feed(t, map[string]feedPkg{
		"cat.good/1.0.0":  {nupkg: good, hash: sha512Of(good), link: "catalog"},
		"cat.rogue/1.0.0": {nupkg: rogue, hash: sha512Of(rogue), link: "rogue"},
		"cat.bad/1.0.0":   {nupkg: bad, hash: sha512Of(good), link: "catalog"},
		"cat.gone/1.0.0":  {nupkg: gone, hash: sha512Of(gone), link: "catalog", catalogStatus: http.StatusNotFound},
		"cat.down/1.0.0":  {nupkg: down, hash: sha512Of(down), link: "catalog", catalogStatus: http.StatusServiceUnavailable},
		"cat.cut/1.0.0":   {nupkg: cut, hash: sha512Of(cut), link: "catalog", catalogCut: true},
	})
	u, _ := url.Parse(f.URL + "/v3/index.json")
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:nuget-org": u}})
	const dom = "nugetcat"
	ca := srv.Setup(t, dom, []string{"store"}, nil, map[string]string{"store": "public:nuget-org"})
	ep := apptest.Endpoint(t, ca, dom, "store", types.PackageFormatNuget)
	c := &client{t: t, user: "aws", tok: apptest.Token(t, ca, dom)}
	ctx := context.Background()
	kept := func(id string) bool {
		_, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String("store"),
			Format: types.PackageFormatNuget, Package: aws.String(id), PackageVersion: aws.String("1.0.0")})
		return err == nil
	}
	get := func(id string) (int, []byte) {
		st, b, _ := c.do(http.MethodGet, ep+"v3/package/"+id+"/1.0.0/"+id+".1.0.0.nupkg", "", nil, nil)
		return st, b
	}

	if st, b := get("cat.good"); st != http.StatusOK || string(b) != string(good) || !kept("cat.good") {
		t.Errorf("linked catalog leaf, matching hash: %d, kept %v", st, kept("cat.good"))
	}
	if st, _ := get("cat.rogue"); st != http.StatusOK || !kept("cat.rogue") || f.rogueHits.Load() != 0 {
		t.Errorf("catalog leaf on a host the service index does not name: %d, kept %v, %d requests there (want 200, kept, none)",
			st, kept("cat.rogue"), f.rogueHits.Load())
	}
	for id, x := range map[string]struct {
		pkg []byte
		why string
	}{"cat.bad": {bad, "integrity check"}, "cat.gone": {gone, "not there"}, "cat.cut": {cut, "unusable"}, "cat.down": {down, "unusable"}} {
		if st, b := get(id); st != http.StatusBadGateway || !strings.Contains(string(b), x.why) {
			t.Errorf("%s: %d %.200q, want 502 (%s)", id, st, b, x.why)
		}
		if blobExists(srv.DataDir, x.pkg) || kept(id) {
			t.Errorf("%s: the refused package was kept", id)
		}
	}
}
