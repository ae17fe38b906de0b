package npme2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
)

// fakePublic stands in for the public registry: a second wharf holding
// fixture packages, behind a proxy that adds its token (so the first wharf's
// public:npmjs needs none), counts requests per path, and can misbehave for
// chosen packages.
type fakePublic struct {
	srv      *apptest.Server
	proxy    *httptest.Server
	registry string // the second wharf's endpoint path, e.g. /up-000000000000/npm/public/

	mu     sync.Mutex
	counts map[string]int
	// broken package names answer with a body that is not JSON; tampered
	// tarball files answer with other bytes than the packument describes.
	broken, tampered map[string]bool
}

func startFakePublic(t *testing.T) *fakePublic {
	t.Helper()
	up := apptest.Start(t)
	createDomain(t, up, "up")
	createRepo(t, up, "up", "public")
	tok := token(t, up, "up")
	f := &fakePublic{srv: up, registry: "/up-" + owner + "/npm/public/", counts: map[string]int{}, broken: map[string]bool{}, tampered: map[string]bool{}}
	target, _ := url.Parse(up.URL)
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // the second wharf then writes tarball URLs on the proxy's host
		r.Out.Header.Set("Authorization", "Bearer "+tok)
	}}
	f.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel := strings.TrimPrefix(r.URL.EscapedPath(), f.registry)
		f.mu.Lock()
		f.counts[rel]++
		broken, tampered := f.broken[rel], f.tampered[rel]
		f.mu.Unlock()
		switch {
		case broken:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"name": "broken-pkg", "versions": [not json`))
		case tampered:
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(makeFixture(t, "tampered-pkg", "1.0.0", map[string]string{"evil": "*"}).Tarball)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(f.proxy.Close)
	return f
}

// URL is what the first wharf is given as --upstream public:npmjs=URL.
func (f *fakePublic) URL() *url.URL {
	u, _ := url.Parse(f.proxy.URL + f.registry)
	return u
}

func (f *fakePublic) count(rel string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[rel]
}

func (f *fakePublic) publish(t *testing.T, fx ...fixture) {
	t.Helper()
	reg := f.srv.URL + f.registry
	tok := token(t, f.srv, "up")
	for _, x := range fx {
		publishFixture(t, reg, tok, x)
	}
}

// tree builds a dependency tree of n packages (a binary tree rooted at dep-01,
// every fifth one scoped), plus a second, unused major of the last one.
func tree(t *testing.T, n int) []fixture {
	name := func(i int) string {
		if i%5 == 0 {
			return fmt.Sprintf("@fx/dep-%02d", i)
		}
		return fmt.Sprintf("dep-%02d", i)
	}
	var out []fixture
	for i := 1; i <= n; i++ {
		deps := map[string]string{}
		for _, c := range []int{2 * i, 2*i + 1} {
			if c <= n {
				deps[name(c)] = "^1.0.0"
			}
		}
		out = append(out, makeFixture(t, name(i), "1.0.0", deps))
	}
	return append(out, makeFixture(t, name(n), "2.0.0", nil))
}

// corp starts the wharf under test with public:npmjs pointing at up, and the
// layout the Terraform module builds: an npm-store repository holding the
// external connection and an app repository whose upstream it is.
func corp(t *testing.T, up *fakePublic, mutate func(*config.Config)) *apptest.Server {
	t.Helper()
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:npmjs": up.URL()}, Mutate: mutate})
	createDomain(t, srv, "corp")
	createRepo(t, srv, "corp", "npm-store")
	connectExternal(t, srv, "corp", "npm-store", "public:npmjs")
	createRepo(t, srv, "corp", "app", "npm-store")
	return srv
}

func TestInstallTreeThroughExternalConnection(t *testing.T) {
	needTools(t)
	up := startFakePublic(t)
	const n = 22
	fixtures := tree(t, n)
	up.publish(t, fixtures...)
	up.publish(t, makeFixture(t, "cold-pkg", "1.0.0", nil), makeFixture(t, "blocked-pkg", "1.0.0", nil), makeFixture(t, "tampered-pkg", "1.0.0", nil), makeFixture(t, "broken-pkg", "1.0.0", nil))

	srv := corp(t, up, nil)
	// A second wharf on the same upstream that revalidates on every request,
	// to see it say "stale" once the upstream is gone.
	eager := corp(t, up, func(c *config.Config) { c.MetadataTTL = 1 })

	cons := login(t, srv, "corp", "app")
	dir := project(t, map[string]string{"dep-01": "^1.0.0"})
	cons.mustNpm(dir, "install")
	lock := readLock(t, dir)
	if len(lock) < 20 {
		t.Fatalf("lockfile has %d packages, want the whole tree of %d", len(lock), n)
	}
	for name, p := range lock {
		if !strings.HasPrefix(p.Resolved, endpoint(srv, "corp", "app")) {
			t.Fatalf("%s resolved to %s, not through wharf", name, p.Resolved)
		}
	}
	if v := installedVersion(t, dir, "@fx/dep-20"); v != "1.0.0" {
		t.Fatalf("@fx/dep-20 installed %s", v)
	}

	// Every tarball was fetched upstream exactly once; a clean reinstall from
	// the lockfile with an empty npm cache fetches none again.
	checkOnce := func() {
		t.Helper()
		for _, fx := range fixtures[:n] {
			rel := fx.Name + "/-/" + fx.file() // wharf writes scoped tarball URLs unescaped, as the public registry does
			if c := up.count(rel); c != 1 {
				t.Fatalf("tarball %s fetched upstream %d times, want 1", rel, c)
			}
		}
	}
	checkOnce()
	reinstall := func() {
		t.Helper()
		if err := os.RemoveAll(filepath.Join(dir, "node_modules")); err != nil {
			t.Fatal(err)
		}
		cons.clearCache()
		cons.mustNpm(dir, "ci")
		if v := installedVersion(t, dir, "dep-22"); v != "1.0.0" {
			t.Fatalf("dep-22 installed %s after reinstall", v)
		}
	}
	reinstall()
	checkOnce()

	// Retained where CodeArtifact retains: in the repository holding the
	// external connection and in the one that asked, as EXTERNAL versions.
	ctx := context.Background()
	st := srv.App.Engine.Store
	for _, repo := range []string{"npm-store", "app"} {
		r, err := st.GetRepository(ctx, owner, "corp", repo)
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.GetVersion(ctx, packages.Key(r, model.FormatNpm, "fx", "dep-10"), "1.0.0")
		if err != nil {
			t.Fatalf("%s did not retain @fx/dep-10: %v", repo, err)
		}
		if v.Origin.Type != model.OriginExternal || v.Origin.ExternalConnection != "public:npmjs" || v.Summary != "fixture @fx/dep-10" {
			t.Fatalf("%s: @fx/dep-10 stored as %+v", repo, v)
		}
	}

	lv, err := srv.CodeArtifact().ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String("corp"), Repository: aws.String("npm-store"),
		Format: types.PackageFormatNpm, Namespace: aws.String("fx"), Package: aws.String("dep-10"), OriginType: types.PackageVersionOriginTypeExternal})
	if err != nil || len(lv.Versions) != 1 {
		t.Fatalf("ListPackageVersions npm-store @fx/dep-10 EXTERNAL: %+v %v", lv, err)
	}

	tok := token(t, srv, "corp")
	app := endpoint(srv, "corp", "app")

	// Origin control: with upstream=BLOCK for a name in app, nothing of it is
	// taken from the public side, and the upstream is not even asked.
	if _, err := srv.CodeArtifact().PutPackageOriginConfiguration(ctx, &codeartifact.PutPackageOriginConfigurationInput{Domain: aws.String("corp"),
		Repository: aws.String("app"), Format: types.PackageFormatNpm, Package: aws.String("blocked-pkg"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: types.AllowUpstreamBlock}}); err != nil {
		t.Fatalf("PutPackageOriginConfiguration: %v", err)
	}
	for _, p := range []string{"blocked-pkg", "blocked-pkg/-/blocked-pkg-1.0.0.tgz"} {
		if st, _, body := do(t, http.MethodGet, app+p, tok, nil); st != http.StatusNotFound {
			t.Fatalf("GET %s with upstream=BLOCK: %d %.200s", p, st, body)
		}
	}
	if c := up.count("blocked-pkg"); c != 0 {
		t.Fatalf("blocked package asked upstream %d times", c)
	}

	// 50 concurrent requests for one cold package: one upstream fetch of its
	// packument and of its tarball, and every client gets the bytes.
	cold := makeFixture(t, "cold-pkg", "1.0.0", nil)
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _, body := do(t, http.MethodGet, app+"cold-pkg/-/cold-pkg-1.0.0.tgz", tok, nil)
			if st != http.StatusOK || string(body) != string(cold.Tarball) {
				errs <- fmt.Sprintf("%d %.200s", st, body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("concurrent cold fetch: %s", e)
	}
	if c := up.count("cold-pkg/-/cold-pkg-1.0.0.tgz"); c != 1 {
		t.Fatalf("50 concurrent cold requests made %d upstream tarball fetches, want 1", c)
	}
	if c := up.count("cold-pkg"); c != 1 {
		t.Fatalf("50 concurrent cold requests made %d upstream packument fetches, want 1", c)
	}

	// An upstream 404 is remembered for a while: asked twice, fetched once.
	for i := 0; i < 2; i++ {
		if st, _, body := do(t, http.MethodGet, app+"no-such-pkg", tok, nil); st != http.StatusNotFound || !strings.Contains(string(body), `"error"`) {
			t.Fatalf("missing package: %d %s", st, body)
		}
	}
	if c := up.count("no-such-pkg"); c != 1 {
		t.Fatalf("404 fetched upstream %d times, want 1 (negative cache)", c)
	}

	// A tarball whose bytes do not match the packument's integrity is refused
	// and nothing is stored: asking again goes upstream again.
	up.mu.Lock()
	up.tampered["tampered-pkg/-/tampered-pkg-1.0.0.tgz"] = true
	up.mu.Unlock()
	for i := 0; i < 2; i++ {
		st, _, body := do(t, http.MethodGet, app+"tampered-pkg/-/tampered-pkg-1.0.0.tgz", tok, nil)
		if st != http.StatusBadGateway || !strings.Contains(string(body), "integrity") {
			t.Fatalf("tampered tarball: %d %s", st, body)
		}
	}
	if c := up.count("tampered-pkg/-/tampered-pkg-1.0.0.tgz"); c != 2 {
		t.Fatalf("tampered tarball fetched %d times, want 2 (nothing kept after a mismatch)", c)
	}
	for _, repo := range []string{"npm-store", "app"} {
		r, _ := st.GetRepository(ctx, owner, "corp", repo)
		if _, err := st.GetVersion(ctx, packages.Key(r, model.FormatNpm, "", "tampered-pkg"), "1.0.0"); err == nil {
			t.Fatalf("%s stored the tampered version", repo)
		}
	}

	// A malformed packument from upstream is a clear 502, not a crash.
	up.mu.Lock()
	up.broken["broken-pkg"] = true
	up.mu.Unlock()
	if st, _, body := do(t, http.MethodGet, app+"broken-pkg", tok, nil); st != http.StatusBadGateway || !strings.Contains(string(body), "unusable packument") {
		t.Fatalf("malformed upstream packument: %d %s", st, body)
	}

	// The eager wharf revalidates every time; it has a copy of dep-01's packument.
	eagerTok := token(t, eager, "corp")
	eagerApp := endpoint(eager, "corp", "app")
	if st, h, body := do(t, http.MethodGet, eagerApp+"dep-01", eagerTok, nil); st != http.StatusOK || h.Get("X-Wharf-Upstream-Stale") != "" {
		t.Fatalf("eager packument while upstream is up: %d stale=%q %.200s", st, h.Get("X-Wharf-Upstream-Stale"), body)
	}

	// The upstream goes away: installs keep working from wharf alone.
	up.proxy.Close()
	up.srv.Stop()
	reinstall()
	st2, h, body := do(t, http.MethodGet, eagerApp+"dep-01", eagerTok, nil, "Accept", "application/vnd.npm.install-v1+json")
	if st2 != http.StatusOK || h.Get("X-Wharf-Upstream-Stale") != "true" || !strings.Contains(string(body), `"1.0.0"`) {
		t.Fatalf("packument with the upstream down: %d stale=%q %.200s", st2, h.Get("X-Wharf-Upstream-Stale"), body)
	}
	// What wharf never fetched cannot come from a dead upstream: a clear 502.
	for _, p := range []string{"never-seen-pkg", "dep-22/-/dep-22-2.0.0.tgz"} {
		if st, _, body := do(t, http.MethodGet, app+p, tok, nil); st != http.StatusBadGateway || !strings.Contains(string(body), `"error"`) {
			t.Fatalf("GET %s with the upstream down: %d %.200s", p, st, body)
		}
	}
}

type lockEntry struct {
	Version   string `json:"version"`
	Resolved  string `json:"resolved"`
	Integrity string `json:"integrity"`
}

func readLock(t *testing.T, dir string) map[string]lockEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]lockEntry `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	out := map[string]lockEntry{}
	for k, v := range lock.Packages {
		if k != "" {
			out[strings.TrimPrefix(k, "node_modules/")] = v
		}
	}
	return out
}

// TestBadInput covers names that try to climb out of the package space and
// publish bodies over the configured limit.
func TestBadInput(t *testing.T) {
	needTools(t)
	srv := apptest.Start(t, apptest.Options{Mutate: func(c *config.Config) { c.MaxPublishBytes = 256 << 10 }})
	createDomain(t, srv, "acme")
	createRepo(t, srv, "acme", "repo-a")
	tok := token(t, srv, "acme")
	reg := endpoint(srv, "acme", "repo-a")

	for _, p := range []string{"..%2f..%2fetc%2fpasswd", "%2e%2e%2fsecret", "foo%2e%2e", "@acme%2f..", "@acme%2f%2e%2e%2fx",
		"pkg/-/..%2fpkg-1.0.0.tgz", "pkg/-/pkg-%2e%2e.tgz", "-/package/..%2fx/dist-tags"} {
		st, _, body := do(t, http.MethodGet, reg+p, tok, nil)
		if st != http.StatusBadRequest || !strings.Contains(string(body), `"error"`) {
			t.Errorf("GET %s: %d %s, want 400", p, st, body)
		}
	}
	if st, _, body := do(t, http.MethodPut, reg+"..%2fevil", tok, makeFixture(t, "../evil", "1.0.0", nil).publishBody(reg)); st != http.StatusBadRequest {
		t.Errorf("PUT ..%%2fevil: %d %s", st, body)
	}

	// An oversized publish (over 256 KiB here) is refused with 413 and stores nothing.
	pub := login(t, srv, "acme", "repo-a")
	pkg := writePackage(t, "bigpkg", "1.0.0", nil)
	big := make([]byte, 512<<10)
	_, _ = rand.Read(big)
	if err := os.WriteFile(filepath.Join(pkg, "blob.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := pub.npm(pkg, "publish")
	if err == nil || !strings.Contains(out, "413") {
		t.Fatalf("oversized publish: err=%v\n%s", err, out)
	}
	if st, _, body := do(t, http.MethodGet, reg+"bigpkg", tok, nil); st != http.StatusNotFound {
		t.Fatalf("bigpkg after refused publish: %d %s", st, body)
	}
	// Just under the limit is fine.
	small := writePackage(t, "smallpkg", "1.0.0", nil)
	if err := os.WriteFile(filepath.Join(small, "blob.bin"), big[:64<<10], 0o644); err != nil {
		t.Fatal(err)
	}
	pub.mustNpm(small, "publish")
}
