package awsapi

import (
	"context"

	"github.com/wharf-dev/wharf/internal/service"
)

type repoOut struct {
	Repository repositoryDescription `json:"repository"`
}

// repoRef reads domain, domain-owner and repository from the query string.
func repoRef(req *Request) (service.RepoRef, error) {
	d, err := req.Required("domain")
	if err != nil {
		return service.RepoRef{}, err
	}
	r, err := req.Required("repository")
	if err != nil {
		return service.RepoRef{}, err
	}
	return service.RepoRef{DomainOwner: req.Query("domain-owner"), Domain: d, Repository: r}, nil
}

// registerRepositoryOps registers the repository operations: upstreams,
// external connections, permission policies and endpoints.
func (h *CodeArtifact) registerRepositoryOps() {
	s := h.Svc
	h.Register("CreateRepository", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		var in struct {
			Description string         `json:"description"`
			Upstreams   []upstreamInfo `json:"upstreams"`
			Tags        []tagJSON      `json:"tags"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		r, err := s.CreateRepository(ctx, c, service.CreateRepositoryInput{
			RepoRef: ref, Description: in.Description, Upstreams: upstreamNames(in.Upstreams), Tags: tagsFromWire(in.Tags),
		})
		if err != nil {
			return nil, err
		}
		return repoOut{repositoryToWire(r)}, nil
	})
	h.Register("DescribeRepository", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		r, err := s.DescribeRepository(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		return repoOut{repositoryToWire(r)}, nil
	})
	h.Register("UpdateRepository", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		// Pointers tell an absent member (leave unchanged) from an empty one.
		var in struct {
			Description *string         `json:"description"`
			Upstreams   *[]upstreamInfo `json:"upstreams"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		up := service.UpdateRepositoryInput{RepoRef: ref, Description: in.Description}
		if in.Upstreams != nil {
			names := upstreamNames(*in.Upstreams)
			up.Upstreams = &names
		}
		r, err := s.UpdateRepository(ctx, c, up)
		if err != nil {
			return nil, err
		}
		return repoOut{repositoryToWire(r)}, nil
	})
	h.Register("DeleteRepository", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		r, err := s.DeleteRepository(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		return repoOut{repositoryToWire(r)}, nil
	})
	h.Register("ListRepositories", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		rs, next, err := s.ListRepositories(ctx, c, req.Query("repository-prefix"), p)
		if err != nil {
			return nil, err
		}
		return repoList(rs, next), nil
	})
	h.Register("ListRepositoriesInDomain", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		d, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		rs, next, err := s.ListRepositoriesInDomain(ctx, c, req.Query("domain-owner"), d, req.Query("administrator-account"), req.Query("repository-prefix"), p)
		if err != nil {
			return nil, err
		}
		return repoList(rs, next), nil
	})
	h.Register("AssociateExternalConnection", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		name, err := req.Required("external-connection")
		if err != nil {
			return nil, err
		}
		r, err := s.AssociateExternalConnection(ctx, c, ref, name)
		if err != nil {
			return nil, err
		}
		return repoOut{repositoryToWire(r)}, nil
	})
	h.Register("DisassociateExternalConnection", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		name, err := req.Required("external-connection")
		if err != nil {
			return nil, err
		}
		r, err := s.DisassociateExternalConnection(ctx, c, ref, name)
		if err != nil {
			return nil, err
		}
		return repoOut{repositoryToWire(r)}, nil
	})
	h.Register("PutRepositoryPermissionsPolicy", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		var in struct {
			PolicyRevision string `json:"policyRevision"`
			PolicyDocument string `json:"policyDocument"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.PolicyDocument == "" {
			return nil, validationNull("policyDocument")
		}
		p, err := s.PutRepositoryPermissionsPolicy(ctx, c, ref, in.PolicyRevision, in.PolicyDocument)
		if err != nil {
			return nil, err
		}
		return policyOut{policyToWire(p)}, nil
	})
	h.Register("GetRepositoryPermissionsPolicy", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		p, err := s.GetRepositoryPermissionsPolicy(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		return policyOut{policyToWire(p)}, nil
	})
	h.Register("DeleteRepositoryPermissionsPolicy", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		p, err := s.DeleteRepositoryPermissionsPolicy(ctx, c, ref, req.Query("policy-revision"))
		if err != nil {
			return nil, err
		}
		return policyOut{policyToWire(p)}, nil
	})
	h.Register("GetRepositoryEndpoint", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		format, err := req.Required("format")
		if err != nil {
			return nil, err
		}
		u, err := s.GetRepositoryEndpoint(ctx, c, ref, format, req.Query("endpointType"), h.baseURL(req.HTTP))
		if err != nil {
			return nil, err
		}
		return struct {
			RepositoryEndpoint string `json:"repositoryEndpoint"`
		}{u}, nil
	})
}

func upstreamNames(in []upstreamInfo) []string {
	out := make([]string, 0, len(in))
	for _, u := range in {
		out = append(out, u.RepositoryName)
	}
	return out
}

func repoList(rs []modelRepository, next string) any {
	out := struct {
		Repositories []repositorySummary `json:"repositories"`
		NextToken    *string             `json:"nextToken,omitempty"`
	}{Repositories: []repositorySummary{}, NextToken: nextToken(next)}
	for _, r := range rs {
		out.Repositories = append(out.Repositories, repositorySummaryToWire(r))
	}
	return out
}
