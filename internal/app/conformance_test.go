package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/apptest"
)

const policyDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"ReadForOrg","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":["codeartifact:ReadFromRepository","codeartifact:GetPackageVersionAsset"],"Resource":"*"}]}`

// must unwraps an SDK call's result; an error fails the test (by panic, which the
// testing package reports with the failing line: Go cannot pass a multi-value
// call alongside t).
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// wantErr asserts err is the SDK's typed error T.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("want %T, got %v (%T)", target, err, err)
	}
	return target
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
}

func TestControlPlaneConformance(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()

	// STS: who am I.
	id := must(srv.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Account) != apptest.Account || aws.ToString(id.Arn) != "arn:aws:iam::000000000000:root" {
		t.Fatalf("GetCallerIdentity = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}

	// Domains.
	dom := must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{
		Domain: aws.String("acme"),
		Tags:   []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
	})).Domain
	if aws.ToString(dom.Arn) != "arn:aws:codeartifact:us-east-1:000000000000:domain/acme" || aws.ToString(dom.Owner) != apptest.Account ||
		dom.Status != types.DomainStatusActive || dom.CreatedTime == nil || !strings.HasPrefix(aws.ToString(dom.EncryptionKey), "arn:aws:kms:us-east-1:000000000000:key/") {
		t.Fatalf("CreateDomain returned %+v", dom)
	}
	// A key of another account (not wharf's own KMS) is recorded as given.
	kms := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	dom2 := must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("beta"), EncryptionKey: aws.String(kms)})).Domain
	if aws.ToString(dom2.EncryptionKey) != kms {
		t.Fatalf("encryption key not recorded: %s", aws.ToString(dom2.EncryptionKey))
	}
	_, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("acme")})
	ce := wantErr[*types.ConflictException](t, err)
	if ce.ResourceType != types.ResourceTypeDomain {
		t.Fatalf("conflict resource type %q", ce.ResourceType)
	}
	_, err = ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("Bad_Name")})
	wantErr[*types.ValidationException](t, err)
	_, err = ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("gamma"), EncryptionKey: aws.String("not-an-arn")})
	wantErr[*types.ValidationException](t, err)
	_, err = ca.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("nope")})
	nf := wantErr[*types.ResourceNotFoundException](t, err)
	if nf.ResourceType != types.ResourceTypeDomain || aws.ToString(nf.ResourceId) != "nope" {
		t.Fatalf("not found fields: %+v", nf)
	}
	d := must(ca.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("acme"), DomainOwner: aws.String(apptest.Account)})).Domain
	if d.RepositoryCount != 0 || aws.ToString(d.Name) != "acme" {
		t.Fatalf("DescribeDomain %+v", d)
	}

	// Repositories with upstreams.
	mk := func(name string, up ...string) *types.RepositoryDescription {
		in := &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String(name), Description: aws.String("repo " + name)}
		for _, u := range up {
			in.Upstreams = append(in.Upstreams, types.UpstreamRepository{RepositoryName: aws.String(u)})
		}
		return must(ca.CreateRepository(ctx, in)).Repository
	}
	mk("npm-store")
	mk("internal")
	app := mk("app", "internal", "npm-store")
	if aws.ToString(app.Arn) != "arn:aws:codeartifact:us-east-1:000000000000:repository/acme/app" ||
		aws.ToString(app.AdministratorAccount) != apptest.Account || len(app.Upstreams) != 2 ||
		aws.ToString(app.Upstreams[0].RepositoryName) != "internal" || aws.ToString(app.Upstreams[1].RepositoryName) != "npm-store" {
		t.Fatalf("CreateRepository %+v", app)
	}
	_, err = ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app")})
	wantErr[*types.ConflictException](t, err)
	_, err = ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("x1"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("ghost")}}})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("nope"), Repository: aws.String("x1")})
	wantErr[*types.ResourceNotFoundException](t, err)
	var eleven []types.UpstreamRepository
	for i := 0; i < 11; i++ {
		eleven = append(eleven, types.UpstreamRepository{RepositoryName: aws.String("internal")})
	}
	_, err = ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("x2"), Upstreams: eleven})
	wantErr[*types.ServiceQuotaExceededException](t, err)

	// A cycle is refused: internal -> app -> internal.
	_, err = ca.UpdateRepository(ctx, &codeartifact.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("internal"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("app")}}})
	wantErr[*types.ValidationException](t, err)

	// UpdateRepository: description only leaves upstreams alone; explicit [] clears.
	up := must(ca.UpdateRepository(ctx, &codeartifact.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"), Description: aws.String("new")})).Repository
	if aws.ToString(up.Description) != "new" || len(up.Upstreams) != 2 {
		t.Fatalf("description-only update changed upstreams: %+v", up)
	}
	up = must(ca.UpdateRepository(ctx, &codeartifact.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"), Upstreams: []types.UpstreamRepository{}})).Repository
	if len(up.Upstreams) != 0 || aws.ToString(up.Description) != "new" {
		t.Fatalf("clearing upstreams: %+v", up)
	}
	up = must(ca.UpdateRepository(ctx, &codeartifact.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("npm-store")}}})).Repository
	if len(up.Upstreams) != 1 {
		t.Fatalf("set upstreams: %+v", up)
	}

	// External connections.
	rs := must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"),
		DomainOwner: aws.String(apptest.Account), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")})).Repository
	if len(rs.ExternalConnections) != 1 || aws.ToString(rs.ExternalConnections[0].ExternalConnectionName) != "public:npmjs" ||
		rs.ExternalConnections[0].PackageFormat != types.PackageFormatNpm || string(rs.ExternalConnections[0].Status) != "AVAILABLE" {
		t.Fatalf("Associate %+v", rs.ExternalConnections)
	}
	_, err = ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")})
	wantErr[*types.ConflictException](t, err)
	_, err = ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:nope")})
	wantErr[*types.ValidationException](t, err)
	// A different connection replaces the one there: still exactly one.
	rs = must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:pypi")})).Repository
	if len(rs.ExternalConnections) != 1 || rs.ExternalConnections[0].PackageFormat != types.PackageFormatPypi {
		t.Fatalf("replace external connection: %+v", rs.ExternalConnections)
	}
	rs = must(ca.DisassociateExternalConnection(ctx, &codeartifact.DisassociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:pypi")})).Repository
	if len(rs.ExternalConnections) != 0 {
		t.Fatalf("Disassociate left %+v", rs.ExternalConnections)
	}
	_, err = ca.DisassociateExternalConnection(ctx, &codeartifact.DisassociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:pypi")})
	wantErr[*types.ResourceNotFoundException](t, err)
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}))

	// Describe reproduces everything.
	got := must(ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("npm-store")})).Repository
	if len(got.ExternalConnections) != 1 || aws.ToString(got.Description) != "repo npm-store" || aws.ToString(got.DomainOwner) != apptest.Account {
		t.Fatalf("DescribeRepository %+v", got)
	}
	_, err = ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("ghost")})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Domain policies: optimistic lock.
	dp := must(ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("acme"), PolicyDocument: aws.String(policyDoc)})).Policy
	if aws.ToString(dp.ResourceArn) != "arn:aws:codeartifact:us-east-1:000000000000:domain/acme" || aws.ToString(dp.Document) != policyDoc || aws.ToString(dp.Revision) == "" {
		t.Fatalf("PutDomainPermissionsPolicy %+v", dp)
	}
	dp2 := must(ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("acme"), PolicyRevision: dp.Revision, PolicyDocument: aws.String(policyDoc)})).Policy
	if aws.ToString(dp2.Revision) == aws.ToString(dp.Revision) {
		t.Fatal("revision did not change after Put")
	}
	_, err = ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("acme"), PolicyRevision: dp.Revision, PolicyDocument: aws.String(policyDoc)})
	wantErr[*types.ConflictException](t, err)
	_, err = ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("acme"), PolicyDocument: aws.String(`{"Statement":"nope"}`)})
	wantErr[*types.ValidationException](t, err)
	_, err = ca.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("acme"), PolicyDocument: aws.String(strings.Repeat(" ", 7169))})
	wantErr[*types.ValidationException](t, err)
	gp := must(ca.GetDomainPermissionsPolicy(ctx, &codeartifact.GetDomainPermissionsPolicyInput{Domain: aws.String("acme")})).Policy
	if aws.ToString(gp.Revision) != aws.ToString(dp2.Revision) {
		t.Fatalf("Get returned revision %s, want %s", aws.ToString(gp.Revision), aws.ToString(dp2.Revision))
	}
	must(ca.DeleteDomainPermissionsPolicy(ctx, &codeartifact.DeleteDomainPermissionsPolicyInput{Domain: aws.String("acme")}))
	_, err = ca.GetDomainPermissionsPolicy(ctx, &codeartifact.GetDomainPermissionsPolicyInput{Domain: aws.String("acme")})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Repository policies.
	rp := must(ca.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("app"), PolicyDocument: aws.String(policyDoc)})).Policy
	if aws.ToString(rp.ResourceArn) != aws.ToString(app.Arn) {
		t.Fatalf("repository policy ARN %s", aws.ToString(rp.ResourceArn))
	}
	must(ca.GetRepositoryPermissionsPolicy(ctx, &codeartifact.GetRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("app")}))
	_, err = ca.DeleteRepositoryPermissionsPolicy(ctx, &codeartifact.DeleteRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("app"), PolicyRevision: aws.String("stale")})
	wantErr[*types.ConflictException](t, err)
	must(ca.DeleteRepositoryPermissionsPolicy(ctx, &codeartifact.DeleteRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("app"), PolicyRevision: rp.Revision}))
	_, err = ca.GetRepositoryPermissionsPolicy(ctx, &codeartifact.GetRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("app")})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Tags.
	tags := must(ca.ListTagsForResource(ctx, &codeartifact.ListTagsForResourceInput{ResourceArn: dom.Arn})).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "team" {
		t.Fatalf("create-time tags: %+v", tags)
	}
	must(ca.TagResource(ctx, &codeartifact.TagResourceInput{ResourceArn: app.Arn, Tags: []types.Tag{
		{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}}}))
	must(ca.TagResource(ctx, &codeartifact.TagResourceInput{ResourceArn: app.Arn, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("one")}}}))
	must(ca.UntagResource(ctx, &codeartifact.UntagResourceInput{ResourceArn: app.Arn, TagKeys: []string{"b"}}))
	tags = must(ca.ListTagsForResource(ctx, &codeartifact.ListTagsForResourceInput{ResourceArn: app.Arn})).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "a" || aws.ToString(tags[0].Value) != "one" {
		t.Fatalf("tags after tag/untag: %+v", tags)
	}
	_, err = ca.TagResource(ctx, &codeartifact.TagResourceInput{ResourceArn: aws.String("arn:aws:codeartifact:us-east-1:000000000000:repository/acme/ghost"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = ca.TagResource(ctx, &codeartifact.TagResourceInput{ResourceArn: app.Arn, Tags: []types.Tag{{Key: aws.String(""), Value: aws.String("1")}}})
	wantErr[*types.ValidationException](t, err)

	// Tokens and endpoints.
	tok := must(ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("acme")}))
	if len(aws.ToString(tok.AuthorizationToken)) < 32 || tok.Expiration == nil {
		t.Fatalf("token %+v", tok)
	}
	if d := time.Until(*tok.Expiration); d < 11*time.Hour+50*time.Minute || d > 12*time.Hour+time.Minute {
		t.Fatalf("default token lifetime %v, want 12h", d)
	}
	tok = must(ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("acme"), DurationSeconds: aws.Int64(900)}))
	if d := time.Until(*tok.Expiration); d > 16*time.Minute || d < 14*time.Minute {
		t.Fatalf("900s token lifetime %v", d)
	}
	must(ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("acme"), DurationSeconds: aws.Int64(0)}))
	_, err = ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("acme"), DurationSeconds: aws.Int64(899)})
	wantErr[*types.ValidationException](t, err)
	_, err = ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("acme"), DurationSeconds: aws.Int64(43201)})
	wantErr[*types.ValidationException](t, err)
	ep := must(ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("acme"), Repository: aws.String("app"), Format: types.PackageFormatNpm}))
	if want := srv.URL + "/acme-000000000000/npm/app/"; aws.ToString(ep.RepositoryEndpoint) != want {
		t.Fatalf("endpoint %s, want %s", aws.ToString(ep.RepositoryEndpoint), want)
	}
	_, err = ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("acme"), Repository: aws.String("app"), Format: "docker"})
	wantErr[*types.ValidationException](t, err)

	// Lists.
	names := func(rs []types.RepositorySummary) []string {
		var out []string
		for _, r := range rs {
			out = append(out, aws.ToString(r.Name))
		}
		return out
	}
	all := must(ca.ListRepositoriesInDomain(ctx, &codeartifact.ListRepositoriesInDomainInput{Domain: aws.String("acme")})).Repositories
	if fmt.Sprint(names(all)) != "[app internal npm-store]" {
		t.Fatalf("ListRepositoriesInDomain %v", names(all))
	}
	pref := must(ca.ListRepositories(ctx, &codeartifact.ListRepositoriesInput{RepositoryPrefix: aws.String("in")})).Repositories
	if fmt.Sprint(names(pref)) != "[internal]" {
		t.Fatalf("ListRepositories prefix %v", names(pref))
	}
	_, err = ca.ListRepositories(ctx, &codeartifact.ListRepositoriesInput{MaxResults: aws.Int32(1001)})
	wantErr[*types.ValidationException](t, err)

	// Deleting a domain with repositories is refused.
	_, err = ca.DeleteDomain(ctx, &codeartifact.DeleteDomainInput{Domain: aws.String("acme")})
	wantErr[*types.ConflictException](t, err)

	// Deleting an upstream is allowed; the downstream keeps the dangling name until re-registered.
	must(ca.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("npm-store")}))
	got = must(ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app")})).Repository
	if len(got.Upstreams) != 1 || aws.ToString(got.Upstreams[0].RepositoryName) != "npm-store" {
		t.Fatalf("downstream after upstream deletion: %+v", got.Upstreams)
	}
	_, err = ca.UpdateRepository(ctx, &codeartifact.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("npm-store")}}})
	wantErr[*types.ResourceNotFoundException](t, err)
	got = must(ca.UpdateRepository(ctx, &codeartifact.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("internal")}}})).Repository
	if len(got.Upstreams) != 1 || aws.ToString(got.Upstreams[0].RepositoryName) != "internal" {
		t.Fatalf("re-registered upstreams %+v", got.Upstreams)
	}

	// Delete everything.
	for _, r := range []string{"app", "internal"} {
		must(ca.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("acme"), Repository: aws.String(r)}))
	}
	_, err = ca.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app")})
	wantErr[*types.ResourceNotFoundException](t, err)
	deleted := must(ca.DeleteDomain(ctx, &codeartifact.DeleteDomainInput{Domain: aws.String("acme")})).Domain
	if aws.ToString(deleted.Name) != "acme" {
		t.Fatalf("DeleteDomain returned %+v", deleted)
	}
	_, err = ca.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("acme")})
	wantErr[*types.ResourceNotFoundException](t, err)
}

func TestPagination(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	var want []string
	for i := 0; i < 7; i++ {
		name := fmt.Sprintf("dom-%02d", i)
		want = append(want, name)
		must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(name)}))
	}
	var got []string
	pages := 0
	p := codeartifact.NewListDomainsPaginator(ca, &codeartifact.ListDomainsInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))
		pages++
		for _, d := range out.Domains {
			got = append(got, aws.ToString(d.Name))
		}
	}
	if pages != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ListDomains paginated: %d pages %v", pages, got)
	}
	for i := 0; i < 5; i++ {
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("dom-00"), Repository: aws.String(fmt.Sprintf("r%d", i))}))
	}
	got = nil
	pages = 0
	rp := codeartifact.NewListRepositoriesInDomainPaginator(ca, &codeartifact.ListRepositoriesInDomainInput{Domain: aws.String("dom-00"), MaxResults: aws.Int32(2)})
	for rp.HasMorePages() {
		out := must(rp.NextPage(ctx))
		pages++
		for _, r := range out.Repositories {
			got = append(got, aws.ToString(r.Name))
		}
	}
	if pages != 3 || fmt.Sprint(got) != "[r0 r1 r2 r3 r4]" {
		t.Fatalf("ListRepositoriesInDomain paginated: %d pages %v", pages, got)
	}
	got = nil
	lp := codeartifact.NewListRepositoriesPaginator(ca, &codeartifact.ListRepositoriesInput{MaxResults: aws.Int32(4)})
	for lp.HasMorePages() {
		for _, r := range must(lp.NextPage(ctx)).Repositories {
			got = append(got, aws.ToString(r.Name))
		}
	}
	if len(got) != 5 {
		t.Fatalf("ListRepositories paginated: %v", got)
	}
	_, err := ca.ListDomains(ctx, &codeartifact.ListDomainsInput{NextToken: aws.String("!!not-a-token!!")})
	wantErr[*types.ValidationException](t, err)
}

func TestAuthenticationFailures(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()

	_, err := srv.CodeArtifact("AKIAUNKNOWNKEY000000", "whatever").ListDomains(ctx, &codeartifact.ListDomainsInput{})
	wantCode(t, err, "UnrecognizedClientException")
	_, err = srv.CodeArtifact(apptest.AccessKeyID, "wrong-secret").ListDomains(ctx, &codeartifact.ListDomainsInput{})
	wantCode(t, err, "InvalidSignatureException")
	_, err = srv.STS(apptest.AccessKeyID, "wrong-secret").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	_, err = srv.STS("AKIAUNKNOWNKEY000000", "x").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId")

	// Clock skew beyond 15 minutes, either way: a correctly signed request whose
	// signing time is 20 minutes off is refused.
	for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/domains", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		sum := sha256.Sum256([]byte("{}"))
		creds := aws.Credentials{AccessKeyID: apptest.AccessKeyID, SecretAccessKey: apptest.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "codeartifact", apptest.Region, time.Now().Add(skew)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "Signature expired" // signed too long ago
		if skew > 0 {
			want = "Signature not yet current" // signed in the future
		}
		if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" || !strings.Contains(string(body), want) {
			t.Fatalf("skew %v: %d %s %s", skew, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
		}
	}

	// Unsigned requests: 403 with a JSON error, never an HTML page.
	resp, err := http.Post(srv.URL+"/v1/domains", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" || !strings.Contains(string(body), "message") {
		t.Fatalf("unsigned: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
	}
}

func TestConcurrentCreatesOneWinner(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("race")})
		}(i)
	}
	wg.Wait()
	var ok, conflicts int
	for _, err := range errs {
		var ce *types.ConflictException
		switch {
		case err == nil:
			ok++
		case errors.As(err, &ce):
			conflicts++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 || conflicts != n-1 {
		t.Fatalf("%d winners, %d conflicts", ok, conflicts)
	}
	errs = make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("race"), Repository: aws.String("repo")})
		}(i)
	}
	wg.Wait()
	ok = 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantErr[*types.ConflictException](t, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d repository winners", ok)
	}
}

func TestRestartPersists(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv := apptest.Start(t, apptest.Options{DataDir: dir})
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("keep"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("keep"), Repository: aws.String("up")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("keep"), Repository: aws.String("down"), Description: aws.String("d"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("up")}}}))
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("keep"), Repository: aws.String("up"), ExternalConnection: aws.String("public:maven-central")}))
	pol := must(ca.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("keep"), Repository: aws.String("down"), PolicyDocument: aws.String(policyDoc)})).Policy
	srv.Stop()

	srv2 := apptest.Start(t, apptest.Options{DataDir: dir})
	ca = srv2.CodeArtifact()
	d := must(ca.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("keep")})).Domain
	if d.RepositoryCount != 2 {
		t.Fatalf("repository count after restart %d", d.RepositoryCount)
	}
	down := must(ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("keep"), Repository: aws.String("down")})).Repository
	if aws.ToString(down.Description) != "d" || len(down.Upstreams) != 1 {
		t.Fatalf("repository after restart %+v", down)
	}
	up := must(ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("keep"), Repository: aws.String("up")})).Repository
	if len(up.ExternalConnections) != 1 || up.ExternalConnections[0].PackageFormat != types.PackageFormatMaven {
		t.Fatalf("external connection after restart %+v", up.ExternalConnections)
	}
	p := must(ca.GetRepositoryPermissionsPolicy(ctx, &codeartifact.GetRepositoryPermissionsPolicyInput{Domain: aws.String("keep"), Repository: aws.String("down")})).Policy
	if aws.ToString(p.Revision) != aws.ToString(pol.Revision) {
		t.Fatal("policy revision changed across restart")
	}
	tags := must(ca.ListTagsForResource(ctx, &codeartifact.ListTagsForResourceInput{ResourceArn: d.Arn})).Tags
	if len(tags) != 1 {
		t.Fatalf("tags after restart %+v", tags)
	}
}
