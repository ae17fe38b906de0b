package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// npmGet fetches a package endpoint path with the domain's token.
func npmGet(t *testing.T, srv *apptest.Server, domain, path string) (int, string) {
	t.Helper()
	ctx := context.Background()
	tok := must(srv.CodeArtifact().GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+*tok.AuthorizationToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func healthz(t *testing.T, srv *apptest.Server) string {
	t.Helper()
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

// TestExternalConnectionWithoutUpstreamURL: the README's first steps on a wharf
// started without --upstream. The 404 and /healthz say why nothing resolves.
func TestExternalConnectionWithoutUpstreamURL(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if h := healthz(t, srv); h != "ok\n" {
		t.Fatalf("healthz before any connection: %q", h)
	}
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("acme")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("npm-store")}))
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("npm-store")}}}))

	hint := "the external connection public:npmjs has no upstream URL configured; start wharf with --upstream public:npmjs=URL"
	status, body := npmGet(t, srv, "acme", "/acme-"+apptest.Account+"/npm/app/left-pad")
	if status != http.StatusNotFound {
		t.Fatalf("status %d: %s", status, body)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("404 body %q: %v", body, err)
	}
	if !strings.Contains(e.Error, "package left-pad is not in repository app or its upstreams; "+hint) {
		t.Fatalf("404 message does not name the unconfigured connection: %q", e.Error)
	}
	h := healthz(t, srv)
	if !strings.Contains(h, "warning: repository npm-store in domain acme (owner "+apptest.Account+"): "+hint) {
		t.Fatalf("healthz detail: %q", h)
	}
	// Disassociated: the warning goes.
	must(ca.DisassociateExternalConnection(ctx, &codeartifact.DisassociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}))
	if h := healthz(t, srv); h != "ok\n" {
		t.Fatalf("healthz after disassociation: %q", h)
	}
}

// TestEveryFormatNamesTheUnconfiguredConnection: the 404 of every format
// with an external connection names the connection that has no upstream URL,
// as npm's does.
func TestEveryFormatNamesTheUnconfiguredConnection(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d := aws.String("hints")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	cases := []struct {
		conn, format, path string
	}{
		{"public:pypi", "pypi", "simple/left-pad/"},
		{"public:maven-central", "maven", "org/example/left-pad/1.0/left-pad-1.0.jar"},
		{"public:crates-io", "cargo", "le/ft/left-pad"},
		{"public:ruby-gems-org", "ruby", "info/left-pad"},
		{"public:nuget-org", "nuget", "v3/package/left-pad/index.json"},
	}
	for _, c := range cases {
		store, app := c.format+"-store", c.format+"-app"
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String(store)}))
		must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: d, Repository: aws.String(store), ExternalConnection: aws.String(c.conn)}))
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String(app),
			Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String(store)}}}))
		status, body := npmGet(t, srv, "hints", "/hints-"+apptest.Account+"/"+c.format+"/"+app+"/"+c.path)
		hint := "the external connection " + c.conn + " has no upstream URL configured; start wharf with --upstream " + c.conn + "=URL"
		if status != http.StatusNotFound || !strings.Contains(body, hint) {
			t.Errorf("%s: %d %q, want a 404 naming the unconfigured connection", c.format, status, body)
		}
	}
}
