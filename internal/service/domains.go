package service

import (
	"context"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// DomainInfo is a domain with the figures DescribeDomain reports.
type DomainInfo struct {
	model.Domain
	RepositoryCount int
	AssetSizeBytes  int64
}

// CreateDomain creates a domain owned by the caller's account.
func (s *Service) CreateDomain(ctx context.Context, c Caller, name, encryptionKey string, tags []model.Tag) (DomainInfo, error) {
	if err := validDomainName(name); err != nil {
		return DomainInfo{}, err
	}
	if err := validTags(tags); err != nil {
		return DomainInfo{}, err
	}
	if err := s.authorizeIdentityOnly(ctx, c, "codeartifact:CreateDomain", model.DomainARN(s.Region, c.Principal.Account, name), nil); err != nil {
		return DomainInfo{}, err
	}
	key := encryptionKey
	if key == "" {
		key = DefaultEncryptionKey(s.Region, c.Principal.Account)
	} else if err := validKMSKeyARN(key); err != nil {
		return DomainInfo{}, err
	} else if err := (&KMS{Store: s.Store, Region: s.Region, Now: s.Now, Authorize: s.kmsAuthorizer(), External: s.ExternalKMS}).DomainKeyError(ctx, c, key); err != nil {
		return DomainInfo{}, err
	}
	d := model.Domain{
		Name: name, Owner: c.Principal.Account, Region: s.Region,
		EncryptionKey: key, Status: "Active", CreatedAt: s.now(),
	}
	if err := s.Store.CreateDomain(ctx, d); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return DomainInfo{}, apperr.Conflictf("domain", name, "Domain %s already exists in account %s", name, d.Owner)
		}
		return DomainInfo{}, err
	}
	if len(tags) > 0 {
		if err := s.Store.SetTags(ctx, d.ARN(), tags); err != nil {
			return DomainInfo{}, err
		}
	}
	return DomainInfo{Domain: d}, nil
}

// validKMSKeyARN accepts a KMS key or alias ARN. Beyond this, only ARNs of wharf's own
// KMS are checked (KMS.DomainKeyError); any other well-formed ARN is recorded as given.
func validKMSKeyARN(s string) error {
	a, err := model.ParseARN(s)
	if err != nil || a.Service != "kms" || a.Resource == "" || hasControl(s) || len(s) > 1011 {
		return apperr.Validationf("encryptionKey %q is not a valid KMS key ARN", s).WithReason("ENCRYPTION_KEY_ERROR")
	}
	return nil
}

// domain loads a domain after checking the caller may act on it.
func (s *Service) domain(ctx context.Context, c Caller, ownerParam, name, action string) (model.Domain, error) {
	if err := validDomainName(name); err != nil {
		return model.Domain{}, err
	}
	own, err := owner(c, ownerParam)
	if err != nil {
		return model.Domain{}, err
	}
	if err := s.checkAccess(ctx, c, action, own, model.DomainARN(s.Region, own, name)); err != nil {
		return model.Domain{}, err
	}
	d, err := s.Store.GetDomain(ctx, own, name)
	if apperr.Is(err, apperr.NotFound) {
		return model.Domain{}, apperr.NotFoundf("domain", name, "Domain not found: %s", name)
	}
	return d, err
}

func (s *Service) domainInfo(ctx context.Context, d model.Domain) (DomainInfo, error) {
	n, size, err := s.Store.DomainStats(ctx, d.Owner, d.Name)
	if err != nil {
		return DomainInfo{}, err
	}
	return DomainInfo{Domain: d, RepositoryCount: n, AssetSizeBytes: size}, nil
}

// DescribeDomain returns a domain with its repository count and stored bytes.
func (s *Service) DescribeDomain(ctx context.Context, c Caller, ownerParam, name string) (DomainInfo, error) {
	d, err := s.domain(ctx, c, ownerParam, name, "codeartifact:DescribeDomain")
	if err != nil {
		return DomainInfo{}, err
	}
	return s.domainInfo(ctx, d)
}

// DeleteDomain deletes an empty domain; one that still has repositories is refused.
func (s *Service) DeleteDomain(ctx context.Context, c Caller, ownerParam, name string) (DomainInfo, error) {
	d, err := s.domain(ctx, c, ownerParam, name, "codeartifact:DeleteDomain")
	if err != nil {
		return DomainInfo{}, err
	}
	info, err := s.domainInfo(ctx, d)
	if err != nil {
		return DomainInfo{}, err
	}
	if info.RepositoryCount > 0 {
		return DomainInfo{}, apperr.Conflictf("domain", name, "Domain %s cannot be deleted because it contains %d repositories", name, info.RepositoryCount)
	}
	if err := s.Store.DeleteDomain(ctx, d.Owner, d.Name); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return DomainInfo{}, apperr.Conflictf("domain", name, "Domain %s cannot be deleted because it contains repositories", name)
		}
		return DomainInfo{}, err
	}
	info.Status = "Deleted"
	return info, nil
}

// ListDomains lists the caller's account's domains.
func (s *Service) ListDomains(ctx context.Context, c Caller, p Page) ([]model.Domain, string, error) {
	if err := s.authorizeIdentityOnly(ctx, c, "codeartifact:ListDomains", "*", nil); err != nil {
		return nil, "", err
	}
	return s.Store.ListDomains(ctx, c.Principal.Account, p.store())
}
