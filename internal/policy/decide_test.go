package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// The decision table below is written from IAM's documented evaluation logic
// ("Policy evaluation logic", "Cross-account policy evaluation logic",
// "Determining whether a request is allowed or denied within an account", and
// the global condition keys reference), not from wharf's implementation.
// Each row: who asks, what, on which resource of which owner, with which
// identity-based and resource-based policies, and the expected verdict.

const (
	pkgARN    = "arn:aws:codeartifact:us-east-1:111122223333:package/corp/npm-store/npm//left-pad"
	scopedPk  = "arn:aws:codeartifact:us-east-1:111122223333:package/corp/npm-store/npm/acme/ui"
	otherRepo = "arn:aws:codeartifact:us-east-1:111122223333:repository/corp/pypi-store"
	ciRoleARN = "arn:aws:iam::111122223333:role/ci-publish"
	rdRoleARN = "arn:aws:iam::111122223333:role/teams/build-reader"
	spokeRole = "arn:aws:iam::444455556666:role/spoke-reader"
	describe  = "codeartifact:DescribeDomain"
	deleteDom = "codeartifact:DeleteDomain"
	getToken  = "codeartifact:GetAuthorizationToken"
	bearer    = "sts:GetServiceBearerToken"
	kmsKey    = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	pypiPkg   = "arn:aws:codeartifact:us-east-1:111122223333:package/corp/py-store/pypi//requests"
	pypiOther = "arn:aws:codeartifact:us-east-1:111122223333:package/corp/py-store/pypi//flask"
)

// defaultKeyPolicy is KMS's default key policy for account A.
const defaultKeyPolicy = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`

var (
	idRootA = Identity{Principal: rootA}
	idAlice = Identity{Principal: alice}
	idBob   = Identity{Principal: bob}
	idCI    = Identity{Principal: model.Principal{Account: acctA, ARN: "arn:aws:sts::111122223333:assumed-role/ci-publish/gha-1", UserID: "AROACI:gha-1"}, RoleARN: ciRoleARN}
	idRead  = Identity{Principal: model.Principal{Account: acctA, ARN: "arn:aws:sts::111122223333:assumed-role/build-reader/b-7"}, RoleARN: rdRoleARN}
	idCarol = Identity{Principal: carol}
	idRootB = Identity{Principal: model.Principal{Account: acctB, ARN: "arn:aws:iam::444455556666:root"}}
	idSpoke = Identity{Principal: model.Principal{Account: acctB, ARN: "arn:aws:sts::444455556666:assumed-role/spoke-reader/s1"}, RoleARN: spokeRole}
)

// id is an identity-based policy of one statement.
func id(effect, action, resource string, cond ...string) string {
	s := fmt.Sprintf(`"Effect":%q,"Action":%s,"Resource":%s`, effect, jsonish(action), jsonish(resource))
	if len(cond) > 0 {
		s += `,"Condition":` + cond[0]
	}
	return `{"Version":"2012-10-17","Statement":[{` + s + `}]}`
}

// rp is a resource policy of one statement naming principal (raw JSON);
// opt is an optional condition block ("" for none) and an optional Resource
// (default "*").
func rp(effect, principal, action string, opt ...string) string {
	res := "*"
	if len(opt) > 1 {
		res = opt[1]
	}
	s := fmt.Sprintf(`"Effect":%q,"Principal":%s,"Action":%s,"Resource":%q`, effect, principal, jsonish(action), res)
	if len(opt) > 0 && opt[0] != "" {
		s += `,"Condition":` + opt[0]
	}
	return `{"Version":"2012-10-17","Statement":[{` + s + `}]}`
}

// jsonish quotes a plain value, leaves a JSON array as it is.
func jsonish(v string) string {
	if strings.HasPrefix(v, "[") {
		return v
	}
	return fmt.Sprintf("%q", v)
}

func aws(arns ...string) string {
	q := make([]string, len(arns))
	for i, a := range arns {
		q[i] = fmt.Sprintf("%q", a)
	}
	return `{"AWS":[` + strings.Join(q, ",") + `]}`
}

type decideCase struct {
	name     string
	who      Identity
	action   string
	resource string
	owner    string
	idp      []string // identity-based policies
	rps      []string // resource-based policies (domain, repository, ...)
	ip       string
	ctx      map[string][]string
	trust    bool // the resource policy is a role trust policy (must allow)
	want     bool
	reason   string // substring of Result.Reason when refused
}

func decideCases() []decideCase {
	A, B := acctA, acctB
	const (
		noID  = "because no identity-based policy allows"
		noRes = "because no resource-based policy allows"
		idDen = "explicit deny in an identity-based policy"
		rsDen = "explicit deny in a resource-based policy"
	)
	allowAllID := id("Allow", "*", "*")
	allowCA := id("Allow", "codeartifact:*", "*")
	readID := id("Allow", `["codeartifact:ReadFromRepository","codeartifact:GetPackageVersionAsset","codeartifact:GetAuthorizationToken","codeartifact:GetRepositoryEndpoint","sts:GetServiceBearerToken"]`, "*")
	pubID := id("Allow", `["codeartifact:PublishPackageVersion","codeartifact:PutPackageMetadata"]`, "arn:aws:codeartifact:us-east-1:111122223333:package/corp/npm-store/*")
	rootAP := aws("arn:aws:iam::111122223333:root")
	acctAP := aws(A)
	acctBP := aws(B)
	rootBP := aws("arn:aws:iam::444455556666:root")
	c := func(n string, who Identity, action, res, owner string, idp, rps []string, want bool, reason string) decideCase {
		return decideCase{name: n, who: who, action: action, resource: res, owner: owner, idp: idp, rps: rps, want: want, reason: reason}
	}
	L := func(s ...string) []string { return s }
	withIP := func(dc decideCase, ip string) decideCase { dc.ip = ip; return dc }
	withTags := func(dc decideCase, kv ...string) decideCase {
		dc.who.Tags = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			dc.who.Tags[kv[i]] = kv[i+1]
		}
		return dc
	}
	withOrg := func(dc decideCase, org string) decideCase { dc.who.OrgID = org; return dc }
	trust := func(dc decideCase) decideCase { dc.trust = true; return dc }
	withCtx := func(dc decideCase, k string, v ...string) decideCase {
		dc.ctx = map[string][]string{k: v}
		return dc
	}

	cases := []decideCase{
		// --- Root of the owner account: allowed unless explicitly denied.
		c("root no policies", idRootA, deleteDom, domainARN, A, nil, nil, true, ""),
		c("root any action", idRootA, publish, pkgARN, A, nil, nil, true, ""),
		c("root with unrelated resource allow", idRootA, read, repoARN, A, nil, L(rp("Allow", aws(B), read)), true, ""),
		c("root denied by resource policy star", idRootA, deleteDom, domainARN, A, nil, L(rp("Deny", `"*"`, deleteDom)), false, rsDen),
		c("root denied by resource policy naming account", idRootA, read, repoARN, A, nil, L(rp("Deny", acctAP, read)), false, rsDen),
		c("root denied by resource policy naming root arn", idRootA, read, repoARN, A, nil, L(rp("Deny", rootAP, "codeartifact:*")), false, rsDen),
		c("root not hit by deny naming a user", idRootA, read, repoARN, A, nil, L(rp("Deny", aws("arn:aws:iam::111122223333:user/alice"), "*")), true, ""),
		c("root not hit by deny of another action", idRootA, read, repoARN, A, nil, L(rp("Deny", `"*"`, publish)), true, ""),
		c("root deny in second resource policy", idRootA, read, repoARN, A, nil, L(rp("Allow", `"*"`, "*"), rp("Deny", `"*"`, read)), false, rsDen),

		// --- Same-account IAM user: identity policies.
		c("user no policies refused", idAlice, describe, domainARN, A, nil, nil, false, noID),
		c("user no policies refused package read", idAlice, read, repoARN, A, nil, nil, false, noID),
		c("user allow all", idAlice, deleteDom, domainARN, A, L(allowAllID), nil, true, ""),
		c("user allow codeartifact:*", idAlice, publish, pkgARN, A, L(allowCA), nil, true, ""),
		c("user allow other service only", idAlice, read, repoARN, A, L(id("Allow", "s3:*", "*")), nil, false, noID),
		c("user allow action exact", idAlice, read, repoARN, A, L(id("Allow", read, repoARN)), nil, true, ""),
		c("user allow action case-insensitive", idAlice, read, repoARN, A, L(id("Allow", "CODEARTIFACT:readfromrepository", "*")), nil, true, ""),
		c("user allow other resource", idAlice, read, repoARN, A, L(id("Allow", read, otherRepo)), nil, false, noID),
		c("user allow wildcard resource", idAlice, read, repoARN, A, L(id("Allow", read, "arn:aws:codeartifact:*:111122223333:repository/corp/*")), nil, true, ""),
		c("user allow resource case-sensitive", idAlice, read, repoARN, A, L(id("Allow", read, "arn:aws:codeartifact:us-east-1:111122223333:repository/CORP/*")), nil, false, noID),
		c("user deny in identity wins over allow", idAlice, publish, pkgARN, A, L(allowCA, id("Deny", publish, "*")), nil, false, idDen),
		c("user deny in same identity policy", idAlice, publish, pkgARN, A, L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"codeartifact:Publish*","Resource":"*"}]}`), nil, false, idDen),
		c("user deny other action leaves allow", idAlice, read, repoARN, A, L(allowCA, id("Deny", publish, "*")), nil, true, ""),
		c("user NotAction allow covers read", idAlice, read, repoARN, A, L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"codeartifact:Delete*","Resource":"*"}]}`), nil, true, ""),
		c("user NotAction allow excludes delete", idAlice, deleteDom, domainARN, A, L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"codeartifact:Delete*","Resource":"*"}]}`), nil, false, noID),
		c("user NotResource allow", idAlice, read, repoARN, A, L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotResource":"`+otherRepo+`"}]}`), nil, true, ""),
		c("user NotResource allow excludes", idAlice, read, otherRepo, A, L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotResource":"`+otherRepo+`"}]}`), nil, false, noID),
		c("user NotResource deny", idAlice, read, otherRepo, A, L(allowAllID, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","NotResource":"`+repoARN+`"}]}`), nil, false, idDen),
		c("user second policy allows", idAlice, read, repoARN, A, L(id("Allow", "s3:*", "*"), readID), nil, true, ""),
		c("user deny in identity beats resource allow naming user", idAlice, read, repoARN, A, L(id("Deny", read, "*")), L(rp("Allow", aws(alice.ARN), read)), false, idDen),

		// --- Same-account user: resource policies.
		c("resource names user: enough alone", idAlice, read, repoARN, A, nil, L(rp("Allow", aws(alice.ARN), read)), true, ""),
		c("resource names user: other action refused", idAlice, publish, pkgARN, A, nil, L(rp("Allow", aws(alice.ARN), read)), false, noID),
		c("resource names another user", idBob, read, repoARN, A, nil, L(rp("Allow", aws(alice.ARN), read)), false, noID),
		c("resource star principal grants directly", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read)), true, ""),
		c("resource AWS star grants directly", idAlice, read, repoARN, A, nil, L(rp("Allow", `{"AWS":"*"}`, read)), true, ""),
		c("resource names account id: delegates only", idAlice, read, repoARN, A, nil, L(rp("Allow", acctAP, read)), false, noID),
		c("resource names root arn: delegates only", idAlice, read, repoARN, A, nil, L(rp("Allow", rootAP, read)), false, noID),
		c("resource names account + identity allows", idAlice, read, repoARN, A, L(readID), L(rp("Allow", acctAP, read)), true, ""),
		c("resource names root arn + identity allows", idAlice, read, repoARN, A, L(readID), L(rp("Allow", rootAP, read)), true, ""),
		c("identity allows, no resource policy", idAlice, read, repoARN, A, L(readID), nil, true, ""),
		c("identity allows, resource policy silent", idAlice, read, repoARN, A, L(readID), L(rp("Allow", aws(B), read)), true, ""),
		c("identity allows, resource denies user", idAlice, read, repoARN, A, L(readID), L(rp("Deny", aws(alice.ARN), read)), false, rsDen),
		c("identity allows, resource denies account", idAlice, read, repoARN, A, L(readID), L(rp("Deny", acctAP, read)), false, rsDen),
		c("identity allows, resource denies star", idAlice, read, repoARN, A, L(readID), L(rp("Deny", `"*"`, "codeartifact:Read*")), false, rsDen),
		c("identity allows, resource denies bob only", idAlice, read, repoARN, A, L(readID), L(rp("Deny", aws(bob.ARN), read)), true, ""),
		c("domain allows user, repo silent", idAlice, read, repoARN, A, nil, L(rp("Allow", aws(alice.ARN), read), rp("Allow", aws(B), read)), true, ""),
		c("domain silent, repo allows user", idAlice, read, repoARN, A, nil, L(rp("Allow", aws(B), read), rp("Allow", aws(alice.ARN), read)), true, ""),
		c("domain allows, repo denies", idAlice, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read), rp("Deny", aws(alice.ARN), read)), false, rsDen),
		c("resource allow NotPrincipal grants others", idAlice, read, repoARN, A, nil, L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"`+bob.ARN+`"},"Action":"*"}]}`), true, ""),
		c("resource deny NotPrincipal hits others", idAlice, read, repoARN, A, L(readID), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["`+bob.ARN+`","`+A+`"]},"Action":"*"}]}`), false, rsDen),
		c("resource deny NotPrincipal spares listed user with account", idBob, read, repoARN, A, L(readID), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["`+bob.ARN+`","`+A+`"]},"Action":"*"}]}`), true, ""),
		c("resource deny NotAction spares listed", idAlice, read, repoARN, A, L(allowCA), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","NotAction":"codeartifact:Read*"}]}`), true, ""),
		c("resource deny NotAction hits others", idAlice, publish, pkgARN, A, L(allowCA), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","NotAction":"codeartifact:Read*"}]}`), false, rsDen),
		c("resource allow names user ARN with wrong case", idAlice, read, repoARN, A, nil, L(rp("Allow", aws("arn:aws:iam::111122223333:user/ALICE"), read)), false, noID),

		// --- Same-account assumed-role sessions.
		c("session no role policies refused", idCI, read, repoARN, A, nil, nil, false, noID),
		c("session role policy allows", idCI, publish, pkgARN, A, L(pubID), nil, true, ""),
		c("session role policy scoped to other repo", idCI, publish, "arn:aws:codeartifact:us-east-1:111122223333:package/corp/app/npm//x", A, L(pubID), nil, false, noID),
		c("resource names role arn: enough", idCI, publish, pkgARN, A, nil, L(rp("Allow", aws(ciRoleARN), publish)), true, ""),
		c("resource names session arn: enough", idCI, publish, pkgARN, A, nil, L(rp("Allow", aws(idCI.Principal.ARN), publish)), true, ""),
		c("resource names other session of role", idCI, publish, pkgARN, A, nil, L(rp("Allow", aws("arn:aws:sts::111122223333:assumed-role/ci-publish/other"), publish)), false, noID),
		c("resource names other role", idRead, publish, pkgARN, A, nil, L(rp("Allow", aws(ciRoleARN), publish)), false, noID),
		c("resource names role with path", idRead, read, repoARN, A, nil, L(rp("Allow", aws(rdRoleARN), read)), true, ""),
		c("resource names role without its path", idRead, read, repoARN, A, nil, L(rp("Allow", aws("arn:aws:iam::111122223333:role/build-reader"), read)), false, noID),
		c("resource names account: session needs role policy", idRead, read, repoARN, A, nil, L(rp("Allow", acctAP, read)), false, noID),
		c("resource names account + role policy", idRead, read, repoARN, A, L(readID), L(rp("Allow", acctAP, read)), true, ""),
		c("resource denies role", idCI, publish, pkgARN, A, L(allowCA), L(rp("Deny", aws(ciRoleARN), publish)), false, rsDen),
		c("resource denies session", idCI, publish, pkgARN, A, L(allowCA), L(rp("Deny", aws(idCI.Principal.ARN), publish)), false, rsDen),
		c("role policy denies", idCI, deleteDom, domainARN, A, L(allowCA, id("Deny", "codeartifact:Delete*", "*")), L(rp("Allow", aws(ciRoleARN), "*")), false, idDen),
		c("reader role cannot publish", idRead, publish, pkgARN, A, L(readID), nil, false, noID),
		c("reader role reads", idRead, read, repoARN, A, L(readID), nil, true, ""),
		c("reader role bearer token", idRead, bearer, "*", A, L(readID), nil, true, ""),
		c("ci role without bearer permission", idCI, bearer, "*", A, L(pubID), nil, false, noID),

		// --- Cross-account: both sides must allow.
		c("cross no policies", idCarol, read, repoARN, A, nil, nil, false, noID),
		c("cross identity only", idCarol, read, repoARN, A, L(readID), nil, false, noRes),
		c("cross resource only (names user)", idCarol, read, repoARN, A, nil, L(rp("Allow", aws(carol.ARN), read)), false, noID),
		c("cross resource only (names account)", idCarol, read, repoARN, A, nil, L(rp("Allow", acctBP, read)), false, noID),
		c("cross both, resource names account", idCarol, read, repoARN, A, L(readID), L(rp("Allow", acctBP, read)), true, ""),
		c("cross both, resource names root arn", idCarol, read, repoARN, A, L(readID), L(rp("Allow", rootBP, read)), true, ""),
		c("cross both, resource names user", idCarol, read, repoARN, A, L(readID), L(rp("Allow", aws(carol.ARN), read)), true, ""),
		c("cross both, resource star", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read)), true, ""),
		c("cross resource names the owner account", idCarol, read, repoARN, A, L(readID), L(rp("Allow", acctAP, read)), false, noRes),
		c("cross resource names other user of B", idCarol, read, repoARN, A, L(readID), L(rp("Allow", aws("arn:aws:iam::444455556666:user/dave"), read)), false, noRes),
		c("cross identity scoped to other resource", idCarol, read, repoARN, A, L(id("Allow", read, otherRepo)), L(rp("Allow", acctBP, read)), false, noID),
		c("cross resource deny", idCarol, read, repoARN, A, L(readID), L(rp("Allow", acctBP, read), rp("Deny", acctBP, read)), false, rsDen),
		c("cross identity deny", idCarol, read, repoARN, A, L(readID, id("Deny", "*", "*")), L(rp("Allow", acctBP, read)), false, idDen),
		c("cross domain allows repo silent", idCarol, read, repoARN, A, L(readID), L(rp("Allow", acctBP, read), rp("Allow", aws(A), read)), true, ""),
		c("cross domain silent repo allows", idCarol, read, repoARN, A, L(readID), L(rp("Allow", aws(A), read), rp("Allow", acctBP, read)), true, ""),
		c("cross root of B needs only resource allow", idRootB, read, repoARN, A, nil, L(rp("Allow", acctBP, read)), true, ""),
		c("cross root of B refused without resource allow", idRootB, read, repoARN, A, nil, nil, false, noRes),
		c("cross root of B denied", idRootB, read, repoARN, A, nil, L(rp("Allow", acctBP, "*"), rp("Deny", rootBP, read)), false, rsDen),
		c("cross spoke role both allow", idSpoke, read, repoARN, A, L(readID), L(rp("Allow", acctBP, read)), true, ""),
		c("cross spoke role names role", idSpoke, read, repoARN, A, L(readID), L(rp("Allow", aws(spokeRole), read)), true, ""),
		c("cross spoke role names session", idSpoke, read, repoARN, A, L(readID), L(rp("Allow", aws(idSpoke.Principal.ARN), read)), true, ""),
		c("cross spoke role without identity", idSpoke, read, repoARN, A, nil, L(rp("Allow", aws(spokeRole), read)), false, noID),
		c("cross spoke role resource names other role", idSpoke, read, repoARN, A, L(readID), L(rp("Allow", aws("arn:aws:iam::444455556666:role/other"), read)), false, noRes),
		c("cross spoke publish not in resource", idSpoke, publish, pkgARN, A, L(allowCA), L(rp("Allow", acctBP, read)), false, noRes),
		c("cross A user into B-owned domain", idAlice, read, "arn:aws:codeartifact:us-east-1:444455556666:repository/hub/r", B, L(readID), L(rp("Allow", acctAP, read)), true, ""),
		c("cross root of A into B refused without policy", idRootA, read, "arn:aws:codeartifact:us-east-1:444455556666:repository/hub/r", B, nil, nil, false, noRes),
		c("cross bearer token is identity-only in caller account", idSpoke, bearer, "*", B, L(readID), nil, true, ""),

		// --- Package-level resources.
		c("package ARN matched by repository wildcard", idCI, publish, pkgARN, A, L(id("Allow", publish, "arn:aws:codeartifact:*:*:package/corp/npm-store/*")), nil, true, ""),
		c("package ARN not matched by repository ARN", idCI, publish, pkgARN, A, L(id("Allow", publish, repoARN)), nil, false, noID),
		c("package deny on package prefix", idCI, publish, pkgARN, A, L(allowCA), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:PublishPackageVersion","Resource":"arn:aws:codeartifact:us-east-1:111122223333:package/corp/npm-store/*"}]}`), false, rsDen),
		c("package deny on other repo's packages", idCI, publish, pkgARN, A, L(allowCA), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:PublishPackageVersion","Resource":"arn:aws:codeartifact:us-east-1:111122223333:package/corp/other/*"}]}`), true, ""),
		c("package deny on one namespace", idCI, publish, scopedPk, A, L(allowCA), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:PublishPackageVersion","Resource":"arn:aws:codeartifact:*:*:package/corp/npm-store/npm/acme/*"}]}`), false, rsDen),
		c("package deny on one namespace spares unscoped", idCI, publish, pkgARN, A, L(allowCA), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:PublishPackageVersion","Resource":"arn:aws:codeartifact:*:*:package/corp/npm-store/npm/acme/*"}]}`), true, ""),
		c("package allow on one name", idAlice, publish, pkgARN, A, L(id("Allow", publish, "arn:aws:codeartifact:us-east-1:111122223333:package/corp/npm-store/npm//left-pad")), nil, true, ""),
		c("package allow on one name, other name", idAlice, publish, scopedPk, A, L(id("Allow", publish, "arn:aws:codeartifact:us-east-1:111122223333:package/corp/npm-store/npm//left-pad")), nil, false, noID),
		c("package resource statement without Resource applies", idCI, publish, pkgARN, A, nil, L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+ciRoleARN+`"},"Action":"codeartifact:PublishPackageVersion"}]}`), true, ""),
		c("repository resource statement on package ARN", idCI, publish, pkgARN, A, nil, L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+ciRoleARN+`"},"Action":"codeartifact:PublishPackageVersion","Resource":"`+repoARN+`"}]}`), false, noID),
		c("package question mark", idAlice, publish, pkgARN, A, L(id("Allow", publish, "arn:aws:codeartifact:us-east-1:111122223333:package/corp/npm-store/npm//left-pa?")), nil, true, ""),

		// --- The seed's repository policy (CI role publishes, account reads).
		c("seed: CI session publishes", idCI, publish, pkgARN, A, nil, L(seedPolicy), true, ""),
		c("seed: CI session puts metadata", idCI, "codeartifact:PutPackageMetadata", pkgARN, A, nil, L(seedPolicy), true, ""),
		c("seed: reader session cannot publish", idRead, publish, pkgARN, A, L(readID), L(seedPolicy), false, noID),
		c("seed: reader session reads via identity", idRead, read, repoARN, A, L(readID), L(seedPolicy), true, ""),
		c("seed: reader without identity policy cannot read", idRead, read, repoARN, A, nil, L(seedPolicy), false, noID),
		c("seed: user without policies cannot read", idAlice, read, repoARN, A, nil, L(seedPolicy), false, noID),
		c("seed: other account cannot read", idCarol, read, repoARN, A, L(readID), L(seedPolicy), false, noRes),
		c("seed: root publishes anyway", idRootA, publish, pkgARN, A, nil, L(seedPolicy), true, ""),

		// --- Conditions: principal keys.
		c("PrincipalArn of a session is its role", idCI, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"ArnEquals":{"aws:PrincipalArn":"`+ciRoleARN+`"}}`)), true, ""),
		c("PrincipalArn of a session is not the session", idCI, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalArn":"`+idCI.Principal.ARN+`"}}`)), false, noID),
		c("PrincipalArn of a user", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalArn":"`+alice.ARN+`"}}`)), true, ""),
		c("PrincipalArn ArnLike role wildcard", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/teams/*"}}`)), true, ""),
		c("PrincipalArn ArnNotLike deny", idRead, read, repoARN, A, L(readID), L(rp("Deny", `"*"`, read, `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ci-*"}}`)), false, rsDen),
		c("PrincipalArn ArnNotLike spares ci", idCI, read, repoARN, A, L(readID), L(rp("Deny", `"*"`, read, `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ci-*"}}`)), true, ""),
		c("PrincipalAccount allow across", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalAccount":"`+B+`"}}`)), true, ""),
		c("PrincipalAccount mismatch across", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalAccount":"999988887777"}}`)), false, noRes),
		withCtx(c("PrincipalAccount context cannot be spoofed", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalAccount":"`+A+`"}}`)), false, noRes), "aws:PrincipalAccount", A),
		withOrg(c("PrincipalOrgID matches", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`)), true, ""), "o-abc123"),
		withOrg(c("PrincipalOrgID other org", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`)), false, noRes), "o-zzz"),
		c("PrincipalOrgID unset means absent", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`)), false, noRes),
		withCtx(c("PrincipalOrgID not taken from request context", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`)), false, noRes), "aws:PrincipalOrgID", "o-abc123"),
		c("PrincipalOrgID deny when absent (Null)", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read), rp("Deny", `"*"`, "*", `{"Null":{"aws:PrincipalOrgID":"true"}}`)), false, rsDen),
		withOrg(c("PrincipalOrgID Null false with org", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"Null":{"aws:PrincipalOrgID":"false"}}`)), true, ""), "o-1"),
		withOrg(c("PrincipalOrgID StringNotEquals deny outsiders", idAlice, read, repoARN, A, L(readID), L(rp("Deny", `"*"`, "*", `{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}`)), true, ""), "o-abc123"),
		withOrg(c("PrincipalOrgID StringNotEquals deny outsider", idCarol, read, repoARN, A, L(readID), L(rp("Allow", acctBP, read), rp("Deny", `"*"`, "*", `{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}`)), false, rsDen), "o-other"),
		withOrg(c("PrincipalOrgID StringLike", idCarol, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringLike":{"aws:PrincipalOrgID":"o-abc*"}}`)), true, ""), "o-abc123"),
		withTags(c("PrincipalTag matches", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/team":"platform"}}`)), true, ""), "team", "platform"),
		withTags(c("PrincipalTag key case-insensitive", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/Team":"platform"}}`)), true, ""), "team", "platform"),
		withTags(c("PrincipalTag value case-sensitive", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/team":"Platform"}}`)), false, noID), "team", "platform"),
		withTags(c("PrincipalTag other value", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/team":"platform"}}`)), false, noID), "team", "web"),
		c("PrincipalTag missing", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/team":"platform"}}`)), false, noID),
		c("PrincipalTag IfExists missing", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEqualsIfExists":{"aws:PrincipalTag/team":"platform"}}`)), true, ""),
		withTags(c("PrincipalTag IfExists present other", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEqualsIfExists":{"aws:PrincipalTag/team":"platform"}}`)), false, noID), "team", "web"),
		withTags(c("PrincipalTag in identity policy", idRead, read, repoARN, A, L(id("Allow", read, "*", `{"StringEquals":{"aws:PrincipalTag/env":"ci"}}`)), nil, true, ""), "env", "ci"),
		withTags(c("PrincipalTag deny in identity policy", idRead, read, repoARN, A, L(readID, id("Deny", "*", "*", `{"StringNotEquals":{"aws:PrincipalTag/env":"ci"}}`)), nil, false, idDen), "env", "dev"),
		c("PrincipalType user", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalType":"User"}}`)), true, ""),
		c("PrincipalType assumed role", idCI, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}`)), true, ""),
		c("PrincipalType assumed role is not user", idCI, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalType":"User"}}`)), false, noID),
		c("username of user", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:username":"alice"}}`)), true, ""),
		c("username absent for session", idCI, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"Null":{"aws:username":"true"}}`)), true, ""),
		c("userid of session", idCI, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringLike":{"aws:userid":"AROACI:*"}}`)), true, ""),
		c("PrincipalIsAWSService false", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"Bool":{"aws:PrincipalIsAWSService":"false"}}`)), true, ""),

		// --- Conditions: source IP.
		withIP(c("SourceIp in range", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), true, ""), "10.1.2.3"),
		withIP(c("SourceIp out of range", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), false, noID), "192.168.1.1"),
		withIP(c("SourceIp list second range", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`)), true, ""), "192.168.1.1"),
		withIP(c("SourceIp single address", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddress":{"aws:SourceIp":"127.0.0.1"}}`)), true, ""), "127.0.0.1"),
		withIP(c("SourceIp IPv6", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`)), true, ""), "2001:db8::1"),
		withIP(c("NotIpAddress deny outside", idAlice, read, repoARN, A, L(readID), L(rp("Deny", `"*"`, "*", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), false, rsDen), "172.16.0.1"),
		withIP(c("NotIpAddress spares inside", idAlice, read, repoARN, A, L(readID), L(rp("Deny", `"*"`, "*", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), true, ""), "10.9.9.9"),
		withIP(c("NotIpAddress in identity policy", idAlice, read, repoARN, A, L(readID, id("Deny", "*", "*", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), nil, false, idDen), "8.8.8.8"),
		c("SourceIp unknown: IpAddress does not hold", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`)), false, noID),
		withIP(c("SourceIp root can be fenced", idRootA, deleteDom, domainARN, A, nil, L(rp("Deny", `"*"`, "*", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), false, rsDen), "1.2.3.4"),

		// --- Conditions: operator families on request context keys.
		withCtx(c("StringEquals ctx", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"StringEquals":{"codeartifact:format":"npm"}}`)), nil, true, ""), "codeartifact:format", "npm"),
		withCtx(c("StringEquals ctx mismatch", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"StringEquals":{"codeartifact:format":"npm"}}`)), nil, false, noID), "codeartifact:format", "pypi"),
		withCtx(c("StringEqualsIgnoreCase ctx", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"StringEqualsIgnoreCase":{"codeartifact:format":"NPM"}}`)), nil, true, ""), "codeartifact:format", "npm"),
		withCtx(c("StringNotEqualsIgnoreCase ctx", idAlice, read, repoARN, A, L(allowCA, id("Deny", read, "*", `{"StringNotEqualsIgnoreCase":{"codeartifact:format":"NPM"}}`)), nil, true, ""), "codeartifact:format", "npm"),
		withCtx(c("StringLike ctx", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"StringLike":{"codeartifact:namespace":"ac*"}}`)), nil, true, ""), "codeartifact:namespace", "acme"),
		withCtx(c("StringNotLike ctx deny", idAlice, read, repoARN, A, L(allowCA, id("Deny", read, "*", `{"StringNotLike":{"codeartifact:namespace":"ac*"}}`)), nil, false, idDen), "codeartifact:namespace", "other"),
		c("StringNotLike missing key holds", idAlice, read, repoARN, A, L(allowCA, id("Deny", read, "*", `{"StringNotLike":{"codeartifact:namespace":"ac*"}}`)), nil, false, idDen),
		c("StringNotLikeIfExists missing key holds", idAlice, read, repoARN, A, L(allowCA, id("Deny", read, "*", `{"StringNotLikeIfExists":{"codeartifact:namespace":"ac*"}}`)), nil, false, idDen),
		withCtx(c("Bool true", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"Bool":{"aws:SecureTransport":"true"}}`)), nil, true, ""), "aws:SecureTransport", "true"),
		withCtx(c("Bool false deny", idAlice, read, repoARN, A, L(allowCA, id("Deny", "*", "*", `{"Bool":{"aws:SecureTransport":"false"}}`)), nil, false, idDen), "aws:SecureTransport", "false"),
		c("BoolIfExists missing", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`)), nil, true, ""),
		c("Bool missing", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`)), nil, false, noID),
		c("Null true on missing", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"Null":{"aws:TokenIssueTime":"true"}}`)), nil, true, ""),
		withCtx(c("Null true on present", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"Null":{"aws:TokenIssueTime":"true"}}`)), nil, false, noID), "aws:TokenIssueTime", "2024-01-01T00:00:00Z"),
		withCtx(c("ArnEquals ctx", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"ArnEquals":{"aws:SourceArn":"arn:aws:codebuild:us-east-1:111122223333:project/p"}}`)), nil, true, ""), "aws:SourceArn", "arn:aws:codebuild:us-east-1:111122223333:project/p"),
		withCtx(c("ArnLike ctx wildcard", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"ArnLike":{"aws:SourceArn":"arn:aws:codebuild:*:111122223333:project/*"}}`)), nil, true, ""), "aws:SourceArn", "arn:aws:codebuild:us-east-1:111122223333:project/p"),
		withCtx(c("ArnNotEquals ctx deny", idAlice, read, repoARN, A, L(allowCA, id("Deny", read, "*", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:codebuild:us-east-1:111122223333:project/p"}}`)), nil, false, idDen), "aws:SourceArn", "arn:aws:codebuild:us-east-1:111122223333:project/q"),
		withCtx(c("ArnLikeIfExists present mismatch", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:codebuild:*:*:project/p"}}`)), nil, false, noID), "aws:SourceArn", "arn:aws:codebuild:us-east-1:111122223333:project/q"),
		c("ArnLikeIfExists missing", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:codebuild:*:*:project/p"}}`)), nil, true, ""),
		withCtx(c("NumericLessThan", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`)), nil, true, ""), "aws:MultiFactorAuthAge", "10"),
		withCtx(c("NumericLessThan too old", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`)), nil, false, noID), "aws:MultiFactorAuthAge", "7200"),
		withCtx(c("DateLessThan", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`)), nil, true, ""), "aws:CurrentTime", "2026-11-29T12:00:00Z"),
		withCtx(c("DateGreaterThan not yet", idAlice, read, repoARN, A, L(id("Allow", read, "*", `{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`)), nil, false, noID), "aws:CurrentTime", "2026-11-29T12:00:00Z"),

		// --- Set qualifiers.
		{name: "ForAnyValue one matches", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"x", "env"}}, want: true},
		{name: "ForAnyValue none match", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"x", "y"}}, want: false, reason: noID},
		{name: "ForAnyValue missing key", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`)), want: false, reason: noID},
		{name: "ForAllValues all match", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"team", "env"}}, want: true},
		{name: "ForAllValues one stray", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"team", "cost"}}, want: false, reason: noID},
		{name: "ForAllValues missing key is vacuously true", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`)), want: true},
		{name: "ForAllValues StringLike", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAllValues:StringLike":{"aws:TagKeys":["t*"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"team", "tier"}}, want: true},
		{name: "ForAnyValue StringNotEquals deny", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(allowCA, id("Deny", read, "*", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"team", "x"}}, want: false, reason: idDen},
		{name: "ForAnyValue StringNotEquals spares exact", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(allowCA, id("Deny", read, "*", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"team"}}, want: true},
		withTags(c("ForAnyValue on a principal tag", idRead, read, repoARN, A, L(id("Allow", read, "*", `{"ForAnyValue:StringEquals":{"aws:PrincipalTag/team":["a","platform"]}}`)), nil, true, ""), "team", "platform"),

		// --- Multiple conditions: all blocks and keys must hold.
		withIP(withTags(c("two blocks both hold", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/team":"platform"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), true, ""), "team", "platform"), "10.0.0.1"),
		withIP(withTags(c("two blocks one fails", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/team":"platform"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), false, noID), "team", "platform"), "11.0.0.1"),
		withTags(c("two keys in one block", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/team":"platform","aws:PrincipalAccount":"`+A+`"}}`)), true, ""), "team", "platform"),
		withTags(c("two keys one fails", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEquals":{"aws:PrincipalTag/team":"platform","aws:PrincipalAccount":"`+B+`"}}`)), false, noID), "team", "platform"),

		// --- Fail closed on values a condition cannot use.
		withIP(c("unparsable source ip never grants", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), false, noID), "not-an-ip"),
		withIP(c("unparsable source ip always denies", idAlice, read, repoARN, A, L(readID), L(rp("Deny", `"*"`, read, `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), false, rsDen), "not-an-ip"),

		// --- The GetAuthorizationToken pair: both permissions needed.
		c("token: codeartifact allowed", idRead, getToken, domainARN, A, L(readID), nil, true, ""),
		c("token: bearer allowed", idRead, bearer, "*", A, L(readID), nil, true, ""),
		c("token: bearer missing", idAlice, bearer, "*", A, L(id("Allow", getToken, "*")), nil, false, noID),
		c("token: bearer with service condition", idAlice, bearer, "*", A, L(id("Allow", bearer, "*", `{"StringEquals":{"sts:AWSServiceName":"codeartifact.amazonaws.com"}}`)), nil, false, noID),
		{name: "token: bearer with service condition met", who: idAlice, action: bearer, resource: "*", owner: A, idp: L(id("Allow", bearer, "*", `{"StringEquals":{"sts:AWSServiceName":"codeartifact.amazonaws.com"}}`)), ctx: map[string][]string{"sts:AWSServiceName": {"codeartifact.amazonaws.com"}}, want: true},
		c("token: cross-account domain token needs resource allow", idSpoke, getToken, domainARN, A, L(readID), nil, false, noRes),
		c("token: cross-account domain token allowed", idSpoke, getToken, domainARN, A, L(readID), L(rp("Allow", acctBP, getToken)), true, ""),

		// --- Trust policies as resource policies for sts:AssumeRole.
		trust(c("assume: trust names user", idAlice, "sts:AssumeRole", ciRoleARN, A, nil, L(rp("Allow", aws(alice.ARN), "sts:AssumeRole")), true, "")),
		trust(c("assume: trust names account, no identity", idAlice, "sts:AssumeRole", ciRoleARN, A, nil, L(rp("Allow", acctAP, "sts:AssumeRole")), false, noID)),
		trust(c("assume: trust names account, identity allows", idAlice, "sts:AssumeRole", ciRoleARN, A, L(id("Allow", "sts:AssumeRole", ciRoleARN)), L(rp("Allow", acctAP, "sts:AssumeRole")), true, "")),
		trust(c("assume: cross-account trust and identity", idCarol, "sts:AssumeRole", ciRoleARN, A, L(id("Allow", "sts:AssumeRole", "*")), L(rp("Allow", acctBP, "sts:AssumeRole")), true, "")),
		trust(c("assume: cross-account trust only", idCarol, "sts:AssumeRole", ciRoleARN, A, nil, L(rp("Allow", acctBP, "sts:AssumeRole")), false, noID)),
		trust(c("assume: cross-account identity only", idCarol, "sts:AssumeRole", ciRoleARN, A, L(id("Allow", "sts:AssumeRole", "*")), L(rp("Allow", acctAP, "sts:AssumeRole")), false, noRes)),
		trust(c("assume: trust denies", idAlice, "sts:AssumeRole", ciRoleARN, A, L(allowAllID), L(rp("Allow", acctAP, "sts:AssumeRole"), rp("Deny", aws(alice.ARN), "sts:AssumeRole")), false, rsDen)),
		trust(c("assume: trust for web identity does not admit users", idAlice, "sts:AssumeRole", ciRoleARN, A, L(allowAllID), L(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.example"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`), false, noRes)),
		trust(c("assume: same-account identity allow is not enough", idAlice, "sts:AssumeRole", ciRoleARN, A, L(allowAllID), L(rp("Allow", aws(bob.ARN), "sts:AssumeRole")), false, noRes)),
		trust(c("assume: same-account no trust policy at all", idAlice, "sts:AssumeRole", ciRoleARN, A, L(allowAllID), nil, false, noRes)),
		trust(c("assume: root needs the trust policy too", idRootA, "sts:AssumeRole", ciRoleARN, A, nil, L(rp("Allow", aws(bob.ARN), "sts:AssumeRole")), false, noRes)),
		trust(c("assume: root with trust naming account", idRootA, "sts:AssumeRole", ciRoleARN, A, nil, L(rp("Allow", acctAP, "sts:AssumeRole")), true, "")),
		trust(c("assume: required trust naming user directly", idAlice, "sts:AssumeRole", ciRoleARN, A, nil, L(rp("Allow", aws(alice.ARN), "sts:AssumeRole")), true, "")),

		// --- KMS key policies: like trust policies, the key policy must allow
		// (KMS's documented exception); naming the account delegates to IAM.
		trust(c("kms: default key policy, root", idRootA, "kms:Encrypt", kmsKey, A, nil, L(defaultKeyPolicy), true, "")),
		trust(c("kms: default key policy, user without identity allow", idAlice, "kms:Encrypt", kmsKey, A, nil, L(defaultKeyPolicy), false, noID)),
		trust(c("kms: default key policy, user with identity allow", idAlice, "kms:Encrypt", kmsKey, A, L(id("Allow", "kms:Encrypt", kmsKey)), L(defaultKeyPolicy), true, "")),
		trust(c("kms: default key policy, identity allows another key", idAlice, "kms:Encrypt", kmsKey, A, L(id("Allow", "kms:Encrypt", "arn:aws:kms:us-east-1:111122223333:key/other")), L(defaultKeyPolicy), false, noID)),
		trust(c("kms: session role with identity allow", idCI, "kms:Decrypt", kmsKey, A, L(id("Allow", "kms:*", "*")), L(defaultKeyPolicy), true, "")),
		trust(c("kms: key policy silent, identity allows", idAlice, "kms:Encrypt", kmsKey, A, L(allowAllID), L(rp("Allow", aws(bob.ARN), "kms:Encrypt")), false, noRes)),
		trust(c("kms: key policy silent, root", idRootA, "kms:Encrypt", kmsKey, A, nil, L(rp("Allow", aws(bob.ARN), "kms:Encrypt")), false, noRes)),
		trust(c("kms: key policy names user, no identity policy", idBob, "kms:Encrypt", kmsKey, A, nil, L(rp("Allow", aws(bob.ARN), "kms:Encrypt")), true, "")),
		trust(c("kms: key policy names role, session uses it", idCI, "kms:Decrypt", kmsKey, A, nil, L(rp("Allow", aws(ciRoleARN), "kms:Decrypt")), true, "")),
		trust(c("kms: key policy delegates other actions only", idAlice, "kms:ScheduleKeyDeletion", kmsKey, A, L(allowAllID), L(rp("Allow", rootAP, `["kms:Encrypt","kms:Decrypt"]`)), false, noRes)),
		trust(c("kms: key policy deny beats identity allow", idAlice, "kms:Decrypt", kmsKey, A, L(allowAllID), L(defaultKeyPolicy, rp("Deny", aws(alice.ARN), "kms:Decrypt")), false, rsDen)),
		trust(c("kms: identity deny beats key policy naming user", idBob, "kms:Decrypt", kmsKey, A, L(id("Deny", "kms:*", "*")), L(rp("Allow", aws(bob.ARN), "kms:Decrypt")), false, idDen)),
		trust(c("kms: cross-account key policy names account, identity allows", idSpoke, "kms:Decrypt", kmsKey, A, L(id("Allow", "kms:Decrypt", kmsKey)), L(defaultKeyPolicy, rp("Allow", acctBP, "kms:Decrypt")), true, "")),
		trust(c("kms: cross-account key policy only", idSpoke, "kms:Decrypt", kmsKey, A, nil, L(rp("Allow", acctBP, "kms:Decrypt")), false, noID)),
		trust(c("kms: cross-account default key policy", idSpoke, "kms:Decrypt", kmsKey, A, L(allowAllID), L(defaultKeyPolicy), false, noRes)),
		trust(withIP(c("kms: key policy condition on source ip", idBob, "kms:Decrypt", kmsKey, A, nil, L(rp("Allow", aws(bob.ARN), "kms:Decrypt", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), false, noRes), "192.0.2.1")),
		trust(withTags(c("kms: key policy PrincipalTag delegation", idRead, "kms:Decrypt", kmsKey, A, L(id("Allow", "kms:Decrypt", "*")), L(rp("Allow", rootAP, "kms:Decrypt", `{"StringEquals":{"aws:PrincipalTag/team":"platform"}}`)), true, ""), "team", "platform")),

		// --- PyPI packages on their own ARN (empty namespace).
		c("pypi: deny on one package's ARN", idCI, publish, pypiPkg, A, L(allowCA), L(rp("Deny", `"*"`, publish, "", pypiPkg)), false, rsDen),
		c("pypi: deny on one package spares another", idCI, publish, pypiOther, A, L(allowCA), L(rp("Deny", `"*"`, publish, "", pypiPkg)), true, ""),
		c("pypi: allow on package glob grants named role", idCI, publish, pypiPkg, A, nil, L(rp("Allow", aws(ciRoleARN), publish, "", "arn:aws:codeartifact:us-east-1:111122223333:package/corp/py-store/pypi//*")), true, ""),
		c("pypi: allow on npm packages does not cover pypi", idCI, publish, pypiPkg, A, nil, L(rp("Allow", aws(ciRoleARN), publish, "", "arn:aws:codeartifact:us-east-1:111122223333:package/corp/py-store/npm/*")), false, noID),

		// --- More ...IfExists and set qualifiers.
		withTags(c("StringEqualsIfExists present match", idRead, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"StringEqualsIfExists":{"aws:PrincipalTag/team":"platform"}}`)), true, ""), "team", "platform"),
		c("StringLikeIfExists deny hits a missing key", idAlice, read, repoARN, A, L(allowCA), L(rp("Deny", `"*"`, read, `{"StringLikeIfExists":{"aws:PrincipalTag/env":"prod*"}}`)), false, rsDen),
		withTags(c("StringLikeIfExists deny hits match", idRead, read, repoARN, A, L(allowCA), L(rp("Deny", `"*"`, read, `{"StringLikeIfExists":{"aws:PrincipalTag/env":"prod*"}}`)), false, rsDen), "env", "production"),
		withTags(c("StringLikeIfExists deny spares other value", idRead, read, repoARN, A, L(allowCA), L(rp("Deny", `"*"`, read, `{"StringLikeIfExists":{"aws:PrincipalTag/env":"prod*"}}`)), true, ""), "env", "dev"),
		withIP(c("IpAddressIfExists present outside", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`)), false, noID), "192.0.2.1"),
		c("IpAddressIfExists missing grants", idAlice, read, repoARN, A, nil, L(rp("Allow", `"*"`, read, `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`)), true, ""),
		withOrg(c("PrincipalOrgID IfExists cross-account match", idSpoke, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}`)), true, ""), "o-abc"),
		withOrg(c("PrincipalOrgID IfExists cross-account other org", idSpoke, read, repoARN, A, L(readID), L(rp("Allow", `"*"`, read, `{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}`)), false, noRes), "o-zzz"),
		{name: "ForAllValues StringLike one stray", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAllValues:StringLike":{"aws:TagKeys":["t*"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"team", "cost"}}, want: false, reason: noID},
		{name: "ForAnyValue StringLike one matches", who: idAlice, action: read, resource: repoARN, owner: A, idp: L(id("Allow", read, "*", `{"ForAnyValue:StringLike":{"aws:TagKeys":["env*"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"team", "environment"}}, want: true},
		{name: "ForAllValues in a resource policy cross-account", who: idSpoke, action: read, resource: repoARN, owner: A, idp: L(readID), rps: L(rp("Allow", acctBP, read, `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"team"}}, want: true},
		{name: "ForAnyValue deny in a resource policy binds root", who: idRootA, action: read, resource: repoARN, owner: A, rps: L(rp("Deny", `"*"`, read, `{"ForAnyValue:StringEquals":{"aws:TagKeys":["blocked"]}}`)), ctx: map[string][]string{"aws:TagKeys": {"ok", "blocked"}}, want: false, reason: rsDen},
	}
	return cases
}

// seedPolicy is the seed's repo_access document as Terraform renders it.
var seedPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"PublishFromCI","Effect":"Allow","Action":["codeartifact:PublishPackageVersion","codeartifact:PutPackageMetadata"],"Resource":"*","Principal":{"AWS":"` + ciRoleARN + `"}},{"Sid":"ReadForOrg","Effect":"Allow","Action":["codeartifact:ReadFromRepository","codeartifact:GetPackageVersionAsset"],"Resource":"*","Principal":{"AWS":"111122223333"}}]}`

func TestDecide(t *testing.T) {
	cases := decideCases()
	if len(cases) < 150 {
		t.Fatalf("the decision table has %d cases; it should cover at least 150", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Identity: tc.who, Action: tc.action, Resource: tc.resource, ResourceOwner: tc.owner, SourceIP: tc.ip, Context: tc.ctx, ResourcePolicyRequired: tc.trust}
			for _, d := range tc.idp {
				p, err := ParseIdentity(d)
				if err != nil {
					t.Fatalf("identity policy %s: %v", d, err)
				}
				in.Identity.Policies = append(in.Identity.Policies, p)
			}
			for _, d := range tc.rps {
				in.ResourcePolicies = append(in.ResourcePolicies, mustParse(t, d))
			}
			got := Decide(in)
			if got.Allowed != tc.want {
				t.Fatalf("Decide = %+v, want allowed=%v\nidentity: %v\nresource: %v", got, tc.want, tc.idp, tc.rps)
			}
			if !tc.want && !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", got.Reason, tc.reason)
			}
			if !tc.want && tc.reason == "" {
				t.Errorf("a refusal case must name its expected reason")
			}
		})
	}
}

func TestTrusts(t *testing.T) {
	provider := "arn:aws:iam::111122223333:oidc-provider/issuer.test/gh"
	trust := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+provider+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"issuer.test/gh:aud":"sts.amazonaws.com"},"StringLike":{"issuer.test/gh:sub":"repo:acme/app:*"}}}]}`)
	claims := func(sub, aud string) map[string][]string {
		return map[string][]string{"issuer.test/gh:sub": {sub}, "issuer.test/gh:aud": {aud}}
	}
	const act = "sts:AssumeRoleWithWebIdentity"
	cases := []struct {
		name      string
		federated string
		action    string
		ctx       map[string][]string
		want      bool
	}{
		{"matching sub and aud", provider, act, claims("repo:acme/app:ref:refs/heads/main", "sts.amazonaws.com"), true},
		{"sub of another repository", provider, act, claims("repo:evil/app:ref:refs/heads/main", "sts.amazonaws.com"), false},
		{"wrong audience", provider, act, claims("repo:acme/app:ref:refs/heads/main", "other"), false},
		{"no claims", provider, act, nil, false},
		{"another provider", "arn:aws:iam::111122223333:oidc-provider/other.test", act, claims("repo:acme/app:x", "sts.amazonaws.com"), false},
		{"another action", provider, "sts:AssumeRole", claims("repo:acme/app:x", "sts.amazonaws.com"), false},
		{"condition keys case-insensitive", provider, act, map[string][]string{"ISSUER.test/gh:SUB": {"repo:acme/app:x"}, "issuer.test/gh:aud": {"sts.amazonaws.com"}}, true},
	}
	for _, tc := range cases {
		if got := Trusts(trust, tc.federated, tc.action, ciRoleARN, tc.ctx); got != tc.want {
			t.Errorf("%s: Trusts = %v, want %v", tc.name, got, tc.want)
		}
	}
	deny := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+provider+`"},"Action":"sts:AssumeRoleWithWebIdentity"},{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringLike":{"issuer.test/gh:sub":"*:pull_request"}}}]}`)
	if Trusts(deny, provider, act, ciRoleARN, claims("repo:acme/app:pull_request", "x")) {
		t.Error("a Deny in the trust policy must win")
	}
	if !Trusts(deny, provider, act, ciRoleARN, claims("repo:acme/app:ref:main", "x")) {
		t.Error("the Allow applies when the Deny does not")
	}
}

func TestParseIdentity(t *testing.T) {
	if _, err := ParseIdentity(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ doc, want string }{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]}`, "Principal is not allowed"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}`, "Resource is required"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`, "Action is required"},
	} {
		_, err := ParseIdentity(bad.doc)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseIdentity(%s) = %v, want error containing %q", bad.doc, err, bad.want)
		}
	}
}
