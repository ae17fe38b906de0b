// Package awscli drives a real `wharf serve` process with the aws CLI, following
// the README's newcomer path: bootstrapped credentials, domains, repositories,
// upstreams, an external connection, a policy, and `aws codeartifact login`.
package awscli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// wharfBinary builds cmd/wharf once per test binary.
func wharfBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "wharf")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/wharf")
	cmd.Dir = apptest.RepoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startWharf runs `wharf serve` with no credentials in the environment, so it
// bootstraps an admin key into the data directory, and returns its URL and stdout.
func startWharf(t *testing.T, bin, dataDir string) (string, *strings.Builder) {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(bin, "serve", "--listen", addr, "--data-dir", dataDir)
	cmd.Env = cleanEnv(nil)
	stdout := &strings.Builder{}
	cmd.Stdout = stdout
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			logs.WriteString(s.Text() + "\n")
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("wharf did not shut down within 10s of SIGINT")
		}
		if t.Failed() {
			t.Logf("wharf log:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url, stdout
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("wharf did not become healthy; log:\n%s", logs.String())
	return "", nil
}

// cleanEnv is the environment without AWS and wharf variables, plus extra.
func cleanEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "WHARF_") || strings.HasPrefix(kv, "NPM_CONFIG_") || strings.HasPrefix(kv, "PIP_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

type cli struct {
	t   *testing.T
	env []string
	url string
}

// run runs `aws ARGS --endpoint-url URL` and decodes JSON output into out (if non-nil).
func (c cli) run(out any, args ...string) {
	c.t.Helper()
	if err := c.try(out, args...); err != nil {
		c.t.Fatal(err)
	}
}

func (c cli) try(out any, args ...string) error {
	cmd := exec.Command("aws", append(args, "--endpoint-url", c.url, "--output", "json")...)
	cmd.Env = c.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if out != nil && strings.TrimSpace(stdout.String()) != "" {
		if err := json.Unmarshal([]byte(stdout.String()), out); err != nil {
			return fmt.Errorf("aws %s: decoding %q: %v", strings.Join(args, " "), stdout.String(), err)
		}
	}
	return nil
}

func TestAWSCLINewcomerPath(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is not on PATH; it ships with this machine image (pip install awscli elsewhere)")
	}
	bin := wharfBinary(t)
	data := t.TempDir()
	url, stdout := startWharf(t, bin, data)

	creds := filepath.Join(data, "admin-credentials")
	st, err := os.Stat(creds)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("bootstrapped credentials file: %v mode %v", err, st)
	}
	if !strings.Contains(stdout.String(), creds) {
		t.Fatalf("wharf did not say where the credentials are; it printed:\n%s", stdout)
	}
	secret := readSecret(t, creds)
	if strings.Contains(stdout.String(), secret) {
		t.Fatal("wharf printed the secret access key")
	}

	home := t.TempDir()
	c := cli{t: t, url: url, env: cleanEnv(map[string]string{
		"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_PROFILE": "wharf", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(home, "aws-config"), "HOME": home,
		"NPM_CONFIG_USERCONFIG": filepath.Join(home, ".npmrc"),
	})}

	var ident struct{ Account, Arn string }
	c.run(&ident, "sts", "get-caller-identity")
	if ident.Account != "000000000000" || ident.Arn != "arn:aws:iam::000000000000:root" {
		t.Fatalf("get-caller-identity: %+v", ident)
	}

	var dom struct {
		Domain struct{ Name, Owner, Arn, Status, EncryptionKey string }
	}
	c.run(&dom, "codeartifact", "create-domain", "--domain", "acme", "--tags", "key=team,value=platform")
	if dom.Domain.Arn != "arn:aws:codeartifact:us-east-1:000000000000:domain/acme" || dom.Domain.Status != "Active" {
		t.Fatalf("create-domain: %+v", dom)
	}
	c.run(nil, "codeartifact", "create-repository", "--domain", "acme", "--repository", "npm-store", "--description", "public npm proxy")
	var assoc struct {
		Repository struct {
			ExternalConnections []struct{ ExternalConnectionName, PackageFormat, Status string }
		}
	}
	c.run(&assoc, "codeartifact", "associate-external-connection", "--domain", "acme", "--repository", "npm-store", "--external-connection", "public:npmjs")
	if ec := assoc.Repository.ExternalConnections; len(ec) != 1 || ec[0].PackageFormat != "npm" || ec[0].Status != "AVAILABLE" {
		t.Fatalf("associate-external-connection: %+v", ec)
	}
	c.run(nil, "codeartifact", "create-repository", "--domain", "acme", "--repository", "internal")
	var app struct {
		Repository struct {
			Arn       string
			Upstreams []struct{ RepositoryName string }
		}
	}
	c.run(&app, "codeartifact", "create-repository", "--domain", "acme", "--repository", "app",
		"--upstreams", "repositoryName=internal", "repositoryName=npm-store")
	if len(app.Repository.Upstreams) != 2 || app.Repository.Upstreams[1].RepositoryName != "npm-store" {
		t.Fatalf("create-repository upstreams: %+v", app.Repository.Upstreams)
	}

	policyFile := filepath.Join(home, "policy.json")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`
	if err := os.WriteFile(policyFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var pol struct {
		Policy struct{ ResourceArn, Revision, Document string }
	}
	c.run(&pol, "codeartifact", "put-repository-permissions-policy", "--domain", "acme", "--repository", "app", "--policy-document", "file://"+policyFile)
	if pol.Policy.ResourceArn != app.Repository.Arn || pol.Policy.Document != doc || pol.Policy.Revision == "" {
		t.Fatalf("put-repository-permissions-policy: %+v", pol)
	}
	// A malformed policy is refused with a ValidationException the CLI names.
	if err := c.try(nil, "codeartifact", "put-repository-permissions-policy", "--domain", "acme", "--repository", "app", "--policy-document", `{"Statement":[]}`); err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Fatalf("malformed policy: %v", err)
	}

	var list struct{ Repositories []struct{ Name string } }
	c.run(&list, "codeartifact", "list-repositories-in-domain", "--domain", "acme")
	if len(list.Repositories) != 3 {
		t.Fatalf("list-repositories-in-domain: %+v", list)
	}
	var domains struct{ Domains []struct{ Name string } }
	c.run(&domains, "codeartifact", "list-domains")
	if len(domains.Domains) != 1 || domains.Domains[0].Name != "acme" {
		t.Fatalf("list-domains: %+v", domains)
	}
	var ep struct{ RepositoryEndpoint string }
	c.run(&ep, "codeartifact", "get-repository-endpoint", "--domain", "acme", "--repository", "app", "--format", "npm")
	if ep.RepositoryEndpoint != url+"/acme-000000000000/npm/app/" {
		t.Fatalf("get-repository-endpoint: %s", ep.RepositoryEndpoint)
	}

	// aws codeartifact login --tool npm writes the registry and the token into .npmrc.
	c.run(nil, "codeartifact", "login", "--tool", "npm", "--domain", "acme", "--repository", "app")
	npmrc, err := os.ReadFile(filepath.Join(home, ".npmrc"))
	if err != nil {
		t.Fatal(err)
	}
	hostPath := strings.TrimPrefix(ep.RepositoryEndpoint, "http:")
	if !strings.Contains(string(npmrc), "registry="+ep.RepositoryEndpoint) || !strings.Contains(string(npmrc), hostPath+":_authToken=wharf_") {
		t.Fatalf(".npmrc after login:\n%s", npmrc)
	}

	// --tool pip writes an index URL with the token as the Basic password.
	c.run(nil, "codeartifact", "login", "--tool", "pip", "--domain", "acme", "--repository", "app")
	// pip writes its user file (~/.config/pip/pip.conf on Linux) unless told otherwise.
	pipconf, err := os.ReadFile(filepath.Join(home, ".config", "pip", "pip.conf"))
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := "index-url = http://aws:wharf_"
	if !strings.Contains(string(pipconf), wantPrefix) || !strings.Contains(string(pipconf), strings.TrimPrefix(url, "http://")+"/acme-000000000000/pypi/app/simple/") {
		t.Fatalf("pip.conf after login:\n%s", pipconf)
	}

	// Errors come back typed: a domain with repositories cannot be deleted.
	if err := c.try(nil, "codeartifact", "delete-domain", "--domain", "acme"); err == nil || !strings.Contains(err.Error(), "ConflictException") {
		t.Fatalf("delete-domain with repositories: %v", err)
	}
	if err := c.try(nil, "codeartifact", "describe-repository", "--domain", "acme", "--repository", "nope"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("describe missing repository: %v", err)
	}
}

func readSecret(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "aws_secret_access_key" {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no secret in %s", path)
	return ""
}
