package pypi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/formats/pypi"
)

// TestPipStaleSimplePage: with a metadata TTL so short that every request
// revalidates, the public:pypi project page is served from wharf's cached copy
// (marked X-Wharf-Upstream-Stale) once the upstream is gone, still listing the
// upstream's files, and pip still installs from it.
func TestPipStaleSimplePage(t *testing.T) {
	need(t, "aws", "python3")
	fixtures := t.TempDir()
	cur := dist{Name: "stale-pkg", Version: "2.0", Module: "stale_pkg", Value: "stale-ok"}
	old := dist{Name: "stale-pkg", Version: "1.9", Module: "stale_pkg", Value: "old"}
	whl, oldWhl := cur.wheel(t, fixtures), old.wheel(t, fixtures)
	whlBytes, _ := os.ReadFile(whl)
	oldBytes, _ := os.ReadFile(oldWhl)
	var pages atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/stale-pkg/", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><html><body>
<a href="/files/%[1]s#sha256=%[2]s">%[1]s</a>
<a href="/files/%[3]s#sha256=%[4]s">%[3]s</a>
</body></html>`, filepath.Base(oldWhl), sha(oldBytes), filepath.Base(whl), sha(whlBytes))
	})
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		switch filepath.Base(r.URL.Path) {
		case filepath.Base(whl):
			_, _ = w.Write(whlBytes)
		case filepath.Base(oldWhl):
			_, _ = w.Write(oldBytes)
		default:
			http.NotFound(w, r)
		}
	})
	upstream := httptest.NewServer(mux)
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL + "/")

	srv := apptest.Start(t, apptest.Options{
		Upstreams: map[string]*url.URL{"public:pypi": u},
		Mutate:    func(c *config.Config) { c.MetadataTTL = time.Millisecond },
	})
	const dom = "pystale"
	ca := setup(t, srv, dom, []string{"pypi-store", "app"}, map[string][]string{"app": {"pypi-store"}}, map[string]string{"pypi-store": "public:pypi"})
	tok := token(t, ca, dom)
	page := endpoint(t, ca, dom, "app") + "simple/stale-pkg/"
	e := newEnv(t, srv)
	work := t.TempDir()
	e.must(t, work, "aws", "codeartifact", "login", "--tool", "pip", "--domain", dom, "--repository", "app", "--endpoint-url", srv.URL)
	install := func(venvName string) {
		t.Helper()
		venv := filepath.Join(work, venvName)
		e.must(t, work, "python3", "-m", "venv", venv)
		e.must(t, work, filepath.Join(venv, "bin", "pip"), "install", "--no-cache-dir", "stale-pkg==2.0")
		got := e.must(t, work, filepath.Join(venv, "bin", "python"), "-c", "import stale_pkg; print(stale_pkg.VALUE)")
		if strings.TrimSpace(got) != "stale-ok" {
			t.Fatalf("installed module says %q", got)
		}
	}

	install("venv1")
	// Upstream up: the page is fresh (no stale mark), and with the 1ms TTL each
	// request asks the upstream again.
	before := pages.Load()
	body, hdr := pageWithHeader(t, page, tok)
	if hdr.Get(pypi.StaleHeader) != "" {
		t.Fatalf("fresh page marked stale")
	}
	if pages.Load() == before {
		t.Fatalf("the page was not revalidated upstream: the TTL did not take effect")
	}
	if !strings.Contains(body, filepath.Base(oldWhl)) {
		t.Fatalf("page lacks the upstream-only file:\n%s", body)
	}

	upstream.Close()
	body, hdr = pageWithHeader(t, page, tok)
	if hdr.Get(pypi.StaleHeader) != "true" {
		t.Fatalf("page served with the upstream down is not marked stale (headers %v)", hdr)
	}
	// The cached upstream listing is still there: 1.9 was never downloaded, so
	// only the cached copy of the upstream page can list it.
	if !strings.Contains(body, filepath.Base(oldWhl)+"#sha256="+sha(oldBytes)) || !strings.Contains(body, filepath.Base(whl)) {
		t.Fatalf("stale page:\n%s", body)
	}
	install("venv2")

	// The root index lists what the chain holds (retained from upstream),
	// through PackageNames.
	if idx, _ := pageWithHeader(t, strings.TrimSuffix(page, "stale-pkg/"), tok); !strings.Contains(idx, ">stale-pkg<") {
		t.Fatalf("root index:\n%s", idx)
	}
}

func pageWithHeader(t *testing.T, u, tok string) (string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.SetBasicAuth("aws", tok)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return string(b), resp.Header
}
