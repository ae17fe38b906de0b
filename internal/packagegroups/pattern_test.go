package packagegroups

import (
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestParseGroupPatternNormalizes(t *testing.T) {
	for in, want := range map[string]string{
		"/*":                       "/*",
		"/npm/*":                   "/npm/*",
		"/npm/@scope/*":            "/npm/scope/*",
		"/pypi//Foo_Bar$":          "/pypi//foo-bar$",
		"/maven/com.example~":      "/maven/com.example~",
		"/generic/ns/a%7Eb$":       "/generic/ns/a%7Eb$",
		"/swift/Apple/Swift-NIO~":  "/swift/apple/swift-nio~",
		"/npm//react$":             "/npm//react$",
		"/maven/org.example/core$": "/maven/org.example/core$",
		"/nuget//Newtonsoft.Json~": "/nuget//newtonsoft.json~",
	} {
		g, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := g.String(); got != want {
			t.Errorf("Parse(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"*", "/", "/npm", "/npm/", "/npm/a/b/c$", "/npm/a*", "/pypi/ns/*", "/maven//x$", "/npm/~", "/npm/a/$", "/x/*", "/npm/a b/*"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestGroupMatchingAndContainment(t *testing.T) {
	p := func(s string) Pattern {
		g, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	for _, c := range []struct {
		pattern, ns, name string
		want              bool
	}{
		{"/npm/*", "", "react", true},
		{"/npm//*", "", "react", true},
		{"/npm//*", "s", "react", false},
		{"/npm/space/ui~", "space", "ui-kit", true},
		{"/npm/space/ui~", "space", "uikit", false},
		{"/npm/space/ui-~", "space", "ui-kit", true},
		{"/npm/sp~", "space", "x", false},
		{"/npm/space~", "space-x", "x", true},
		{"/npm/space/react$", "space", "react", true},
		{"/npm/space/react$", "space", "react-dom", false},
	} {
		if got := p(c.pattern).Matches(model.FormatNpm, c.ns, c.name, false); got != c.want {
			t.Errorf("%s matches %s/%s = %v, want %v", c.pattern, c.ns, c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		outer, inner string
		want         bool
	}{
		{"/*", "/npm/*", true},
		{"/npm/*", "/npm/space~", true},
		{"/npm/space~", "/npm/space-ui~", true},
		{"/npm/space~", "/npm/spacex~", false},
		{"/npm/space~", "/npm/space/*", true},
		{"/npm/space/*", "/npm/space/ui~", true},
		{"/npm/space/ui~", "/npm/space/ui-kit$", true},
		{"/npm/space/ui~", "/npm/space/ui~", false},
		{"/npm/space/*", "/npm/*", false},
		{"/npm/*", "/pypi//x$", false},
	} {
		if got := p(c.outer).Contains(p(c.inner)); got != c.want {
			t.Errorf("%s contains %s = %v, want %v", c.outer, c.inner, got, c.want)
		}
	}
}
