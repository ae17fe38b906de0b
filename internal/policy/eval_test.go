package policy

import (
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

const (
	acctA     = "111122223333"
	acctB     = "444455556666"
	domainARN = "arn:aws:codeartifact:us-east-1:111122223333:domain/corp"
	repoARN   = "arn:aws:codeartifact:us-east-1:111122223333:repository/corp/npm-store"
	read      = "codeartifact:ReadFromRepository"
	publish   = "codeartifact:PublishPackageVersion"
)

var (
	alice   = model.Principal{Account: acctA, ARN: "arn:aws:iam::111122223333:user/alice"}
	bob     = model.Principal{Account: acctA, ARN: "arn:aws:iam::111122223333:user/bob"}
	rootA   = model.Principal{Account: acctA, ARN: "arn:aws:iam::111122223333:root"}
	session = model.Principal{Account: acctA, ARN: "arn:aws:sts::111122223333:assumed-role/ci-publish/build-42"}
	carol   = model.Principal{Account: acctB, ARN: "arn:aws:iam::444455556666:user/carol"}
)

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

// doc builds a one-or-more-statement policy from statement bodies.
func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[{` + strings.Join(stmts, `},{`) + `}]}`
}

func TestEvaluate(t *testing.T) {
	req := func(p model.Principal, action, resource string) Request {
		return Request{Principal: p, Action: action, Resource: resource}
	}
	withCtx := func(r Request, kv ...string) Request {
		r.Context = map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			r.Context[kv[i]] = append(r.Context[kv[i]], kv[i+1])
		}
		return r
	}
	allowAll := `"Effect":"Allow","Principal":"*","Action":"*"`
	cases := []struct {
		name string
		doc  string
		req  Request
		want Decision
	}{
		// Effects and their combination.
		{"allow", doc(allowAll), req(carol, read, repoARN), Allow},
		{"deny overrides allow", doc(allowAll, `"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"codeartifact:Read*"`), req(carol, read, repoARN), Deny},
		{"deny first then allow still deny", doc(`"Effect":"Deny","Principal":"*","Action":"codeartifact:ReadFromRepository"`, allowAll), req(alice, read, repoARN), Deny},
		{"deny for someone else leaves allow", doc(allowAll, `"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"*"`), req(alice, read, repoARN), Allow},
		{"nothing applies", doc(`"Effect":"Allow","Principal":"*","Action":"codeartifact:DescribeDomain"`), req(alice, read, repoARN), NotApplicable},

		// Actions: case-insensitive, wildcards, NotAction.
		{"action case-insensitive", doc(`"Effect":"Allow","Principal":"*","Action":"CodeArtifact:readfromrepository"`), req(alice, read, repoARN), Allow},
		{"action star suffix", doc(`"Effect":"Allow","Principal":"*","Action":"codeartifact:Read*"`), req(alice, read, repoARN), Allow},
		{"action question mark", doc(`"Effect":"Allow","Principal":"*","Action":"codeartifact:?eadFromRepositor?"`), req(alice, read, repoARN), Allow},
		{"action question mark needs one char", doc(`"Effect":"Allow","Principal":"*","Action":"codeartifact:ReadFromRepository?"`), req(alice, read, repoARN), NotApplicable},
		{"action other service", doc(`"Effect":"Allow","Principal":"*","Action":"s3:*"`), req(alice, read, repoARN), NotApplicable},
		{"action list second entry", doc(`"Effect":"Allow","Principal":"*","Action":["codeartifact:Describe*","codeartifact:Read*"]`), req(alice, read, repoARN), Allow},
		{"notaction excludes", doc(`"Effect":"Allow","Principal":"*","NotAction":"codeartifact:Read*"`), req(alice, read, repoARN), NotApplicable},
		{"notaction includes others", doc(`"Effect":"Allow","Principal":"*","NotAction":"codeartifact:Read*"`), req(alice, publish, repoARN), Allow},
		{"deny with notaction", doc(allowAll, `"Effect":"Deny","Principal":"*","NotAction":["codeartifact:Get*","codeartifact:Read*"]`), req(alice, publish, repoARN), Deny},
		{"deny with notaction spares listed", doc(allowAll, `"Effect":"Deny","Principal":"*","NotAction":["codeartifact:Get*","codeartifact:Read*"]`), req(alice, read, repoARN), Allow},

		// Resources: case-sensitive, wildcards, absent, NotResource.
		{"resource absent matches", doc(`"Effect":"Allow","Principal":"*","Action":"*"`), req(alice, read, repoARN), Allow},
		{"resource exact", doc(`"Effect":"Allow","Principal":"*","Action":"*","Resource":"` + repoARN + `"`), req(alice, read, repoARN), Allow},
		{"resource wildcard", doc(`"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:codeartifact:*:111122223333:repository/corp/*"`), req(alice, read, repoARN), Allow},
		{"resource question mark", doc(`"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:codeartifact:us-east-?:111122223333:repository/corp/npm-stor?"`), req(alice, read, repoARN), Allow},
		{"resource case-sensitive", doc(`"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:codeartifact:us-east-1:111122223333:repository/corp/NPM-store"`), req(alice, read, repoARN), NotApplicable},
		{"resource other repo", doc(`"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:codeartifact:*:*:repository/corp/pypi-*"`), req(alice, read, repoARN), NotApplicable},
		{"resource domain only", doc(`"Effect":"Allow","Principal":"*","Action":"*","Resource":"` + domainARN + `"`), req(alice, read, repoARN), NotApplicable},
		{"notresource excludes", doc(`"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:codeartifact:*:*:repository/*"`), req(alice, read, repoARN), NotApplicable},
		{"notresource includes others", doc(`"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:codeartifact:*:*:repository/*"`), req(alice, "codeartifact:DescribeDomain", domainARN), Allow},

		// Principals.
		{"principal star string", doc(`"Effect":"Allow","Principal":"*","Action":"*"`), req(carol, read, repoARN), Allow},
		{"principal AWS star", doc(`"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"`), req(carol, read, repoARN), Allow},
		{"account id matches user", doc(`"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*"`), req(alice, read, repoARN), Allow},
		{"account id matches root", doc(`"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*"`), req(rootA, read, repoARN), Allow},
		{"account id matches role session", doc(`"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*"`), req(session, read, repoARN), Allow},
		{"account id other account", doc(`"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*"`), req(carol, read, repoARN), NotApplicable},
		{"root arn matches every principal of account", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"*"`), req(carol, read, repoARN), Allow},
		{"root arn other account", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"*"`), req(alice, read, repoARN), NotApplicable},
		{"user arn exact", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*"`), req(alice, read, repoARN), Allow},
		{"user arn not another user", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*"`), req(bob, read, repoARN), NotApplicable},
		{"user arn not account root", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*"`), req(rootA, read, repoARN), NotApplicable},
		{"user arn case-sensitive", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/Alice"},"Action":"*"`), req(alice, read, repoARN), NotApplicable},
		{"role arn matches its session", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci/ci-publish"},"Action":"*"`), req(session, publish, repoARN), Allow},
		{"other role does not match session", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci-read"},"Action":"*"`), req(session, publish, repoARN), NotApplicable},
		{"session arn exact", doc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/ci-publish/build-42"},"Action":"*"`), req(session, publish, repoARN), Allow},
		{"principal list", doc(`"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/bob","444455556666"]},"Action":"*"`), req(carol, read, repoARN), Allow},
		{"service principal never matches a caller", doc(`"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"*"`), req(alice, read, repoARN), NotApplicable},
		{"notprincipal account exempts its users", doc(`"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"*"`), req(rootA, read, repoARN), NotApplicable},
		{"notprincipal denies other accounts", doc(allowAll, `"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"*"`), req(carol, read, repoARN), Deny},
		{"notprincipal user alone does not exempt it", doc(allowAll, `"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*"`), req(alice, read, repoARN), Deny},
		{"notprincipal user and account exempt it", doc(allowAll, `"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},"Action":"*"`), req(alice, read, repoARN), Allow},
		{"notprincipal user and account do not exempt another user", doc(allowAll, `"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"Action":"*"`), req(bob, read, repoARN), Deny},

		// Conditions.
		{"StringEquals holds", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}`), withCtx(req(carol, read, repoARN), "aws:PrincipalOrgID", "o-123"), Allow},
		{"StringEquals key case-insensitive", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"AWS:principalorgid":"o-123"}}`), withCtx(req(carol, read, repoARN), "aws:PrincipalOrgID", "o-123"), Allow},
		{"StringEquals value case-sensitive", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"O-123"}}`), withCtx(req(carol, read, repoARN), "aws:PrincipalOrgID", "o-123"), NotApplicable},
		{"StringEquals missing key", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}`), req(carol, read, repoARN), NotApplicable},
		{"StringEquals any of values", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-1","o-123"]}}`), withCtx(req(carol, read, repoARN), "aws:PrincipalOrgID", "o-123"), Allow},
		{"StringEqualsIfExists missing key", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-123"}}`), req(carol, read, repoARN), Allow},
		{"StringEqualsIfExists present mismatch", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-123"}}`), withCtx(req(carol, read, repoARN), "aws:PrincipalOrgID", "o-9"), NotApplicable},
		{"StringNotEquals mismatch holds", doc(`"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-123"}}`), withCtx(req(carol, read, repoARN), "aws:PrincipalOrgID", "o-9"), Deny},
		{"StringNotEquals equal does not hold", doc(`"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":["o-1","o-123"]}}`), withCtx(req(carol, read, repoARN), "aws:PrincipalOrgID", "o-123"), NotApplicable},
		{"StringNotEquals missing key holds", doc(`"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-123"}}`), req(carol, read, repoARN), Deny},
		{"StringNotEqualsIfExists missing key holds", doc(`"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-123"}}`), req(carol, read, repoARN), Deny},
		{"StringLike wildcard", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/car?l"}}`), req(carol, read, repoARN), Allow},
		{"StringLike case-sensitive", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/Carol"}}`), req(carol, read, repoARN), NotApplicable},
		{"StringNotLike", doc(allowAll, `"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}`), req(carol, read, repoARN), Deny},
		{"StringNotLike spares match", doc(allowAll, `"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}`), req(alice, read, repoARN), Allow},
		{"StringEqualsIgnoreCase", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEqualsIgnoreCase":{"aws:PrincipalOrgID":"O-ABC"}}`), withCtx(req(carol, read, repoARN), "aws:PrincipalOrgID", "o-abc"), Allow},
		{"PrincipalAccount from request", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":["444455556666"]}}`), req(carol, read, repoARN), Allow},
		{"ArnLike per component", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::444455556666:user/*"}}`), req(carol, read, repoARN), Allow},
		{"ArnEquals wildcard does not cross colon", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:*:user/carol"}}`), req(carol, read, repoARN), NotApplicable},
		{"ArnNotLike", doc(allowAll, `"Effect":"Deny","Principal":"*","Action":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}`), req(carol, read, repoARN), Deny},
		{"Bool true", doc(allowAll, `"Effect":"Deny","Principal":"*","Action":"*","Condition":{"Bool":{"aws:SecureTransport":false}}`), withCtx(req(alice, read, repoARN), "aws:SecureTransport", "false"), Deny},
		{"Bool mismatch", doc(allowAll, `"Effect":"Deny","Principal":"*","Action":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}`), withCtx(req(alice, read, repoARN), "aws:SecureTransport", "TRUE"), Allow},
		{"BoolIfExists missing", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`), req(alice, read, repoARN), Allow},
		{"Bool missing", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), req(alice, read, repoARN), NotApplicable},
		{"Null true on missing key", doc(allowAll, `"Effect":"Deny","Principal":"*","Action":"*","Condition":{"Null":{"aws:PrincipalOrgID":"true"}}`), req(alice, read, repoARN), Deny},
		{"Null false on missing key", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Null":{"aws:PrincipalOrgID":"false"}}`), req(alice, read, repoARN), NotApplicable},
		{"all operators must hold", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"a:x":"1"},"StringLike":{"a:y":"2*"}}`), withCtx(req(alice, read, repoARN), "a:x", "1", "a:y", "3"), NotApplicable},
		{"all keys must hold", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"a:x":"1","a:y":"2"}}`), withCtx(req(alice, read, repoARN), "a:x", "1", "a:y", "2"), Allow},
		{"ForAnyValue one matches", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`), withCtx(req(alice, read, repoARN), "aws:TagKeys", "owner", "aws:TagKeys", "env"), Allow},
		{"ForAnyValue missing key", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`), req(alice, read, repoARN), NotApplicable},
		{"ForAllValues all match", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["team*","env"]}}`), withCtx(req(alice, read, repoARN), "aws:TagKeys", "teamA", "aws:TagKeys", "env"), Allow},
		{"ForAllValues one stranger", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["team*","env"]}}`), withCtx(req(alice, read, repoARN), "aws:TagKeys", "teamA", "aws:TagKeys", "owner"), NotApplicable},
		{"ForAllValues missing key is vacuous", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"env"}}`), req(alice, read, repoARN), Allow},
		{"NumericLessThan", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}`), withCtx(req(alice, read, repoARN), "aws:MultiFactorAuthAge", "120"), Allow},
		{"NumericGreaterThan false", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":3600}}`), withCtx(req(alice, read, repoARN), "aws:MultiFactorAuthAge", "120"), NotApplicable},
		{"DateLessThan", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`), withCtx(req(alice, read, repoARN), "aws:CurrentTime", "2026-05-01T12:00:00Z"), Allow},
		{"IpAddress in range", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.7"]}}`), withCtx(req(alice, read, repoARN), "aws:SourceIp", "192.0.2.7"), Allow},
		{"NotIpAddress outside", doc(allowAll, `"Effect":"Deny","Principal":"*","Action":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), withCtx(req(alice, read, repoARN), "aws:SourceIp", "198.51.100.1"), Deny},

		// Fail closed on conditions wharf cannot decide.
		{"unevaluable allow does not grant", doc(`"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NumericLessThan":{"a:n":"ten"}}`), withCtx(req(alice, read, repoARN), "a:n", "3"), NotApplicable},
		{"unevaluable deny denies", doc(allowAll, `"Effect":"Deny","Principal":"*","Action":"*","Condition":{"IpAddress":{"aws:SourceIp":"not-an-ip"}}`), withCtx(req(alice, read, repoARN), "aws:SourceIp", "10.0.0.1"), Deny},
		{"unevaluable deny still needs its principal", doc(allowAll, `"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"*","Condition":{"IpAddress":{"aws:SourceIp":"not-an-ip"}}`), withCtx(req(alice, read, repoARN), "aws:SourceIp", "10.0.0.1"), Allow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustParse(t, tc.doc).Evaluate(tc.req); got != tc.want {
				t.Errorf("Evaluate = %v, want %v\npolicy: %s", got, tc.want, tc.doc)
			}
		})
	}
}

// A statement built by hand with an operator Parse would refuse must fail
// closed too: never grant, always deny.
func TestEvaluateUnknownOperatorFailsClosed(t *testing.T) {
	cond := []Condition{{Operator: "StringSoundsLike", Key: "a:x", Values: []string{"y"}}}
	r := Request{Principal: alice, Action: read, Resource: repoARN, Context: map[string][]string{"a:x": {"y"}}}
	allow := &Policy{Statements: []Statement{{Effect: EffectAllow, Principals: Principals{Any: true}, Actions: []string{"*"}, Conditions: cond}}}
	if got := allow.Evaluate(r); got != NotApplicable {
		t.Errorf("allow with unknown operator = %v, want NotApplicable", got)
	}
	deny := &Policy{Statements: []Statement{{Effect: EffectDeny, Principals: Principals{Any: true}, Actions: []string{"*"}, Conditions: cond}}}
	if got := deny.Evaluate(r); got != Deny {
		t.Errorf("deny with unknown operator = %v, want Deny", got)
	}
}

func TestEvaluateNilPolicy(t *testing.T) {
	var p *Policy
	if got := p.Evaluate(Request{Principal: alice, Action: read, Resource: repoARN}); got != NotApplicable {
		t.Errorf("nil policy = %v", got)
	}
}

// The Terraform module's example repository policy (examples/complete), as Terraform renders it.
func TestEvaluateModuleExampleRepositoryPolicy(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"PublishFromCI","Effect":"Allow","Action":["codeartifact:PublishPackageVersion","codeartifact:PutPackageMetadata"],"Resource":"*","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci-publish"}},{"Sid":"ReadForOrg","Effect":"Allow","Action":["codeartifact:ReadFromRepository","codeartifact:GetPackageVersionAsset"],"Resource":"*","Principal":{"AWS":"111122223333"}}]}`)
	cases := []struct {
		who    model.Principal
		action string
		want   Decision
	}{
		{session, publish, Allow},
		{alice, publish, NotApplicable},
		{alice, read, Allow},
		{session, "codeartifact:GetPackageVersionAsset", Allow},
		{carol, read, NotApplicable},
	}
	for _, tc := range cases {
		if got := p.Evaluate(Request{Principal: tc.who, Action: tc.action, Resource: repoARN}); got != tc.want {
			t.Errorf("%s %s = %v, want %v", tc.who.ARN, tc.action, got, tc.want)
		}
	}
}

func TestMergeAndAllowed(t *testing.T) {
	cases := []struct {
		same bool
		ds   []Decision
		want bool
		merg Decision
	}{
		{true, nil, true, NotApplicable},   // owner account, no policies
		{false, nil, false, NotApplicable}, // cross-account, no policies
		{true, []Decision{NotApplicable, NotApplicable}, true, NotApplicable},
		{false, []Decision{NotApplicable, NotApplicable}, false, NotApplicable},
		{false, []Decision{Allow, NotApplicable}, true, Allow},      // domain policy allows
		{false, []Decision{NotApplicable, Allow}, true, Allow},      // repository policy allows
		{false, []Decision{Allow, Deny}, false, Deny},               // deny in either wins
		{true, []Decision{Deny, NotApplicable}, false, Deny},        // owner can be denied
		{true, []Decision{NotApplicable, Deny, Allow}, false, Deny}, // deny wins regardless of order
	}
	for _, tc := range cases {
		if got := Merge(tc.ds...); got != tc.merg {
			t.Errorf("Merge(%v) = %v, want %v", tc.ds, got, tc.merg)
		}
		if got := Allowed(tc.same, tc.ds...); got != tc.want {
			t.Errorf("Allowed(%v, %v) = %v, want %v", tc.same, tc.ds, got, tc.want)
		}
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{Allow: "Allow", Deny: "Deny", NotApplicable: "NotApplicable"} {
		if d.String() != want {
			t.Errorf("%d.String() = %q", d, d.String())
		}
	}
}
