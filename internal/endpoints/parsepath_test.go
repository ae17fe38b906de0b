package endpoints

import (
	"crypto/tls"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// splitParsePath is ParsePath as it was written with strings.SplitN: the
// in-place parser must answer exactly as it did.
func splitParsePath(p string) (domain, owner string, format model.Format, repo, rest string, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 4)
	if len(parts) < 3 {
		return
	}
	seg := parts[0]
	if len(seg) < 14 || seg[len(seg)-13] != '-' {
		return
	}
	domain, owner = seg[:len(seg)-13], seg[len(seg)-12:]
	for _, c := range owner {
		if c < '0' || c > '9' {
			return
		}
	}
	format, repo = model.Format(parts[1]), parts[2]
	if len(parts) == 4 {
		rest = parts[3]
	}
	return domain, owner, format, repo, rest, repo != ""
}

// The in-place parser answers as the SplitN one on chosen and random paths,
// and the endpoint URL built from its prefix is service.EndpointPath's on
// the base URL (with a public URL, and from the request's host and scheme).
func TestParsePathAsSplitN(t *testing.T) {
	paths := []string{"", "/", "//", "///", "////", "/a/b/c", "/acme-000000000000/npm/js", "/acme-000000000000/npm/js/",
		"/acme-000000000000/npm/js/lodash", "/acme-000000000000/npm/js/@s%2fn/-/n-1.0.0.tgz", "/my-dom-000000000000/pypi/r/simple/x/",
		"acme-000000000000/npm/js/x", "/acme-00000000000a/npm/js/x", "/acme000000000000/npm/js/x", "/-000000000000/npm/js/x",
		"/acme-000000000000//js/x", "/acme-000000000000/npm//x", "/acme-000000000000/npm/js//x", "/acme-0000000000000/npm/js"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "/-0a9%"
	for range 20000 {
		b := []byte("/acme-000000000000/npm/js/x")
		for range rng.IntN(4) {
			b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
		}
		paths = append(paths, string(b[:rng.IntN(len(b)+1)]))
	}
	for _, pub := range []string{"", "https://wharf.example:8443/prefix/"} {
		rt := &Router{PublicURL: pub}
		for _, p := range paths {
			d, o, f, r, rest, ok := ParsePath(p)
			wd, wo, wf, wr, wrest, wok := splitParsePath(p)
			// (What the old parser left in its other results on a refusal
			// was never read.)
			if ok != wok || ok && (d != wd || o != wo || f != wf || r != wr || rest != wrest) {
				t.Fatalf("ParsePath(%q) = %q %q %q %q %q %v, want %q %q %q %q %q %v", p, d, o, f, r, rest, ok, wd, wo, wf, wr, wrest, wok)
			}
			if !ok {
				continue
			}
			_, _, _, _, _, prefix, _ := parsePath(p)
			req := httptest.NewRequest("GET", "http://wharf.test:5000/", nil)
			req.TLS = nil
			if len(p)%2 == 0 {
				req.TLS = &tls.ConnectionState{}
			}
			want := pub
			if pub == "" {
				want = "http://" + req.Host
				if req.TLS != nil {
					want = "https://" + req.Host
				}
			}
			want = strings.TrimRight(want, "/") + service.EndpointPath(o, d, f, r)
			if got := rt.base(req, p, prefix); got != want {
				t.Fatalf("base for %q = %q, want %q", p, got, want)
			}
		}
	}
}
