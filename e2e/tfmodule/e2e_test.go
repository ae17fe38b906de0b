package tfmodule_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/wharf-dev/wharf/internal/oidctest"
)

// The end-to-end proof: OpenTofu with the real AWS provider applies the examples
// against a wharf server started here, the result is read back through the AWS
// SDK, a second plan is empty, an update applies, and destroy leaves nothing.

const (
	testAccount   = "000000000000"
	testRegion    = "us-east-1"
	testAccessKey = "AKIAWHARFTFMODULE001"
	testSecretKey = "wharf-tfmodule-test-secret-key-0000000000"
)

// syncBuffer collects a subprocess's output for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startWharf builds cmd/wharf and serves it on a free port until the test ends.
func startWharf(t *testing.T, extraArgs ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wharf")
	build := exec.Command("go", "build", "-o", bin, "./cmd/wharf")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building wharf: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var logs syncBuffer
	cmd := exec.Command(bin, append([]string{"serve", "--listen", addr, "--data-dir", filepath.Join(t.TempDir(), "data")}, extraArgs...)...)
	cmd.Env = append(os.Environ(), "WHARF_ROOT_ACCESS_KEY_ID="+testAccessKey, "WHARF_ROOT_SECRET_ACCESS_KEY="+testSecretKey)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("wharf output:\n%s", logs.String())
		}
	})

	url := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; {
		select {
		case err := <-exited:
			t.Fatalf("wharf exited before it was ready: %v\n%s", err, logs.String())
		default:
		}
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("wharf did not answer GET /healthz with 200 within a minute (last error %v)\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// e2eEnv is what every tofu invocation needs to talk to wharf and nothing else.
func e2eEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + testAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + testSecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_REGION=" + testRegion,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// example is one examples/<name> directory in a private copy of the module.
type example struct {
	t   *testing.T
	ts  toolSet
	dir string
	env []string
}

func (e *example) setVars(vars map[string]any) {
	e.t.Helper()
	b, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "wharf.auto.tfvars.json"), b, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *example) apply() {
	e.t.Helper()
	mustTofu(e.t, e.ts, e.dir, e.env, "apply", "-auto-approve", "-input=false", "-no-color")
}

// planIsEmpty asserts convergence: -detailed-exitcode is 0 only when nothing would change.
func (e *example) planIsEmpty() {
	e.t.Helper()
	r := runTofu(e.t, e.ts, e.dir, e.env, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if r.code != 0 {
		e.t.Fatalf("a plan after apply must be empty (exit 0), got exit %d:\n%s", r.code, r)
	}
}

func (e *example) destroy() {
	e.t.Helper()
	mustTofu(e.t, e.ts, e.dir, e.env, "destroy", "-auto-approve", "-input=false", "-no-color")
}

func (e *example) outputs() map[string]any {
	e.t.Helper()
	r := mustTofu(e.t, e.ts, e.dir, e.env, "output", "-json")
	var raw map[string]struct {
		Value any `json:"value"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		e.t.Fatalf("tofu output -json: %v\n%s", err, r.stdout)
	}
	out := map[string]any{}
	for k, v := range raw {
		out[k] = v.Value
	}
	return out
}

func TestEndToEnd(t *testing.T) {
	ts := findTools(t)
	registry := startFixtureRegistry(t)
	url := startWharf(t, "--upstream", "public:npmjs="+registry.URL+"/")
	mod := copyModule(t)
	client := codeartifact.New(codeartifact.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
	})
	keys := kms.New(kms.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
	})
	iamClient := iam.New(iam.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
	})
	// A customer-managed key in wharf's KMS, for the examples that take kms_key_arn.
	createKey := func(t *testing.T, purpose string) string {
		out, err := keys.CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String(purpose)})
		if err != nil {
			t.Fatalf("KMS CreateKey: %v", err)
		}
		return aws.ToString(out.KeyMetadata.Arn)
	}
	newExample := func(t *testing.T, name string) *example {
		e := &example{t: t, ts: ts, dir: filepath.Join(mod, "examples", name), env: e2eEnv()}
		initDir(t, ts, e.dir, e.env)
		return e
	}

	t.Run("quickstart", func(t *testing.T) {
		e := newExample(t, "quickstart")
		testKMSKey := createKey(t, "quickstart")
		e.setVars(map[string]any{"endpoint": url, "domain_name": "quickstart", "kms_key_arn": testKMSKey, "repository_name": "app"})
		e.apply()
		out := e.outputs()
		dom := describeDomain(t, client, "quickstart")
		wantEqual(t, "domain encryption key", aws.ToString(dom.EncryptionKey), testKMSKey)
		wantEqual(t, "domain owner", aws.ToString(dom.Owner), testAccount)
		wantOutputs(t, out, map[string]any{
			"domain_name":              "quickstart",
			"domain_owner":             testAccount,
			"domain_arn":               aws.ToString(dom.Arn),
			"repository_name":          "app",
			"repository_arn":           aws.ToString(describeRepository(t, client, "quickstart", "app").Arn),
			"upstream_repository_name": nil,
		})
		wantEqual(t, "domain ARN", aws.ToString(dom.Arn), "arn:aws:codeartifact:us-east-1:000000000000:domain/quickstart")
		repo := describeRepository(t, client, "quickstart", "app")
		wantEqual(t, "description", aws.ToString(repo.Description), "Managed by Terraform")
		wantEqual(t, "upstreams", upstreamNames(repo), []string{})
		wantEqual(t, "repositories", listRepositories(t, client, "quickstart"), []string{"app"})
		e.planIsEmpty()
		e.destroy()
		wantDomainGone(t, client, "quickstart")
	})

	t.Run("complete", func(t *testing.T) {
		e := newExample(t, "complete")
		// No kms_key_arn: the example creates its aws_kms_key, through wharf's KMS.
		// The CI's OIDC issuer is one this test runs on loopback.
		issuer := oidctest.Start(t)
		vars := map[string]any{"endpoint": url, "ci_oidc_url": issuer.URL, "ci_oidc_thumbprints": []string{issuer.Thumbprint},
			"ci_subject": "repo:acme/payments-api:*"}
		e.setVars(vars)
		e.apply()
		out := e.outputs()
		testKMSKey, _ := out["kms_key_arn"].(string)
		if !strings.HasPrefix(testKMSKey, "arn:aws:kms:us-east-1:000000000000:key/") {
			t.Fatalf("output kms_key_arn %q is not a key the example created in wharf's KMS", testKMSKey)
		}
		const domain, repoName, upName = "example-complete", "team-payments-npm", "team-payments-npm-upstream"
		dom := describeDomain(t, client, domain)
		repo := describeRepository(t, client, domain, repoName)
		up := describeRepository(t, client, domain, upName)
		wantOutputs(t, out, map[string]any{
			"domain_name":              domain,
			"domain_owner":             testAccount,
			"domain_arn":               aws.ToString(dom.Arn),
			"repository_name":          repoName,
			"repository_arn":           aws.ToString(repo.Arn),
			"upstream_repository_name": upName,
			"kms_key_arn":              testKMSKey,
		})
		wantEqual(t, "domain encryption key", aws.ToString(dom.EncryptionKey), testKMSKey)
		wantEqual(t, "description", aws.ToString(repo.Description), "npm packages for the payments domain")
		wantEqual(t, "primary upstreams", upstreamNames(repo), []string{upName})
		wantEqual(t, "upstream external connections", externalConnections(up), []string{"public:npmjs"})
		wantEqual(t, "upstream description", aws.ToString(up.Description), "Public proxy (public:npmjs) for team-payments-npm")
		wantTags := map[string]string{"Environment": "prod", "Team": "payments", "ManagedBy": "terraform"}
		for _, arn := range []string{aws.ToString(dom.Arn), aws.ToString(repo.Arn), aws.ToString(up.Arn)} {
			wantEqual(t, "tags of "+arn, listTags(t, client, arn), wantTags)
		}
		// As the seed: the CI role (trusted by the CI's OIDC provider) publishes,
		// the account reads; both roles carry their own identity policies.
		ci := "arn:aws:iam::000000000000:role/ci-publish"
		wantOutputs(t, out, map[string]any{"ci_publish_role_arn": ci, "build_reader_role_arn": "arn:aws:iam::000000000000:role/build-reader"})
		wantPolicy(t, repositoryPolicy(t, client, domain, repoName), map[string][]string{
			"PublishFromCI": {ci}, "ReadForOrg": {testAccount},
		})
		wantPolicy(t, domainPolicy(t, client, domain), map[string][]string{
			"TokensForPublishers": {ci}, "ReadForOrg": {testAccount},
		})
		for _, role := range []string{"ci-publish", "build-reader"} {
			names, err := iamClient.ListRolePolicies(context.Background(), &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
			if err != nil || len(names.PolicyNames) != 1 {
				t.Fatalf("inline policies of %s: %v %v", role, names, err)
			}
		}
		e.planIsEmpty()

		// The proof that the halves fit: npm installs through the repository the
		// module created, the public package arriving through the managed upstream's
		// external connection and retained in both repositories.
		project := npmInstallThrough(t, url, domain, repoName, "wharf-proof")
		for _, p := range []string{"wharf-proof", "wharf-proof-dep"} {
			if _, err := os.Stat(filepath.Join(project, "node_modules", p, "package.json")); err != nil {
				t.Fatalf("npm did not install %s: %v", p, err)
			}
		}
		for _, r := range []string{repoName, upName} {
			v, err := client.DescribePackageVersion(context.Background(), &codeartifact.DescribePackageVersionInput{Domain: aws.String(domain),
				Repository: aws.String(r), Format: types.PackageFormatNpm, Package: aws.String("wharf-proof"), PackageVersion: aws.String("2.1.0")})
			if err != nil {
				t.Fatalf("wharf-proof 2.1.0 not retained in %s: %v", r, err)
			}
			wantEqual(t, "origin of wharf-proof in "+r, string(v.PackageVersion.Origin.OriginType), "EXTERNAL")
		}
		if n := registry.tarballs.Load(); n != 2 {
			t.Fatalf("the public registry served %d tarballs, want 2 (each once)", n)
		}
		npmInstallThrough(t, url, domain, repoName, "wharf-proof")
		if n := registry.tarballs.Load(); n != 2 {
			t.Fatalf("a second install fetched from the public registry again (%d tarballs)", n)
		}

		// The seed's least privilege, with the roles the example created.
		seedLeastPrivilegeProof(t, url, domain, repoName, ci, "arn:aws:iam::000000000000:role/build-reader", issuer, "wharf-proof")
		if n := registry.tarballs.Load(); n != 2 {
			t.Fatalf("the reader's install fetched from the public registry again (%d tarballs)", n)
		}

		// Update in place: tags, description and both policies.
		vars["repository_description"] = "npm packages for payments (updated)"
		// Reading narrowed from the whole account to the build reader role (an
		// account id and its root ARN are the same principal to the provider,
		// so that would plan no change).
		reader := "arn:aws:iam::000000000000:role/build-reader"
		vars["reader_arns"] = []string{reader}
		vars["tags"] = map[string]string{"Environment": "staging", "Team": "payments", "CostCenter": "42"}
		e.setVars(vars)
		e.apply()
		wantEqual(t, "updated description", aws.ToString(describeRepository(t, client, domain, repoName).Description), "npm packages for payments (updated)")
		wantTags = map[string]string{"Environment": "staging", "Team": "payments", "CostCenter": "42"}
		for _, arn := range []string{aws.ToString(dom.Arn), aws.ToString(repo.Arn), aws.ToString(up.Arn)} {
			wantEqual(t, "updated tags of "+arn, listTags(t, client, arn), wantTags)
		}
		wantPolicy(t, repositoryPolicy(t, client, domain, repoName), map[string][]string{
			"PublishFromCI": {ci}, "ReadForOrg": {reader},
		})
		wantPolicy(t, domainPolicy(t, client, domain), map[string][]string{
			"TokensForPublishers": {ci}, "ReadForOrg": {reader},
		})
		wantEqual(t, "repository ARN after update", aws.ToString(describeRepository(t, client, domain, repoName).Arn), aws.ToString(repo.Arn))
		e.planIsEmpty()

		e.destroy()
		wantDomainGone(t, client, domain)
		for _, role := range []string{"ci-publish", "build-reader"} {
			if _, err := iamClient.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(role)}); err == nil {
				t.Fatalf("role %s survived tofu destroy", role)
			}
		}
		key, err := keys.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(testKMSKey)})
		if err != nil {
			t.Fatalf("DescribeKey after destroy: %v", err)
		}
		wantEqual(t, "key state after destroy", key.KeyMetadata.KeyState, kmstypes.KeyStatePendingDeletion)
	})

	t.Run("multi-team", func(t *testing.T) {
		e := newExample(t, "multi-team")
		testKMSKey := createKey(t, "multi-team")
		e.setVars(map[string]any{"endpoint": url, "kms_key_arn": testKMSKey})
		e.apply()
		out := e.outputs()
		const domain = "kloudvin-pkgs"
		dom := describeDomain(t, client, domain)
		wantOutputs(t, out, map[string]any{
			"domain_name":              domain,
			"domain_owner":             testAccount,
			"domain_arn":               aws.ToString(dom.Arn),
			"platform_repository_name": "platform-shared",
		})
		teams := map[string]string{"team-payments-npm": "public:npmjs", "team-risk-pypi": "public:pypi", "team-core-maven": "public:maven-central"}
		wantRepos := []string{"platform-shared"}
		teamOut, _ := out["teams"].(map[string]any)
		for name, conn := range teams {
			wantRepos = append(wantRepos, name, name+"-upstream")
			repo := describeRepository(t, client, domain, name)
			wantEqual(t, name+" upstreams", upstreamNames(repo), []string{"platform-shared", name + "-upstream"})
			wantEqual(t, name+" external connection", externalConnections(describeRepository(t, client, domain, name+"-upstream")), []string{conn})
			wantEqual(t, name+" tag Team", listTags(t, client, aws.ToString(repo.Arn))["Team"], strings.Split(name, "-")[1])
			to, _ := teamOut[name].(map[string]any)
			wantOutputs(t, to, map[string]any{
				"repository_name":          name,
				"repository_arn":           aws.ToString(repo.Arn),
				"upstream_repository_name": name + "-upstream",
				// A team instance joined the domain; it must still report it exactly.
				"domain_name":  domain,
				"domain_arn":   aws.ToString(dom.Arn),
				"domain_owner": testAccount,
			})
		}
		sort.Strings(wantRepos)
		wantEqual(t, "repositories in the shared domain", listRepositories(t, client, domain), wantRepos)
		wantEqual(t, "domains", listDomains(t, client), []string{domain})
		e.planIsEmpty()
		e.destroy()
		wantDomainGone(t, client, domain)
	})
}

func describeDomain(t *testing.T, c *codeartifact.Client, domain string) *types.DomainDescription {
	t.Helper()
	out, err := c.DescribeDomain(context.Background(), &codeartifact.DescribeDomainInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatalf("DescribeDomain %s: %v", domain, err)
	}
	return out.Domain
}

func describeRepository(t *testing.T, c *codeartifact.Client, domain, repo string) *types.RepositoryDescription {
	t.Helper()
	out, err := c.DescribeRepository(context.Background(), &codeartifact.DescribeRepositoryInput{Domain: aws.String(domain), Repository: aws.String(repo)})
	if err != nil {
		t.Fatalf("DescribeRepository %s/%s: %v", domain, repo, err)
	}
	return out.Repository
}

func listRepositories(t *testing.T, c *codeartifact.Client, domain string) []string {
	t.Helper()
	names := []string{}
	p := codeartifact.NewListRepositoriesInDomainPaginator(c, &codeartifact.ListRepositoriesInDomainInput{Domain: aws.String(domain)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListRepositoriesInDomain %s: %v", domain, err)
		}
		for _, r := range page.Repositories {
			names = append(names, aws.ToString(r.Name))
		}
	}
	sort.Strings(names)
	return names
}

func listDomains(t *testing.T, c *codeartifact.Client) []string {
	t.Helper()
	names := []string{}
	p := codeartifact.NewListDomainsPaginator(c, &codeartifact.ListDomainsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListDomains: %v", err)
		}
		for _, d := range page.Domains {
			names = append(names, aws.ToString(d.Name))
		}
	}
	sort.Strings(names)
	return names
}

func listTags(t *testing.T, c *codeartifact.Client, arn string) map[string]string {
	t.Helper()
	out, err := c.ListTagsForResource(context.Background(), &codeartifact.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", arn, err)
	}
	m := map[string]string{}
	for _, tag := range out.Tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

func repositoryPolicy(t *testing.T, c *codeartifact.Client, domain, repo string) string {
	t.Helper()
	out, err := c.GetRepositoryPermissionsPolicy(context.Background(), &codeartifact.GetRepositoryPermissionsPolicyInput{Domain: aws.String(domain), Repository: aws.String(repo)})
	if err != nil {
		t.Fatalf("GetRepositoryPermissionsPolicy %s/%s: %v", domain, repo, err)
	}
	return aws.ToString(out.Policy.Document)
}

func domainPolicy(t *testing.T, c *codeartifact.Client, domain string) string {
	t.Helper()
	out, err := c.GetDomainPermissionsPolicy(context.Background(), &codeartifact.GetDomainPermissionsPolicyInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatalf("GetDomainPermissionsPolicy %s: %v", domain, err)
	}
	return aws.ToString(out.Policy.Document)
}

// wantPolicy checks a policy document's statements by Sid and their AWS principals.
func wantPolicy(t *testing.T, doc string, want map[string][]string) {
	t.Helper()
	var p struct {
		Statement []struct {
			Sid       string
			Principal struct{ AWS any }
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, doc)
	}
	got := map[string][]string{}
	for _, s := range p.Statement {
		var principals []string
		switch v := s.Principal.AWS.(type) {
		case string:
			principals = []string{v}
		case []any:
			for _, x := range v {
				principals = append(principals, fmt.Sprint(x))
			}
		}
		sort.Strings(principals)
		got[s.Sid] = principals
	}
	wantEqual(t, "policy statements", got, want)
}

func upstreamNames(r *types.RepositoryDescription) []string {
	names := []string{}
	for _, u := range r.Upstreams {
		names = append(names, aws.ToString(u.RepositoryName))
	}
	return names
}

func externalConnections(r *types.RepositoryDescription) []string {
	names := []string{}
	for _, c := range r.ExternalConnections {
		names = append(names, aws.ToString(c.ExternalConnectionName))
	}
	return names
}

func wantDomainGone(t *testing.T, c *codeartifact.Client, domain string) {
	t.Helper()
	_, err := c.DescribeDomain(context.Background(), &codeartifact.DescribeDomainInput{Domain: aws.String(domain)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("after destroy, DescribeDomain %s: want ResourceNotFoundException, got %v", domain, err)
	}
	if ds := listDomains(t, c); slices.Contains(ds, domain) {
		t.Errorf("after destroy, ListDomains still has %s: %v", domain, ds)
	}
}

func wantOutputs(t *testing.T, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok && w == nil {
			continue // a null output is not stored, so `output -json` omits it
		}
		if !ok {
			t.Errorf("output %s missing (outputs: %v)", k, got)
			continue
		}
		wantEqual(t, "output "+k, g, w)
	}
}

func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Errorf("%s: got %s, want %s", what, gj, wj)
	}
}
