package service

import (
	"context"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
)

// IdentityLoader loads what IAM's evaluation needs about a caller: its
// identity-based policies and tags (iam.Service.Identity is one).
type IdentityLoader func(ctx context.Context, p model.Principal, roleARN string, sessionTags map[string]string) (policy.Identity, error)

// Authorize decides whether c may perform action on a domain's resource (a
// repository when repo is set). It is the package endpoints' entry: their
// caller comes from an authorization token (principal and session tags) and
// the connection (source address).
func (s *Service) Authorize(ctx context.Context, c Caller, action, domainOwner, domain, repo string) error {
	if repo == "" {
		return s.AuthorizeCaller(ctx, c, action, domainOwner, domain, repo, model.DomainARN(s.Region, domainOwner, domain))
	}
	// The repository's ARN is both the resource and the key of its policy:
	// built once (every package request is authorized here).
	arn := model.RepositoryARN(s.Region, domainOwner, domain, repo)
	return s.authorizeCaller(ctx, c, action, domainOwner, domain, repo, arn, arn)
}

// AuthorizePackage decides a package-level action on the package's own ARN,
// as CodeArtifact does (so a policy denying package/DOMAIN/REPO/npm/*
// applies).
func (s *Service) AuthorizePackage(ctx context.Context, c Caller, action string, repo model.Repository, format model.Format, namespace, name string) error {
	arn := model.PackageARN(s.Region, repo.DomainOwner, repo.DomainName, repo.Name, format, namespace, name)
	return s.AuthorizeCaller(ctx, c, action, repo.DomainOwner, repo.DomainName, repo.Name, arn)
}

// AuthorizeCaller is IAM's decision (policy.Decide) for a CodeArtifact
// action on resource, which lies in domainOwner's domain (and in repo when
// set): the caller's identity policies, the domain's resource policy, and for
// repository and package resources the repository's. Put*PermissionsPolicy
// ignores the policy it replaces, as AWS does, so an owner cannot lock
// itself out (it still needs its own identity permission for the Put).
//
// Without an identity loader (Service.Identities nil) identity policies are
// not modelled and a same-account caller counts as its account's
// administrator: the rule before wharf had IAM, kept for embedders.
func (s *Service) AuthorizeCaller(ctx context.Context, c Caller, action, domainOwner, domain, repo, resource string) error {
	repoARN := ""
	if repo != "" {
		repoARN = model.RepositoryARN(s.Region, domainOwner, domain, repo)
	}
	return s.authorizeCaller(ctx, c, action, domainOwner, domain, repo, repoARN, resource)
}

// authorizeCaller is AuthorizeCaller given the repository's ARN (when repo is
// set), which the caller may have built already.
func (s *Service) authorizeCaller(ctx context.Context, c Caller, action, domainOwner, domain, repo, repoARN, resource string) error {
	var room [2]*policy.Policy
	pols := room[:0]
	if action != "codeartifact:PutDomainPermissionsPolicy" {
		p, err := s.resourcePolicy(ctx, model.DomainARN(s.Region, domainOwner, domain))
		if err != nil {
			return err
		}
		pols = append(pols, p)
	}
	if repo != "" && action != "codeartifact:PutRepositoryPermissionsPolicy" {
		p, err := s.resourcePolicy(ctx, repoARN)
		if err != nil {
			return err
		}
		pols = append(pols, p)
	}
	return s.decide(ctx, c, action, resource, domainOwner, pols, nil)
}

// decide runs policy.Decide and words a refusal as AWS does.
func (s *Service) decide(ctx context.Context, c Caller, action, resource, owner string, pols []*policy.Policy, extra map[string][]string) error {
	return s.decideFor(ctx, c, action, resource, owner, pols, false, extra)
}

// AuthorizeKMS decides a kms: action on a key of wharf's KMS as KMS does:
// the key policy must allow, by naming the caller (or "*") or by naming its
// account, which delegates to the caller's identity policies (the default
// key policy's "Enable IAM User Permissions" statement); an explicit Deny in
// either refuses. A key policy that no longer parses allows nothing.
func (s *Service) AuthorizeKMS(ctx context.Context, c Caller, action string, key model.KMSKey) error {
	pol, err := policy.ParseKey(key.Policy)
	if err != nil {
		pol = denyAll
	}
	return s.decideFor(ctx, c, action, key.ARN(), key.Account, []*policy.Policy{pol}, true, nil)
}

// kmsAuthorizer is AuthorizeKMS when IAM is modelled (Identities set), nil
// otherwise (embedders: a caller uses its own account's keys).
func (s *Service) kmsAuthorizer() func(ctx context.Context, c Caller, action string, key model.KMSKey) error {
	if s.Identities == nil {
		return nil
	}
	return s.AuthorizeKMS
}

// AuthorizeIdentity decides an action that only identity policies govern,
// on resource in the caller's own account (kms:CreateKey, kms:ListKeys,
// kms:ListAliases, an alias's side of kms:CreateAlias).
func (s *Service) AuthorizeIdentity(ctx context.Context, c Caller, action, resource string) error {
	return s.authorizeIdentityOnly(ctx, c, action, resource, nil)
}

func (s *Service) decideFor(ctx context.Context, c Caller, action, resource, owner string, pols []*policy.Policy, required bool, extra map[string][]string) error {
	if s.Identities == nil {
		req := policy.Request{Principal: c.Principal, Action: action, Resource: resource}
		var ds []policy.Decision
		for _, p := range pols {
			ds = append(ds, p.Evaluate(req))
		}
		allowed := policy.Allowed(c.Principal.Account == owner, ds...)
		if required {
			allowed = policy.Merge(ds...) == policy.Allow
		}
		if allowed {
			return nil
		}
		return apperr.New(apperr.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s", c.Principal.ARN, action, resource)
	}
	id, err := s.Identities(ctx, c.Principal, c.RoleARN, c.SessionTags)
	if apperr.Is(err, apperr.AccessDenied) {
		return apperr.New(apperr.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s because %s", c.Principal.ARN, action, resource, apperr.As(err).Message)
	}
	if err != nil {
		return err
	}
	id.OrgID = s.OrgID
	res := policy.Decide(policy.Input{Identity: id, Action: action, Resource: resource, ResourceOwner: owner,
		ResourcePolicies: pols, ResourcePolicyRequired: required, SourceIP: c.SourceIP, Context: extra})
	if res.Allowed {
		return nil
	}
	return apperr.New(apperr.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s %s", c.Principal.ARN, action, resource, res.Reason)
}

// denyAll stands in for a stored policy that no longer parses: it must not
// open access.
var denyAll = &policy.Policy{Statements: []policy.Statement{{Effect: policy.EffectDeny, Principals: policy.Principals{Any: true}, Actions: []string{"*"}}}}

func (s *Service) resourcePolicy(ctx context.Context, arn string) (*policy.Policy, error) {
	pol, err := s.Store.GetPolicy(ctx, arn)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.parsed.parse(pol.Document), nil
}

// parsedPolicies memoizes policy.Parse by the document's text: a resource
// policy is read from the cached store on every authorized request, and
// parsing its JSON each time cost more than the decision. Parsing is a pure
// function of the text, so an entry can never be stale: a changed policy is
// a different text (its own entry). Parsed policies are only read.
type parsedPolicies struct {
	mu sync.RWMutex
	m  map[string]*policy.Policy
}

// maxParsedPolicies bounds the memo by count (the domains' and repositories'
// policies in use); it is cleared when full.
const maxParsedPolicies = 1024

func (pp *parsedPolicies) parse(doc string) *policy.Policy {
	pp.mu.RLock()
	p, ok := pp.m[doc]
	pp.mu.RUnlock()
	if ok {
		return p
	}
	p, err := policy.Parse(doc)
	if err != nil {
		p = denyAll // unparsable now must not open access
	}
	pp.mu.Lock()
	if pp.m == nil || len(pp.m) >= maxParsedPolicies {
		pp.m = map[string]*policy.Policy{}
	}
	pp.m[doc] = p
	pp.mu.Unlock()
	return p
}

// authorizeIdentityOnly decides an action no CodeArtifact resource policy
// governs (CreateDomain, sts:GetServiceBearerToken): the caller's own
// account, its identity policies.
func (s *Service) authorizeIdentityOnly(ctx context.Context, c Caller, action, resource string, extra map[string][]string) error {
	return s.decide(ctx, c, action, resource, c.Principal.Account, nil, extra)
}

// authorizeResource authorizes action on a domain, repository or package ARN.
func (s *Service) authorizeResource(ctx context.Context, c Caller, action, domainOwner, resourceARN string) error {
	a, err := model.ParseARN(resourceARN)
	if err != nil {
		return apperr.Validationf("invalid resource ARN %q", resourceARN)
	}
	parts := strings.Split(a.Resource, "/")
	switch {
	case len(parts) == 2 && parts[0] == "domain":
		return s.AuthorizeCaller(ctx, c, action, domainOwner, parts[1], "", resourceARN)
	case len(parts) == 3 && parts[0] == "repository":
		return s.AuthorizeCaller(ctx, c, action, domainOwner, parts[1], parts[2], resourceARN)
	case len(parts) >= 6 && parts[0] == "package":
		return s.AuthorizeCaller(ctx, c, action, domainOwner, parts[1], parts[2], resourceARN)
	}
	return apperr.Validationf("resource %q is not a domain, repository or package", resourceARN)
}

// AuthorizeIAM decides an IAM API action on an IAM resource of the caller's
// own account (IAM has no resource policies besides trust policies, which
// govern only sts:AssumeRole*): identity policies, the root always.
func (s *Service) AuthorizeIAM(ctx context.Context, c Caller, action, resource string) error {
	return s.authorizeIdentityOnly(ctx, c, action, resource, nil)
}
