package app_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// A session's tags travel with the authorization tokens it takes, so a
// repository policy's aws:PrincipalTag condition decides the package endpoints
// as it decides the control plane.
func TestSessionTagsReachPackageEndpoints(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	admin := srv.IAM()
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("tags")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("tags"), Repository: aws.String("rr")}))
	// Only sessions tagged team=payments may read the repository.
	must(ca.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("tags"), Repository: aws.String("rr"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:ReadFromRepository","Resource":"*",
		  "Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"payments"}}}]}`)}))

	dev := newUser(t, srv, apptest.Account, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}`)
	role := must(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("builder"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/dev"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)})).Role
	must(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("builder"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowAllCodeArtifact)}))

	ds := srv.STS(dev.AccessKeyID, dev.SecretAccessKey)
	read := func(team string) (int, error) {
		out := must(ds.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s-" + team),
			Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}))
		sc := sessionClient(srv, out.Credentials)
		// The control plane decides with the session's tags...
		_, apiErr := sc.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("tags"), Repository: aws.String("rr")})
		// ...and so does the package endpoint, with the token the session took.
		tok := aws.ToString(must(sc.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("tags")})).AuthorizationToken)
		return get(t, srv.URL+"/tags-000000000000/npm/rr/lodash", tok), apiErr
	}
	// Allowed to read, the package is simply not there (no upstream): 404.
	if code, err := read("payments"); code != http.StatusNotFound || err != nil {
		t.Fatalf("session tagged team=payments: package endpoint %d, DescribeRepository %v", code, err)
	}
	if code, _ := read("risk"); code != http.StatusForbidden {
		t.Fatalf("session tagged team=risk: package endpoint %d, want 403", code)
	}
}
