package upstream

import (
	"flag"
	"strings"
	"testing"
)

func TestParseUpstreamFlag(t *testing.T) {
	good := []struct{ in, name, url string }{
		{"public:npmjs=http://127.0.0.1:4873/", "public:npmjs", "http://127.0.0.1:4873/"},
		{"public:pypi=https://mirror.example.test/pypi", "public:pypi", "https://mirror.example.test/pypi"},
		{"public:maven-central=https://repo.example.test/maven2/", "public:maven-central", "https://repo.example.test/maven2/"},
		{" public:crates-io = http://[::1]:8080/x ", "public:crates-io", "http://[::1]:8080/x"},
	}
	for _, c := range good {
		name, u, err := ParseUpstreamFlag(c.in)
		if err != nil || name != c.name || u.String() != c.url {
			t.Errorf("%q: %q %v %v", c.in, name, u, err)
		}
	}
	bad := map[string]string{
		"":                                        "NAME=URL",
		"public:npmjs":                            "NAME=URL",
		"public:npmjs=":                           "NAME=URL",
		"=http://x/":                              "NAME=URL",
		"npmjs=http://x/":                         "unknown external connection",
		"public:nope=http://x/":                   "unknown external connection",
		"public:npmjs=ftp://x/":                   "absolute http(s)",
		"public:npmjs=/relative/path":             "absolute http(s)",
		"public:npmjs=http://":                    "absolute http(s)",
		"public:npmjs=localhost:4873":             "absolute http(s)",
		"public:npmjs=http://u:secret@x/":         "credentials",
		"public:npmjs=http://x/?token=1":          "query",
		"public:npmjs=http://x/#f":                "fragment",
		"public:npmjs=http://x:bad/":              "absolute http(s)",
		"public:maven-central=https://%zz/maven2": "absolute http(s)",
	}
	for in, want := range bad {
		if _, _, err := ParseUpstreamFlag(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to mention %q", in, err, want)
		}
	}
}

func TestSourcesAsFlag(t *testing.T) {
	src := Sources{}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	fs.Var(src, "upstream", "")
	err := fs.Parse([]string{"--upstream", "public:pypi=http://127.0.0.1:2/simple", "--upstream", "public:npmjs=http://127.0.0.1:1/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := src.String(); got != "public:npmjs=http://127.0.0.1:1/,public:pypi=http://127.0.0.1:2/simple" {
		t.Fatalf("String() = %q", got)
	}
	if err := fs.Parse([]string{"--upstream", "public:npmjs=http://127.0.0.1:3/"}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := New(Sources{"public:npmjs": nil}, nil, Options{}); err == nil {
		t.Fatal("New accepted a nil URL")
	}
}
