package policy

import (
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// Identity is the requester as IAM's evaluation sees it.
type Identity struct {
	// Principal is who signed: the account root, an IAM user, or an
	// assumed-role session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION).
	Principal model.Principal
	// RoleARN is the full ARN (with path) of the role behind a session; empty
	// otherwise. When empty for a session, resource policies naming a role
	// are matched by the role's name.
	RoleARN string
	// Policies are the identity-based policies in force: the user's (inline
	// and attached) or the session's role's. The account root has none and
	// needs none.
	Policies []*Policy
	// OrgID is the organization the principal's account belongs to ("" when
	// none is configured); it answers aws:PrincipalOrgID.
	OrgID string
	// Tags are the principal's tags (a session's: its session tags over its
	// role's tags); they answer aws:PrincipalTag/KEY.
	Tags map[string]string
}

// IsRoot reports whether the identity is its account's root user.
func (id Identity) IsRoot() bool { return id.Principal.IsRoot() }

// Input is one authorization question.
type Input struct {
	Identity Identity
	Action   string // e.g. "codeartifact:PublishPackageVersion"
	Resource string // ARN of the resource acted on (a package's own ARN for package actions)
	// ResourceOwner is the account owning Resource (a domain's owner).
	ResourceOwner string
	// ResourcePolicies are the resource-based policies consulted (a domain's,
	// a repository's, a role's trust policy); nil entries are skipped.
	ResourcePolicies []*Policy
	// ResourcePolicyRequired marks policies that must allow explicitly even
	// within the account: role trust policies (and KMS key policies), IAM's
	// documented exceptions to the same-account rule.
	ResourcePolicyRequired bool
	SourceIP               string              // answers aws:SourceIp; "" when unknown
	Context                map[string][]string // further condition keys (aws:CurrentTime, ...)
}

// Result is the outcome of Decide.
type Result struct {
	Allowed bool
	// Reason says why a request is refused, worded as AWS words the tail of
	// its AccessDenied messages ("with an explicit deny in a resource-based
	// policy", "because no identity-based policy allows the X action").
	Reason string
}

// Decide is IAM's policy evaluation logic for the policy types wharf has
// (identity-based and resource-based; no SCPs, boundaries or session
// policies):
//
//  1. An explicit Deny in any applicable policy refuses.
//  2. Within the resource owner's account, an Allow in the identity's
//     policies suffices, and so does an Allow in a resource policy that names
//     the identity itself (its user ARN, its session ARN, its role's ARN, or
//     "*"). A resource policy that names only the account (the 12-digit id or
//     arn:aws:iam::ACCOUNT:root) delegates to the account: it grants nothing
//     by itself, the identity's own policies must allow.
//  3. Across accounts both sides must allow: the identity's policies in its
//     own account and a resource policy of the owner naming it or its account.
//  4. The root user of an account needs no identity policy: on its side it
//     is allowed unless explicitly denied.
func Decide(in Input) Result {
	// Who the caller is (its ARN parsed into the identities a policy may
	// name) matters only to a policy: the common package read, by an
	// account's root on a repository without policies, has none to
	// evaluate, and parsing it was half of this function's cost there.
	var who caller
	if anyPolicy(in.Identity.Policies) || anyPolicy(in.ResourcePolicies) {
		who = callerOf(in.Identity.Principal, in.Identity.RoleARN)
	}
	req := Request{Principal: in.Identity.Principal, Action: in.Action, Resource: in.Resource}
	ctx := &condContext{in: &in}

	identityAllows := in.Identity.IsRoot()
	for _, p := range in.Identity.Policies {
		d, _ := p.evaluate(&who, req, ctx)
		if d == Deny {
			return Result{Reason: "with an explicit deny in an identity-based policy"}
		}
		identityAllows = identityAllows || d == Allow
	}
	resourceAllows, resourceNames := false, false
	for _, p := range in.ResourcePolicies {
		d, direct := p.evaluate(&who, req, ctx)
		if d == Deny {
			return Result{Reason: "with an explicit deny in a resource-based policy"}
		}
		if d == Allow {
			resourceAllows = true
			resourceNames = resourceNames || direct
		}
	}

	if in.ResourcePolicyRequired && !resourceAllows {
		return Result{Reason: "because no resource-based policy allows the " + in.Action + " action"}
	}
	if in.Identity.Principal.Account == in.ResourceOwner {
		if identityAllows || resourceNames {
			return Result{Allowed: true}
		}
		return Result{Reason: "because no identity-based policy allows the " + in.Action + " action"}
	}
	switch {
	case !identityAllows:
		return Result{Reason: "because no identity-based policy allows the " + in.Action + " action"}
	case !resourceAllows:
		return Result{Reason: "because no resource-based policy allows the " + in.Action + " action"}
	}
	return Result{Allowed: true}
}

// anyPolicy reports whether ps holds a policy (absent ones are nil).
func anyPolicy(ps []*Policy) bool {
	for _, p := range ps {
		if p != nil {
			return true
		}
	}
	return false
}

// Trusts decides a role's trust policy for a caller that has no identity
// policies to consult: a web identity (federated = the OIDC provider's ARN)
// assuming the role with AssumeRoleWithWebIdentity. It allows when the trust
// policy allows and nothing denies; ctx carries the token's claims as
// condition keys ("HOST/PATH:sub", "HOST/PATH:aud", ...).
func Trusts(trust *Policy, federated, action, roleARN string, ctx map[string][]string) bool {
	lower := make(map[string][]string, len(ctx))
	for k, v := range ctx {
		lower[strings.ToLower(k)] = v
	}
	d, _ := trust.evaluate(&caller{federated: federated}, Request{Action: action, Resource: roleARN}, &condContext{m: lower, built: true})
	return d == Allow
}

// context builds the request's condition keys: the caller's, then the
// principal-derived global keys IAM sets, which callers cannot override.
func (in Input) context() map[string][]string {
	ctx := make(map[string][]string, len(in.Context)+8)
	for k, v := range in.Context {
		ctx[strings.ToLower(k)] = v
	}
	p := in.Identity.Principal
	if p.Account != "" {
		ctx["aws:principalaccount"] = []string{p.Account}
	}
	// For a session IAM's aws:PrincipalArn is the role's ARN, not the
	// session's (the session's is aws:userid-ish); for users and root it is
	// their own ARN.
	arn := p.ARN
	typ := "User"
	if a, err := model.ParseARN(p.ARN); err == nil {
		if name, ok := sessionRole(a); ok {
			typ = "AssumedRole"
			arn = in.Identity.RoleARN
			if arn == "" {
				arn = "arn:" + a.Partition + ":iam::" + a.Account + ":role/" + name
			}
		} else if a.Resource == "root" {
			typ = "Account"
		} else if user, ok := strings.CutPrefix(a.Resource, "user/"); ok {
			ctx["aws:username"] = []string{user[strings.LastIndexByte(user, '/')+1:]}
		}
	}
	if arn != "" {
		ctx["aws:principalarn"] = []string{arn}
		ctx["aws:principaltype"] = []string{typ}
	}
	if p.UserID != "" {
		ctx["aws:userid"] = []string{p.UserID}
	}
	if in.Identity.OrgID != "" {
		ctx["aws:principalorgid"] = []string{in.Identity.OrgID}
	} else {
		delete(ctx, "aws:principalorgid")
	}
	for k, v := range in.Identity.Tags {
		ctx["aws:principaltag/"+strings.ToLower(k)] = []string{v}
	}
	if in.SourceIP != "" {
		ctx["aws:sourceip"] = []string{in.SourceIP}
	}
	ctx["aws:principalisawsservice"] = []string{"false"}
	return ctx
}
