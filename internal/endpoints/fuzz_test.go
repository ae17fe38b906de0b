package endpoints

import (
	"strings"
	"testing"
)

// FuzzParsePath: a package-endpoint path that parses names a 12-digit owner
// and a repository, and its parts rebuild the path.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/acme-000000000000/npm/app/lodash", "/a-b-c-111122223333/pypi/r/simple/x/", "/x-00000000000a/npm/r/", "/-000000000000/npm/r", "//npm/r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		domain, owner, format, repo, rest, ok := ParsePath(p)
		if !ok {
			return
		}
		if len(owner) != 12 || strings.Trim(owner, "0123456789") != "" || repo == "" {
			t.Fatalf("%q: owner %q repo %q", p, owner, repo)
		}
		rebuilt := domain + "-" + owner + "/" + string(format) + "/" + repo
		if rest != "" || strings.Count(strings.TrimPrefix(p, "/"), "/") >= 3 {
			rebuilt += "/" + rest
		}
		if rebuilt != strings.TrimPrefix(p, "/") {
			t.Fatalf("%q rebuilds as %q", p, rebuilt)
		}
	})
}
