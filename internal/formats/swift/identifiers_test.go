package swift

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/store/cached"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
)

// The identifiers lookup reads the chain's packages once per domain
// generation (W7): lookups in between are answered from the index, and the
// very next lookup after a publish, a status change or a deletion sees it.
func TestIdentifiersIndexedAndInvalidated(t *testing.T) {
	ctx := context.Background()
	inner, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	st := cached.New(inner, cached.Options{}) // as wharf runs it: writes bump the domain's generation
	h := New(&packages.Engine{Store: st}, func(context.Context, *endpoints.Request, string) error { return nil },
		slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
	if err := st.CreateDomain(ctx, model.Domain{Name: "d", Owner: "111122223333", Region: "us-east-1", Status: "Active", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	lib := model.Repository{Name: "lib", DomainName: "d", DomainOwner: "111122223333", Region: "us-east-1", CreatedAt: time.Now()}
	app := lib
	app.Name, app.Upstreams = "app", []string{"lib"}
	for _, r := range []model.Repository{lib, app} {
		if err := st.CreateRepository(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	publish := func(repo model.Repository, scope, name, version string, urls ...string) model.PackageVersion {
		t.Helper()
		v := VersionOf(Release{Scope: scope, Name: name, Checksum: strings.Repeat("a", 64), PublishedAt: time.Now(), RepositoryURLs: urls})
		v.PackageKey = packages.Key(repo, model.FormatSwift, Key(scope), Key(name))
		v.Version, v.Status = version, model.StatusPublished
		if err := st.CreateVersion(ctx, model.Package{PackageKey: v.PackageKey}, v, nil); err != nil {
			t.Fatal(err)
		}
		return v
	}
	lookup := func(u string) []string {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/identifiers?url="+u, nil)
		w := httptest.NewRecorder()
		h.Serve(w, r, &endpoints.Request{Repo: app, Path: "identifiers", Base: "http://x/"})
		if w.Code == http.StatusNotFound {
			return nil
		}
		var out struct{ Identifiers []string }
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			t.Fatalf("identifiers %s: %d %s", u, w.Code, w.Body)
		}
		return out.Identifiers
	}
	const ll = "https://github.com/mona/LinkedList"
	const other = "git@github.com:mona/Other.git"
	if got := lookup(ll); got != nil {
		t.Fatalf("before any publish: %v", got)
	}
	v := publish(lib, "mona", "LinkedList", "1.0.0", ll+".git")
	publish(lib, "mona", "Other", "1.0.0", "https://github.com/mona/other")
	if got := lookup(ll); strings.Join(got, ",") != "mona.LinkedList" {
		t.Fatalf("after the publish: %v", got)
	}
	builds := h.indexBuilds.Load()
	for _, u := range []string{ll, other, "https://github.com/mona/none", ll} {
		lookup(u)
	}
	if got := lookup(other); strings.Join(got, ",") != "mona.Other" || h.indexBuilds.Load() != builds {
		t.Fatalf("unchanged domain: %v, index built %d more times", got, h.indexBuilds.Load()-builds)
	}
	// A status change: not visible, not listed.
	v.Status = model.StatusUnlisted
	if err := st.UpdateVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	if got := lookup(ll); got != nil {
		t.Fatalf("after the status change: %v", got)
	}
	// A publish in the downstream repository naming the same URL.
	publish(app, "acme", "LinkedList", "2.0.0", "ssh://git@github.com/Mona/LinkedList")
	if got := lookup(ll); strings.Join(got, ",") != "acme.LinkedList" {
		t.Fatalf("after the second publish: %v", got)
	}
	// A deletion.
	if err := st.DeleteVersion(ctx, packages.Key(app, model.FormatSwift, "acme", "linkedlist"), "2.0.0"); err != nil {
		t.Fatal(err)
	}
	if got := lookup(ll); got != nil {
		t.Fatalf("after the deletion: %v", got)
	}
}
