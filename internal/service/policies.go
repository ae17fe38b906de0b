package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// newRevision returns a fresh opaque policy revision.
func newRevision() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func (s *Service) validatePolicy(doc string) error {
	if doc == "" {
		return apperr.Validationf("policyDocument is required")
	}
	if len([]rune(doc)) > MaxPolicyDocument {
		return apperr.Validationf("policyDocument must be at most %d characters", MaxPolicyDocument)
	}
	if s.Validate != nil {
		return s.Validate(doc)
	}
	return nil
}

// putPolicy stores a policy under the optimistic lock: a given revision must match
// the current one; no revision means "create" when none exists or "overwrite" when
// one does (what the CLI does when --policy-revision is not passed).
func (s *Service) putPolicy(ctx context.Context, arn, doc, revision, typ, name string) (model.Policy, error) {
	if err := validPolicyRevision(revision); err != nil {
		return model.Policy{}, err
	}
	if err := s.validatePolicy(doc); err != nil {
		return model.Policy{}, err
	}
	expected := revision
	if expected == "" {
		cur, err := s.Store.GetPolicy(ctx, arn)
		switch {
		case err == nil:
			expected = cur.Revision
		case !apperr.Is(err, apperr.NotFound):
			return model.Policy{}, err
		}
	}
	p := model.Policy{ResourceARN: arn, Document: doc, Revision: newRevision()}
	if err := s.Store.PutPolicy(ctx, p, expected); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return model.Policy{}, apperr.Conflictf(typ, name, "The policy revision %q does not match the current revision of the policy on %s; read the policy again and retry", revision, arn)
		}
		return model.Policy{}, err
	}
	return p, nil
}

func (s *Service) getPolicy(ctx context.Context, arn, typ, name string) (model.Policy, error) {
	p, err := s.Store.GetPolicy(ctx, arn)
	if apperr.Is(err, apperr.NotFound) {
		return model.Policy{}, apperr.NotFoundf(typ, name, "No resource policy is attached to %s %s", typ, name)
	}
	return p, err
}

func (s *Service) deletePolicy(ctx context.Context, arn, revision, typ, name string) (model.Policy, error) {
	if err := validPolicyRevision(revision); err != nil {
		return model.Policy{}, err
	}
	p, err := s.Store.DeletePolicy(ctx, arn, revision)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return model.Policy{}, apperr.NotFoundf(typ, name, "No resource policy is attached to %s %s", typ, name)
	case apperr.Is(err, apperr.Conflict):
		return model.Policy{}, apperr.Conflictf(typ, name, "The policy revision %q does not match the current revision of the policy on %s", revision, arn)
	}
	return p, err
}

// PutDomainPermissionsPolicy attaches a resource policy to a domain.
func (s *Service) PutDomainPermissionsPolicy(ctx context.Context, c Caller, ownerParam, domain, revision, doc string) (model.Policy, error) {
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:PutDomainPermissionsPolicy")
	if err != nil {
		return model.Policy{}, err
	}
	p, err := s.putPolicy(ctx, d.ARN(), doc, revision, "domain", d.Name)
	s.recordPolicy(ctx, err, model.AuditPolicy, d.Owner, d.Name, "", p)
	return p, err
}

// recordPolicy adds a policy change to the audit trail when it succeeded.
func (s *Service) recordPolicy(ctx context.Context, err error, action, owner, domain, repo string, p model.Policy) {
	if err != nil {
		return
	}
	s.record(ctx, model.AuditRecord{Action: action, DomainOwner: owner, DomainName: domain, Repository: repo,
		Detail: model.AuditDetail{ResourceARN: p.ResourceARN, PolicyRevision: p.Revision}})
}

// GetDomainPermissionsPolicy returns a domain's resource policy.
func (s *Service) GetDomainPermissionsPolicy(ctx context.Context, c Caller, ownerParam, domain string) (model.Policy, error) {
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:GetDomainPermissionsPolicy")
	if err != nil {
		return model.Policy{}, err
	}
	return s.getPolicy(ctx, d.ARN(), "domain", d.Name)
}

// DeleteDomainPermissionsPolicy removes a domain's resource policy.
func (s *Service) DeleteDomainPermissionsPolicy(ctx context.Context, c Caller, ownerParam, domain, revision string) (model.Policy, error) {
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:DeleteDomainPermissionsPolicy")
	if err != nil {
		return model.Policy{}, err
	}
	p, err := s.deletePolicy(ctx, d.ARN(), revision, "domain", d.Name)
	s.recordPolicy(ctx, err, model.AuditDeletePolicy, d.Owner, d.Name, "", p)
	return p, err
}

// PutRepositoryPermissionsPolicy attaches a resource policy to a repository.
func (s *Service) PutRepositoryPermissionsPolicy(ctx context.Context, c Caller, ref RepoRef, revision, doc string) (model.Policy, error) {
	r, err := s.repository(ctx, c, ref, "codeartifact:PutRepositoryPermissionsPolicy")
	if err != nil {
		return model.Policy{}, err
	}
	p, err := s.putPolicy(ctx, r.ARN(), doc, revision, "repository", r.Name)
	s.recordPolicy(ctx, err, model.AuditPolicy, r.DomainOwner, r.DomainName, r.Name, p)
	return p, err
}

// GetRepositoryPermissionsPolicy returns a repository's resource policy.
func (s *Service) GetRepositoryPermissionsPolicy(ctx context.Context, c Caller, ref RepoRef) (model.Policy, error) {
	r, err := s.repository(ctx, c, ref, "codeartifact:GetRepositoryPermissionsPolicy")
	if err != nil {
		return model.Policy{}, err
	}
	return s.getPolicy(ctx, r.ARN(), "repository", r.Name)
}

// DeleteRepositoryPermissionsPolicy removes a repository's resource policy.
func (s *Service) DeleteRepositoryPermissionsPolicy(ctx context.Context, c Caller, ref RepoRef, revision string) (model.Policy, error) {
	r, err := s.repository(ctx, c, ref, "codeartifact:DeleteRepositoryPermissionsPolicy")
	if err != nil {
		return model.Policy{}, err
	}
	p, err := s.deletePolicy(ctx, r.ARN(), revision, "repository", r.Name)
	s.recordPolicy(ctx, err, model.AuditDeletePolicy, r.DomainOwner, r.DomainName, r.Name, p)
	return p, err
}
