package cargo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestEveryFormatHasAnEndpoint: GetRepositoryEndpoint hands out a URL for
// every format the CodeArtifact model has (the SDK's own list, so a format
// added there and not served here fails), and public:nuget-org, the last
// connection wharf did not proxy, is now associated (issue 12, item 5).
func TestEveryFormatHasAnEndpoint(t *testing.T) {
	srv := apptest.Start(t)
	ca := setup(t, srv, "served", []string{"repo"}, nil, nil)
	ctx := context.Background()
	for _, f := range types.PackageFormatNpm.Values() {
		if _, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("served"), Repository: aws.String("repo"), Format: f}); err != nil {
			t.Errorf("GetRepositoryEndpoint %s: %v", f, err)
		}
	}
	// Every format's external connection is proxied: public:nuget-org too.
	if _, err := ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("served"), Repository: aws.String("repo"),
		ExternalConnection: aws.String("public:nuget-org")}); err != nil {
		t.Errorf("associate public:nuget-org: %v", err)
	}
}
