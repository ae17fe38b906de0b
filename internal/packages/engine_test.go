package packages_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/formats/npm"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
	"github.com/wharf-dev/wharf/internal/upstream"
	"github.com/wharf-dev/wharf/internal/upstream/upstreamtest"
)

const (
	owner  = "111122223333"
	domain = "acme"
	conn   = "public:npmjs"
)

// env is an engine on real SQLite and the real disk blob store, with a
// fixture npm registry behind public:npmjs. Repositories: app → store, where
// store holds the external connection; ci has no upstreams.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    *sqlite.Store
	blobs string
	up    *upstreamtest.Server
	eng   *packages.Engine
	repos map[string]model.Repository
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bs, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	up := upstreamtest.New(t)
	u, _ := url.Parse(up.URL)
	fetcher, err := upstream.New(upstream.Sources{conn: u}, st, upstream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, st: st, blobs: bs.Root(), up: up, repos: map[string]model.Repository{},
		eng: &packages.Engine{Store: st, Blobs: bs, Upstream: fetcher}}
	e.eng.Register(npm.Format{})
	if err := st.CreateDomain(ctx, model.Domain{Name: domain, Owner: owner, Region: "us-east-1", Status: "Active", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	e.repo("store", nil, conn)
	e.repo("app", []string{"store"}, "")
	e.repo("ci", nil, "")
	return e
}

func (e *env) repo(name string, upstreams []string, external string) {
	e.t.Helper()
	r := model.Repository{Name: name, DomainName: domain, DomainOwner: owner, Region: "us-east-1", Upstreams: upstreams, CreatedAt: time.Now()}
	if external != "" {
		r.ExternalConnections = []model.ExternalConnection{{Name: external, Format: model.FormatNpm}}
	}
	if err := e.st.CreateRepository(e.ctx, r); err != nil {
		e.t.Fatal(err)
	}
	e.repos[name] = r
}

func (e *env) chain(repo string) packages.Chain {
	e.t.Helper()
	c, err := e.eng.SearchOrder(e.ctx, e.repos[repo])
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// group stores a package group with restriction modes and allowed lists.
func (e *env) group(pattern string, modes map[string]string, allowed map[string][]string) {
	e.t.Helper()
	g := model.PackageGroup{DomainOwner: owner, DomainName: domain, Region: "us-east-1", Pattern: pattern,
		Restrictions: modes, AllowedRepositories: allowed, CreatedAt: time.Now()}
	if err := e.st.CreatePackageGroup(e.ctx, g, nil); err != nil {
		e.t.Fatal(err)
	}
}

// publishNpm publishes a version of an npm package to repo with one asset.
func (e *env) publishNpm(repo, scope, name, version string, body []byte) error {
	a, err := e.eng.PutAsset(e.ctx, e.repos[repo], npm.AssetName, bytes.NewReader(body), "")
	if err != nil {
		return err
	}
	_, err = e.eng.Publish(e.ctx, e.chain(repo), model.PackageVersion{
		PackageKey: packages.Key(e.repos[repo], model.FormatNpm, scope, name), Version: version}, []model.Asset{a})
	return err
}

func (e *env) versions(repo, scope, name string) int {
	e.t.Helper()
	vs, err := e.st.ListVersions(e.ctx, packages.Key(e.repos[repo], model.FormatNpm, scope, name))
	if apperr.Is(err, apperr.NotFound) {
		return 0
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return len(vs)
}

// blobCount counts the committed blob files on disk.
func (e *env) blobCount() int {
	n := 0
	_ = filepath.Walk(e.blobs, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Base(filepath.Dir(p)) != "incoming" && !bytes.Contains([]byte(p), []byte("/incoming/")) {
			n++
		}
		return nil
	})
	return n
}

// servePackument puts an npm packument of name on the fixture registry with
// the given tarballs (version → bytes), integrity from the bytes unless
// integrity overrides it.
func (e *env) servePackument(name string, tarballs map[string][]byte, integrity map[string]string) {
	e.t.Helper()
	versions := map[string]any{}
	latest := ""
	for v, body := range tarballs {
		sum := sha512.Sum512(body)
		integ := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
		if i, ok := integrity[v]; ok {
			integ = i
		}
		path := "/" + name + "/-/" + name + "-" + v + ".tgz"
		e.up.Set(path, "application/octet-stream", body)
		versions[v] = map[string]any{"name": name, "version": v, "dist": map[string]any{"tarball": e.up.URL + path, "integrity": integ}}
		latest = v
	}
	doc, _ := json.Marshal(map[string]any{"name": name, "versions": versions, "dist-tags": map[string]string{"latest": latest}})
	e.up.Set("/"+name, "application/json", doc)
}

const (
	allow    = model.ModeAllow
	block    = model.ModeBlock
	specific = model.ModeAllowSpecificRepositories
	inherit  = model.ModeInherit
	pub      = model.RestrictionPublish
	ext      = model.RestrictionExternalUpstream
	internal = model.RestrictionInternalUpstream
)

// TestOriginRules is the origin-rules table: every group mode, inheritance
// through one and two levels, the allowed list of the group a mode is
// inherited from, weak (case-only) association, and how the package's own
// origin configuration combines with its group's.
func TestOriginRules(t *testing.T) {
	type group struct {
		pattern string
		modes   map[string]string
		allowed map[string][]string
	}
	type want struct {
		entry packages.Entry
		repo  string
		ok    bool
	}
	cases := []struct {
		name   string
		groups []group
		origin *model.OriginRestrictions // the package's own row in every repository
		want   []want
	}{
		{name: "no groups: defaults allow everything",
			want: []want{{packages.EntryPublish, "app", true}, {packages.EntryExternal, "store", true}, {packages.EntryInternal, "app", true}, {packages.EntryCopy, "ci", true}}},
		{name: "root PUBLISH=BLOCK",
			groups: []group{{"/*", map[string]string{pub: block}, nil}},
			want:   []want{{packages.EntryPublish, "app", false}, {packages.EntryCopy, "ci", false}, {packages.EntryExternal, "store", true}, {packages.EntryInternal, "app", true}}},
		{name: "namespace group BLOCK, exact child ALLOW: the most specific group decides",
			groups: []group{{"/npm/acme/*", map[string]string{pub: block}, nil}, {"/npm/acme/tool$", map[string]string{pub: allow}, nil}},
			want:   []want{{packages.EntryPublish, "app", true}}},
		{name: "EXTERNAL_UPSTREAM=BLOCK inherited by an exact child",
			groups: []group{{"/npm/acme/*", map[string]string{ext: block}, nil}, {"/npm/acme/tool$", map[string]string{ext: inherit}, nil}},
			want:   []want{{packages.EntryExternal, "store", false}, {packages.EntryInternal, "app", true}, {packages.EntryPublish, "app", true}}},
		{name: "INTERNAL_UPSTREAM=BLOCK inherited through two levels",
			groups: []group{{"/npm/*", map[string]string{internal: block}, nil}, {"/npm/acme~", nil, nil}, {"/npm/acme/tool$", nil, nil}},
			want:   []want{{packages.EntryInternal, "app", false}, {packages.EntryExternal, "store", true}}},
		{name: "a child's own ALLOW beats an inherited BLOCK",
			groups: []group{{"/*", map[string]string{ext: block}, nil}, {"/npm/*", map[string]string{ext: allow}, nil}},
			want:   []want{{packages.EntryExternal, "store", true}}},
		{name: "ALLOW_SPECIFIC_REPOSITORIES allows exactly the listed repository",
			groups: []group{{"/npm/acme/*", map[string]string{pub: specific, ext: specific}, map[string][]string{pub: {"ci"}, ext: {"store"}}}},
			want: []want{{packages.EntryPublish, "ci", true}, {packages.EntryPublish, "app", false}, {packages.EntryCopy, "app", false},
				{packages.EntryExternal, "store", true}, {packages.EntryExternal, "app", false}}},
		{name: "an inherited ALLOW_SPECIFIC_REPOSITORIES uses the list of the group it comes from",
			groups: []group{{"/npm/acme/*", map[string]string{pub: specific}, map[string][]string{pub: {"ci"}}}, {"/npm/acme/tool$", nil, map[string][]string{pub: {"app"}}}},
			want:   []want{{packages.EntryPublish, "ci", true}, {packages.EntryPublish, "app", false}}},
		{name: "ALLOW_SPECIFIC_REPOSITORIES with an empty list allows none",
			groups: []group{{"/npm/acme/*", map[string]string{pub: specific}, nil}},
			want:   []want{{packages.EntryPublish, "ci", false}, {packages.EntryPublish, "app", false}}},
		{name: "a weak (case-only) match still governs the package",
			groups: []group{{"/npm/acme/Tool$", map[string]string{pub: block}, nil}},
			want:   []want{{packages.EntryPublish, "app", false}}},
		{name: "a group of another package does not",
			groups: []group{{"/npm/acme/other$", map[string]string{pub: block}, nil}, {"/pypi/*", map[string]string{pub: block}, nil}},
			want:   []want{{packages.EntryPublish, "app", true}}},
		{name: "package publish=BLOCK refuses a publish whatever the group says; a copy is the group's to decide",
			groups: []group{{"/npm/acme/*", map[string]string{pub: allow}, nil}},
			origin: &model.OriginRestrictions{Publish: model.Block, Upstream: model.Allow},
			want:   []want{{packages.EntryPublish, "app", false}, {packages.EntryCopy, "app", true}, {packages.EntryExternal, "store", true}}},
		{name: "package upstream=BLOCK refuses ingestion and retention whatever the group says",
			origin: &model.OriginRestrictions{Publish: model.Allow, Upstream: model.Block},
			want:   []want{{packages.EntryExternal, "store", false}, {packages.EntryInternal, "app", false}, {packages.EntryPublish, "app", true}}},
		{name: "package ALLOW/ALLOW does not lift a group BLOCK",
			groups: []group{{"/npm/acme/*", map[string]string{pub: block, ext: block}, nil}},
			origin: &model.OriginRestrictions{Publish: model.Allow, Upstream: model.Allow},
			want:   []want{{packages.EntryPublish, "app", false}, {packages.EntryExternal, "store", false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			for _, g := range c.groups {
				e.group(g.pattern, g.modes, g.allowed)
			}
			if c.origin != nil {
				for _, r := range e.repos {
					if err := e.st.PutPackage(e.ctx, model.Package{PackageKey: packages.Key(r, model.FormatNpm, "acme", "tool"), Origin: *c.origin}); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, w := range c.want {
				err := e.eng.Allow(e.ctx, w.entry, e.repos[w.repo], model.FormatNpm, "acme", "tool")
				if w.ok && err != nil {
					t.Errorf("entry %d into %s: %v, want allowed", w.entry, w.repo, err)
				}
				if !w.ok && !apperr.Is(err, apperr.AccessDenied) {
					t.Errorf("entry %d into %s: %v, want AccessDenied", w.entry, w.repo, err)
				}
			}
		})
	}
}

// TestPublishRefusedByGroupStoresNothing: a refused publish leaves no version.
func TestPublishRefusedByGroupStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.group("/npm/acme/*", map[string]string{pub: specific}, map[string][]string{pub: {"ci"}})
	err := e.publishNpm("app", "acme", "tool", "1.0.0", []byte("tarball"))
	if !apperr.Is(err, apperr.AccessDenied) {
		t.Fatalf("publish to app: %v, want AccessDenied", err)
	}
	if e.versions("app", "acme", "tool") != 0 {
		t.Fatal("a refused publish stored a version")
	}
	if err := e.publishNpm("ci", "acme", "tool", "1.0.0", []byte("tarball")); err != nil {
		t.Fatalf("publish to the allowed repository: %v", err)
	}
}

// TestShadowingThroughExternalConnection: a version the external registry
// lists (never fetched) cannot be published downstream; another version can;
// a package whose group blocks external upstreams is internal and may be.
func TestShadowingThroughExternalConnection(t *testing.T) {
	e := newEnv(t)
	e.servePackument("lodash", map[string][]byte{"1.0.0": []byte("public tarball")}, nil)
	err := e.publishNpm("app", "", "lodash", "1.0.0", []byte("private tarball"))
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("publishing the registry's version: %v, want Conflict", err)
	}
	if e.versions("app", "", "lodash") != 0 || e.versions("store", "", "lodash") != 0 {
		t.Fatal("a refused publish stored a version")
	}
	// Upstream repository shadowing too: what store holds, app may not publish.
	if err := e.publishNpm("store", "acme", "held", "1.0.0", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := e.publishNpm("app", "acme", "held", "1.0.0", []byte("y")); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("publishing a version the upstream repository holds: %v, want Conflict", err)
	}
	if err := e.publishNpm("app", "", "lodash", "2.0.0", []byte("private tarball")); err != nil {
		t.Fatalf("publishing a version the registry does not have: %v", err)
	}

	// With EXTERNAL_UPSTREAM blocked, the public namesake is not consulted.
	e.servePackument("internal-tool", map[string][]byte{"1.0.0": []byte("public")}, nil)
	e.group("/npm//internal-tool$", map[string]string{ext: block}, nil)
	if err := e.publishNpm("app", "", "internal-tool", "1.0.0", []byte("ours")); err != nil {
		t.Fatalf("publishing a package whose group blocks external upstreams: %v", err)
	}
}

// TestFetchThroughExternalConnection: a tarball is fetched once, verified,
// ingested in the connection's holder and retained downstream; a group
// blocking external upstreams keeps it out; every bad ending keeps nothing.
func TestFetchThroughExternalConnection(t *testing.T) {
	e := newEnv(t)
	good := []byte("a public tarball's bytes")
	e.servePackument("left-pad", map[string][]byte{"1.0.0": good}, nil)
	f := npm.Format{}
	_, a, err := e.eng.Fetch(e.ctx, f, e.chain("app"), "", "left-pad", "1.0.0", npm.AssetName, false)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if a.Size != int64(len(good)) {
		t.Fatalf("asset of %d bytes, want %d", a.Size, len(good))
	}
	if e.versions("store", "", "left-pad") != 1 || e.versions("app", "", "left-pad") != 1 {
		t.Fatal("the version was not ingested in store and retained in app")
	}
	p, err := e.st.GetPackage(e.ctx, packages.Key(e.repos["store"], model.FormatNpm, "", "left-pad"))
	if err != nil || p.Origin.Publish != model.Block || p.Origin.Upstream != model.Allow {
		t.Fatalf("ingested package origin %+v (%v), want publish=BLOCK upstream=ALLOW", p.Origin, err)
	}

	// Blocked by group: not listed, not fetched.
	e.servePackument("blocked", map[string][]byte{"1.0.0": good}, nil)
	e.group("/npm//blocked$", map[string]string{ext: block}, nil)
	if _, _, err := e.eng.Fetch(e.ctx, f, e.chain("app"), "", "blocked", "1.0.0", npm.AssetName, false); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("Fetch of a blocked package: %v, want NotFound", err)
	}
	res, err := e.eng.Resolve(e.ctx, f, e.chain("app"), "", "blocked")
	if err != nil || res.Listing != nil {
		t.Fatalf("Resolve of a blocked package: listing %v, %v; want none", res.Listing, err)
	}

	// Every bad ending of the stream: nothing kept, the good answer later is.
	for i, fault := range []upstreamtest.Fault{upstreamtest.ShortLength, upstreamtest.ShortChunked, upstreamtest.ShortNoLength, upstreamtest.Reset, upstreamtest.WrongBytes} {
		name := "faulty" + string(rune('a'+i))
		body := bytes.Repeat([]byte{byte(i)}, 64<<10)
		e.servePackument(name, map[string][]byte{"1.0.0": body}, nil)
		path := "/" + name + "/-/" + name + "-1.0.0.tgz"
		e.up.Fail(path, fault)
		before := e.blobCount()
		if _, _, err := e.eng.Fetch(e.ctx, f, e.chain("app"), "", name, "1.0.0", npm.AssetName, false); err == nil {
			t.Fatalf("%s: Fetch succeeded", fault)
		}
		if e.blobCount() != before || e.versions("store", "", name) != 0 || e.versions("app", "", name) != 0 {
			t.Fatalf("%s: something was kept", fault)
		}
		e.up.Fail(path, upstreamtest.Good)
		if _, _, err := e.eng.Fetch(e.ctx, f, e.chain("app"), "", name, "1.0.0", npm.AssetName, false); err != nil {
			t.Fatalf("%s then good: %v", fault, err)
		}
	}

	// A digest mismatch against the registry's own integrity: nothing kept.
	e.servePackument("lying", map[string][]byte{"1.0.0": good}, map[string]string{"1.0.0": "sha512-" + base64.StdEncoding.EncodeToString(make([]byte, 64))})
	before := e.blobCount()
	if _, _, err := e.eng.Fetch(e.ctx, f, e.chain("app"), "", "lying", "1.0.0", npm.AssetName, false); err == nil {
		t.Fatal("a tarball whose integrity does not match was accepted")
	}
	if e.blobCount() != before || e.versions("store", "", "lying") != 0 {
		t.Fatal("a mismatching tarball was kept")
	}
}

// TestConcurrentFetchesShareOneUpstreamRequest: however many ask for the same
// tarball at once, the registry is asked once (the others join the flight or
// find it stored) and every caller gets it.
func TestConcurrentFetchesShareOneUpstreamRequest(t *testing.T) {
	e := newEnv(t)
	body := bytes.Repeat([]byte("z"), 256<<10)
	e.servePackument("popular", map[string][]byte{"1.0.0": body}, nil)
	e.repo("app2", []string{"store"}, "") // a second downstream of the same holder
	errs := make(chan error, 8)
	for i := 0; i < cap(errs); i++ {
		chain := e.chain([]string{"app", "app2"}[i%2])
		go func() {
			_, a, err := e.eng.Fetch(e.ctx, npm.Format{}, chain, "", "popular", "1.0.0", npm.AssetName, false)
			if err == nil && a.Size != int64(len(body)) {
				err = apperr.New(apperr.Internal, "asset of %d bytes", a.Size)
			}
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := e.up.Hits("/popular/-/popular-1.0.0.tgz"); n != 1 {
		t.Fatalf("the tarball was fetched %d times, want 1", n)
	}
	if e.versions("app", "", "popular") != 1 || e.versions("app2", "", "popular") != 1 {
		t.Fatal("each requesting repository should retain the version")
	}
}

// TestInternalUpstreamBlockedByGroup: with INTERNAL_UPSTREAM blocked for the
// package, the requesting repository neither lists nor retains what its
// upstream holds; its own versions still serve.
func TestInternalUpstreamBlockedByGroup(t *testing.T) {
	e := newEnv(t)
	if err := e.publishNpm("store", "acme", "lib", "1.0.0", []byte("upstream's")); err != nil {
		t.Fatal(err)
	}
	e.group("/npm/acme/*", map[string]string{internal: block}, nil)
	res, err := e.eng.Resolve(e.ctx, npm.Format{}, e.chain("app"), "acme", "lib")
	if err != nil || len(res.Hits) != 0 || len(res.Repos) != 1 {
		t.Fatalf("Resolve: %d hits over %d repositories (%v); want none over app alone", len(res.Hits), len(res.Repos), err)
	}
	if _, _, err := e.eng.Fetch(e.ctx, npm.Format{}, e.chain("app"), "acme", "lib", "1.0.0", npm.AssetName, false); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("Fetch through a blocked internal upstream: %v, want NotFound", err)
	}
	if e.versions("app", "acme", "lib") != 0 {
		t.Fatal("app retained a version its group keeps out")
	}
	// What app publishes itself (the upstream's version is invisible to it,
	// so it does not shadow) is served.
	if err := e.publishNpm("app", "acme", "lib", "1.0.0", []byte("app's own")); err != nil {
		t.Fatalf("publishing in app: %v", err)
	}
	if _, a, err := e.eng.Fetch(e.ctx, npm.Format{}, e.chain("app"), "acme", "lib", "1.0.0", npm.AssetName, false); err != nil || a.Size != int64(len("app's own")) {
		t.Fatalf("Fetch of app's own version: %v (%d bytes)", err, a.Size)
	}
}

// TestRetainHoldsTheBlobsItReferences: a version retained downstream pins the
// upstream version's blobs before its row is recorded (blob collection must
// not remove them in between), and a blob already gone refuses the retention
// with nothing recorded.
func TestRetainHoldsTheBlobsItReferences(t *testing.T) {
	e := newEnv(t)
	body := []byte("tarball bytes of @acme/held")
	if err := e.publishNpm("store", "acme", "held", "1.0.0", body); err != nil {
		t.Fatal(err)
	}
	hit, err := e.eng.Find(e.ctx, e.chain("app"), model.FormatNpm, "acme", "held", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}

	e.eng.Hold = func(_ context.Context, o, d string, sha256s []string) error {
		return apperr.New(apperr.NotFound, "blob %s is gone", sha256s[0])
	}
	if err := e.eng.Retain(e.ctx, e.repos["app"], hit); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("retain with a blob gone: %v, want NotFound", err)
	}
	if n := e.versions("app", "acme", "held"); n != 0 {
		t.Fatalf("app holds %d versions after a refused retention, want 0", n)
	}

	var held []string
	e.eng.Hold = func(_ context.Context, o, d string, sha256s []string) error {
		if o != owner || d != domain {
			t.Errorf("hold in %s/%s, want %s/%s", o, d, owner, domain)
		}
		held = append(held, sha256s...)
		return nil
	}
	if err := e.eng.Retain(e.ctx, e.repos["app"], hit); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if len(held) != 1 || held[0] != hex.EncodeToString(sum[:]) {
		t.Fatalf("held %v, want the tarball's sha256 %x", held, sum)
	}
	if n := e.versions("app", "acme", "held"); n != 1 {
		t.Fatalf("app holds %d versions after retention, want 1", n)
	}
}
