// Package npme2e drives the real npm client against an in-process wharf on
// loopback: publish, install through upstream chains and through an external
// connection whose "public registry" is a server the test starts.
package npme2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

const owner = apptest.Account

func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"npm", "aws"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required for the npm end-to-end tests: %v", tool, err)
		}
	}
}

// createDomain creates a domain with the SDK, as a user would.
func createDomain(t *testing.T, srv *apptest.Server, domain string) {
	t.Helper()
	ctx := context.Background()
	if _, err := srv.CodeArtifact().CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(domain)}); err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
}

// createRepo creates a repository with the given upstreams, in order.
func createRepo(t *testing.T, srv *apptest.Server, domain, repo string, upstreams ...string) {
	t.Helper()
	in := &codeartifact.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(repo)}
	for _, u := range upstreams {
		in.Upstreams = append(in.Upstreams, types.UpstreamRepository{RepositoryName: aws.String(u)})
	}
	if _, err := srv.CodeArtifact().CreateRepository(context.Background(), in); err != nil {
		t.Fatalf("CreateRepository %s: %v", repo, err)
	}
}

func connectExternal(t *testing.T, srv *apptest.Server, domain, repo, conn string) {
	t.Helper()
	_, err := srv.CodeArtifact().AssociateExternalConnection(context.Background(), &codeartifact.AssociateExternalConnectionInput{
		Domain: aws.String(domain), Repository: aws.String(repo), ExternalConnection: aws.String(conn)})
	if err != nil {
		t.Fatalf("AssociateExternalConnection: %v", err)
	}
}

func token(t *testing.T, srv *apptest.Server, domain string) string {
	t.Helper()
	out, err := srv.CodeArtifact().GetAuthorizationToken(context.Background(), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatalf("GetAuthorizationToken: %v", err)
	}
	return aws.ToString(out.AuthorizationToken)
}

func endpoint(srv *apptest.Server, domain, repo string) string {
	return fmt.Sprintf("%s/%s-%s/npm/%s/", srv.URL, domain, owner, repo)
}

// client is one user's npm set-up: a HOME with the .npmrc that `aws
// codeartifact login --tool npm` wrote, and a private npm cache.
type client struct {
	t     *testing.T
	home  string
	cache string
	env   []string
}

// login runs `aws codeartifact login --tool npm` as a user would, into a fresh HOME.
func login(t *testing.T, srv *apptest.Server, domain, repo string) *client {
	t.Helper()
	home := t.TempDir()
	c := &client{t: t, home: home, cache: filepath.Join(home, "npm-cache")}
	c.env = append(os.Environ(),
		"HOME="+home,
		"NPM_CONFIG_USERCONFIG="+filepath.Join(home, ".npmrc"),
		"AWS_ACCESS_KEY_ID="+apptest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+apptest.SecretAccessKey,
		"AWS_REGION="+apptest.Region,
		"AWS_DEFAULT_REGION="+apptest.Region,
		"AWS_CONFIG_FILE="+filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "aws-credentials"),
		"NPM_CONFIG_UPDATE_NOTIFIER=false",
		// Keep the machine's own registry settings out of the test.
		"NPM_CONFIG_GLOBALCONFIG="+filepath.Join(home, "global-npmrc"),
	)
	cmd := exec.Command("aws", "codeartifact", "login", "--tool", "npm", "--domain", domain, "--domain-owner", owner,
		"--repository", repo, "--endpoint-url", srv.URL)
	cmd.Env = c.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aws codeartifact login: %v\n%s", err, out)
	}
	rc, err := os.ReadFile(filepath.Join(home, ".npmrc"))
	if err != nil {
		t.Fatalf("login wrote no .npmrc: %v", err)
	}
	if !strings.Contains(string(rc), "registry="+endpoint(srv, domain, repo)) || !strings.Contains(string(rc), ":_authToken=") {
		t.Fatalf(".npmrc written by login lacks the registry or token:\n%s", rc)
	}
	return c
}

// npm runs npm in dir with the client's configuration.
func (c *client) npm(dir string, args ...string) (string, error) {
	c.t.Helper()
	args = append(args, "--no-audit", "--no-fund", "--prefer-online", "--cache", c.cache, "--loglevel", "http")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = dir
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *client) mustNpm(dir string, args ...string) string {
	c.t.Helper()
	out, err := c.npm(dir, args...)
	if err != nil {
		c.t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *client) clearCache() {
	c.t.Helper()
	if err := os.RemoveAll(c.cache); err != nil {
		c.t.Fatal(err)
	}
}

// writePackage writes a package directory for npm publish.
func writePackage(t *testing.T, name, version string, extra map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	pj := map[string]any{"name": name, "version": version, "description": "wharf test package " + name, "main": "index.js", "license": "MIT"}
	for k, v := range extra {
		pj[k] = v
	}
	writeJSON(t, filepath.Join(dir, "package.json"), pj)
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(fmt.Sprintf("module.exports = %q;\n", name+"@"+version)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// project writes a consuming project with the given dependencies.
func project(t *testing.T, deps map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "package.json"), map[string]any{"name": "consumer", "version": "1.0.0", "private": true, "dependencies": deps})
	return dir
}

// installedVersion reads node_modules/NAME/package.json's version.
func installedVersion(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(name), "package.json"))
	if err != nil {
		t.Fatalf("%s is not installed: %v", name, err)
	}
	var pj struct{ Version string }
	if err := json.Unmarshal(b, &pj); err != nil {
		t.Fatal(err)
	}
	return pj.Version
}

// fixture is a package built in Go: a real npm tarball and its publish body.
type fixture struct {
	Name, Version string
	Deps          map[string]string
	Tarball       []byte
}

func makeFixture(t testing.TB, name, version string, deps map[string]string) fixture {
	t.Helper()
	pj := map[string]any{"name": name, "version": version, "main": "index.js", "license": "MIT", "description": "fixture " + name}
	if len(deps) > 0 {
		pj["dependencies"] = deps
	}
	pjBytes, _ := json.MarshalIndent(pj, "", "  ")
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		body []byte
	}{{"package/package.json", pjBytes}, {"package/index.js", []byte(fmt.Sprintf("module.exports = %q;\n", name+"@"+version))}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return fixture{Name: name, Version: version, Deps: deps, Tarball: buf.Bytes()}
}

func (f fixture) integrity() string {
	s := sha512.Sum512(f.Tarball)
	return "sha512-" + base64.StdEncoding.EncodeToString(s[:])
}

func (f fixture) shasum() string {
	s := sha1.Sum(f.Tarball)
	return hex.EncodeToString(s[:])
}

func (f fixture) file() string {
	base := f.Name
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	return base + "-" + f.Version + ".tgz"
}

// publishBody is the document npm publish sends for f.
func (f fixture) publishBody(registry string) []byte {
	v := map[string]any{
		"name": f.Name, "version": f.Version, "main": "index.js", "license": "MIT", "description": "fixture " + f.Name,
		"_id":  f.Name + "@" + f.Version,
		"dist": map[string]any{"integrity": f.integrity(), "shasum": f.shasum(), "tarball": registry + f.Name + "/-/" + f.file()},
	}
	if len(f.Deps) > 0 {
		v["dependencies"] = f.Deps
	}
	doc := map[string]any{
		"_id": f.Name, "name": f.Name, "dist-tags": map[string]string{"latest": f.Version},
		"versions": map[string]any{f.Version: v},
		"_attachments": map[string]any{f.Name + "-" + f.Version + ".tgz": map[string]any{
			"content_type": "application/octet-stream", "data": base64.StdEncoding.EncodeToString(f.Tarball), "length": len(f.Tarball)}},
	}
	b, _ := json.Marshal(doc)
	return b
}

// escapeName writes a package name as npm puts it in a URL.
func escapeName(name string) string { return strings.Replace(name, "/", "%2f", 1) }

// do sends a request with the token as Bearer and returns status and body.
func do(t testing.TB, method, url, tok string, body []byte, header ...string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func publishFixture(t testing.TB, registry, tok string, f fixture) {
	t.Helper()
	st, _, b := do(t, http.MethodPut, registry+escapeName(f.Name), tok, f.publishBody(registry))
	if st != http.StatusOK {
		t.Fatalf("publish %s@%s: %d %s", f.Name, f.Version, st, b)
	}
}
