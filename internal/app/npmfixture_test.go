package app_test

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
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// npmUpstream is a minimal public npm registry: packuments and tarballs of
// fixture packages built in Go, with request counts.
type npmUpstream struct {
	srv      *httptest.Server
	tarballs map[string][]byte // "name-version.tgz" -> bytes
	docs     map[string][]byte // name -> packument
	requests atomic.Int64
}

func startNpmUpstream(t *testing.T, pkgs map[string][]string) *npmUpstream {
	t.Helper()
	u := &npmUpstream{tarballs: map[string][]byte{}, docs: map[string][]byte{}}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.requests.Add(1)
		p := strings.TrimPrefix(r.URL.Path, "/")
		if name, file, ok := strings.Cut(p, "/-/"); ok {
			if b, ok := u.tarballs[file]; ok && u.docs[name] != nil {
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(b)
				return
			}
		} else if doc, ok := u.docs[p]; ok {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(u.srv.Close)
	for name, versions := range pkgs {
		vs := map[string]any{}
		times := map[string]string{}
		for _, v := range versions {
			tgz := npmTarball(t, name, v)
			file := name + "-" + v + ".tgz"
			u.tarballs[file] = tgz
			s512 := sha512.Sum512(tgz)
			s1 := sha1.Sum(tgz)
			vs[v] = map[string]any{"name": name, "version": v, "dist": map[string]any{
				"tarball":   u.srv.URL + "/" + name + "/-/" + file,
				"integrity": "sha512-" + base64.StdEncoding.EncodeToString(s512[:]),
				"shasum":    hex.EncodeToString(s1[:]),
			}}
			times[v] = "2024-01-01T00:00:00.000Z"
		}
		doc, _ := json.Marshal(map[string]any{"name": name, "dist-tags": map[string]string{"latest": versions[len(versions)-1]}, "versions": vs, "time": times})
		u.docs[name] = doc
	}
	return u
}

func (u *npmUpstream) URL() *url.URL { x, _ := url.Parse(u.srv.URL + "/"); return x }

func npmTarball(t *testing.T, name, version string) []byte {
	t.Helper()
	pj, _ := json.Marshal(map[string]any{"name": name, "version": version, "main": "index.js"})
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		body []byte
	}{{"package/package.json", pj}, {"package/index.js", []byte(fmt.Sprintf("module.exports = %q;\n", name+"@"+version))}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write(f.body)
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}
