package service

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
)

// Authorize decides whether p may perform action on a domain's resource, from
// the domain's and (for repository resources) the repository's resource policies:
// an explicit Deny in either refuses; a caller of the domain owner's account is
// otherwise allowed (wharf's access keys are their account's administrators);
// another account needs an Allow (internal/policy's doc has the rule).
//
// repo is "" for domain-level actions. Put*PermissionsPolicy ignores the policy
// it replaces, as AWS does, so an owner cannot lock itself out.
func (s *Service) Authorize(ctx context.Context, p model.Principal, action, domainOwner, domain, repo string) error {
	resource := model.DomainARN(s.Region, domainOwner, domain)
	if repo != "" {
		resource = model.RepositoryARN(s.Region, domainOwner, domain, repo)
	}
	req := policy.Request{Principal: p, Action: action, Resource: resource}
	var decisions []policy.Decision
	if action != "codeartifact:PutDomainPermissionsPolicy" {
		d, err := s.evaluate(ctx, model.DomainARN(s.Region, domainOwner, domain), req)
		if err != nil {
			return err
		}
		decisions = append(decisions, d)
	}
	if repo != "" && action != "codeartifact:PutRepositoryPermissionsPolicy" {
		d, err := s.evaluate(ctx, resource, req)
		if err != nil {
			return err
		}
		decisions = append(decisions, d)
	}
	if policy.Allowed(p.Account == domainOwner, decisions...) {
		return nil
	}
	return apperr.New(apperr.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s", p.ARN, action, resource)
}

func (s *Service) evaluate(ctx context.Context, arn string, req policy.Request) (policy.Decision, error) {
	pol, err := s.Store.GetPolicy(ctx, arn)
	if apperr.Is(err, apperr.NotFound) {
		return policy.NotApplicable, nil
	}
	if err != nil {
		return policy.NotApplicable, err
	}
	parsed, err := policy.Parse(pol.Document)
	if err != nil {
		// A stored policy was valid when put; one that no longer parses must not
		// open access, so it counts as a deny.
		return policy.Deny, nil
	}
	return parsed.Evaluate(req), nil
}

// authorizeResource authorizes action on a domain or repository ARN.
func (s *Service) authorizeResource(ctx context.Context, c Caller, action, domainOwner, resourceARN string) error {
	a, err := model.ParseARN(resourceARN)
	if err != nil {
		return apperr.Validationf("invalid resource ARN %q", resourceARN)
	}
	parts := strings.Split(a.Resource, "/")
	switch {
	case len(parts) == 2 && parts[0] == "domain":
		return s.Authorize(ctx, c.Principal, action, domainOwner, parts[1], "")
	case len(parts) == 3 && parts[0] == "repository":
		return s.Authorize(ctx, c.Principal, action, domainOwner, parts[1], parts[2])
	}
	return apperr.Validationf("resource %q is not a domain or repository", resourceARN)
}
