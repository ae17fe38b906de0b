package awsapi

import (
	"context"
	"time"

	"github.com/wharf-dev/wharf/internal/service"
)

// The control plane's wire handlers, one file per resource: domains (with
// their policies and authorization tokens) here, repositories in
// repositoryops.go, tags in tagops.go, packages, versions and package groups
// in their own files.

type domainOut struct {
	Domain domainDescription `json:"domain"`
}

type policyOut struct {
	Policy resourcePolicy `json:"policy"`
}

// registerDomainOps registers the domain operations, their permission
// policies and GetAuthorizationToken.
func (h *CodeArtifact) registerDomainOps() {
	s := h.Svc
	h.Register("CreateDomain", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		name, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		var in struct {
			EncryptionKey string    `json:"encryptionKey"`
			Tags          []tagJSON `json:"tags"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		d, err := s.CreateDomain(ctx, c, name, in.EncryptionKey, tagsFromWire(in.Tags))
		if err != nil {
			return nil, err
		}
		return domainOut{domainToWire(d)}, nil
	})
	h.Register("DescribeDomain", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		name, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		d, err := s.DescribeDomain(ctx, c, req.Query("domain-owner"), name)
		if err != nil {
			return nil, err
		}
		return domainOut{domainToWire(d)}, nil
	})
	h.Register("DeleteDomain", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		name, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		d, err := s.DeleteDomain(ctx, c, req.Query("domain-owner"), name)
		if err != nil {
			return nil, err
		}
		return domainOut{domainToWire(d)}, nil
	})
	h.Register("ListDomains", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		var in struct {
			MaxResults *int64 `json:"maxResults"`
			NextToken  string `json:"nextToken"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 1000) {
			return nil, validationRange("maxResults", 1, 1000)
		}
		p, err := page(in.MaxResults, in.NextToken)
		if err != nil {
			return nil, err
		}
		ds, next, err := s.ListDomains(ctx, c, p)
		if err != nil {
			return nil, err
		}
		out := struct {
			Domains   []domainSummary `json:"domains"`
			NextToken *string         `json:"nextToken,omitempty"`
		}{Domains: []domainSummary{}, NextToken: nextToken(next)}
		for _, d := range ds {
			out.Domains = append(out.Domains, domainSummary{d.Name, d.Owner, d.ARN(), d.Status, epoch(d.CreatedAt), d.EncryptionKey})
		}
		return out, nil
	})
	h.Register("PutDomainPermissionsPolicy", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		var in struct {
			Domain         string `json:"domain"`
			DomainOwner    string `json:"domainOwner"`
			PolicyRevision string `json:"policyRevision"`
			PolicyDocument string `json:"policyDocument"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Domain == "" {
			return nil, validationNull("domain")
		}
		if in.PolicyDocument == "" {
			return nil, validationNull("policyDocument")
		}
		p, err := s.PutDomainPermissionsPolicy(ctx, c, in.DomainOwner, in.Domain, in.PolicyRevision, in.PolicyDocument)
		if err != nil {
			return nil, err
		}
		return policyOut{policyToWire(p)}, nil
	})
	h.Register("GetDomainPermissionsPolicy", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		name, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		p, err := s.GetDomainPermissionsPolicy(ctx, c, req.Query("domain-owner"), name)
		if err != nil {
			return nil, err
		}
		return policyOut{policyToWire(p)}, nil
	})
	h.Register("DeleteDomainPermissionsPolicy", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		name, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		p, err := s.DeleteDomainPermissionsPolicy(ctx, c, req.Query("domain-owner"), name, req.Query("policy-revision"))
		if err != nil {
			return nil, err
		}
		return policyOut{policyToWire(p)}, nil
	})
	h.Register("GetAuthorizationToken", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		d, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		dur, err := req.Int("duration", 0, 43200)
		if err != nil {
			return nil, err
		}
		tok, exp, err := s.GetAuthorizationToken(ctx, c, req.Query("domain-owner"), d, dur)
		if err != nil {
			return nil, err
		}
		return struct {
			AuthorizationToken string  `json:"authorizationToken"`
			Expiration         float64 `json:"expiration"`
		}{tok, float64(exp.Truncate(time.Second).Unix())}, nil
	})
}
