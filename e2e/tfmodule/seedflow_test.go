package tfmodule_test

import (

	//nolint:gosec // OIDC thumbprints are SHA-1

	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/oidctest"
)

// shell is an environment the aws CLI and npm run in: its own HOME (and so
// its own ~/.npmrc) and credentials.
type shell struct {
	t    *testing.T
	url  string
	home string
	env  []string
}

func newShell(t *testing.T, wharfURL string, creds ...string) *shell {
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_REGION=" + testRegion, "AWS_DEFAULT_REGION=" + testRegion,
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_EC2_METADATA_DISABLED=true",
		"NPM_CONFIG_USERCONFIG=" + filepath.Join(home, ".npmrc"), "NPM_CONFIG_CACHE=" + filepath.Join(home, "npm-cache")}
	names := []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN="}
	for i, c := range creds {
		env = append(env, names[i]+c)
	}
	return &shell{t: t, url: wharfURL, home: home, env: env}
}

// aws runs the aws CLI against wharf and decodes its JSON output into out.
func (s *shell) aws(out any, args ...string) error {
	cmd := exec.Command("aws", append(args, "--endpoint-url", s.url, "--output", "json")...)
	cmd.Env = s.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return &cliError{args: args, err: err, stderr: stderr.String()}
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout.String()), out); err != nil {
			s.t.Fatalf("aws %s: decoding %q: %v", strings.Join(args, " "), stdout.String(), err)
		}
	}
	return nil
}

type cliError struct {
	args   []string
	err    error
	stderr string
}

func (e *cliError) Error() string {
	return "aws " + strings.Join(e.args, " ") + ": " + e.err.Error() + "\n" + e.stderr
}

func (s *shell) mustAWS(out any, args ...string) {
	s.t.Helper()
	if err := s.aws(out, args...); err != nil {
		s.t.Fatal(err)
	}
}

func (s *shell) npm(dir string, args ...string) (string, error) {
	cmd := exec.Command("npm", args...)
	cmd.Dir = dir
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

type stsSession struct {
	Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
}

// seedLeastPrivilegeProof is the seed's usage after `tofu apply` of the
// complete example: a CI job turns its OIDC token into the ci_publish role's
// session and publishes; a build server's build_reader session installs
// through the cached proxy and is refused publishing (403); an identity with
// no CodeArtifact permissions is refused.
func seedLeastPrivilegeProof(t *testing.T, wharfURL, domain, repo, ciRoleARN, readerRoleARN string, is *oidctest.Issuer, publicPkg string) {
	t.Helper()
	admin := newShell(t, wharfURL, testAccessKey, testSecretKey)

	// The CI job.
	var ci stsSession
	admin.mustAWS(&ci, "sts", "assume-role-with-web-identity", "--role-arn", ciRoleARN, "--role-session-name", "ci-run-1",
		"--web-identity-token", is.JobToken(t, "repo:acme/payments-api:ref:refs/heads/main", "sts.amazonaws.com"))
	job := newShell(t, wharfURL, ci.Credentials.AccessKeyId, ci.Credentials.SecretAccessKey, ci.Credentials.SessionToken)
	job.mustAWS(nil, "codeartifact", "login", "--tool", "npm", "--domain", domain, "--repository", repo)
	pkg := t.TempDir()
	for name, body := range map[string]string{"package.json": `{"name":"@payments/ledger","version":"1.0.0","main":"index.js"}`, "index.js": "module.exports = 1;\n"} {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := job.npm(pkg, "publish"); err != nil {
		t.Fatalf("npm publish as the CI role: %v\n%s", err, out)
	}
	// A job of another repository is not the CI role.
	if err := admin.aws(nil, "sts", "assume-role-with-web-identity", "--role-arn", ciRoleARN, "--role-session-name", "fork",
		"--web-identity-token", is.JobToken(t, "repo:someone/fork:ref:refs/heads/main", "sts.amazonaws.com")); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("a token of another repository: %v", err)
	}

	// A build server.
	var rd stsSession
	admin.mustAWS(&rd, "sts", "assume-role", "--role-arn", readerRoleARN, "--role-session-name", "build-7")
	build := newShell(t, wharfURL, rd.Credentials.AccessKeyId, rd.Credentials.SecretAccessKey, rd.Credentials.SessionToken)
	build.mustAWS(nil, "codeartifact", "login", "--tool", "npm", "--domain", domain, "--repository", repo)
	proj := t.TempDir()
	if err := os.WriteFile(filepath.Join(proj, "package.json"), []byte(`{"name":"payments-api","version":"1.0.0","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := build.npm(proj, "install", publicPkg, "@payments/ledger@1.0.0", "--no-audit", "--no-fund"); err != nil {
		t.Fatalf("npm install as the reader role: %v\n%s", err, out)
	}
	for _, p := range []string{publicPkg, "@payments/ledger"} {
		if _, err := os.Stat(filepath.Join(proj, "node_modules", p, "package.json")); err != nil {
			t.Fatalf("the reader did not install %s: %v", p, err)
		}
	}
	if err := os.WriteFile(filepath.Join(pkg, "package.json"), []byte(`{"name":"@payments/ledger","version":"1.0.1","main":"index.js"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := build.npm(pkg, "publish"); err == nil || !strings.Contains(out, "403") {
		t.Fatalf("npm publish as the reader role: want 403, got %v\n%s", err, out)
	}

	// Same account, no permissions: refused everywhere.
	admin.mustAWS(nil, "iam", "create-user", "--user-name", "no-permissions")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	admin.mustAWS(&key, "iam", "create-access-key", "--user-name", "no-permissions")
	nobody := newShell(t, wharfURL, key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey)
	for _, args := range [][]string{
		{"codeartifact", "get-authorization-token", "--domain", domain},
		{"codeartifact", "describe-repository", "--domain", domain, "--repository", repo},
		{"codeartifact", "list-domains"},
	} {
		if err := nobody.aws(nil, args...); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("aws %s without permissions: %v", strings.Join(args, " "), err)
		}
	}
	admin.mustAWS(nil, "iam", "delete-access-key", "--user-name", "no-permissions", "--access-key-id", key.AccessKey.AccessKeyId)
	admin.mustAWS(nil, "iam", "delete-user", "--user-name", "no-permissions")
}
