// Package pypi_test drives wharf's pypi endpoints with the real clients: twine
// uploads, pip installs into fresh virtual environments, configured by
// `aws codeartifact login --tool twine|pip` exactly as a user would.
package pypi_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wharf-dev/wharf/internal/apptest"
)

const domain = "pyco"

// TestTwineUploadPipInstallThroughUpstream: twine uploads a wheel and an sdist
// of two projects to repository a; pip installs one (which depends on the
// other) from repository b, whose upstream is a, into a fresh venv.
func TestTwineUploadPipInstallThroughUpstream(t *testing.T) {
	need(t, "twine", "aws", "python3")
	srv := apptest.Start(t)
	ca := setup(t, srv, domain, []string{"repo-a", "repo-b"}, map[string][]string{"repo-b": {"repo-a"}}, nil)
	e := newEnv(t, srv)
	work := t.TempDir()

	dep := dist{Name: "wharf-dep", Version: "1.0", Module: "wharf_dep", Value: "dep"}
	app := dist{Name: "Wharf_Demo", Version: "1.0", Module: "wharf_demo", Value: "demo", Requires: []string{"wharf-dep (>=1.0)"}}
	distDir := filepath.Join(work, "dist")
	if err := os.MkdirAll(distDir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := []string{dep.wheel(t, distDir), dep.sdist(t, distDir), app.wheel(t, distDir), app.sdist(t, distDir)}

	// twine, configured by the aws CLI (.pypirc in HOME).
	e.must(t, work, "aws", "codeartifact", "login", "--tool", "twine", "--domain", domain, "--repository", "repo-a", "--endpoint-url", srv.URL)
	pypirc, err := os.ReadFile(filepath.Join(e.home, ".pypirc"))
	if err != nil || !strings.Contains(string(pypirc), "username = aws") {
		t.Fatalf(".pypirc not written by aws codeartifact login: %v\n%s", err, pypirc)
	}
	out := e.must(t, work, "twine", append([]string{"upload", "--non-interactive", "--disable-progress-bar", "--repository", "codeartifact"}, files...)...)
	t.Logf("twine upload:\n%s", out)

	// Re-uploading an existing file is refused; --skip-existing recognises the refusal.
	if out, err := e.run(t, work, "twine", "upload", "--non-interactive", "--disable-progress-bar", "--repository", "codeartifact", files[0]); err == nil {
		t.Fatalf("re-upload of %s succeeded:\n%s", files[0], out)
	} else if !strings.Contains(out, "409") {
		t.Fatalf("re-upload refused without 409:\n%s", out)
	}
	e.must(t, work, "twine", "upload", "--non-interactive", "--disable-progress-bar", "--skip-existing", "--repository", "codeartifact", files[0])

	// pip, configured by the aws CLI (pip config set global.index-url, in HOME).
	e.must(t, work, "aws", "codeartifact", "login", "--tool", "pip", "--domain", domain, "--repository", "repo-b", "--endpoint-url", srv.URL)
	venv := filepath.Join(work, "venv")
	e.must(t, work, "python3", "-m", "venv", venv)
	pip := filepath.Join(venv, "bin", "pip")
	out = e.must(t, work, pip, "install", "--no-cache-dir", "wharf.demo==1.0")
	t.Logf("pip install:\n%s", out)
	got := e.must(t, work, filepath.Join(venv, "bin", "python"), "-c", "import wharf_demo, wharf_dep; print(wharf_demo.VALUE, wharf_dep.VALUE)")
	if strings.TrimSpace(got) != "demo dep" {
		t.Fatalf("installed modules say %q", got)
	}

	tok := token(t, ca, domain)
	base := endpoint(t, ca, domain, "repo-b")

	// The project page of b (through a) lists both files with hashes and
	// Requires-Python, in HTML and in PEP 691 JSON.
	body, ctype := get(t, base+"simple/wharf-demo/", tok, "text/html")
	if !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("HTML page content type %q", ctype)
	}
	for _, p := range files[2:] {
		f, sum := filepath.Base(p), fileSHA256(t, p)
		want := fmt.Sprintf(`href="%ssimple/wharf-demo/1.0/%s#sha256=%s" data-requires-python="&gt;=3.7"`, base, f, sum)
		if !strings.Contains(body, want) {
			t.Fatalf("HTML page lacks %s\n%s", want, body)
		}
	}
	body, ctype = get(t, base+"simple/wharf-demo/", tok, "application/vnd.pypi.simple.v1+json, text/html;q=0.1")
	if ctype != "application/vnd.pypi.simple.v1+json" || !strings.Contains(body, `"requires-python":"\u003e=3.7"`) || !strings.Contains(body, `"sha256":"`+fileSHA256(t, files[2])+`"`) {
		t.Fatalf("JSON page (%s):\n%s", ctype, body)
	}
	// A non-normalized name redirects to the normalized page.
	req, _ := http.NewRequest("GET", base+"simple/Wharf_Demo/", nil)
	req.SetBasicAuth("aws", tok)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != base+"simple/wharf-demo/" {
		t.Fatalf("non-normalized name: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Without credentials: 401 with a Basic challenge (what makes pip prompt).
	resp, err = http.Get(base + "simple/wharf-demo/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	t.Run("bad uploads", func(t *testing.T) {
		a := endpoint(t, ca, domain, "repo-a")
		whl, _ := os.ReadFile(files[2])
		good := sha(whl)
		cases := []struct {
			name, filename, version, sha256 string
			status                          int
		}{
			{"wrong sha256", "wharf_demo-2.0-py3-none-any.whl", "2.0", strings.Repeat("0", 64), http.StatusBadRequest},
			{"file of another project", "other-2.0-py3-none-any.whl", "2.0", good, http.StatusBadRequest},
			{"file of another version", "wharf_demo-3.0-py3-none-any.whl", "2.0", good, http.StatusBadRequest},
			{"traversal in file name", "../wharf_demo-2.0-py3-none-any.whl", "2.0", good, http.StatusBadRequest},
			{"malformed version", "wharf_demo-2.0-py3-none-any.whl", "2.0/../x", good, http.StatusBadRequest},
			{"existing file, same bytes", filepath.Base(files[2]), "1.0", good, http.StatusConflict},
		}
		for _, c := range cases {
			status, msg := upload(t, a, tok, "Wharf_Demo", c.version, c.filename, whl, c.sha256)
			if status != c.status {
				t.Errorf("%s: status %d, want %d (%s)", c.name, status, c.status, msg)
			}
		}
		// Nothing of version 2.0 was stored.
		body, _ := get(t, a+"simple/wharf-demo/", tok, "text/html")
		if strings.Contains(body, "2.0") {
			t.Fatalf("a refused upload left a file:\n%s", body)
		}
		// No token in the upload: 401 with a challenge.
		req, _ := http.NewRequest("POST", a, strings.NewReader(""))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Basic realm="wharf"` {
			t.Fatalf("anonymous upload: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})

	// A repository policy denying PublishPackageVersion on one package's ARN
	// stops twine uploading that name only: uploads are decided on
	// package/DOMAIN/REPO/pypi//NAME, as in AWS, not on the repository.
	t.Run("package-level deny", func(t *testing.T) {
		pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:PublishPackageVersion",
			"Resource":"arn:aws:codeartifact:us-east-1:%s:package/%s/repo-a/pypi//wharf-locked"}]}`, apptest.Account, domain)
		e.must(t, work, "aws", "codeartifact", "put-repository-permissions-policy", "--domain", domain, "--repository", "repo-a",
			"--policy-document", pol, "--endpoint-url", srv.URL)
		locked := dist{Name: "Wharf.Locked", Version: "1.0", Module: "wharf_locked", Value: "locked"}
		open := dist{Name: "wharf-open", Version: "1.0", Module: "wharf_open", Value: "open"}
		dir := filepath.Join(work, "dist-policy")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		twine := []string{"upload", "--non-interactive", "--disable-progress-bar", "--repository", "codeartifact"}
		if out, err := e.run(t, work, "twine", append(twine, locked.wheel(t, dir))...); err == nil || !strings.Contains(out, "403") {
			t.Fatalf("twine upload of the denied package: want 403, got %v\n%s", err, out)
		}
		e.must(t, work, "twine", append(twine, open.wheel(t, dir))...)
		a := endpoint(t, ca, domain, "repo-a")
		req, _ := http.NewRequest("GET", a+"simple/wharf-locked/", nil)
		req.SetBasicAuth("aws", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the refused upload left a package: %d", resp.StatusCode)
		}
		if body, _ := get(t, a+"simple/wharf-open/", tok, "text/html"); !strings.Contains(body, "wharf_open-1.0") {
			t.Fatalf("the allowed upload is not listed:\n%s", body)
		}
	})
}

// TestPipThroughPublicPyPI: pip installs through public:pypi, pointed at an
// upstream simple index the test serves; then again, in a fresh venv with no
// cache, after that upstream is gone.
func TestPipThroughPublicPyPI(t *testing.T) {
	need(t, "aws", "python3")
	fixtures := t.TempDir()
	up := dist{Name: "upstream-pkg", Version: "2.0", Module: "upstream_pkg", Value: "from-upstream"}
	whl := up.wheel(t, fixtures)
	whlBytes, _ := os.ReadFile(whl)
	var pages, downloads atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/upstream-pkg/", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><a href="../../files/%s#sha256=%s" data-requires-python="&gt;=3">%s</a></body></html>`,
			filepath.Base(whl), sha(whlBytes), filepath.Base(whl))
	})
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		if filepath.Base(r.URL.Path) != filepath.Base(whl) {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(whlBytes)
	})
	upstream := httptest.NewServer(mux)
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL + "/")

	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:pypi": u}})
	setup(t, srv, domain, []string{"pypi-store", "app"}, map[string][]string{"app": {"pypi-store"}}, map[string]string{"pypi-store": "public:pypi"})
	e := newEnv(t, srv)
	work := t.TempDir()
	e.must(t, work, "aws", "codeartifact", "login", "--tool", "pip", "--domain", domain, "--repository", "app", "--endpoint-url", srv.URL)

	install := func(name string) {
		t.Helper()
		venv := filepath.Join(work, name)
		e.must(t, work, "python3", "-m", "venv", venv)
		e.must(t, work, filepath.Join(venv, "bin", "pip"), "install", "--no-cache-dir", "upstream-pkg==2.0")
		got := e.must(t, work, filepath.Join(venv, "bin", "python"), "-c", "import upstream_pkg; print(upstream_pkg.VALUE)")
		if strings.TrimSpace(got) != "from-upstream" {
			t.Fatalf("installed module says %q", got)
		}
	}
	install("venv1")
	if pages.Load() == 0 || downloads.Load() != 1 {
		t.Fatalf("upstream saw %d page and %d file requests, want >0 and 1", pages.Load(), downloads.Load())
	}
	upstream.Close()
	install("venv2")
	if downloads.Load() != 1 {
		t.Fatalf("the file was fetched upstream %d times", downloads.Load())
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u, tok, accept string) (string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.SetBasicAuth("aws", tok)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return string(b), resp.Header.Get("Content-Type")
}

// upload posts the legacy upload form as twine does.
func upload(t *testing.T, endpoint, tok, name, version, filename string, content []byte, sha256hex string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	sum := md5.Sum(content)
	for k, v := range map[string]string{":action": "file_upload", "protocol_version": "1", "name": name, "version": version,
		"filetype": "bdist_wheel", "pyversion": "py3", "metadata_version": "2.1", "sha256_digest": sha256hex, "md5_digest": hex.EncodeToString(sum[:])} {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("content", filename)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", endpoint, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.SetBasicAuth("aws", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fileSHA256(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha(b)
}
