package rubygems_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

func get(t *testing.T, u, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if tok != "" {
		req.SetBasicAuth("aws", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// gemCredentials writes ~/.gem/credentials as CodeArtifact's docs for gem
// push do: the key is sent verbatim as the Authorization header.
func gemCredentials(t *testing.T, e *rubyEnv, tok string) {
	dir := filepath.Join(e.home, ".gem")
	_ = os.MkdirAll(dir, 0o700)
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte("---\n:codeartifact_api_key: Bearer "+tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// bundleProject writes a Gemfile with one source and the gems, and gives
// Bundler the token for the source as CodeArtifact's docs do.
func bundleProject(t *testing.T, e *rubyEnv, source, tok string, gems ...string) string {
	dir := t.TempDir()
	var g strings.Builder
	g.WriteString("source " + `"` + source + `"` + "\n")
	for _, n := range gems {
		g.WriteString(`gem "` + n + `"` + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "Gemfile"), []byte(g.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must(dir, "bundle", "config", "set", "--global", source, "aws:"+tok)
	return dir
}

// TestRubyPushBundleProxyOutage is issue 12's RubyGems scenario with the
// real gem and bundle: two gems built and pushed into repository A (one
// depending on the other), bundle install from repository B (upstreams A and
// a store holding public:ruby-gems-org, pointed at a fixture registry) of a
// Gemfile naming both and a public gem; the fixture stopped and every cache
// cleared, bundle install works again from what wharf kept; gem install works
// from B too.
func TestRubyPushBundleProxyOutage(t *testing.T) {
	fx := newFixture(t)
	e := newRuby(t)
	pub := buildGem(t, e, "pubgem", "3.1.0", 7, nil)
	fx.add(t, pub, nil)
	up, _ := url.Parse(fx.srv.URL + "/")
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:ruby-gems-org": up}})
	const dom = "gems"
	ca := setup(t, srv, dom, []string{"repo-a", "store", "repo-b"}, map[string][]string{"repo-b": {"repo-a", "store"}}, map[string]string{"store": "public:ruby-gems-org"})
	tok := token(t, ca, dom)
	epA, epB := endpoint(t, ca, dom, "repo-a"), endpoint(t, ca, dom, "repo-b")
	if !strings.HasSuffix(epA, "/ruby/repo-a/") {
		t.Fatalf("endpoint %s", epA)
	}
	if st, _ := get(t, epA+"versions", ""); st != http.StatusUnauthorized {
		t.Fatalf("versions without a token: %d, want 401", st)
	}

	gemCredentials(t, e, tok)
	base := buildGem(t, e, "wharf-base", "0.1.0", 35, nil)
	top := buildGem(t, e, "wharf-top", "0.2.0", 7, [][2]string{{"wharf-base", "~> 0.1"}})
	host := strings.TrimSuffix(epA, "/") // RUBYGEMS_HOST without the trailing slash, as CodeArtifact's docs say
	for _, g := range []string{base, top} {
		out := e.must(filepath.Dir(g), "gem", "push", "--host", host, "--key", "codeartifact_api_key", g)
		if !strings.Contains(out, "Successfully registered gem") {
			t.Fatalf("gem push: %s", out)
		}
	}
	ctx := context.Background()
	deps, err := ca.ListPackageVersionDependencies(ctx, &codeartifact.ListPackageVersionDependenciesInput{Domain: aws.String(dom),
		Repository: aws.String("repo-a"), Format: types.PackageFormatRuby, Package: aws.String("wharf-top"), PackageVersion: aws.String("0.2.0")})
	if err != nil || len(deps.Dependencies) != 1 || aws.ToString(deps.Dependencies[0].Package) != "wharf-base" {
		t.Fatalf("ListPackageVersionDependencies: %v %+v", err, deps)
	}

	desc, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom),
		Repository: aws.String("repo-a"), Format: types.PackageFormatRuby, Package: aws.String("wharf-base"), PackageVersion: aws.String("0.1.0")})
	if err != nil || aws.ToString(desc.PackageVersion.Summary) != "wharf-base for wharf's tests" || len(desc.PackageVersion.Licenses) != 1 {
		t.Fatalf("DescribePackageVersion: %v %+v", err, desc)
	}

	app := bundleProject(t, e, epB, tok, "wharf-top", "pubgem")
	check := func() {
		t.Helper()
		e.must(app, "bundle", "install")
		out := e.must(app, "bundle", "exec", "ruby", "-e", `require "wharf-top"; require "pubgem"; puts WharfTop.value + WharfBase.value + Pubgem.value`)
		if strings.TrimSpace(out) != "49" {
			t.Fatalf("ruby printed %q, want 49", out)
		}
	}
	check()
	if fx.downloads != 1 {
		t.Fatalf("fixture served %d downloads, want 1", fx.downloads)
	}

	// gem install from B, as `gem install --source` does (compact index,
	// quick gemspec, download).
	src := strings.Replace(epB, "://", "://aws:"+url.QueryEscape(tok)+"@", 1)
	out := e.must(e.home, "gem", "install", "--clear-sources", "--source", src, "--no-document", "wharf-top")
	if !strings.Contains(out, "Successfully installed wharf-top-0.2.0") {
		t.Fatalf("gem install: %s", out)
	}

	// Outage: the public registry is gone and nothing is cached on the client.
	fx.srv.Close()
	e.clearCache()
	_ = os.Remove(filepath.Join(app, "Gemfile.lock"))
	app = bundleProject(t, e, epB, tok, "wharf-top", "pubgem")
	check()
	vs, err := ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String(dom), Repository: aws.String("store"),
		Format: types.PackageFormatRuby, Package: aws.String("pubgem")})
	if err != nil || len(vs.Versions) != 1 || vs.Versions[0].Origin == nil || vs.Versions[0].Origin.OriginType != types.PackageVersionOriginTypeExternal {
		t.Fatalf("pubgem in store: %v %+v", err, vs)
	}
	pubBytes, _ := os.ReadFile(pub)
	if !blobExists(srv.DataDir, pubBytes) {
		t.Fatal("pubgem's blob is not in the data directory (blobExists cannot see blobs?)")
	}
}

// TestRubyChecksumMismatchNotKept: a public gem whose bytes are not what the
// info file's checksum says fails bundle install and leaves nothing.
func TestRubyChecksumMismatchNotKept(t *testing.T) {
	fx := newFixture(t)
	e := newRuby(t)
	good := buildGem(t, e, "badsum", "1.0.0", 1, nil)
	tampered := buildGem(t, e, "badsum", "1.0.0", 666, nil)
	served, _ := os.ReadFile(tampered)
	fx.add(t, good, served)
	up, _ := url.Parse(fx.srv.URL + "/")
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:ruby-gems-org": up}})
	const dom = "badsums"
	ca := setup(t, srv, dom, []string{"store", "app"}, map[string][]string{"app": {"store"}}, map[string]string{"store": "public:ruby-gems-org"})
	tok := token(t, ca, dom)
	ep := endpoint(t, ca, dom, "app")
	app := bundleProject(t, e, ep, tok, "badsum")
	if out, err := e.run(app, "bundle", "install"); err == nil {
		t.Fatalf("bundle install of a gem with a wrong checksum succeeded:\n%s", out)
	}
	if st, body := get(t, ep+"gems/badsum-1.0.0.gem", tok); st != http.StatusBadGateway || !strings.Contains(body, "not stored") {
		t.Fatalf("download: %d %s", st, body)
	}
	for _, repo := range []string{"store", "app"} {
		_, err := ca.ListPackageVersions(context.Background(), &codeartifact.ListPackageVersionsInput{Domain: aws.String(dom), Repository: aws.String(repo),
			Format: types.PackageFormatRuby, Package: aws.String("badsum")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("badsum in %s: %v, want ResourceNotFoundException", repo, err)
		}
	}
	if blobExists(srv.DataDir, served) {
		t.Fatal("the mismatching gem's bytes were kept")
	}
}
