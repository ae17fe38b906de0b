package app_test

import (
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/upstream/upstreamtest"
)

// faultEnv is wharf with npm, PyPI and Maven external connections all pointing
// at one misbehaving upstream, and a repository "app" chained on a store
// repository per format. A second wharf on the same upstream, impatient, has
// 1-second upstream timeouts and serves only the stall faults: the first keeps
// the defaults, so a loaded machine never turns a slow good answer into a 504.
type faultEnv struct {
	t         *testing.T
	srv       *apptest.Server
	up        *upstreamtest.Server
	token     string
	base      map[types.PackageFormat]string // endpoint of "app" per format
	repos     []string                       // every repository of the domain
	impatient *faultEnv
}

// faultConn is an external connection of a fault environment: the store
// repository holding it and where on the misbehaving upstream it points.
type faultConn struct {
	conn, repo string
	format     types.PackageFormat
	path       string // appended to the upstream's URL
}

// classicConns are npm, PyPI and Maven, each at the upstream's root.
var classicConns = []faultConn{
	{"public:npmjs", "npm-store", types.PackageFormatNpm, ""},
	{"public:pypi", "pypi-store", types.PackageFormatPypi, ""},
	{"public:maven-central", "maven-store", types.PackageFormatMaven, ""},
}

func newFaultEnv(t *testing.T, mutate ...func(*config.Config)) *faultEnv {
	return newFaultEnvFor(t, classicConns, mutate...)
}

func newFaultEnvFor(t *testing.T, conns []faultConn, mutate ...func(*config.Config)) *faultEnv {
	up := upstreamtest.New(t)
	other := upstreamtest.New(t) // the redirect target: another host
	up.Target = other.URL
	e := startFaultWharf(t, up, 0, conns, mutate)
	e.impatient = startFaultWharf(t, up, time.Second, conns, mutate)
	return e
}

// via is the wharf that serves a request meeting fault.
func (e *faultEnv) via(fault upstreamtest.Fault) *faultEnv {
	if fault == upstreamtest.SlowHeaders || fault == upstreamtest.SlowBody {
		return e.impatient
	}
	return e
}

func startFaultWharf(t *testing.T, up *upstreamtest.Server, timeout time.Duration, conns []faultConn, mutate []func(*config.Config)) *faultEnv {
	upstreams := map[string]*url.URL{}
	for _, c := range conns {
		u, err := url.Parse(up.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		upstreams[c.conn] = u
	}
	srv := apptest.Start(t, apptest.Options{
		Upstreams: upstreams,
		Mutate: func(c *config.Config) {
			if timeout > 0 { // the test asserts the status, never the time
				c.UpstreamHeaderTimeout, c.UpstreamReadTimeout = timeout, timeout
			}
			for _, m := range mutate {
				m(c)
			}
		},
	})
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d := aws.String("faults")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	var ups []types.UpstreamRepository
	repos := []string{"app"}
	for _, c := range conns {
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String(c.repo)}))
		must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: d, Repository: aws.String(c.repo), ExternalConnection: aws.String(c.conn)}))
		ups = append(ups, types.UpstreamRepository{RepositoryName: aws.String(c.repo)})
		repos = append(repos, c.repo)
	}
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String("app"), Upstreams: ups}))
	tok := must(ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: d}))
	e := &faultEnv{t: t, srv: srv, up: up, token: *tok.AuthorizationToken, base: map[types.PackageFormat]string{}, repos: repos}
	for _, c := range conns {
		ep := must(ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: d, Repository: aws.String("app"), Format: c.format}))
		e.base[c.format] = strings.TrimRight(*ep.RepositoryEndpoint, "/") + "/"
	}
	return e
}

// get fetches path under format's endpoint and returns status and body.
func (e *faultEnv) get(f types.PackageFormat, path string) (int, []byte) {
	e.t.Helper()
	return e.do(f, http.MethodGet, path, "", nil)
}

// do sends a request with the token to path under format's endpoint.
func (e *faultEnv) do(f types.PackageFormat, method, path, contentType string, body io.Reader) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.base[f]+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if f == types.PackageFormatNpm || f == types.PackageFormatCargo {
		req.Header.Set("Authorization", "Bearer "+e.token)
	} else {
		req.SetBasicAuth("aws", e.token)
	}
	c := &http.Client{Timeout: 2 * time.Minute} // a safety net, never the assertion
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// blobFiles counts the files in the blob directories (committed and pending)
// of both wharfs.
func (e *faultEnv) blobFiles() int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(e.srv.DataDir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	if e.impatient != nil {
		n += e.impatient.blobFiles()
	}
	return n
}

// versions counts the versions of a package in every repository of the
// domain, in both wharfs.
func (e *faultEnv) versions(f types.PackageFormat, ns, pkg string) int {
	n := 0
	if e.impatient != nil {
		n += e.impatient.versions(f, ns, pkg)
	}
	ca := e.srv.CodeArtifact()
	for _, repo := range e.repos {
		in := &codeartifact.ListPackageVersionsInput{Domain: aws.String("faults"), Repository: aws.String(repo), Format: f, Package: aws.String(pkg)}
		if ns != "" {
			in.Namespace = aws.String(ns)
		}
		out, err := ca.ListPackageVersions(context.Background(), in)
		if err == nil {
			n += len(out.Versions)
		}
	}
	return n
}

func wantStatus(f upstreamtest.Fault) int {
	if f == upstreamtest.SlowHeaders || f == upstreamtest.SlowBody {
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	_, _ = r.Read(b)
	return b
}

// TestUpstreamFaultsStoreNothing drives every fault of upstreamtest at the file
// downloads of npm, PyPI and Maven and at their metadata documents: the client
// sees 502 (504 for the stalls) with a message, no blob and no version is
// kept, and once the upstream answers well the file is stored and served.
func TestUpstreamFaultsStoreNothing(t *testing.T) {
	e := newFaultEnv(t)
	up := e.up
	// One payload per format (the domain deduplicates equal bytes), each
	// several envelope chunks long.
	npmBytes, pypiBytes, mavenBytes := randomBytes(1, 300<<10), randomBytes(2, 300<<10), randomBytes(3, 300<<10)
	payload := npmBytes

	// npm: a packument whose tarball lives on the upstream.
	sum512 := sha512.Sum512(payload)
	tgz := "/fpkg/-/fpkg-1.0.0.tgz"
	packument := func(name, tarball string) []byte {
		b, _ := json.Marshal(map[string]any{"name": name, "dist-tags": map[string]string{"latest": "1.0.0"},
			"versions": map[string]any{"1.0.0": map[string]any{"name": name, "version": "1.0.0",
				"dist": map[string]string{"tarball": up.URL + tarball, "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum512[:])}}}})
		return b
	}
	up.Set("/fpkg", "application/json", packument("fpkg", tgz))
	up.Set(tgz, "", payload)

	// PyPI: a PEP 691 page listing one wheel with its sha256.
	payload = pypiBytes
	whl := "fpkg-1.0.0-py3-none-any.whl"
	page, _ := json.Marshal(map[string]any{"meta": map[string]string{"api-version": "1.0"}, "name": "fpkg",
		"files": []map[string]any{{"filename": whl, "url": up.URL + "/files/" + whl, "hashes": map[string]string{"sha256": sha(payload)}}}})
	up.Set("/simple/fpkg/", "application/vnd.pypi.simple.v1+json", page)
	up.Set("/files/"+whl, "", payload)

	// Maven: a jar and its .sha1.
	payload = mavenBytes
	jar := "/org/example/lib/1.0/lib-1.0.jar"
	s1 := sha1.Sum(payload)
	up.Set(jar, "", payload)
	up.Set(jar+".sha1", "text/plain", []byte(hex.EncodeToString(s1[:])+"  lib-1.0.jar\n"))

	cases := []struct {
		payload  []byte
		format   types.PackageFormat
		ns, pkg  string
		upPath   string // the upstream file the faults hit
		wharfGet string // the request through wharf
	}{
		{npmBytes, types.PackageFormatNpm, "", "fpkg", tgz, "fpkg/-/fpkg-1.0.0.tgz"},
		{pypiBytes, types.PackageFormatPypi, "", "fpkg", "/files/" + whl, "simple/fpkg/1.0.0/" + whl},
		{mavenBytes, types.PackageFormatMaven, "org.example", "lib", jar, "org/example/lib/1.0/lib-1.0.jar"},
	}
	for _, c := range cases {
		t.Run(string(c.format), func(t *testing.T) {
			payload := c.payload
			blobs := e.blobFiles() // what earlier cases kept (deleting a package does not remove its blob)
			for _, fault := range upstreamtest.Faults {
				up.Fail(c.upPath, fault)
				status, body := e.via(fault).get(c.format, c.wharfGet)
				if status != wantStatus(fault) || len(body) == 0 {
					t.Errorf("%s: status %d (%q), want %d with a message", fault, status, body, wantStatus(fault))
				}
				if n := e.blobFiles(); n != blobs {
					t.Fatalf("%s: %d files in the blob directory, want %d", fault, n, blobs)
				}
				if n := e.versions(c.format, c.ns, c.pkg); n != 0 {
					t.Fatalf("%s: %d versions stored, want none", fault, n)
				}
			}
			up.Fail(c.upPath, upstreamtest.Good)
			status, body := e.get(c.format, c.wharfGet)
			if status != http.StatusOK || string(body) != string(payload) {
				t.Fatalf("after the faults: status %d, %d bytes (want %d)", status, len(body), len(payload))
			}
			if e.blobFiles() != blobs+1 || e.versions(c.format, c.ns, c.pkg) == 0 {
				t.Fatalf("the good download was not kept: %d blobs (want %d), %d versions", e.blobFiles(), blobs+1, e.versions(c.format, c.ns, c.pkg))
			}
			// Kept: served again with the upstream gone bad.
			up.Fail(c.upPath, upstreamtest.Status500)
			if status, body := e.get(c.format, c.wharfGet); status != http.StatusOK || string(body) != string(payload) {
				t.Fatalf("stored copy: status %d", status)
			}
		})
	}
}

// TestUpstreamMetadataFaultsCacheNothing: the same faults on the documents
// (packument, project page, checksum file) answer 502/504 and leave nothing in
// the metadata cache — the first good answer afterwards is used at once.
func TestUpstreamMetadataFaultsCacheNothing(t *testing.T) {
	e := newFaultEnv(t)
	up := e.up
	payload := randomBytes(2, 10<<10)
	sum512 := sha512.Sum512(payload)
	s1 := sha1.Sum(payload)
	for i, fault := range upstreamtest.Faults {
		name := fmt.Sprintf("m%d", i)
		npmDoc, _ := json.Marshal(map[string]any{"name": name, "dist-tags": map[string]string{"latest": "1.0.0"},
			"versions": map[string]any{"1.0.0": map[string]any{"name": name, "version": "1.0.0",
				"dist": map[string]string{"tarball": up.URL + "/" + name + "/-/" + name + "-1.0.0.tgz", "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum512[:])}}}})
		whl := name + "-1.0.0-py3-none-any.whl"
		page, _ := json.Marshal(map[string]any{"meta": map[string]string{"api-version": "1.0"}, "name": name,
			"files": []map[string]any{{"filename": whl, "url": up.URL + "/files/" + whl, "hashes": map[string]string{"sha256": sha(payload)}}}})
		jar := "/org/example/" + name + "/1.0/" + name + "-1.0.jar"
		up.Set("/"+name, "application/json", npmDoc)
		up.Set("/"+name+"/-/"+name+"-1.0.0.tgz", "", payload)
		up.Set("/simple/"+name+"/", "application/vnd.pypi.simple.v1+json", page)
		up.Set("/files/"+whl, "", payload)
		up.Set(jar, "", payload)
		up.Set(jar+".sha1", "text/plain", []byte(hex.EncodeToString(s1[:])))
		docs := []struct {
			format        types.PackageFormat
			upPath, wharf string
		}{
			{types.PackageFormatNpm, "/" + name, name},
			{types.PackageFormatPypi, "/simple/" + name + "/", "simple/" + name + "/"},
			{types.PackageFormatMaven, jar + ".sha1", strings.TrimPrefix(jar, "/")},
		}
		for _, d := range docs {
			up.Fail(d.upPath, fault)
			w := e.via(fault)
			if status, body := w.get(d.format, d.wharf); status != wantStatus(fault) {
				t.Errorf("%s %s: status %d (%q), want %d", d.format, fault, status, body, wantStatus(fault))
			}
			up.Fail(d.upPath, upstreamtest.Good)
			if status, body := w.get(d.format, d.wharf); status != http.StatusOK {
				t.Errorf("%s after %s: status %d (%q), want 200 from the good answer", d.format, fault, status, body)
			}
		}
	}
}

// TestMavenUpstreamChecksums: a file is verified against the first checksum
// its upstream publishes (.sha1, .sha256, .sha512, .md5); with none, it is
// refused with 502 and not stored.
func TestMavenUpstreamChecksums(t *testing.T) {
	e := newFaultEnv(t)
	jar := "/org/example/nosum/1.0/nosum-1.0.jar"
	payload := randomBytes(9, 50<<10)
	e.up.Set(jar, "", payload)
	before := e.blobFiles()
	st, body := e.get(types.PackageFormatMaven, strings.TrimPrefix(jar, "/"))
	if st != http.StatusBadGateway || !strings.Contains(string(body), "no checksum") {
		t.Fatalf("no checksum upstream: %d %q, want 502 saying why", st, body)
	}
	if e.blobFiles() != before || e.versions(types.PackageFormatMaven, "org.example", "nosum") != 0 {
		t.Fatal("an unverifiable file was kept")
	}
	// Only a .sha256: a wrong one refuses, the right one is used.
	wrong, right := "/org/example/s256/1.0/s256-1.0.jar", "/org/example/s256/2.0/s256-2.0.jar"
	e.up.Set(wrong, "", payload)
	e.up.Set(wrong+".sha256", "text/plain", []byte(strings.Repeat("0", 64)))
	if st, body := e.get(types.PackageFormatMaven, strings.TrimPrefix(wrong, "/")); st != http.StatusBadGateway || !strings.Contains(string(body), "SHA-256") {
		t.Fatalf("wrong .sha256: %d %q, want 502 naming the SHA-256", st, body)
	}
	e.up.Set(right, "", payload)
	e.up.Set(right+".sha256", "text/plain", []byte(sha(payload)+"  s256-2.0.jar\n"))
	if st, body := e.get(types.PackageFormatMaven, strings.TrimPrefix(right, "/")); st != http.StatusOK || string(body) != string(payload) {
		t.Fatalf("with a .sha256: %d, %d bytes", st, len(body))
	}
}

// TestUpstreamConnectionRefused: an upstream nobody listens on answers 502.
func TestUpstreamConnectionRefused(t *testing.T) {
	up := upstreamtest.New(t)
	u, _ := url.Parse(up.URL)
	up.Close() // the port is free now: connections are refused
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:npmjs": u}})
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d := aws.String("refused")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String("npm-store")}))
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: d, Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}))
	tok := must(ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: d}))
	ep := must(ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: d, Repository: aws.String("npm-store"), Format: types.PackageFormatNpm}))
	req, _ := http.NewRequest(http.MethodGet, strings.TrimRight(*ep.RepositoryEndpoint, "/")+"/lodash", nil)
	req.Header.Set("Authorization", "Bearer "+*tok.AuthorizationToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "unavailable") {
		t.Fatalf("%d %s, want 502", resp.StatusCode, b)
	}
}
