package service

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// taggable resolves a resource ARN to an existing domain or repository.
func (s *Service) taggable(ctx context.Context, c Caller, arn, action string) error {
	a, err := model.ParseARN(arn)
	if err != nil || a.Service != "codeartifact" {
		return apperr.Validationf("resourceArn %q is not a CodeArtifact ARN", arn)
	}
	parts := strings.Split(a.Resource, "/")
	switch {
	case parts[0] == "domain" && len(parts) == 2:
		_, err = s.domain(ctx, c, a.Account, parts[1], action)
	case parts[0] == "repository" && len(parts) == 3:
		_, err = s.repository(ctx, c, RepoRef{DomainOwner: a.Account, Domain: parts[1], Repository: parts[2]}, action)
	case parts[0] == "package-group" && len(parts) >= 3:
		// package-group/DOMAIN followed by the pattern, which starts with "/".
		_, rest, _ := strings.Cut(a.Resource, "/")
		domain, pattern, _ := strings.Cut(rest, "/")
		_, _, err = s.groupIn(ctx, c, a.Account, domain, "/"+pattern, action)
		if err == nil && model.PackageGroupARN(a.Region, a.Account, domain, "/"+pattern) != arn {
			// Only a group's canonical ARN carries its tags.
			err = apperr.NotFoundf("package-group", pattern, "Package group not found: %s", arn)
		}
	default:
		return apperr.Validationf("resourceArn %q does not name a taggable resource (a domain, a repository or a package group)", arn)
	}
	if err != nil {
		return err
	}
	if a.Region != s.Region {
		return apperr.NotFoundf("", "", "Resource not found in region %s: %s", s.Region, arn)
	}
	return nil
}

// ListTagsForResource returns a resource's tags, ordered by key.
func (s *Service) ListTagsForResource(ctx context.Context, c Caller, arn string) ([]model.Tag, error) {
	if err := s.taggable(ctx, c, arn, "codeartifact:ListTagsForResource"); err != nil {
		return nil, err
	}
	return s.Store.ListTags(ctx, arn)
}

// TagResource adds or overwrites tags, keeping the total within the limit.
func (s *Service) TagResource(ctx context.Context, c Caller, arn string, tags []model.Tag) error {
	if err := validTags(tags); err != nil {
		return err
	}
	if err := s.taggable(ctx, c, arn, "codeartifact:TagResource"); err != nil {
		return err
	}
	cur, err := s.Store.ListTags(ctx, arn)
	if err != nil {
		return err
	}
	keys := map[string]bool{}
	for _, t := range cur {
		keys[t.Key] = true
	}
	for _, t := range tags {
		keys[t.Key] = true
	}
	if len(keys) > MaxTagsPerResource {
		return apperr.New(apperr.QuotaExceeded, "A resource can have at most %d tags", MaxTagsPerResource)
	}
	return s.Store.SetTags(ctx, arn, tags)
}

// UntagResource removes tags by key; absent keys are ignored.
func (s *Service) UntagResource(ctx context.Context, c Caller, arn string, keys []string) error {
	if err := validTagKeys(keys); err != nil {
		return err
	}
	if err := s.taggable(ctx, c, arn, "codeartifact:UntagResource"); err != nil {
		return err
	}
	return s.Store.RemoveTags(ctx, arn, keys)
}
