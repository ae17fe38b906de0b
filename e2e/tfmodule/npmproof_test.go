package tfmodule_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// fixtureRegistry is a small public-registry stand-in: two packages, one
// depending on the other, served as packuments and tarballs. The module's
// public:npmjs connection is pointed at it, since no public registry is
// reachable from the test machines.
type fixtureRegistry struct {
	*httptest.Server
	tarballs atomic.Int64
}

func npmTarball(t *testing.T, pkgJSON map[string]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body, _ := json.Marshal(pkgJSON)
	files := map[string][]byte{
		"package/package.json": body,
		"package/index.js":     []byte("module.exports = " + `"` + pkgJSON["name"].(string) + `";` + "\n"),
	}
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func startFixtureRegistry(t *testing.T) *fixtureRegistry {
	t.Helper()
	type pkg struct {
		name, version string
		deps          map[string]string
	}
	pkgs := []pkg{
		{"wharf-proof-dep", "1.0.0", nil},
		{"wharf-proof", "2.1.0", map[string]string{"wharf-proof-dep": "^1.0.0"}},
	}
	f := &fixtureRegistry{}
	tarballs := map[string][]byte{}
	packuments := map[string][]byte{}
	mux := http.NewServeMux()
	f.Server = httptest.NewServer(mux)
	for _, p := range pkgs {
		manifest := map[string]any{"name": p.name, "version": p.version, "main": "index.js"}
		if p.deps != nil {
			manifest["dependencies"] = p.deps
		}
		tgz := npmTarball(t, manifest)
		file := p.name + "-" + p.version + ".tgz"
		tarballs["/"+p.name+"/-/"+file] = tgz
		s512 := sha512.Sum512(tgz)
		s1 := sha1.Sum(tgz)
		manifest["dist"] = map[string]any{
			"tarball":   f.URL + "/" + p.name + "/-/" + file,
			"integrity": "sha512-" + base64.StdEncoding.EncodeToString(s512[:]),
			"shasum":    hex.EncodeToString(s1[:]),
		}
		doc, _ := json.Marshal(map[string]any{
			"name": p.name, "dist-tags": map[string]string{"latest": p.version},
			"versions": map[string]any{p.version: manifest},
		})
		packuments["/"+p.name] = doc
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if b, ok := tarballs[r.URL.Path]; ok {
			f.tarballs.Add(1)
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(b)
			return
		}
		if b, ok := packuments[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b)
			return
		}
		http.NotFound(w, r)
	})
	t.Cleanup(f.Close)
	return f
}

// npmInstallThrough logs npm in to a repository with `aws codeartifact login`,
// exactly as a user of the module would, and installs pkg through it into a
// fresh project.
func npmInstallThrough(t *testing.T, wharfURL, domain, repo, pkg string) string {
	t.Helper()
	home := t.TempDir()
	// The aws CLI reads an empty AWS_PROFILE as a profile named "", so unset ones are left out.
	var env []string
	for _, kv := range e2eEnv() {
		if !strings.HasSuffix(kv, "=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "AWS_DEFAULT_REGION="+testRegion, "NPM_CONFIG_USERCONFIG="+filepath.Join(home, ".npmrc"),
		"PATH="+os.Getenv("PATH"))
	login := exec.Command("aws", "codeartifact", "login", "--tool", "npm", "--domain", domain, "--repository", repo, "--endpoint-url", wharfURL)
	login.Env = env
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("aws codeartifact login --tool npm: %v\n%s", err, out)
	}
	project := t.TempDir()
	if err := os.WriteFile(filepath.Join(project, "package.json"), []byte(`{"name":"proof-app","version":"1.0.0","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	install := exec.Command("npm", "install", pkg, "--no-audit", "--no-fund", "--cache", filepath.Join(home, "npm-cache"))
	install.Dir = project
	install.Env = env
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install %s through %s/%s: %v\n%s", pkg, domain, repo, err, out)
	}
	lock, err := os.ReadFile(filepath.Join(project, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(lock), "127.0.0.1") && !strings.Contains(string(lock), strings.TrimPrefix(wharfURL, "http://")) {
		t.Fatalf("lockfile resolves somewhere other than wharf:\n%s", lock)
	}
	return project
}
