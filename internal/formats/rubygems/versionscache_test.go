package rubygems

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/store/cached"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// versionsEnv is the ruby handler on the real engine, SQLite behind the
// generation-keeping cache (as wharf runs it), the disk blob store, and a
// fixture external registry behind public:ruby-gems-org on a clock the test
// moves.
type versionsEnv struct {
	t   *testing.T
	ctx context.Context
	st  *cached.Store
	h   *Handler
	// repo (with the external connection) has private as its upstream,
	// where gems are pushed.
	repo, private model.Repository

	mu       sync.Mutex
	now      time.Time
	upVers   string // the fixture's versions file body after its header
	upInfo   string // the fixture's info/wharf-demo
	upServed int
}

func newVersionsEnv(t *testing.T) *versionsEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	inner, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	st := cached.New(inner, cached.Options{})
	bs, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e := &versionsEnv{t: t, ctx: ctx, st: st, now: time.Unix(1_800_000_000, 0)}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.upServed++
		switch r.URL.Path {
		case "/versions":
			_, _ = io.WriteString(w, "created_at: 2024-01-01T00:00:00Z\n---\n"+e.upVers)
		case "/info/wharf-demo":
			_, _ = io.WriteString(w, e.upInfo)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	fetcher, err := upstream.New(upstream.Sources{"public:ruby-gems-org": u}, st, upstream.Options{MetadataTTL: time.Minute, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	eng := &packages.Engine{Store: st, Blobs: bs, Upstream: fetcher}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.h = New(eng, fetcher, func(context.Context, *endpoints.Request, string) error { return nil }, log, 0)
	if err := st.CreateDomain(ctx, model.Domain{Name: "d", Owner: "111122223333", Region: "us-east-1", Status: "Active", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	e.private = model.Repository{Name: "private", DomainName: "d", DomainOwner: "111122223333", Region: "us-east-1", CreatedAt: time.Now()}
	e.repo = model.Repository{Name: "gems", DomainName: "d", DomainOwner: "111122223333", Region: "us-east-1", CreatedAt: time.Now(),
		Upstreams:           []string{"private"},
		ExternalConnections: []model.ExternalConnection{{Name: "public:ruby-gems-org", Format: model.FormatRuby}}}
	for _, r := range []model.Repository{e.private, e.repo} {
		if err := st.CreateRepository(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	e.upVers = "rack 1.0.0 0123456789abcdef0123456789abcdef\n"
	e.upInfo = "---\n0.9.0 |checksum:" + strings.Repeat("a", 64) + "\n"
	return e
}

func (e *versionsEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// later moves the clock past the metadata TTL and changes the fixture.
func (e *versionsEnv) later(change func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(2 * time.Minute)
	change()
}

func (e *versionsEnv) serve(repo model.Repository, method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, "/"+path, strings.NewReader(body))
	if method == http.MethodDelete {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	e.h.Serve(w, r, &endpoints.Request{Repo: repo, Path: path, Base: "http://x/"})
	if w.Code >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body.String())
	}
	return w
}

// versions fetches the versions file and returns its line for wharf-demo
// ("" when none) and how many renderings happened so far.
func (e *versionsEnv) versions() (string, string, int64) {
	e.t.Helper()
	w := e.serve(e.repo, http.MethodGet, "versions", "")
	body := w.Body.String()
	if w.Header().Get("ETag") != `"`+MD5([]byte(body))+`"` {
		e.t.Fatalf("ETag %s is not the body's MD5", w.Header().Get("ETag"))
	}
	line := ""
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "wharf-demo ") {
			line = l // the last one wins, as for Bundler
		}
	}
	return body, line, e.h.versionsRenders.Load()
}

// The versions file is rendered once and served again until what it
// reflects changes; then the very next request sees the change: a push, a
// yank, a status change, a new upstream versions file, a new upstream info
// file of a held gem.
func TestVersionsCachedAndInvalidated(t *testing.T) {
	e := newVersionsEnv(t)
	gem, err := os.ReadFile("testdata/wharf-demo-1.2.0.gem")
	if err != nil {
		t.Fatal(err)
	}
	_, line, n0 := e.versions()
	if line != "" {
		t.Fatalf("before the push: %q", line)
	}

	e.serve(e.private, http.MethodPost, "api/v1/gems", string(gem))
	_, line, n1 := e.versions()
	if n1 != n0+1 || !strings.HasPrefix(line, "wharf-demo 1.2.0,0.9.0 ") {
		t.Fatalf("after the push: line %q, renders %d → %d", line, n0, n1)
	}
	body1, line1, n := e.versions()
	if n != n1 || line1 != line {
		t.Fatalf("unchanged: rendered again (%d → %d) or changed (%q)", n1, n, line1)
	}

	// gem yank: Unlisted, gone from the file at once.
	e.serve(e.private, http.MethodDelete, "api/v1/gems/yank", "gem_name=wharf-demo&version=1.2.0")
	_, line, n = e.versions()
	if !strings.HasPrefix(line, "wharf-demo 0.9.0 ") {
		t.Fatalf("after the yank: %q", line)
	}
	// A status change (UpdatePackageVersionsStatus writes through the store).
	v, err := e.st.GetVersion(e.ctx, packages.Key(e.private, model.FormatRuby, "", "wharf-demo"), "1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	v.Status = model.StatusPublished
	if err := e.st.UpdateVersion(e.ctx, v); err != nil {
		t.Fatal(err)
	}
	_, line, n2 := e.versions()
	if line != line1 || n2 != n+1 {
		t.Fatalf("after the status change: %q, want %q", line, line1)
	}

	// A held gem's upstream info file changes: its line (MD5) changes.
	e.later(func() { e.upInfo += "1.0.0 |checksum:" + strings.Repeat("b", 64) + "\n" })
	_, line, _ = e.versions()
	if !strings.HasPrefix(line, "wharf-demo 1.2.0,0.9.0,1.0.0 ") {
		t.Fatalf("after the upstream info changed: %q", line)
	}
	// The upstream versions file changes.
	e.later(func() { e.upVers += "rails 7.0.0 fedcba9876543210fedcba9876543210\n" })
	body, _, _ := e.versions()
	if !strings.Contains(body, "\nrails 7.0.0 ") || bytes.Equal([]byte(body), []byte(body1)) {
		t.Fatalf("after the upstream versions file changed:\n%s", body)
	}
	n = e.h.versionsRenders.Load()
	if _, _, m := e.versions(); m != n {
		t.Fatalf("unchanged again: rendered %d → %d", n, m)
	}

	// A whole file too large to keep (the public registry's): the chain's
	// lines are kept, the file assembled from them and the upstream's.
	e.h.versionsCache = newVersionsCache(4096)
	e.later(func() {
		for i := range 80 {
			e.upVers += fmt.Sprintf("filler%02d 1.0.0 0123456789abcdef0123456789abcdef\n", i)
		}
	})
	_, _, n = e.versions()
	body, line, m := e.versions()
	if m != n || !strings.HasPrefix(line, "wharf-demo 1.2.0,0.9.0,1.0.0 ") || !strings.Contains(body, "\nfiller79 1.0.0 ") || len(body) <= 2048 {
		t.Fatalf("large file: rendered %d → %d, line %q, %d bytes", n, m, line, len(body))
	}
	gen, err := e.st.Generation(e.ctx, e.repo.DomainOwner, e.repo.DomainName)
	if err != nil {
		t.Fatal(err)
	}
	if d := e.h.versionsCache.get("111122223333/d/gems", gen); d == nil || d.body != nil || len(d.lines) == 0 {
		t.Fatalf("large file: kept %+v, want the lines alone", d)
	}
	// (Past the metadata TTL every upstream document is refreshed, which
	// counts as a change: the lines may be rendered again once.)
	e.later(func() { e.upVers += "rails 7.1.0 fedcba9876543210fedcba9876543210\n" })
	body, _, n = e.versions()
	if !strings.Contains(body, "\nrails 7.1.0 ") {
		t.Fatalf("large file after the upstream changed:\n%s", body)
	}
	if again, _, m := e.versions(); m != n || again != body {
		t.Fatalf("large file unchanged: rendered %d → %d", n, m)
	}
}

// Concurrent requests share renderings and kept lines without racing
// (run with -race) and all get the same file.
func TestVersionsConcurrent(t *testing.T) {
	e := newVersionsEnv(t)
	gem, err := os.ReadFile("testdata/wharf-demo-1.2.0.gem")
	if err != nil {
		t.Fatal(err)
	}
	e.serve(e.private, http.MethodPost, "api/v1/gems", string(gem))
	e.h.versionsCache = newVersionsCache(1024) // lines kept, whole file not: assembled per request
	var wg sync.WaitGroup
	bodies := make([]string, 8)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := httptest.NewRecorder()
			e.h.Serve(w, httptest.NewRequest(http.MethodGet, "/versions", nil), &endpoints.Request{Repo: e.repo, Path: "versions"})
			bodies[i] = fmt.Sprint(w.Code, " ", w.Body.String())
		}()
	}
	wg.Wait()
	for _, b := range bodies {
		if b != bodies[0] || !strings.Contains(b, "\nwharf-demo 1.2.0,0.9.0 ") {
			t.Fatalf("concurrent answers differ or miss the gem:\n%s\n%s", b, bodies[0])
		}
	}
}
