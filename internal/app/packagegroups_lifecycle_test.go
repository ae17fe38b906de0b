package app_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestPackageGroupsForgetDeletedResources: a deleted repository leaves the
// groups' allowed-repository lists (a new one of that name is not allowed by
// the old entry), and a deleted domain's root group tags do not come back with
// a domain of the same name.
func TestPackageGroupsForgetDeletedResources(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d := aws.String("pgl")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	for _, r := range []string{"app", "ci"} {
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String(r)}))
	}
	must(ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: d, PackageGroup: aws.String("/npm/*")}))
	must(ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{
		Domain: d, PackageGroup: aws.String("/npm/*"),
		Restrictions: map[string]types.PackageGroupOriginRestrictionMode{
			"PUBLISH": types.PackageGroupOriginRestrictionModeAllowSpecificRepositories},
		AddAllowedRepositories: []types.PackageGroupAllowedRepository{
			{RepositoryName: aws.String("ci"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish},
			{RepositoryName: aws.String("app"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish}},
	}))
	allowed := func() []string {
		t.Helper()
		return must(ca.ListAllowedRepositoriesForGroup(ctx, &codeartifact.ListAllowedRepositoriesForGroupInput{Domain: d, PackageGroup: aws.String("/npm/*"),
			OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish})).AllowedRepositories
	}
	if got := allowed(); !equalStrings(got, []string{"app", "ci"}) {
		t.Fatalf("allowed repositories %v", got)
	}
	must(ca.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: d, Repository: aws.String("app")}))
	if got := allowed(); !equalStrings(got, []string{"ci"}) {
		t.Fatalf("allowed repositories after DeleteRepository %v, want [ci]", got)
	}
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String("app")}))
	if got := allowed(); !equalStrings(got, []string{"ci"}) {
		t.Fatalf("allowed repositories after the repository is re-created %v, want [ci]", got)
	}

	// Root group tags go with the domain.
	root := must(ca.DescribePackageGroup(ctx, &codeartifact.DescribePackageGroupInput{Domain: d, PackageGroup: aws.String("/*")})).PackageGroup
	must(ca.TagResource(ctx, &codeartifact.TagResourceInput{ResourceArn: root.Arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}))
	for _, r := range []string{"app", "ci"} {
		must(ca.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: d, Repository: aws.String(r)}))
	}
	must(ca.DeleteDomain(ctx, &codeartifact.DeleteDomainInput{Domain: d}))
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	if tags := must(ca.ListTagsForResource(ctx, &codeartifact.ListTagsForResourceInput{ResourceArn: root.Arn})).Tags; len(tags) != 0 {
		t.Fatalf("root group tags after the domain is re-created %+v, want none", tags)
	}
}
