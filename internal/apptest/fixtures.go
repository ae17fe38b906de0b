package apptest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Setup creates a domain and its repositories through the CodeArtifact API, as
// the package-format tests arrange them: upstreams maps a repository to its
// upstream repositories (created earlier in repos), external to the external
// connection it holds. It returns the admin's client.
func (s *Server) Setup(t testing.TB, domain string, repos []string, upstreams map[string][]string, external map[string]string) *codeartifact.Client {
	t.Helper()
	ctx := context.Background()
	ca := s.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(domain)}); err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	for _, r := range repos {
		in := &codeartifact.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(r)}
		for _, u := range upstreams[r] {
			in.Upstreams = append(in.Upstreams, types.UpstreamRepository{RepositoryName: aws.String(u)})
		}
		if _, err := ca.CreateRepository(ctx, in); err != nil {
			t.Fatalf("CreateRepository %s: %v", r, err)
		}
		if ec, ok := external[r]; ok {
			if _, err := ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{
				Domain: aws.String(domain), Repository: aws.String(r), ExternalConnection: aws.String(ec)}); err != nil {
				t.Fatalf("AssociateExternalConnection %s: %v", r, err)
			}
		}
	}
	return ca
}

// Token is an authorization token for the domain, as package clients use it.
func Token(t testing.TB, ca *codeartifact.Client, domain string) string {
	t.Helper()
	out, err := ca.GetAuthorizationToken(context.Background(), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatalf("GetAuthorizationToken: %v", err)
	}
	return aws.ToString(out.AuthorizationToken)
}

// Endpoint is the repository's endpoint for a format, from GetRepositoryEndpoint.
func Endpoint(t testing.TB, ca *codeartifact.Client, domain, repo string, f types.PackageFormat) string {
	t.Helper()
	out, err := ca.GetRepositoryEndpoint(context.Background(), &codeartifact.GetRepositoryEndpointInput{
		Domain: aws.String(domain), Repository: aws.String(repo), Format: f})
	if err != nil {
		t.Fatalf("GetRepositoryEndpoint: %v", err)
	}
	return aws.ToString(out.RepositoryEndpoint)
}
