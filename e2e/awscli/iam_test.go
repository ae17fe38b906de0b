package awscli

import (

	//nolint:gosec // OIDC thumbprints are SHA-1

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/oidctest"
)

func writeFile(t *testing.T, dir, name, content string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type sessionCreds struct {
	Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
	AssumedRoleUser struct{ Arn string }
}

// as is the CLI with a session's credentials in the environment, as a CI job
// has them after assuming its role.
func (c cli) as(s sessionCreds, home string) cli {
	env := cleanEnv(map[string]string{
		"AWS_ACCESS_KEY_ID": s.Credentials.AccessKeyId, "AWS_SECRET_ACCESS_KEY": s.Credentials.SecretAccessKey,
		"AWS_SESSION_TOKEN": s.Credentials.SessionToken, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(home, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "none"),
		"HOME": home, "NPM_CONFIG_USERCONFIG": filepath.Join(home, ".npmrc"), "NPM_CONFIG_CACHE": filepath.Join(home, "npm-cache"),
	})
	return cli{t: c.t, env: env, url: c.url}
}

func (c cli) npm(dir string, args ...string) (string, error) {
	cmd := exec.Command("npm", args...)
	cmd.Dir = dir
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The seed's least-privilege story with the aws CLI and npm: a CI role
// assumed through the CI's OIDC federation publishes; a reader role's
// session installs and is refused publishing; an identity with no
// permissions is refused.
func TestSeedUsageWithOIDCFederation(t *testing.T) {
	for _, tool := range []string{"aws", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH (scripts/install-deps.sh installs it)", tool)
		}
	}
	bin := wharfBinary(t)
	data := t.TempDir()
	url, _ := startWharf(t, bin, data)
	is := oidctest.Start(t)
	host := strings.TrimPrefix(is.URL, "https://")
	home := t.TempDir()
	admin := cli{t: t, url: url, env: cleanEnv(map[string]string{
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(data, "admin-credentials"), "AWS_PROFILE": "wharf",
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": filepath.Join(home, "aws-config"), "HOME": home,
	})}

	// IAM, as the seed's Terraform declares it: the CI's OIDC provider, a
	// ci_publish role it may assume for one repository's jobs, a build_reader role.
	var prov struct{ OpenIDConnectProviderArn string }
	admin.run(&prov, "iam", "create-open-id-connect-provider", "--url", is.URL, "--client-id-list", "sts.amazonaws.com", "--thumbprint-list", is.Thumbprint)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + prov.OpenIDConnectProviderArn + `"},"Action":"sts:AssumeRoleWithWebIdentity",` +
		`"Condition":{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com"},"StringLike":{"` + host + `:sub":"repo:acme/app:*"}}}]}`
	var ci struct{ Role struct{ Arn string } }
	admin.run(&ci, "iam", "create-role", "--role-name", "ci-publish", "--assume-role-policy-document", "file://"+writeFile(t, home, "trust.json", trust))
	var role struct {
		Role struct{ AssumeRolePolicyDocument map[string]any }
	}
	admin.run(&role, "iam", "get-role", "--role-name", "ci-publish")
	if role.Role.AssumeRolePolicyDocument["Statement"] == nil {
		t.Fatalf("get-role did not return the trust policy as a document: %+v", role)
	}
	use := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:GetAuthorizationToken","codeartifact:GetRepositoryEndpoint","codeartifact:ReadFromRepository","sts:GetServiceBearerToken"],"Resource":"*"}]}`
	admin.run(nil, "iam", "put-role-policy", "--role-name", "ci-publish", "--policy-name", "use-codeartifact", "--policy-document", use)
	var reader struct{ Role struct{ Arn string } }
	admin.run(&reader, "iam", "create-role", "--role-name", "build-reader", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)
	admin.run(nil, "iam", "put-role-policy", "--role-name", "build-reader", "--policy-name", "use-codeartifact", "--policy-document", use)

	// The domain and repository, with the seed's repo_access policy verbatim
	// (CI role publishes, the account reads).
	admin.run(nil, "codeartifact", "create-domain", "--domain", "acme")
	admin.run(nil, "codeartifact", "create-repository", "--domain", "acme", "--repository", "app")
	repoAccess := `{"Version":"2012-10-17","Statement":[{"Sid":"PublishFromCI","Effect":"Allow","Action":["codeartifact:PublishPackageVersion","codeartifact:PutPackageMetadata"],"Resource":"*","Principal":{"AWS":"` + ci.Role.Arn + `"}},` +
		`{"Sid":"ReadForOrg","Effect":"Allow","Action":["codeartifact:ReadFromRepository","codeartifact:GetPackageVersionAsset"],"Resource":"*","Principal":{"AWS":"000000000000"}}]}`
	admin.run(nil, "codeartifact", "put-repository-permissions-policy", "--domain", "acme", "--repository", "app", "--policy-document", repoAccess)

	// The CI job: its OIDC token becomes the CI role's session.
	ciHome := t.TempDir()
	var ciSession sessionCreds
	admin.run(&ciSession, "sts", "assume-role-with-web-identity", "--role-arn", ci.Role.Arn, "--role-session-name", "gha-run-1",
		"--web-identity-token", is.JobToken(t, "repo:acme/app:ref:refs/heads/main", "sts.amazonaws.com"))
	if ciSession.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/ci-publish/gha-run-1" {
		t.Fatalf("assumed role: %+v", ciSession.AssumedRoleUser)
	}
	job := admin.as(ciSession, ciHome)
	var who struct{ Arn string }
	job.run(&who, "sts", "get-caller-identity")
	if who.Arn != ciSession.AssumedRoleUser.Arn {
		t.Fatalf("get-caller-identity as the CI job: %s", who.Arn)
	}
	job.run(nil, "codeartifact", "login", "--tool", "npm", "--domain", "acme", "--repository", "app")
	pkg := t.TempDir()
	writeFile(t, pkg, "package.json", `{"name":"@acme/lib","version":"1.0.0","main":"index.js"}`)
	writeFile(t, pkg, "index.js", "module.exports = 42;\n")
	if out, err := job.npm(pkg, "publish"); err != nil {
		t.Fatalf("npm publish as the CI role: %v\n%s", err, out)
	}
	// Another repository's jobs are not this role.
	if err := admin.try(nil, "sts", "assume-role-with-web-identity", "--role-arn", ci.Role.Arn, "--role-session-name", "evil",
		"--web-identity-token", is.JobToken(t, "repo:evil/fork:ref:refs/heads/main", "sts.amazonaws.com")); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("a token of another repository: %v", err)
	}

	// A build server: the reader role's session installs, and cannot publish.
	rdHome := t.TempDir()
	var rdSession sessionCreds
	admin.run(&rdSession, "sts", "assume-role", "--role-arn", reader.Role.Arn, "--role-session-name", "build-7")
	build := admin.as(rdSession, rdHome)
	build.run(nil, "codeartifact", "login", "--tool", "npm", "--domain", "acme", "--repository", "app")
	proj := t.TempDir()
	writeFile(t, proj, "package.json", `{"name":"consumer","version":"1.0.0","dependencies":{"@acme/lib":"1.0.0"}}`)
	if out, err := build.npm(proj, "install", "--no-audit", "--no-fund"); err != nil {
		t.Fatalf("npm install as the reader role: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(proj, "node_modules", "@acme", "lib", "index.js")); err != nil {
		t.Fatalf("the package did not install: %v", err)
	}
	writeFile(t, pkg, "package.json", `{"name":"@acme/lib","version":"1.0.1","main":"index.js"}`)
	out, err := build.npm(pkg, "publish")
	if err == nil || !strings.Contains(out, "403") {
		t.Fatalf("npm publish as the reader role: want a 403 refusal, got %v\n%s", err, out)
	}

	// An identity with no CodeArtifact permissions in the same account.
	admin.run(nil, "iam", "create-user", "--user-name", "intern")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	admin.run(&key, "iam", "create-access-key", "--user-name", "intern")
	intern := admin.as(sessionCreds{Credentials: struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }{
		AccessKeyId: key.AccessKey.AccessKeyId, SecretAccessKey: key.AccessKey.SecretAccessKey}}, t.TempDir())
	for _, args := range [][]string{
		{"codeartifact", "get-authorization-token", "--domain", "acme"},
		{"codeartifact", "describe-repository", "--domain", "acme", "--repository", "app"},
		{"codeartifact", "list-domains"},
		{"iam", "list-roles"},
	} {
		if err := intern.try(nil, args...); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("aws %s as a user without permissions: %v", strings.Join(args, " "), err)
		}
	}
}
