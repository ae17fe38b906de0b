package service

import (
	"context"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// GetAuthorizationToken issues a token for a domain. duration is nil when absent;
// 0 and 900..43200 seconds are accepted; 0 means the default 12 hours, or for
// a role session its remaining time (docs/compatibility.md).
func (s *Service) GetAuthorizationToken(ctx context.Context, c Caller, ownerParam, domain string, duration *int64) (string, time.Time, error) {
	ttl := DefaultTokenDuration
	if duration != nil {
		d := time.Duration(*duration) * time.Second
		switch {
		case *duration == 0:
		case *duration < 0 || d < MinTokenDuration || d > MaxTokenDuration:
			return "", time.Time{}, apperr.Validationf("durationSeconds must be 0 or between 900 and 43200, got %d", *duration)
		default:
			ttl = d
		}
	}
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:GetAuthorizationToken")
	if err != nil {
		return "", time.Time{}, err
	}
	// AWS also requires sts:GetServiceBearerToken, an identity-only permission.
	if err := s.authorizeIdentityOnly(ctx, c, "sts:GetServiceBearerToken", "*",
		map[string][]string{"sts:AWSServiceName": {"codeartifact.amazonaws.com"}}); err != nil {
		return "", time.Time{}, err
	}
	// A session's token lives no longer than the session; 0 asks for exactly
	// the session's remaining time, as AWS documents.
	if !c.SessionExpires.IsZero() {
		left := c.SessionExpires.Sub(s.now())
		if (duration != nil && *duration == 0) || ttl > left {
			ttl = left
		}
	}
	// The session's tags go with the token, so aws:PrincipalTag conditions
	// decide the package endpoints as they decide this call.
	return s.Tokens.Issue(ctx, c.Principal, c.SessionTags, d, ttl)
}

// EndpointPath is the path of a repository's package endpoint on wharf:
// /{domain}-{owner}/{format}/{repository}/ (the host part of AWS's endpoint moved
// into the path, so one port serves every domain).
func EndpointPath(domainOwner, domain string, format model.Format, repo string) string {
	return "/" + domain + "-" + domainOwner + "/" + string(format) + "/" + repo + "/"
}

// GetRepositoryEndpoint returns the repository's endpoint URL for a format, on base
// (scheme://host[:port][/prefix], no trailing slash).
func (s *Service) GetRepositoryEndpoint(ctx context.Context, c Caller, ref RepoRef, format, endpointType, base string) (string, error) {
	if !model.ValidFormat(format) {
		return "", apperr.Validationf("format %q is not one of npm, pypi, maven, nuget, generic, ruby, swift, cargo", format)
	}
	if err := s.checkServed(model.Format(format)); err != nil {
		return "", err
	}
	if endpointType != "" && endpointType != "ipv4" && endpointType != "dualstack" {
		return "", apperr.Validationf("endpointType %q must be ipv4 or dualstack", endpointType)
	}
	r, err := s.repository(ctx, c, ref, "codeartifact:GetRepositoryEndpoint")
	if err != nil {
		return "", err
	}
	return strings.TrimRight(base, "/") + EndpointPath(r.DomainOwner, r.DomainName, model.Format(format), r.Name), nil
}
