package app_test

import (
	"context" //nolint:gosec // OIDC thumbprints are SHA-1
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	catypes "github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/oidctest"
)

func trustDoc(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`
}

func sessionClient(srv *apptest.Server, c *ststypes.Credentials) *codeartifact.Client {
	return srv.CodeArtifact(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// A role is created through IAM's API, assumed by a user its trust policy
// names, and its session acts with the role's permissions only.
func TestIAMRolesAndAssumeRole(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	admin := srv.IAM()
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("corp")}))

	dev := newUser(t, srv, apptest.Account, "dev")
	role := must(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{
		RoleName: aws.String("reader"), Path: aws.String("/teams/"),
		AssumeRolePolicyDocument: aws.String(trustDoc(`{"AWS":"arn:aws:iam::000000000000:user/dev"}`)),
		Tags:                     []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
	})).Role
	if got := aws.ToString(role.Arn); got != "arn:aws:iam::000000000000:role/teams/reader" {
		t.Fatalf("role ARN %s", got)
	}
	// The trust policy reads back decoded, as the provider and the CLI expect.
	got := must(admin.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("reader")})).Role
	if doc, err := url.QueryUnescape(aws.ToString(got.AssumeRolePolicyDocument)); err != nil || doc != trustDoc(`{"AWS":"arn:aws:iam::000000000000:user/dev"}`) {
		t.Fatalf("trust policy %q: %v", aws.ToString(got.AssumeRolePolicyDocument), err)
	}
	_, err := admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("READER"), AssumeRolePolicyDocument: aws.String(trustDoc(`"*"`))})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})
	wantCode(t, err, "MalformedPolicyDocument")
	must(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:Describe*","codeartifact:GetAuthorizationToken","sts:GetServiceBearerToken"],"Resource":"*"}]}`)}))
	names := must(admin.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("reader")})).PolicyNames
	if len(names) != 1 || names[0] != "read" {
		t.Fatalf("ListRolePolicies = %v", names)
	}
	_, err = admin.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("reader")})
	wantCode(t, err, "DeleteConflict")

	// The user assumes the role; the session is the role.
	ds := srv.STS(dev.AccessKeyID, dev.SecretAccessKey)
	out := must(ds.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)}))
	if arn := aws.ToString(out.AssumedRoleUser.Arn); arn != "arn:aws:sts::000000000000:assumed-role/reader/s1" {
		t.Fatalf("assumed role ARN %s", arn)
	}
	if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < 10*time.Minute || left > 16*time.Minute {
		t.Fatalf("expiration in %v, want about 15 minutes", left)
	}
	c := out.Credentials
	id := must(srv.STS(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:sts::000000000000:assumed-role/reader/s1" || !strings.HasSuffix(aws.ToString(id.UserId), ":s1") {
		t.Fatalf("GetCallerIdentity = %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	sc := sessionClient(srv, c)
	must(sc.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")}))
	// A token of the session lives as long as the session (0) and never longer.
	for _, d := range []int64{0, 43200} {
		tk := must(sc.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("corp"), DurationSeconds: aws.Int64(d)}))
		if diff := aws.ToTime(tk.Expiration).Sub(aws.ToTime(out.Credentials.Expiration)); diff > time.Second || diff < -5*time.Second {
			t.Fatalf("token of duration %d expires %v, the session %v", d, aws.ToTime(tk.Expiration), aws.ToTime(out.Credentials.Expiration))
		}
	}
	_, err = sc.DeleteDomain(ctx, &codeartifact.DeleteDomainInput{Domain: aws.String("corp")})
	var denied *catypes.AccessDeniedException
	if !errors.As(err, &denied) || !strings.Contains(err.Error(), "because no identity-based policy allows the codeartifact:DeleteDomain action") {
		t.Fatalf("session DeleteDomain: %v", err)
	}
	// The user itself has no policies at all.
	_, err = srv.CodeArtifact(dev.AccessKeyID, dev.SecretAccessKey).DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	if !errors.As(err, &denied) {
		t.Fatalf("user without policies: %v", err)
	}

	// The session token is the credential: without it, or altered, refused.
	_, err = srv.CodeArtifact(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey)).DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	wantCode(t, err, auth.ReasonUnrecognizedClient)
	_, err = srv.CodeArtifact(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)+"x").DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	wantCode(t, err, auth.ReasonUnrecognizedClient)

	// Refusals: not in the trust policy, too long, unknown role.
	other := newUser(t, srv, apptest.Account, "other", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	_, err = srv.STS(other.AccessKeyID, other.SecretAccessKey).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s2")})
	wantCode(t, err, "AccessDenied")
	_, err = ds.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s3"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError")
	_, err = ds.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/nope"), RoleSessionName: aws.String("s4")})
	wantCode(t, err, "AccessDenied")

	// A session belongs to the role it was issued for: deleted and re-created
	// under the same name, the role no longer answers for the old session.
	s5 := must(ds.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s5")})).Credentials
	must(sessionClient(srv, s5).DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")}))
	// IAM returns documents percent-encoded; the SDK passes them on as they are.
	readDoc, err := url.QueryUnescape(aws.ToString(must(admin.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read")})).PolicyDocument))
	if err != nil || !strings.HasPrefix(readDoc, `{"Version"`) {
		t.Fatalf("GetRolePolicy document %q: %v", readDoc, err)
	}
	must(admin.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read")}))
	must(admin.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("reader")}))
	must(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("reader"), Path: aws.String("/teams/"),
		AssumeRolePolicyDocument: aws.String(trustDoc(`{"AWS":"arn:aws:iam::000000000000:user/dev"}`))}))
	must(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read"), PolicyDocument: aws.String(readDoc)}))
	_, err = sessionClient(srv, s5).DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	if !errors.As(err, &denied) || !strings.Contains(err.Error(), "no longer exists") {
		t.Fatalf("session of a deleted role: %v", err)
	}

	// An expired session is refused as AWS refuses it.
	k, err := srv.App.Store().GetAccessKey(ctx, aws.ToString(c.AccessKeyId))
	if err != nil {
		t.Fatal(err)
	}
	k.ExpiresAt = time.Now().Add(-time.Second)
	if err := srv.App.Store().PutAccessKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	_, err = sc.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	wantCode(t, err, auth.ReasonExpiredToken)
	_, err = srv.STS(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ExpiredToken")
}

// Managed policies, versions, attachments, users and access keys through the
// IAM API, as the Terraform provider drives them.
func TestIAMPoliciesUsersAndKeys(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	admin := srv.IAM()
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("corp")}))

	u := must(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ci")})).User
	key := must(admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("ci")})).AccessKey
	uc := srv.CodeArtifact(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	_, err := uc.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	var denied *catypes.AccessDeniedException
	if !errors.As(err, &denied) {
		t.Fatalf("new user: %v", err)
	}

	v1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:ListRepositoriesInDomain","Resource":"*"}]}`
	v2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:DescribeDomain","Resource":"*"}]}`
	pol := must(admin.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("ca-read"), PolicyDocument: aws.String(v1)})).Policy
	must(admin.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: u.UserName, PolicyArn: pol.Arn}))
	must(uc.ListRepositoriesInDomain(ctx, &codeartifact.ListRepositoriesInDomainInput{Domain: aws.String("corp")}))
	_, err = uc.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	if !errors.As(err, &denied) {
		t.Fatalf("v1 does not allow DescribeDomain: %v", err)
	}
	// A new default version takes effect at once.
	must(admin.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: pol.Arn, PolicyDocument: aws.String(v2), SetAsDefault: true}))
	must(uc.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")}))
	got := must(admin.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: pol.Arn})).Policy
	if aws.ToString(got.DefaultVersionId) != "v2" || aws.ToInt32(got.AttachmentCount) != 1 {
		t.Fatalf("GetPolicy = %+v", got)
	}
	ver := must(admin.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: pol.Arn, VersionId: aws.String("v2")})).PolicyVersion
	if !ver.IsDefaultVersion || !strings.Contains(aws.ToString(ver.Document), "DescribeDomain") {
		t.Fatalf("GetPolicyVersion = %+v", ver)
	}
	vs := must(admin.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: pol.Arn})).Versions
	if len(vs) != 2 {
		t.Fatalf("versions = %d", len(vs))
	}
	_, err = admin.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: pol.Arn})
	wantCode(t, err, "DeleteConflict")

	// A deactivated key is refused; deleting the user needs its keys and policies gone.
	must(admin.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: u.UserName, AccessKeyId: key.AccessKeyId, Status: iamtypes.StatusTypeInactive}))
	_, err = uc.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	wantCode(t, err, auth.ReasonUnrecognizedClient)
	keys := must(admin.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: u.UserName})).AccessKeyMetadata
	if len(keys) != 1 || keys[0].Status != iamtypes.StatusTypeInactive {
		t.Fatalf("ListAccessKeys = %+v", keys)
	}
	_, err = admin.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: u.UserName})
	wantCode(t, err, "DeleteConflict")
	must(admin.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: u.UserName, AccessKeyId: key.AccessKeyId}))
	must(admin.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: u.UserName, PolicyArn: pol.Arn}))
	must(admin.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: u.UserName}))
	_, err = admin.GetUser(ctx, &iamsdk.GetUserInput{UserName: u.UserName})
	wantCode(t, err, "NoSuchEntity")
	must(admin.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: pol.Arn, VersionId: aws.String("v1")}))
	must(admin.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: pol.Arn}))

	// A user without IAM permissions cannot use IAM.
	plain := newUser(t, srv, apptest.Account, "plain")
	_, err = srv.IAM(plain.AccessKeyID, plain.SecretAccessKey).CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("x")})
	wantCode(t, err, "AccessDenied")
}

// CI's OIDC federation: a token from the issuer the role trusts, with the
// right audience and subject, becomes a session; every other token is refused
// with the error AWS gives.
func TestAssumeRoleWithWebIdentity(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	is := oidctest.Start(t)
	admin := srv.IAM()
	host := strings.TrimPrefix(is.URL, "https://")
	prov := must(admin.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String(is.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{is.Thumbprint}}))
	gp := must(admin.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: prov.OpenIDConnectProviderArn}))
	// The issuer has a port, so the Url keeps its scheme (compatibility I13).
	if aws.ToString(gp.Url) != is.URL || len(gp.ClientIDList) != 1 || len(gp.ThumbprintList) != 1 {
		t.Fatalf("GetOpenIDConnectProvider = %+v", gp)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + aws.ToString(prov.OpenIDConnectProviderArn) + `"},` +
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com"},"StringLike":{"` + host + `:sub":"repo:acme/app:*"}}}]}`
	role := must(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("ci-publish"), AssumeRolePolicyDocument: aws.String(trust)})).Role

	anon := sts.NewFromConfig(srv.AWSConfig(), func(o *sts.Options) { o.Credentials = aws.AnonymousCredentials{} })
	assume := func(tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn, RoleSessionName: aws.String("gha-1"), WebIdentityToken: aws.String(tok)})
	}
	good := is.Token(t, is.URL, "repo:acme/app:ref:refs/heads/main", "sts.amazonaws.com", time.Now().Add(5*time.Minute))
	out := must(assume(good))
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::000000000000:assumed-role/ci-publish/gha-1" ||
		aws.ToString(out.SubjectFromWebIdentityToken) != "repo:acme/app:ref:refs/heads/main" || aws.ToString(out.Audience) != "sts.amazonaws.com" {
		t.Fatalf("AssumeRoleWithWebIdentity = %+v", out)
	}
	c := out.Credentials
	id := must(srv.STS(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:sts::000000000000:assumed-role/ci-publish/gha-1" {
		t.Fatalf("GetCallerIdentity = %s", aws.ToString(id.Arn))
	}
	// The keys were fetched once and are cached.
	must(assume(good))
	if is.JWKSHits() != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached)", is.JWKSHits())
	}

	_, err := assume(is.Token(t, is.URL, "repo:evil/app:ref:refs/heads/main", "sts.amazonaws.com", time.Now().Add(5*time.Minute)))
	wantCode(t, err, "AccessDenied")
	_, err = assume(is.Token(t, is.URL, "repo:acme/app:ref:refs/heads/main", "someone-else", time.Now().Add(5*time.Minute)))
	wantCode(t, err, "InvalidIdentityToken")
	_, err = assume(is.Token(t, "https://issuer.invalid", "repo:acme/app:x", "sts.amazonaws.com", time.Now().Add(5*time.Minute)))
	wantCode(t, err, "InvalidIdentityToken")
	_, err = assume(is.Token(t, is.URL, "repo:acme/app:x", "sts.amazonaws.com", time.Now().Add(-time.Minute)))
	wantCode(t, err, "ExpiredTokenException")
	// Tampered: the payload of a good token swapped for another subject's.
	parts := strings.Split(good, ".")
	evil := strings.Split(is.Token(t, is.URL, "repo:acme/app:ref:refs/heads/evil", "sts.amazonaws.com", time.Now().Add(5*time.Minute)), ".")
	_, err = assume(parts[0] + "." + evil[1] + "." + parts[2])
	wantCode(t, err, "InvalidIdentityToken")
	_, err = assume("not-a-jwt")
	wantCode(t, err, "InvalidIdentityToken")

	// A thumbprint that does not match the issuer's certificate: the keys
	// cannot be fetched (the system roots do not know this test CA either).
	must(admin.UpdateOpenIDConnectProviderThumbprint(ctx, &iamsdk.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: prov.OpenIDConnectProviderArn, ThumbprintList: []string{strings.Repeat("ab", 20)}}))
	_, err = assume(good)
	wantCode(t, err, "IDPCommunicationError")
}

// Hub and spoke: account B's role reads account A's domain only when A's
// resource policies allow B and B's identity policy allows the actions.
func TestCrossAccountHubAndSpoke(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Mutate: func(c *config.Config) { c.OrganizationID = "o-abcdef12345" }})
	ctx := context.Background()
	const spoke = "444455556666"
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("hub")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("hub"), Repository: aws.String("shared")}))

	rootB, err := auth.NewAccessKey(ctx, srv.App.Store(), auth.RootPrincipal(spoke))
	if err != nil {
		t.Fatal(err)
	}
	iamB := srv.IAM(rootB.AccessKeyID, rootB.SecretAccessKey)
	role := must(iamB.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("spoke-reader"), AssumeRolePolicyDocument: aws.String(trustDoc(`{"AWS":"` + spoke + `"}`))})).Role
	readB := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:DescribeRepository","codeartifact:GetAuthorizationToken","codeartifact:ReadFromRepository","sts:GetServiceBearerToken"],"Resource":"*"}]}`
	must(iamB.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("spoke-reader"), PolicyName: aws.String("read-hub"), PolicyDocument: aws.String(readB)}))
	out := must(srv.STS(rootB.AccessKeyID, rootB.SecretAccessKey).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("b1")}))
	sc := sessionClient(srv, out.Credentials)
	owner := aws.String(apptest.Account)
	describe := func() error {
		_, err := sc.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("hub"), DomainOwner: owner, Repository: aws.String("shared")})
		return err
	}
	var denied *catypes.AccessDeniedException

	// Only B's side allows: refused, for want of a resource policy.
	if err := describe(); !errors.As(err, &denied) || !strings.Contains(err.Error(), "no resource-based policy") {
		t.Fatalf("without A's policies: %v", err)
	}
	allowB := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + spoke + `:root"},"Action":["codeartifact:DescribeRepository","codeartifact:GetAuthorizationToken","codeartifact:ReadFromRepository"],"Resource":"*"}]}`
	must(ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("hub"), PolicyDocument: aws.String(allowB)}))
	must(ca.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("hub"), Repository: aws.String("shared"), PolicyDocument: aws.String(allowB)}))
	if err := describe(); err != nil {
		t.Fatalf("both sides allow: %v", err)
	}
	tok := aws.ToString(must(sc.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("hub"), DomainOwner: owner})).AuthorizationToken)
	index := srv.URL + "/hub-000000000000/pypi/shared/simple/"
	if code := get(t, index, tok); code != http.StatusOK {
		t.Fatalf("spoke reads through the package endpoint: %d", code)
	}

	// B withdraws its identity permission: refused again, on both paths.
	must(iamB.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("spoke-reader"), PolicyName: aws.String("read-hub")}))
	if err := describe(); !errors.As(err, &denied) || !strings.Contains(err.Error(), "no identity-based policy") {
		t.Fatalf("without B's identity policy: %v", err)
	}
	if code := get(t, index, tok); code != http.StatusForbidden {
		t.Fatalf("spoke read without identity policy: %d", code)
	}
	// Restored on B's side, withdrawn on A's: refused.
	must(iamB.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("spoke-reader"), PolicyName: aws.String("read-hub"), PolicyDocument: aws.String(readB)}))
	must(ca.DeleteRepositoryPermissionsPolicy(ctx, &codeartifact.DeleteRepositoryPermissionsPolicyInput{Domain: aws.String("hub"), Repository: aws.String("shared")}))
	if err := describe(); err != nil {
		t.Fatalf("the domain policy alone still allows: %v", err)
	}
	must(ca.DeleteDomainPermissionsPolicy(ctx, &codeartifact.DeleteDomainPermissionsPolicyInput{Domain: aws.String("hub")}))
	if err := describe(); !errors.As(err, &denied) {
		t.Fatalf("without A's policies: %v", err)
	}

	// The organization's accounts, by aws:PrincipalOrgID (--organization-id).
	orgPolicy := func(org string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:DescribeRepository","Resource":"*",` +
			`"Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + org + `"}}}]}`)
	}
	must(ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("hub"), PolicyDocument: orgPolicy("o-abcdef12345")}))
	if err := describe(); err != nil {
		t.Fatalf("allowed by organization: %v", err)
	}
	must(ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("hub"), PolicyDocument: orgPolicy("o-otherorg999")}))
	if err := describe(); !errors.As(err, &denied) {
		t.Fatalf("another organization's policy: %v", err)
	}
}
