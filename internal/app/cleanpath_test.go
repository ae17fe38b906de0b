package app

import (
	"path"
	"strings"
	"testing"
)

// muxCleanPath is net/http's cleanPath: what ServeMux redirects a path to.
func muxCleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		if len(p) == len(np)+1 && strings.HasPrefix(p, np) {
			np = p
		} else {
			np += "/"
		}
	}
	return np
}

// isCleanPath lets a request skip the ServeMux only when the mux would not
// have redirected it to a cleaned path: it agrees with path.Clean.
func TestIsCleanPathAgreesWithPathClean(t *testing.T) {
	for _, p := range []string{
		"/a/b", "/a/b/", "/d-000000000000/npm/r/@s%2fp", "/d-1/maven/r/org/x/1.0/x-1.0.jar", "/..a/b.", "/a/.b/", "/v1/domain",
		"/a//b", "/a/./b", "/a/../b", "/a/..", "/a/.", "/.", "/..", "//", "//a", "/a/b//", "", "a/b", "/",
	} {
		want := p != "" && p[0] == '/' && muxCleanPath(p) == p
		if got := isCleanPath(p); got != want {
			t.Errorf("isCleanPath(%q) = %v, the mux cleans it to %q", p, got, muxCleanPath(p))
		}
	}
}
