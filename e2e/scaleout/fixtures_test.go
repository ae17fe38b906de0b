package scaleout

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// registry is the public npm registry as far as the test is concerned: a
// tree of packages whose packuments and tarballs it serves, counting every
// request per path, so the test can tell how often wharf went upstream.
type registry struct {
	srv  *httptest.Server
	pkgs map[string]pkg // by name

	mu   sync.Mutex
	hits map[string]int // by request path
	// second[path] is closed by the second request for path. The first
	// request waits for it (at most holdFirst) before answering, so
	// replicas that each fetched on their own are caught doing so however
	// the requests happen to interleave.
	second map[string]chan struct{}
}

// holdFirst bounds the wait of a first request; when wharf coordinates its
// replicas no second request comes, and this is the price per document.
const holdFirst = time.Second

type pkg struct {
	name, version string
	deps          map[string]string
	tarball       []byte
}

func (p pkg) file() string {
	base := p.name[strings.LastIndex(p.name, "/")+1:]
	return base + "-" + p.version + ".tgz"
}

// tarballPath is where the registry serves p's tarball (npm's layout).
func (p pkg) tarballPath() string { return "/" + p.name + "/-/" + p.file() }

// treeNames: a binary tree of n packages rooted at dep-01, every fifth one
// scoped (scoped names take another path through npm and wharf).
func treeName(i int) string {
	if i%5 == 0 {
		return fmt.Sprintf("@fx/dep-%02d", i)
	}
	return fmt.Sprintf("dep-%02d", i)
}

func startRegistry(t *testing.T, n int) *registry {
	r := &registry{pkgs: map[string]pkg{}, hits: map[string]int{}, second: map[string]chan struct{}{}}
	for i := 1; i <= n; i++ {
		deps := map[string]string{}
		for _, c := range []int{2 * i, 2*i + 1} {
			if c <= n {
				deps[treeName(c)] = "^1.0.0"
			}
		}
		p := pkg{name: treeName(i), version: "1.0.0", deps: deps}
		p.tarball = npmTarball(t, p)
		r.pkgs[p.name] = p
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *registry) serve(w http.ResponseWriter, req *http.Request) {
	path := req.URL.EscapedPath()
	r.mu.Lock()
	r.hits[path]++
	n := r.hits[path]
	if n == 1 {
		r.second[path] = make(chan struct{})
	}
	ch := r.second[path]
	r.mu.Unlock()
	switch n {
	case 1:
		select {
		case <-ch:
		case <-time.After(holdFirst):
		case <-req.Context().Done():
		}
	case 2:
		close(ch)
	}
	for _, p := range r.pkgs {
		switch path {
		case "/" + strings.Replace(p.name, "/", "%2f", 1), "/" + strings.Replace(p.name, "/", "%2F", 1), "/" + p.name:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(r.packument(p))
			return
		case p.tarballPath():
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(len(p.tarball)))
			w.Write(p.tarball)
			return
		}
	}
	http.NotFound(w, req)
}

func (r *registry) packument(p pkg) map[string]any {
	sha := sha512.Sum512(p.tarball)
	sha1sum := sha1.Sum(p.tarball)
	v := map[string]any{
		"name": p.name, "version": p.version, "main": "index.js", "license": "MIT",
		"dist": map[string]any{
			"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sha[:]),
			"shasum":    hex.EncodeToString(sha1sum[:]),
			"tarball":   r.srv.URL + p.tarballPath(),
		},
	}
	if len(p.deps) > 0 {
		v["dependencies"] = p.deps
	}
	return map[string]any{
		"name": p.name, "dist-tags": map[string]string{"latest": p.version},
		"versions": map[string]any{p.version: v},
		"time":     map[string]string{p.version: "2026-01-01T00:00:00.000Z"},
	}
}

func (r *registry) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

func npmTarball(t *testing.T, p pkg) []byte {
	pj := map[string]any{"name": p.name, "version": p.version, "main": "index.js", "license": "MIT"}
	if len(p.deps) > 0 {
		pj["dependencies"] = p.deps
	}
	pjb, _ := json.Marshal(pj)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		body []byte
	}{{"package/package.json", pjb}, {"package/index.js", []byte(fmt.Sprintf("module.exports = %q;\n", p.name))}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.body)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}
