package npme2e

import (
	"net/url"
	"os"
	"testing"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestPublicRegistry installs a few real public packages through public:npmjs.
// It needs network access to a public npm registry, so it runs only when
// WHARF_PUBLIC_NPM_REGISTRY names one, e.g.
//
//	WHARF_PUBLIC_NPM_REGISTRY="$(npm config get registry)" go test ./e2e/npm -run TestPublicRegistry
func TestPublicRegistry(t *testing.T) {
	raw := os.Getenv("WHARF_PUBLIC_NPM_REGISTRY")
	if raw == "" {
		t.Skip("set WHARF_PUBLIC_NPM_REGISTRY to a public npm registry URL to run this test")
	}
	needTools(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("WHARF_PUBLIC_NPM_REGISTRY: %v", err)
	}
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:npmjs": u}})
	createDomain(t, srv, "corp")
	createRepo(t, srv, "corp", "npm-store")
	connectExternal(t, srv, "corp", "npm-store", "public:npmjs")
	createRepo(t, srv, "corp", "app", "npm-store")

	cons := login(t, srv, "corp", "app")
	dir := project(t, map[string]string{"is-number": "^7.0.0", "@types/node": "*", "chalk": "^4.1.2"})
	cons.mustNpm(dir, "install")
	for _, name := range []string{"is-number", "@types/node", "chalk", "supports-color"} {
		if v := installedVersion(t, dir, name); v == "" {
			t.Fatalf("%s not installed", name)
		}
	}
	for name, p := range readLock(t, dir) {
		if len(p.Resolved) < len(srv.URL) || p.Resolved[:len(srv.URL)] != srv.URL {
			t.Fatalf("%s resolved to %s, not through wharf", name, p.Resolved)
		}
	}
}
