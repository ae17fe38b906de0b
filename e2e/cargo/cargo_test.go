package cargo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	cargofmt "github.com/wharf-dev/wharf/internal/formats/cargo"
)

func get(t *testing.T, u, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCargoPublishBuildProxyOutage is issue 12's Cargo scenario with the real
// cargo: two crates published into repository A (one depending on the other),
// a project depending on both and on a public crate built from repository B
// (upstreams A and a store holding public:crates-io, pointed at a fixture
// index whose downloads live on another host); the fixture stopped and cargo's
// cache cleared, the build works again from what wharf kept; a public crate
// whose bytes do not match its index cksum is refused and not kept.
func TestCargoPublishBuildProxyOutage(t *testing.T) {
	fx := newFixture(t)
	fx.add(t, "pubcrate", "1.0.0", "pub fn public_value() -> u32 { 7 }\n", nil)
	idx, _ := url.Parse(fx.index.URL + "/index/")
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:crates-io": idx}})
	const dom = "crates"
	ca := setup(t, srv, dom, []string{"repo-a", "store", "repo-b"}, map[string][]string{"repo-b": {"repo-a", "store"}}, map[string]string{"store": "public:crates-io"})
	tok := token(t, ca, dom)
	epA, epB := endpoint(t, ca, dom, "repo-a"), endpoint(t, ca, dom, "repo-b")
	if !strings.HasSuffix(epA, "/cargo/repo-a/") {
		t.Fatalf("endpoint %s", epA)
	}

	// No token: 401 with cargo's challenge, so cargo retries with its token.
	if st, _ := get(t, epA+"config.json", ""); st != http.StatusUnauthorized {
		t.Fatalf("config.json without a token: %d, want 401", st)
	}

	ctx := context.Background()
	cg := newCargo(t, tok, map[string]string{"wharf-a": epA, "wharf-b": epB})
	base := project(t, "wharf-base", "0.1.0", "lib", nil, "pub fn base() -> u32 { 35 }\n")
	cg.must(base, "publish", "--registry", "wharf-a", "--allow-dirty", "--no-verify")
	top := project(t, "wharf_top", "0.2.0", "lib", []string{`wharf-base = { version = "0.1", registry = "wharf-a" }`},
		"pub fn top() -> u32 { wharf_base::base() + 7 }\n")
	cg.must(top, "publish", "--registry", "wharf-a", "--allow-dirty")

	// The API sees them, with the dependency and the case-insensitive name.
	deps, err := ca.ListPackageVersionDependencies(ctx, &codeartifact.ListPackageVersionDependenciesInput{Domain: aws.String(dom),
		Repository: aws.String("repo-a"), Format: types.PackageFormatCargo, Package: aws.String("Wharf_Top"), PackageVersion: aws.String("0.2.0")})
	if err != nil || len(deps.Dependencies) != 1 || aws.ToString(deps.Dependencies[0].Package) != "wharf-base" {
		t.Fatalf("ListPackageVersionDependencies: %v %+v", err, deps)
	}

	rd, err := ca.GetPackageVersionReadme(ctx, &codeartifact.GetPackageVersionReadmeInput{Domain: aws.String(dom),
		Repository: aws.String("repo-a"), Format: types.PackageFormatCargo, Package: aws.String("wharf_top"), PackageVersion: aws.String("0.2.0")})
	if err != nil || !strings.Contains(aws.ToString(rd.Readme), "The readme of wharf_top.") {
		t.Fatalf("GetPackageVersionReadme: %v %+v", err, rd)
	}
	desc, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom),
		Repository: aws.String("repo-a"), Format: types.PackageFormatCargo, Package: aws.String("wharf-base"), PackageVersion: aws.String("0.1.0")})
	if err != nil || aws.ToString(desc.PackageVersion.Summary) != "wharf-base for wharf's cargo tests" || len(desc.PackageVersion.Licenses) != 1 {
		t.Fatalf("DescribePackageVersion: %v %+v", err, desc)
	}

	app := project(t, "app", "0.0.1", "bin", []string{
		`wharf-base = { version = "0.1", registry = "wharf-b" }`,
		`wharf_top = { version = "0.2", registry = "wharf-b" }`,
		`pubcrate = { version = "1", registry = "wharf-b" }`,
	}, "fn main() { println!(\"{}\", wharf_top::top() + wharf_base::base() + pubcrate::public_value()); }\n")
	out := cg.must(app, "run", "-q")
	if strings.TrimSpace(out) != "84" {
		t.Fatalf("app printed %q, want 84", out)
	}
	if fx.downloads != 1 {
		t.Fatalf("fixture served %d downloads, want 1", fx.downloads)
	}
	if !blobExists(srv.DataDir, crateBytes(t, "pubcrate", "1.0.0", "pub fn public_value() -> u32 { 7 }\n")) {
		t.Fatal("pubcrate's blob is not in the data directory (blobExists cannot see blobs?)")
	}

	// A version only the public registry has cannot be published privately
	// through a chain that reaches it (it would shadow the public one).
	fx.add(t, "shadowme", "1.0.0", "", nil)
	if st, body := publishRaw(t, epB, "Bearer "+tok, cargofmt.EncodePublish(metaJSON("shadowme", "1.0.0"), crateBytes(t, "shadowme", "1.0.0", ""))); st != http.StatusConflict {
		t.Fatalf("publishing a public crate's version into repo-b: %d %s, want 409", st, body)
	}

	// Outage: the public registry is gone and cargo remembers nothing.
	fx.stop()
	cg.clearCache()
	cg.must(app, "clean")
	out = cg.must(app, "run", "-q")
	if strings.TrimSpace(out) != "84" {
		t.Fatalf("app after the outage printed %q, want 84", out)
	}
	vs, err := ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String(dom), Repository: aws.String("store"),
		Format: types.PackageFormatCargo, Package: aws.String("pubcrate")})
	if err != nil || len(vs.Versions) != 1 || vs.Versions[0].Origin == nil || vs.Versions[0].Origin.OriginType != types.PackageVersionOriginTypeExternal {
		t.Fatalf("pubcrate in store: %v %+v", err, vs)
	}
}

// TestCargoChecksumMismatchNotKept: a public crate whose bytes are not what its
// index's cksum says fails cargo and leaves nothing in wharf.
func TestCargoChecksumMismatchNotKept(t *testing.T) {
	fx := newFixture(t)
	served := crateBytes(t, "badsum", "1.0.0", "pub fn tampered() {}\n")
	fx.add(t, "badsum", "1.0.0", "pub fn bad() {}\n", served)
	idx, _ := url.Parse(fx.index.URL + "/index/")
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:crates-io": idx}})
	const dom = "badsums"
	ca := setup(t, srv, dom, []string{"store", "app"}, map[string][]string{"app": {"store"}}, map[string]string{"store": "public:crates-io"})
	tok := token(t, ca, dom)
	ep := endpoint(t, ca, dom, "app")
	cg := newCargo(t, tok, map[string]string{"wharf": ep})
	app := project(t, "app", "0.0.1", "bin", []string{`badsum = { version = "1", registry = "wharf" }`}, "fn main() { badsum::bad(); }\n")
	out, err := cg.run(app, "fetch")
	if err == nil {
		t.Fatalf("cargo fetch of a crate with a wrong checksum succeeded:\n%s", out)
	}
	if !strings.Contains(out, "502") {
		t.Fatalf("cargo fetch output does not show wharf's 502:\n%s", out)
	}
	if st, body := get(t, ep+"api/v1/crates/badsum/1.0.0/download", "Bearer "+tok); st != http.StatusBadGateway || !strings.Contains(body, "not stored") {
		t.Fatalf("download: %d %s", st, body)
	}
	for _, repo := range []string{"store", "app"} {
		_, err := ca.ListPackageVersions(context.Background(), &codeartifact.ListPackageVersionsInput{Domain: aws.String(dom), Repository: aws.String(repo),
			Format: types.PackageFormatCargo, Package: aws.String("badsum")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("badsum in %s: %v, want ResourceNotFoundException", repo, err)
		}
	}
	if blobExists(srv.DataDir, served) {
		t.Fatal("the mismatching crate's bytes were kept")
	}
}
