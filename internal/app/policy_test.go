package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/model"
)

func newUser(t *testing.T, srv *apptest.Server, account, name string, identityPolicies ...string) model.AccessKey {
	t.Helper()
	ctx := context.Background()
	users := &iam.Service{Store: srv.App.Store()}
	u, err := users.CreateUser(ctx, account, name, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, doc := range identityPolicies {
		if err := users.PutInlinePolicy(ctx, account, "user", name, fmt.Sprintf("p%d", i), doc); err != nil {
			t.Fatal(err)
		}
	}
	k, err := auth.NewAccessKey(ctx, srv.App.Store(), model.Principal{Account: account, ARN: u.Arn, UserID: u.UserID})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// allowAllCodeArtifact is an identity policy granting every CodeArtifact
// action and the bearer token GetAuthorizationToken needs.
const allowAllCodeArtifact = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:*","sts:GetServiceBearerToken"],"Resource":"*"}]}`

// get fetches a package-endpoint URL with a token and returns the status.
func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("aws", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestResourcePoliciesAreEnforced: another account needs a policy Allow, and an
// explicit Deny binds even the domain owner's own users — on the API and on the
// package endpoints.
func TestResourcePoliciesAreEnforced(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	admin := srv.CodeArtifact()
	must(admin.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("shared")}))
	must(admin.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("shared"), Repository: aws.String("team-a")}))

	// The partner's own account lets it use CodeArtifact (identity side);
	// the owner's resource policies decide the rest.
	partner := newUser(t, srv, "111122223333", "builder", allowAllCodeArtifact)
	pc := srv.CodeArtifact(partner.AccessKeyID, partner.SecretAccessKey)
	owner := aws.String(apptest.Account)

	// No policy: another account is refused.
	_, err := pc.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("shared"), DomainOwner: owner})
	wantErr[*types.AccessDeniedException](t, err)
	_, err = pc.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("shared"), DomainOwner: owner})
	wantErr[*types.AccessDeniedException](t, err)

	// The domain policy grants the partner account read access.
	must(admin.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("shared"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Sid": "PartnerReads", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
	    "Action": ["codeartifact:DescribeDomain", "codeartifact:GetAuthorizationToken", "codeartifact:ReadFromRepository", "codeartifact:DescribeRepository"],
	    "Resource": "*"}]}`)}))
	must(pc.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("shared"), DomainOwner: owner}))
	must(pc.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("shared"), DomainOwner: owner, Repository: aws.String("team-a")}))
	_, err = pc.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("shared"), DomainOwner: owner, Repository: aws.String("team-a")})
	wantErr[*types.AccessDeniedException](t, err)
	tok := aws.ToString(must(pc.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("shared"), DomainOwner: owner})).AuthorizationToken)
	index := srv.URL + "/shared-000000000000/pypi/team-a/simple/"
	if code := get(t, index, tok); code != http.StatusOK {
		t.Fatalf("partner read with policy: %d", code)
	}

	// A repository policy Deny wins over the domain's Allow.
	must(admin.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("shared"), Repository: aws.String("team-a"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/builder"}, "Action": "codeartifact:ReadFromRepository", "Resource": "*"}]}`)}))
	if code := get(t, index, tok); code != http.StatusForbidden {
		t.Fatalf("partner read denied by repository policy: %d", code)
	}

	// Same account: a user with no identity policy may do nothing (IAM's
	// implicit deny); one whose identity policy allows everything is still
	// bound by an explicit Deny.
	nobody := newUser(t, srv, apptest.Account, "nobody")
	_, err = srv.CodeArtifact(nobody.AccessKeyID, nobody.SecretAccessKey).DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("shared")})
	wantErr[*types.AccessDeniedException](t, err)
	ci := newUser(t, srv, apptest.Account, "reader-only", allowAllCodeArtifact)
	cc := srv.CodeArtifact(ci.AccessKeyID, ci.SecretAccessKey)
	must(admin.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("shared"), Repository: aws.String("team-b")}))
	must(admin.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("shared"), Repository: aws.String("team-b"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::000000000000:user/reader-only"},
	    "Action": ["codeartifact:PublishPackageVersion", "codeartifact:DeleteRepository"], "Resource": "*"}]}`)}))
	body := []byte("payload")
	_, err = cc.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String("shared"), Repository: aws.String("team-b"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("n"), Package: aws.String("p"), PackageVersion: aws.String("1"), AssetName: aws.String("f"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))})
	wantErr[*types.AccessDeniedException](t, err)
	_, err = cc.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("shared"), Repository: aws.String("team-b")})
	wantErr[*types.AccessDeniedException](t, err)
	must(cc.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("shared"), Repository: aws.String("team-b")}))
	// The administrator is not named by the Deny.
	must(admin.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String("shared"), Repository: aws.String("team-b"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("n"), Package: aws.String("p"), PackageVersion: aws.String("1"), AssetName: aws.String("f"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))}))

	// The owner can always replace a policy that would lock it out.
	must(admin.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("shared"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "codeartifact:*", "Resource": "*"}]}`)}))
	_, err = admin.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("shared")})
	wantErr[*types.AccessDeniedException](t, err)
	must(admin.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("shared"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "codeartifact:*", "Resource": "*"}]}`)}))
	must(admin.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("shared")}))
}

// A Condition whose values its operator cannot compare is refused when the policy
// is put, not silently stored to fail closed at every request.
func TestPutPolicyRefusesUncomparableConditionValues(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("cond")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("cond"), Repository: aws.String("rr")}))
	for _, cond := range []string{
		`{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`,
		`{"DateLessThan":{"aws:CurrentTime":"2024-02-30"}}`,
	} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:ReadFromRepository","Resource":"*","Condition":` + cond + `}]}`
		_, err := ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("cond"), PolicyDocument: aws.String(doc)})
		wantErr[*types.ValidationException](t, err)
		_, err = ca.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("cond"), Repository: aws.String("rr"), PolicyDocument: aws.String(doc)})
		wantErr[*types.ValidationException](t, err)
	}
}

// Package-level actions are decided on the package's own ARN, through the API
// and the package endpoints; replacing a policy ignores the policy replaced,
// but needs the caller's own permission.
func TestPackageLevelPoliciesAndPolicyReplacement(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	admin := srv.CodeArtifact()
	must(admin.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("dd")}))
	must(admin.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("dd"), Repository: aws.String("rr")}))
	dev := newUser(t, srv, apptest.Account, "dev", allowAllCodeArtifact)
	dc := srv.CodeArtifact(dev.AccessKeyID, dev.SecretAccessKey)
	must(admin.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("dd"), Repository: aws.String("rr"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "codeartifact:PublishPackageVersion",
	    "Resource": "arn:aws:codeartifact:us-east-1:000000000000:package/dd/rr/generic/locked/*"}]}`)}))
	body := []byte("payload")
	publish := func(c *codeartifact.Client, ns string) error {
		_, err := c.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String("dd"), Repository: aws.String("rr"), Format: types.PackageFormatGeneric,
			Namespace: aws.String(ns), Package: aws.String("p"), PackageVersion: aws.String("1"), AssetName: aws.String("f"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))})
		return err
	}
	wantErr[*types.AccessDeniedException](t, publish(dc, "locked"))
	wantErr[*types.AccessDeniedException](t, publish(admin, "locked")) // a resource Deny binds the root too
	if err := publish(dc, "open"); err != nil {
		t.Fatalf("publishing outside the denied packages: %v", err)
	}

	// The package endpoints decide publishing on the package ARN as well.
	must(admin.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("dd"), Repository: aws.String("rr"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "codeartifact:PublishPackageVersion",
	    "Resource": "arn:aws:codeartifact:us-east-1:000000000000:package/dd/rr/maven/com.locked/*"}]}`)}))
	tok := aws.ToString(must(dc.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("dd")})).AuthorizationToken)
	put := func(path string) int {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/dd-000000000000/maven/rr/"+path, bytes.NewReader(body))
		req.SetBasicAuth("aws", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put("com/locked/lib/1.0/lib-1.0.jar"); code != http.StatusForbidden {
		t.Fatalf("maven deploy of a denied package: %d", code)
	}
	if code := put("com/open/lib/1.0/lib-1.0.jar"); code >= 300 {
		t.Fatalf("maven deploy of another package: %d", code)
	}

	// A user denied everything by the repository policy may still replace it
	// (AWS ignores the policy being replaced) when its identity allows the Put;
	// a user without that permission may not.
	must(admin.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("dd"), Repository: aws.String("rr"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::000000000000:user/dev"}, "Action": "codeartifact:*", "Resource": "*"}]}`)}))
	wantErr[*types.AccessDeniedException](t, publish(dc, "open"))
	nobody := newUser(t, srv, apptest.Account, "nobody")
	open := aws.String(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "codeartifact:*", "Resource": "*"}]}`)
	_, err := srv.CodeArtifact(nobody.AccessKeyID, nobody.SecretAccessKey).PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("dd"), Repository: aws.String("rr"), PolicyDocument: open})
	wantErr[*types.AccessDeniedException](t, err)
	must(dc.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("dd"), Repository: aws.String("rr"), PolicyDocument: open}))
	if err := publish(dc, "open2"); err != nil {
		t.Fatalf("publish after replacing the policy: %v", err)
	}
}
