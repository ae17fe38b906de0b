package awsapi

import (
	"context"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Wire shapes of the package-group operations.

type packageGroupReference struct {
	Arn     string `json:"arn"`
	Pattern string `json:"pattern"`
}

func groupRefToWire(r *service.GroupRef) *packageGroupReference {
	if r == nil {
		return nil
	}
	return &packageGroupReference{r.ARN, r.Pattern}
}

type packageGroupOriginRestriction struct {
	Mode              string                 `json:"mode"`
	EffectiveMode     string                 `json:"effectiveMode"`
	InheritedFrom     *packageGroupReference `json:"inheritedFrom,omitempty"`
	RepositoriesCount int64                  `json:"repositoriesCount"`
}

type packageGroupOriginConfiguration struct {
	Restrictions map[string]packageGroupOriginRestriction `json:"restrictions"`
}

// packageGroupDescription is PackageGroupDescription; PackageGroupSummary has
// the same members.
type packageGroupDescription struct {
	Arn                 string                          `json:"arn"`
	Pattern             string                          `json:"pattern"`
	DomainName          string                          `json:"domainName"`
	DomainOwner         string                          `json:"domainOwner"`
	CreatedTime         float64                         `json:"createdTime"`
	ContactInfo         string                          `json:"contactInfo,omitempty"`
	Description         string                          `json:"description,omitempty"`
	OriginConfiguration packageGroupOriginConfiguration `json:"originConfiguration"`
	Parent              *packageGroupReference          `json:"parent,omitempty"`
}

func packageGroupToWire(g service.PackageGroupInfo) packageGroupDescription {
	out := packageGroupDescription{
		Arn: g.ARN(), Pattern: g.Pattern, DomainName: g.DomainName, DomainOwner: g.DomainOwner,
		CreatedTime: epoch(g.CreatedAt), ContactInfo: g.ContactInfo, Description: g.Description,
		OriginConfiguration: packageGroupOriginConfiguration{Restrictions: map[string]packageGroupOriginRestriction{}},
		Parent:              groupRefToWire(g.Parent),
	}
	for t, r := range g.Restrictions {
		out.OriginConfiguration.Restrictions[t] = packageGroupOriginRestriction{r.Mode, r.EffectiveMode, groupRefToWire(r.InheritedFrom), r.RepositoriesCount}
	}
	return out
}

type packageGroupsOut struct {
	PackageGroups []packageGroupDescription `json:"packageGroups"`
	NextToken     *string                   `json:"nextToken,omitempty"`
}

func packageGroupsToWire(gs []service.PackageGroupInfo, next string) packageGroupsOut {
	out := packageGroupsOut{PackageGroups: []packageGroupDescription{}, NextToken: nextToken(next)}
	for _, g := range gs {
		out.PackageGroups = append(out.PackageGroups, packageGroupToWire(g))
	}
	return out
}

type packageGroupOut struct {
	PackageGroup packageGroupDescription `json:"packageGroup"`
}

type allowedRepositoryJSON struct {
	RepositoryName        string `json:"repositoryName"`
	OriginRestrictionType string `json:"originRestrictionType"`
}

func allowedChanges(in []allowedRepositoryJSON, member string) ([]service.AllowedRepositoryChange, error) {
	out := make([]service.AllowedRepositoryChange, 0, len(in))
	for _, a := range in {
		if a.RepositoryName == "" || a.OriginRestrictionType == "" {
			return nil, apperr.Validationf("every item of %s needs repositoryName and originRestrictionType", member)
		}
		out = append(out, service.AllowedRepositoryChange{RestrictionType: a.OriginRestrictionType, Repository: a.RepositoryName})
	}
	return out, nil
}

// groupQuery reads domain, domain-owner and package-group from the query string.
func groupQuery(req *Request) (domain, pattern string, err error) {
	if domain, err = req.Required("domain"); err != nil {
		return "", "", err
	}
	if pattern, err = req.Required("package-group"); err != nil {
		return "", "", err
	}
	return domain, pattern, nil
}

// groupOp is the operation that reads a package group from the query string,
// runs fn on it and answers the group.
func groupOp(fn func(ctx context.Context, c service.Caller, owner, domain, pattern string) (service.PackageGroupInfo, error)) Op {
	return func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, pattern, err := groupQuery(req)
		if err != nil {
			return nil, err
		}
		g, err := fn(ctx, c, req.Query("domain-owner"), domain, pattern)
		if err != nil {
			return nil, err
		}
		return packageGroupOut{packageGroupToWire(g)}, nil
	}
}

func (h *CodeArtifact) registerPackageGroupOps() {
	s := h.Svc

	h.Register("CreatePackageGroup", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		var in struct {
			PackageGroup string    `json:"packageGroup"`
			ContactInfo  string    `json:"contactInfo"`
			Description  string    `json:"description"`
			Tags         []tagJSON `json:"tags"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.PackageGroup == "" {
			return nil, validationNull("packageGroup")
		}
		g, err := s.CreatePackageGroup(ctx, c, req.Query("domain-owner"), domain, in.PackageGroup, in.ContactInfo, in.Description, tagsFromWire(in.Tags))
		if err != nil {
			return nil, err
		}
		return packageGroupOut{packageGroupToWire(g)}, nil
	})
	h.Register("DescribePackageGroup", groupOp(s.DescribePackageGroup))
	h.Register("UpdatePackageGroup", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		var in struct {
			PackageGroup string  `json:"packageGroup"`
			ContactInfo  *string `json:"contactInfo"`
			Description  *string `json:"description"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.PackageGroup == "" {
			return nil, validationNull("packageGroup")
		}
		g, err := s.UpdatePackageGroup(ctx, c, req.Query("domain-owner"), domain, in.PackageGroup, in.ContactInfo, in.Description)
		if err != nil {
			return nil, err
		}
		return packageGroupOut{packageGroupToWire(g)}, nil
	})
	h.Register("DeletePackageGroup", groupOp(s.DeletePackageGroup))
	h.Register("ListPackageGroups", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		gs, next, err := s.ListPackageGroups(ctx, c, req.Query("domain-owner"), domain, req.Query("prefix"), p)
		if err != nil {
			return nil, err
		}
		return packageGroupsToWire(gs, next), nil
	})
	h.Register("ListSubPackageGroups", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, pattern, err := groupQuery(req)
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		gs, next, err := s.ListSubPackageGroups(ctx, c, req.Query("domain-owner"), domain, pattern, p)
		if err != nil {
			return nil, err
		}
		return packageGroupsToWire(gs, next), nil
	})
	h.Register("UpdatePackageGroupOriginConfiguration", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, pattern, err := groupQuery(req)
		if err != nil {
			return nil, err
		}
		var in struct {
			Restrictions              map[string]string       `json:"restrictions"`
			AddAllowedRepositories    []allowedRepositoryJSON `json:"addAllowedRepositories"`
			RemoveAllowedRepositories []allowedRepositoryJSON `json:"removeAllowedRepositories"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		add, err := allowedChanges(in.AddAllowedRepositories, "addAllowedRepositories")
		if err != nil {
			return nil, err
		}
		remove, err := allowedChanges(in.RemoveAllowedRepositories, "removeAllowedRepositories")
		if err != nil {
			return nil, err
		}
		g, updates, err := s.UpdatePackageGroupOriginConfiguration(ctx, c, req.Query("domain-owner"), domain, pattern, in.Restrictions, add, remove)
		if err != nil {
			return nil, err
		}
		return struct {
			PackageGroup             packageGroupDescription        `json:"packageGroup"`
			AllowedRepositoryUpdates map[string]map[string][]string `json:"allowedRepositoryUpdates"`
		}{packageGroupToWire(g), updates}, nil
	})
	h.Register("ListAllowedRepositoriesForGroup", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, pattern, err := groupQuery(req)
		if err != nil {
			return nil, err
		}
		t, err := req.Required("originRestrictionType")
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		repos, next, err := s.ListAllowedRepositoriesForGroup(ctx, c, req.Query("domain-owner"), domain, pattern, t, p)
		if err != nil {
			return nil, err
		}
		return struct {
			AllowedRepositories []string `json:"allowedRepositories"`
			NextToken           *string  `json:"nextToken,omitempty"`
		}{repos, nextToken(next)}, nil
	})
	h.Register("ListAssociatedPackages", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, pattern, err := groupQuery(req)
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		preview := false
		switch req.Query("preview") {
		case "", "false":
		case "true":
			preview = true
		default:
			return nil, apperr.Validationf("preview must be true or false")
		}
		pkgs, next, err := s.ListAssociatedPackages(ctx, c, req.Query("domain-owner"), domain, pattern, preview, p)
		if err != nil {
			return nil, err
		}
		type associatedPackage struct {
			Format          model.Format `json:"format"`
			Namespace       string       `json:"namespace,omitempty"`
			Package         string       `json:"package"`
			AssociationType string       `json:"associationType"`
		}
		out := struct {
			Packages  []associatedPackage `json:"packages"`
			NextToken *string             `json:"nextToken,omitempty"`
		}{Packages: []associatedPackage{}, NextToken: nextToken(next)}
		for _, pk := range pkgs {
			out.Packages = append(out.Packages, associatedPackage{pk.Format, pk.Namespace, pk.Name, pk.AssociationType})
		}
		return out, nil
	})
	h.Register("GetAssociatedPackageGroup", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		domain, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		format, err := req.Required("format")
		if err != nil {
			return nil, err
		}
		pkg, err := req.Required("package")
		if err != nil {
			return nil, err
		}
		g, kind, err := s.GetAssociatedPackageGroup(ctx, c, req.Query("domain-owner"), domain, format, req.Query("namespace"), pkg)
		if err != nil {
			return nil, err
		}
		return struct {
			PackageGroup    packageGroupDescription `json:"packageGroup"`
			AssociationType string                  `json:"associationType"`
		}{packageGroupToWire(g), kind}, nil
	})
}
