package cargo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestUnservedFormatsRefused: GetRepositoryEndpoint hands out no URL wharf
// does not serve, and an external connection of such a format is refused at
// association, both as ValidationException naming what is served (issue 12,
// item 5). The served formats still get their endpoints.
func TestUnservedFormatsRefused(t *testing.T) {
	srv := apptest.Start(t)
	ca := setup(t, srv, "served", []string{"repo"}, nil, nil)
	ctx := context.Background()
	for _, f := range []types.PackageFormat{types.PackageFormatSwift} {
		_, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("served"), Repository: aws.String("repo"), Format: f})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "does not serve the "+string(f)) {
			t.Errorf("GetRepositoryEndpoint %s: %v, want ValidationException", f, err)
		}
	}
	// NuGet is served, but public:nuget-org is not proxied yet: refused
	// rather than associated as a connection that resolves nothing.
	_, err := ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("served"), Repository: aws.String("repo"),
		ExternalConnection: aws.String("public:nuget-org")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "does not proxy public:nuget-org") {
		t.Errorf("associate public:nuget-org: %v, want ValidationException", err)
	}
	for _, f := range []types.PackageFormat{types.PackageFormatNpm, types.PackageFormatPypi, types.PackageFormatMaven, types.PackageFormatGeneric, types.PackageFormatCargo, types.PackageFormatRuby, types.PackageFormatNuget} {
		if _, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("served"), Repository: aws.String("repo"), Format: f}); err != nil {
			t.Errorf("GetRepositoryEndpoint %s: %v", f, err)
		}
	}
}
