package app_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

// One budget sizes every cache: together they take 3/8 of it, whatever it
// is, so the collector keeps the rest as headroom.
func TestBudgetsSplitOneBudget(t *testing.T) {
	if app.BudgetsFor(0) != app.BudgetsFor(config.DefaultMemoryBudget) {
		t.Fatal("a zero budget is not the default one")
	}
	for _, total := range []int64{config.MinMemoryBudget, config.DefaultMemoryBudget, 96 << 20, 1 << 30} {
		b := app.BudgetsFor(total)
		caches := []int64{b.Store, b.Blobs, b.NpmRendered, b.Opened, b.RubyVersions, b.SwiftIndex, b.Files}
		var sum int64
		for _, c := range caches {
			if c <= 0 {
				t.Fatalf("budget %d: a cache got %d: %+v", total, c, b)
			}
			sum += c
		}
		if b.MemoryLimit != total || sum > total*3/8 || sum < total*3/8-64 {
			t.Fatalf("budget %d: limit %d, caches %d (want 3/8 of it): %+v", total, b.MemoryLimit, sum, b)
		}
		if b.BlobItem > 1<<20 || b.BlobItem > b.Blobs/4 || b.BlobItem <= 0 {
			t.Fatalf("budget %d: blob item %d of a %d blob cache", total, b.BlobItem, b.Blobs)
		}
	}
}

// /metrics shows each cache's budget from --memory-budget, and what it holds.
func TestCacheMetricsFollowTheBudget(t *testing.T) {
	up := startNpmUpstream(t, map[string][]string{"left-pad": {"1.0.0"}})
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:npmjs": up.URL()},
		Mutate: func(c *config.Config) { c.MemoryBudget = 64 << 20 }})
	want := app.BudgetsFor(64 << 20)
	ctx, ca := t.Context(), srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("acme")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("npm-store")}))
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("npm-store")}}}))
	base := "/acme-" + apptest.Account + "/npm/app/"
	if status, body := npmGet(t, srv, "acme", base+"left-pad"); status != http.StatusOK {
		t.Fatalf("packument: %d %s", status, body)
	}
	if status, body := npmGet(t, srv, "acme", base+"left-pad/-/left-pad-1.0.0.tgz"); status != http.StatusOK {
		t.Fatalf("tarball: %d %s", status, body)
	}
	// The second GET finds the tarball held by app (retained by the first)
	// and memoizes the resolved file.
	if status, body := npmGet(t, srv, "acme", base+"left-pad/-/left-pad-1.0.0.tgz"); status != http.StatusOK {
		t.Fatalf("tarball again: %d %s", status, body)
	}
	m := scrape(t, srv.URL)
	for name, budget := range map[string]int64{"store": want.Store, "blobs": want.Blobs, "npm_rendered": want.NpmRendered,
		"opened_versions": want.Opened, "ruby_versions": want.RubyVersions, "swift_index": want.SwiftIndex, "files": want.Files} {
		if got := value(m, "wharf_cache_budget_bytes", map[string]string{"cache": name}); got != float64(budget) {
			t.Errorf("wharf_cache_budget_bytes{cache=%q} = %v, want %d", name, got, budget)
		}
	}
	for _, name := range []string{"store", "blobs", "npm_rendered", "files"} {
		if got := value(m, "wharf_cache_entries", map[string]string{"cache": name}); got < 1 {
			t.Errorf("wharf_cache_entries{cache=%q} = %v after a packument and a tarball were served", name, got)
		}
		if got := value(m, "wharf_cache_bytes", map[string]string{"cache": name}); got <= 0 {
			t.Errorf("wharf_cache_bytes{cache=%q} = %v after a packument and a tarball were served", name, got)
		}
	}
}
