package auth

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// These tests sign with botocore, through the real aws CLI, and check that wharf
// verifies what it signs: the CLI is the client wharf most has to agree with.

func awsCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	return p
}

func execAWS(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command(awsCLI(t), args...)
}

// runAWS runs the aws CLI with key's credentials and nothing from the user's
// environment or files.
func runAWS(t *testing.T, key model.AccessKey, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := execAWS(t, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + key.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + key.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
	if root := os.Getenv("PYENV_ROOT"); root != "" {
		cmd.Env = append(cmd.Env, "PYENV_ROOT="+root)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func realClockVerifier(keys KeyLookup) *Verifier {
	return &Verifier{Keys: keys}
}

func TestAWSCLISTSGetCallerIdentity(t *testing.T) {
	srv, rc := verifyServer(t, realClockVerifier(newFakeKeys(testKey)), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
			`<Arn>` + testUser.ARN + `</Arn><UserId>` + testUser.UserID + `</UserId><Account>` + testUser.Account + `</Account>` +
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	})
	out, err := runAWS(t, testKey, "sts", "get-caller-identity", "--endpoint-url", srv.URL, "--output", "text")
	s := rc.last(t)
	if s.err != nil {
		t.Fatalf("Verify refused the CLI's signature: %v (CLI output: %s)", s.err, out)
	}
	if s.res.Service != "sts" || s.res.Principal != testUser {
		t.Fatalf("result = %+v", s.res)
	}
	if !strings.Contains(string(s.body), "Action=GetCallerIdentity") {
		t.Fatalf("handler read body %q, want the form the CLI sent", s.body)
	}
	if err != nil || !strings.Contains(out, testUser.ARN) {
		t.Fatalf("CLI: %v\n%s", err, out)
	}

	// A wrong secret is refused, and the CLI hears about it.
	bad := testKey
	bad.SecretAccessKey = "wrong"
	out, err = runAWS(t, bad, "sts", "get-caller-identity", "--endpoint-url", srv.URL)
	wantRefused(t, rc.last(t).err, ReasonInvalidSignature, "does not match")
	if err == nil {
		t.Fatalf("CLI succeeded with a wrong secret: %s", out)
	}
}

func TestAWSCLICodeArtifact(t *testing.T) {
	srv, rc := verifyServer(t, realClockVerifier(newFakeKeys(testKey)), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/domains":
			w.Write([]byte(`{"domains":[]}`))
		default:
			w.Write([]byte(`{"repository":{"name":"r"}}`))
		}
	})

	out, err := runAWS(t, testKey, "codeartifact", "list-domains", "--endpoint-url", srv.URL, "--region", "us-east-1")
	s := rc.last(t)
	if s.err != nil {
		t.Fatalf("list-domains: Verify refused: %v (CLI: %s)", s.err, out)
	}
	if s.path != "/v1/domains" || s.res.Service != "codeartifact" || s.res.Region != "us-east-1" {
		t.Fatalf("list-domains: path %q result %+v", s.path, s.res)
	}
	if err != nil {
		t.Fatalf("list-domains CLI: %v\n%s", err, out)
	}

	out, err = runAWS(t, testKey, "codeartifact", "create-repository", "--endpoint-url", srv.URL, "--region", "us-east-1",
		"--domain", "my-domain", "--domain-owner", "111122223333", "--repository", "my-repo", "--description", "a b",
		"--upstreams", "repositoryName=upstream-x")
	s = rc.last(t)
	if s.err != nil {
		t.Fatalf("create-repository: Verify refused: %v (CLI: %s)", s.err, out)
	}
	if s.query.Get("domain") != "my-domain" || s.query.Get("repository") != "my-repo" || !strings.Contains(string(s.body), `"a b"`) ||
		!strings.Contains(string(s.body), `"upstream-x"`) {
		t.Fatalf("create-repository: path %q query %v body %s (CLI: %s)", s.path, s.query, s.body, out)
	}
	if err != nil {
		t.Fatalf("create-repository CLI: %v\n%s", err, out)
	}

	// Query values that need encoding, on a GET.
	out, _ = runAWS(t, testKey, "codeartifact", "list-tags-for-resource", "--endpoint-url", srv.URL, "--region", "us-east-1",
		"--resource-arn", "arn:aws:codeartifact:us-east-1:111122223333:repository/my-domain/my-repo")
	s = rc.last(t)
	if s.err != nil {
		t.Fatalf("list-tags-for-resource: Verify refused: %v (CLI: %s)", s.err, out)
	}
	if s.query.Get("resourceArn") != "arn:aws:codeartifact:us-east-1:111122223333:repository/my-domain/my-repo" {
		t.Fatalf("list-tags-for-resource: query %v", s.query)
	}
	out, _ = runAWS(t, testKey, "codeartifact", "describe-package", "--endpoint-url", srv.URL, "--region", "us-east-1",
		"--domain", "my-domain", "--repository", "my-repo", "--format", "npm", "--namespace", "@scope", "--package", "a b+c")
	s = rc.last(t)
	if s.err != nil {
		t.Fatalf("describe-package: Verify refused: %v (CLI: %s)", s.err, out)
	}
	if s.query.Get("namespace") != "@scope" || s.query.Get("package") != "a b+c" {
		t.Fatalf("describe-package: query %v", s.query)
	}
}

// botocore's query-string signing (SigV4QueryAuth), as the CLI's
// generate-db-auth-token uses it, verifies as a presigned URL.
func TestAWSCLIPresignedURL(t *testing.T) {
	srv, rc := verifyServer(t, realClockVerifier(newFakeKeys(testKey)), nil)
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	host, port, _ := strings.Cut(hostPort, ":")
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatalf("server URL %q", srv.URL)
	}
	out, err := runAWS(t, testKey, "rds", "generate-db-auth-token", "--hostname", host, "--port", port, "--username", "u", "--region", "us-east-1")
	if err != nil {
		t.Fatalf("CLI: %v\n%s", err, out)
	}
	resp, err := http.Get("http://" + strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := rc.last(t)
	if s.err != nil {
		t.Fatalf("Verify refused botocore's presigned URL: %v (%s)", s.err, out)
	}
	if s.res.Service != "rds-db" || s.query.Get("DBUser") != "u" {
		t.Fatalf("result %+v query %v", s.res, s.query)
	}
}
