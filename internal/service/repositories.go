package service

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// RepoRef names a repository as API calls do.
type RepoRef struct {
	DomainOwner string // optional: the caller's account when empty
	Domain      string
	Repository  string
}

// CreateRepositoryInput is CreateRepository's request.
type CreateRepositoryInput struct {
	RepoRef
	Description string
	Upstreams   []string
	Tags        []model.Tag
}

// CreateRepository creates a repository in a domain, with its upstreams.
func (s *Service) CreateRepository(ctx context.Context, c Caller, in CreateRepositoryInput) (model.Repository, error) {
	if err := validRepositoryName(in.Repository); err != nil {
		return model.Repository{}, err
	}
	if err := validDescription(in.Description); err != nil {
		return model.Repository{}, err
	}
	if err := validTags(in.Tags); err != nil {
		return model.Repository{}, err
	}
	d, err := s.domain(ctx, c, in.DomainOwner, in.Domain, "codeartifact:CreateRepository")
	if err != nil {
		return model.Repository{}, err
	}
	r := model.Repository{
		Name: in.Repository, DomainName: d.Name, DomainOwner: d.Owner,
		AdministratorAccount: c.Principal.Account, Region: s.Region,
		Description: in.Description, Upstreams: nonNil(in.Upstreams), CreatedAt: s.now(),
	}
	if err := s.checkUpstreams(ctx, r); err != nil {
		return model.Repository{}, err
	}
	if err := s.Store.CreateRepository(ctx, r); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return model.Repository{}, apperr.Conflictf("repository", r.Name, "Repository %s already exists in domain %s", r.Name, d.Name)
		}
		return model.Repository{}, err
	}
	if len(in.Tags) > 0 {
		if err := s.Store.SetTags(ctx, r.ARN(), in.Tags); err != nil {
			return model.Repository{}, err
		}
	}
	return r, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkUpstreams enforces the upstream rules: at most 10, no duplicates, not itself,
// each an existing repository of the same domain, and no cycle through the graph.
func (s *Service) checkUpstreams(ctx context.Context, r model.Repository) error {
	if len(r.Upstreams) > MaxDirectUpstreams {
		return apperr.New(apperr.QuotaExceeded, "A repository can have at most %d direct upstream repositories, got %d", MaxDirectUpstreams, len(r.Upstreams)).WithResource("repository", r.Name)
	}
	seen := map[string]bool{}
	for _, u := range r.Upstreams {
		if err := validRepositoryName(u); err != nil {
			return err
		}
		if u == r.Name {
			return apperr.Validationf("repository %s cannot be its own upstream", r.Name)
		}
		if seen[u] {
			return apperr.Validationf("upstream repository %s is listed more than once", u)
		}
		seen[u] = true
		if _, err := s.Store.GetRepository(ctx, r.DomainOwner, r.DomainName, u); err != nil {
			if apperr.Is(err, apperr.NotFound) {
				return apperr.NotFoundf("repository", u, "Upstream repository %s not found in domain %s", u, r.DomainName)
			}
			return err
		}
	}
	// A cycle exists if r is reachable from one of its upstreams. Missing repositories
	// (deleted upstreams) end a path: they cannot lead anywhere.
	visited := map[string]bool{}
	var walk func(name string, path []string) error
	walk = func(name string, path []string) error {
		if name == r.Name {
			return apperr.Validationf("upstream configuration creates a cycle: %s", strings.Join(append(path, name), " -> "))
		}
		if visited[name] {
			return nil
		}
		visited[name] = true
		up, err := s.Store.GetRepository(ctx, r.DomainOwner, r.DomainName, name)
		if apperr.Is(err, apperr.NotFound) {
			return nil
		} else if err != nil {
			return err
		}
		for _, next := range up.Upstreams {
			if err := walk(next, append(path, name)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, u := range r.Upstreams {
		if err := walk(u, []string{r.Name}); err != nil {
			return err
		}
	}
	return nil
}

// repository loads a repository after checking access.
func (s *Service) repository(ctx context.Context, c Caller, ref RepoRef, action string) (model.Repository, error) {
	return s.repositoryFor(ctx, c, ref, action, nil)
}

// repositoryFor is repository with the action decided on another resource
// inside it (a package's ARN, built from the resolved domain owner).
func (s *Service) repositoryFor(ctx context.Context, c Caller, ref RepoRef, action string, resource func(owner string) string) (model.Repository, error) {
	if err := validDomainName(ref.Domain); err != nil {
		return model.Repository{}, err
	}
	if err := validRepositoryName(ref.Repository); err != nil {
		return model.Repository{}, err
	}
	own, err := owner(c, ref.DomainOwner)
	if err != nil {
		return model.Repository{}, err
	}
	if resource != nil {
		err = s.checkAccess(ctx, c, action, own, resource(own))
	} else {
		// The repository's own ARN: what checkAccess would parse back out of
		// it (the names are valid, so hold no '/') is known already.
		err = s.AuthorizeCaller(ctx, c, action, own, ref.Domain, ref.Repository, model.RepositoryARN(s.Region, own, ref.Domain, ref.Repository))
	}
	if err != nil {
		return model.Repository{}, err
	}
	if _, err := s.Store.GetDomain(ctx, own, ref.Domain); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return model.Repository{}, apperr.NotFoundf("domain", ref.Domain, "Domain not found: %s", ref.Domain)
		}
		return model.Repository{}, err
	}
	r, err := s.Store.GetRepository(ctx, own, ref.Domain, ref.Repository)
	if apperr.Is(err, apperr.NotFound) {
		return model.Repository{}, apperr.NotFoundf("repository", ref.Repository, "Repository not found: %s in domain %s", ref.Repository, ref.Domain)
	}
	return r, err
}

// GetRepository is the internal lookup used by the package endpoints: no access check.
func (s *Service) GetRepository(ctx context.Context, owner, domain, name string) (model.Repository, error) {
	r, err := s.Store.GetRepository(ctx, owner, domain, name)
	if apperr.Is(err, apperr.NotFound) {
		return model.Repository{}, apperr.NotFoundf("repository", name, "Repository not found: %s in domain %s", name, domain)
	}
	return r, err
}

// GetDomain returns a domain without authorizing a caller (the package endpoints
// authenticate by token first).
func (s *Service) GetDomain(ctx context.Context, owner, name string) (model.Domain, error) {
	d, err := s.Store.GetDomain(ctx, owner, name)
	if apperr.Is(err, apperr.NotFound) {
		return model.Domain{}, apperr.NotFoundf("domain", name, "Domain not found: %s", name)
	}
	return d, err
}

// DescribeRepository returns a repository.
func (s *Service) DescribeRepository(ctx context.Context, c Caller, ref RepoRef) (model.Repository, error) {
	return s.repository(ctx, c, ref, "codeartifact:DescribeRepository")
}

// UpdateRepositoryInput is UpdateRepository's request; nil fields are left unchanged
// (Terraform sends only what changed; an explicit empty list clears upstreams).
type UpdateRepositoryInput struct {
	RepoRef
	Description *string
	Upstreams   *[]string
}

// UpdateRepository changes a repository's description and/or upstreams. Sending the
// upstream list again re-registers it, which is how a graph broken by a deleted
// upstream is repaired (as in AWS).
func (s *Service) UpdateRepository(ctx context.Context, c Caller, in UpdateRepositoryInput) (model.Repository, error) {
	r, err := s.repository(ctx, c, in.RepoRef, "codeartifact:UpdateRepository")
	if err != nil {
		return model.Repository{}, err
	}
	if in.Description != nil {
		if err := validDescription(*in.Description); err != nil {
			return model.Repository{}, err
		}
		r.Description = *in.Description
	}
	if in.Upstreams != nil {
		r.Upstreams = nonNil(*in.Upstreams)
		if err := s.checkUpstreams(ctx, r); err != nil {
			return model.Repository{}, err
		}
	}
	if err := s.Store.UpdateRepository(ctx, r); err != nil {
		return model.Repository{}, err
	}
	return r, nil
}

// DeleteRepository deletes a repository. As in AWS, a repository that is another's
// upstream may be deleted; the downstream keeps the dangling name until an
// UpdateRepository call re-registers its upstreams (see BrokenUpstreams).
func (s *Service) DeleteRepository(ctx context.Context, c Caller, ref RepoRef) (model.Repository, error) {
	r, err := s.repository(ctx, c, ref, "codeartifact:DeleteRepository")
	if err != nil {
		return model.Repository{}, err
	}
	if err := s.Store.DeleteRepository(ctx, r.DomainOwner, r.DomainName, r.Name); err != nil {
		return model.Repository{}, err
	}
	if len(r.ExternalConnections) > 0 && s.ConnectionsChanged != nil {
		s.ConnectionsChanged(ctx)
	}
	return r, nil
}

// BrokenUpstreams lists the upstream names of r that no longer exist.
func (s *Service) BrokenUpstreams(ctx context.Context, r model.Repository) ([]string, error) {
	var missing []string
	for _, u := range r.Upstreams {
		if _, err := s.Store.GetRepository(ctx, r.DomainOwner, r.DomainName, u); apperr.Is(err, apperr.NotFound) {
			missing = append(missing, u)
		} else if err != nil {
			return nil, err
		}
	}
	return missing, nil
}

// ListRepositories lists repositories the caller's account administers.
func (s *Service) ListRepositories(ctx context.Context, c Caller, prefix string, p Page) ([]model.Repository, string, error) {
	return s.Store.ListRepositories(ctx, store.RepositoryFilter{AdministratorAccount: c.Principal.Account, Prefix: prefix}, p.store())
}

// ListRepositoriesInDomain lists a domain's repositories.
func (s *Service) ListRepositoriesInDomain(ctx context.Context, c Caller, ownerParam, domain, adminAccount, prefix string, p Page) ([]model.Repository, string, error) {
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:ListRepositoriesInDomain")
	if err != nil {
		return nil, "", err
	}
	if adminAccount != "" && !accountRe.MatchString(adminAccount) {
		return nil, "", apperr.Validationf("administratorAccount %q must be a 12-digit account id", adminAccount)
	}
	return s.Store.ListRepositories(ctx, store.RepositoryFilter{DomainOwner: d.Owner, DomainName: d.Name, AdministratorAccount: adminAccount, Prefix: prefix}, p.store())
}

// AssociateExternalConnection adds the repository's one external connection.
func (s *Service) AssociateExternalConnection(ctx context.Context, c Caller, ref RepoRef, name string) (model.Repository, error) {
	if !extConnRe.MatchString(name) {
		return model.Repository{}, apperr.Validationf("externalConnection %q is not a valid external connection name", name)
	}
	format, ok := model.ExternalConnections[name]
	if !ok {
		return model.Repository{}, apperr.Validationf("external connection %q is not supported; supported: %s", name, strings.Join(externalConnectionNames(), ", "))
	}
	if err := s.checkServed(format); err != nil {
		return model.Repository{}, err
	}
	if err := s.checkProxied(name, format); err != nil {
		return model.Repository{}, err
	}
	r, err := s.repository(ctx, c, ref, "codeartifact:AssociateExternalConnection")
	if err != nil {
		return model.Repository{}, err
	}
	for _, ec := range r.ExternalConnections {
		if ec.Name == name {
			return model.Repository{}, apperr.Conflictf("repository", r.Name, "External connection %s is already associated with repository %s", name, r.Name)
		}
	}
	// One external connection per repository. Associating a different one replaces
	// the current one: the Terraform provider changes connection A to B by calling
	// Associate(B) alone, and only replacement lets that converge
	// (docs/compatibility.md, "AssociateExternalConnection").
	r.ExternalConnections = []model.ExternalConnection{{Name: name, Format: format}}
	if err := s.Store.UpdateRepository(ctx, r); err != nil {
		return model.Repository{}, err
	}
	if s.Upstreams != nil && !s.Upstreams.Configured(name) && s.Log != nil {
		s.Log.WarnContext(ctx, "external connection associated without an upstream URL: packages cannot be fetched through it",
			"domain", r.DomainName, "repository", r.Name, "external_connection", name,
			"hint", "start wharf with --upstream "+name+"=URL (or set it under upstreams in the config file and send SIGHUP)")
	}
	if s.ConnectionsChanged != nil {
		s.ConnectionsChanged(ctx)
	}
	return r, nil
}

// DisassociateExternalConnection removes an external connection.
func (s *Service) DisassociateExternalConnection(ctx context.Context, c Caller, ref RepoRef, name string) (model.Repository, error) {
	r, err := s.repository(ctx, c, ref, "codeartifact:DisassociateExternalConnection")
	if err != nil {
		return model.Repository{}, err
	}
	kept := r.ExternalConnections[:0:0]
	for _, ec := range r.ExternalConnections {
		if ec.Name != name {
			kept = append(kept, ec)
		}
	}
	if len(kept) == len(r.ExternalConnections) {
		return model.Repository{}, apperr.NotFoundf("repository", r.Name, "External connection %s is not associated with repository %s", name, r.Name)
	}
	r.ExternalConnections = kept
	if err := s.Store.UpdateRepository(ctx, r); err != nil {
		return model.Repository{}, err
	}
	if s.ConnectionsChanged != nil {
		s.ConnectionsChanged(ctx)
	}
	return r, nil
}

func externalConnectionNames() []string {
	// Fixed order: the order the Terraform module's validation lists them.
	return []string{"public:npmjs", "public:pypi", "public:maven-central", "public:maven-googleandroid",
		"public:maven-gradleplugins", "public:maven-commonsware", "public:maven-clojars",
		"public:nuget-org", "public:ruby-gems-org", "public:crates-io"}
}
