package maven_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

const extGroup = "dev.wharfext"

// centralFixture is a Maven 2 layout served over loopback in place of Maven
// Central: every file with its .sha1, artifact-level maven-metadata.xml, and a
// count of the requests each path received.
type centralFixture struct {
	files map[string][]byte // layout path -> bytes
	mu    sync.Mutex
	hits  map[string]int
}

func (f *centralFixture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	f.mu.Lock()
	f.hits[p]++
	f.mu.Unlock()
	b, ok := f.files[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(b)
}

func (f *centralFixture) count(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[p]
}

// add puts a file and its .sha1 (or the given wrong one) into the layout.
func (f *centralFixture) add(p string, b []byte, sha1Override string) {
	f.files[p] = b
	sum := sha1hex(b)
	if sha1Override != "" {
		sum = sha1Override
	}
	// Central's .sha1 files are the bare digest; some have "  name" after it.
	f.files[p+".sha1"] = []byte(sum + "  " + filepath.Base(p) + "\n")
}

func pomOf(artifact, version string) []byte {
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>%s</groupId>
  <artifactId>%s</artifactId>
  <version>%s</version>
  <packaging>jar</packaging>
  <description>%s from the fixture upstream</description>
</project>
`, extGroup, artifact, version, artifact))
}

// TestMavenCentralProxy: mvn resolves through a repository whose upstream holds
// public:maven-central, pointed at a fixture layout; the artifact is retained
// in both repositories, a burst of cold GETs fetches once, a file whose .sha1
// disagrees is refused, and with the upstream gone a fresh build still resolves.
func TestMavenCentralProxy(t *testing.T) {
	if _, err := os.Stat(filepath.Join(debianRepo, "org/apache/maven/plugins/maven-dependency-plugin/3.5.0")); err != nil {
		t.Fatalf("maven-dependency-plugin missing from %s: %v", debianRepo, err)
	}
	work := t.TempDir()
	fx := &centralFixture{files: map[string][]byte{}, hits: map[string]int{}}
	base := strings.ReplaceAll(extGroup, ".", "/") + "/"
	jars := map[string][]byte{}
	for _, v := range []string{"1.0", "2.0"} {
		jarBytes, _ := os.ReadFile(writeJar(t, work, "lib-"+v+".jar", "lib "+v))
		jars[v] = jarBytes
		fx.add(base+"lib/"+v+"/lib-"+v+".pom", pomOf("lib", v), "")
		fx.add(base+"lib/"+v+"/lib-"+v+".jar", jarBytes, "")
	}
	fx.files[base+"lib/maven-metadata.xml"] = []byte(`<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>dev.wharfext</groupId>
  <artifactId>lib</artifactId>
  <versioning>
    <latest>2.0</latest>
    <release>2.0</release>
    <versions><version>1.0</version><version>2.0</version></versions>
    <lastUpdated>20240101000000</lastUpdated>
  </versioning>
</metadata>
`)
	tampered, _ := os.ReadFile(writeJar(t, work, "tampered.jar", "tampered"))
	fx.add(base+"tampered/1.0/tampered-1.0.pom", pomOf("tampered", "1.0"), "")
	fx.add(base+"tampered/1.0/tampered-1.0.jar", tampered, strings.Repeat("ab", 20))
	central := httptest.NewServer(fx)
	defer central.Close()
	u, _ := url.Parse(central.URL + "/")

	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:maven-central": u}})
	ctx := context.Background()
	ca := srv.CodeArtifact()
	const dom = "mvnext"
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(dom)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String(dom), Repository: aws.String("maven-store")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{
		Domain: aws.String(dom), Repository: aws.String("maven-store"), ExternalConnection: aws.String("public:maven-central")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String(dom), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("maven-store")}}}); err != nil {
		t.Fatal(err)
	}
	tokOut, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(dom)})
	if err != nil {
		t.Fatal(err)
	}
	tok := aws.ToString(tokOut.AuthorizationToken)
	epOut, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String(dom), Repository: aws.String("app"), Format: types.PackageFormatMaven})
	if err != nil {
		t.Fatal(err)
	}
	app := aws.ToString(epOut.RepositoryEndpoint)

	resolve := func(name, version string) {
		t.Helper()
		b := newBuild(t, work, name, tok, app)
		out := filepath.Join(b.dir, "out")
		b.mvn(t, depCopyPlug, "-Dartifact="+extGroup+":lib:"+version, "-DoutputDirectory="+out)
		got, err := os.ReadFile(filepath.Join(out, "lib-"+version+".jar"))
		if err != nil || !bytes.Equal(got, jars[version]) {
			t.Fatalf("%s: resolved lib-%s.jar differs from the upstream's (err %v)", name, version, err)
		}
	}

	// 1. mvn resolves lib 1.0 through app -> maven-store -> public:maven-central.
	resolve("build1", "1.0")
	if n := fx.count(base + "lib/1.0/lib-1.0.jar"); n != 1 {
		t.Fatalf("the upstream served lib-1.0.jar %d times, want 1", n)
	}

	// 2. Retained in the requesting repository and in the one holding the
	// connection, as an external version.
	for _, repo := range []string{"app", "maven-store"} {
		vs := versions(t, ca, dom, repo, "lib")
		if o, ok := vs["1.0"]; !ok || o != types.PackageVersionOriginTypeExternal {
			t.Fatalf("%s: lib versions %v, want 1.0 with origin EXTERNAL", repo, vs)
		}
	}
	// Assets of the retained version: both files mvn fetched, with the upstream's hashes.
	assets, err := ca.ListPackageVersionAssets(ctx, &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String(dom), Repository: aws.String("app"),
		Format: types.PackageFormatMaven, Namespace: aws.String(extGroup), Package: aws.String("lib"), PackageVersion: aws.String("1.0")})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, a := range assets.Assets {
		names[aws.ToString(a.Name)] = a.Hashes["SHA-1"]
	}
	if names["lib-1.0.jar"] != sha1hex(jars["1.0"]) {
		t.Fatalf("app's assets of lib 1.0: %v", names)
	}

	// 3. The artifact's maven-metadata.xml merges what the domain holds (1.0)
	// with the upstream's document (1.0, 2.0).
	libBase := app + base + "lib/"
	meta := fetch(t, "GET", libBase+"maven-metadata.xml", tok, http.StatusOK)
	for _, want := range []string{"<version>1.0</version>", "<version>2.0</version>", "<release>2.0</release>"} {
		if !strings.Contains(meta, want) {
			t.Fatalf("merged maven-metadata.xml lacks %s:\n%s", want, meta)
		}
	}

	// 4. A burst of concurrent GETs of a cold file: one upstream fetch, every
	// client gets the bytes.
	const burst = 16
	var wg sync.WaitGroup
	errs := make(chan error, burst)
	for range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", libBase+"2.0/lib-2.0.jar", nil)
			req.SetBasicAuth("aws", tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(b, jars["2.0"]) {
				errs <- fmt.Errorf("burst GET: %d, %d bytes", resp.StatusCode, len(b))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := fx.count(base + "lib/2.0/lib-2.0.jar"); n != 1 {
		t.Fatalf("%d concurrent GETs caused %d upstream fetches of lib-2.0.jar, want 1", burst, n)
	}
	if n := fx.count(base + "lib/2.0/lib-2.0.jar.sha1"); n != 1 {
		t.Fatalf("%d concurrent GETs caused %d upstream fetches of lib-2.0.jar.sha1, want 1", burst, n)
	}
	// mvn then resolves 2.0: its pom comes from upstream, the jar from what the
	// burst stored.
	resolve("build2", "2.0")
	if n := fx.count(base + "lib/2.0/lib-2.0.jar"); n != 1 {
		t.Fatalf("lib-2.0.jar was fetched upstream %d times", n)
	}

	// 5. A file whose bytes disagree with the upstream's .sha1 is refused and
	// not stored: no version row anywhere, no blob on disk, and asking again
	// asks the upstream again (nothing was cached as good).
	tamperedURL := app + base + "tampered/1.0/tampered-1.0.jar"
	for i := 1; i <= 2; i++ {
		body := fetch(t, "GET", tamperedURL, tok, http.StatusBadGateway)
		if !strings.Contains(body, "SHA-1") {
			t.Fatalf("refusal does not say why: %q", body)
		}
		if n := fx.count(base + "tampered/1.0/tampered-1.0.jar"); n != i {
			t.Fatalf("after %d GETs the upstream served the tampered jar %d times", i, n)
		}
	}
	for _, repo := range []string{"app", "maven-store"} {
		if vs := versions(t, ca, dom, repo, "tampered"); len(vs) != 0 {
			t.Fatalf("%s holds versions %v of the refused artifact", repo, vs)
		}
	}
	// (The blob store names objects by their SHA-256: a kept file is findable.)
	goodSum := sha256.Sum256(jars["1.0"])
	if findFile(t, srv.DataDir, hex.EncodeToString(goodSum[:])) == "" {
		t.Fatalf("lib-1.0.jar's blob is not under %s: the check below would prove nothing", srv.DataDir)
	}
	tamperedSum := sha256.Sum256(tampered)
	if p := findFile(t, srv.DataDir, hex.EncodeToString(tamperedSum[:])); p != "" {
		t.Fatalf("the refused jar's bytes were kept at %s", p)
	}

	// 6. Upstream gone: a fresh build (empty local repository) resolves both
	// versions from what wharf kept.
	central.Close()
	before := fx.count(base + "lib/1.0/lib-1.0.jar")
	resolve("build3", "1.0")
	resolve("build4", "2.0")
	if after := fx.count(base + "lib/1.0/lib-1.0.jar"); after != before {
		t.Fatalf("the closed upstream was asked for lib-1.0.jar")
	}
	// The metadata still answers, from the domain's versions and the cached copy.
	meta = fetch(t, "GET", libBase+"maven-metadata.xml", tok, http.StatusOK)
	if !strings.Contains(meta, "<version>2.0</version>") {
		t.Fatalf("maven-metadata.xml with the upstream down:\n%s", meta)
	}
}

// versions lists a package's versions in a repository with their origin type;
// a package that does not exist there has none.
func versions(t *testing.T, ca *codeartifact.Client, dom, repo, pkg string) map[string]types.PackageVersionOriginType {
	t.Helper()
	out, err := ca.ListPackageVersions(context.Background(), &codeartifact.ListPackageVersionsInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatMaven, Namespace: aws.String(extGroup), Package: aws.String(pkg)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatalf("ListPackageVersions %s %s: %v", repo, pkg, err)
	}
	vs := map[string]types.PackageVersionOriginType{}
	for _, v := range out.Versions {
		var o types.PackageVersionOriginType
		if v.Origin != nil {
			o = v.Origin.OriginType
		}
		vs[aws.ToString(v.Version)] = o
	}
	return vs
}

// findFile returns the path of a file named name under root, or "".
func findFile(t *testing.T, root, name string) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == name {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
