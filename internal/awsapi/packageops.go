package awsapi

import (
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/paging"
	"github.com/wharf-dev/wharf/internal/service"
)

type originRestrictions struct {
	Publish  string `json:"publish"`
	Upstream string `json:"upstream"`
}

type originConfiguration struct {
	Restrictions originRestrictions `json:"restrictions"`
}

type packageSummary struct {
	Format              string              `json:"format"`
	Namespace           string              `json:"namespace,omitempty"`
	Package             string              `json:"package"`
	OriginConfiguration originConfiguration `json:"originConfiguration"`
}

type packageDescription struct {
	Format              string              `json:"format"`
	Namespace           string              `json:"namespace,omitempty"`
	Name                string              `json:"name"`
	OriginConfiguration originConfiguration `json:"originConfiguration"`
}

type domainEntryPoint struct {
	RepositoryName         string `json:"repositoryName,omitempty"`
	ExternalConnectionName string `json:"externalConnectionName,omitempty"`
}

type versionOrigin struct {
	DomainEntryPoint domainEntryPoint `json:"domainEntryPoint"`
	OriginType       string           `json:"originType"`
}

type versionSummary struct {
	Version  string        `json:"version"`
	Revision string        `json:"revision"`
	Status   string        `json:"status"`
	Origin   versionOrigin `json:"origin"`
}

type licenseInfo struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type versionDescription struct {
	Format               string        `json:"format"`
	Namespace            string        `json:"namespace,omitempty"`
	PackageName          string        `json:"packageName"`
	DisplayName          string        `json:"displayName,omitempty"`
	Version              string        `json:"version"`
	Summary              string        `json:"summary,omitempty"`
	HomePage             string        `json:"homePage,omitempty"`
	SourceCodeRepository string        `json:"sourceCodeRepository,omitempty"`
	PublishedTime        float64       `json:"publishedTime"`
	Licenses             []licenseInfo `json:"licenses"`
	Revision             string        `json:"revision"`
	Status               string        `json:"status"`
	Origin               versionOrigin `json:"origin"`
}

type assetSummary struct {
	Name   string            `json:"name"`
	Size   int64             `json:"size"`
	Hashes map[string]string `json:"hashes"`
}

type packageDependency struct {
	Namespace          string `json:"namespace,omitempty"`
	Package            string `json:"package"`
	DependencyType     string `json:"dependencyType,omitempty"`
	VersionRequirement string `json:"versionRequirement,omitempty"`
}

func originToWire(o model.OriginRestrictions) originConfiguration {
	return originConfiguration{originRestrictions{o.Publish, o.Upstream}}
}

func versionOriginToWire(o model.VersionOrigin) versionOrigin {
	t := o.Type
	if t == "" {
		t = model.OriginUnknown
	}
	return versionOrigin{domainEntryPoint{o.Repository, o.ExternalConnection}, t}
}

func versionToWire(v model.PackageVersion) versionDescription {
	out := versionDescription{
		Format: string(v.Format), Namespace: v.Namespace, PackageName: v.Name, DisplayName: v.DisplayName,
		Version: v.Version, Summary: v.Summary, HomePage: v.HomePage, SourceCodeRepository: v.SourceCode,
		PublishedTime: epoch(v.PublishedAt), Licenses: []licenseInfo{}, Revision: v.Revision, Status: v.Status,
		Origin: versionOriginToWire(v.Origin),
	}
	if out.DisplayName == "" {
		out.DisplayName = v.Name
	}
	for _, l := range v.Licenses {
		out.Licenses = append(out.Licenses, licenseInfo{Name: l.Name, URL: l.URL})
	}
	return out
}

func assetToWire(a model.Asset) assetSummary {
	h := map[string]string{}
	for k, v := range map[string]string{"MD5": a.Hashes.MD5, "SHA-1": a.Hashes.SHA1, "SHA-256": a.Hashes.SHA256, "SHA-512": a.Hashes.SHA512} {
		if v != "" {
			h[k] = v
		}
	}
	return assetSummary{a.Name, a.Size, h}
}

// packageRef reads the package identity from the query string.
func packageRef(req *Request) (service.PackageRef, error) {
	ref, err := repoRef(req)
	if err != nil {
		return service.PackageRef{}, err
	}
	f, err := req.Required("format")
	if err != nil {
		return service.PackageRef{}, err
	}
	p, err := req.Required("package")
	if err != nil {
		return service.PackageRef{}, err
	}
	return service.PackageRef{RepoRef: ref, Format: f, Namespace: req.Query("namespace"), Package: p}, nil
}

// packageVersionRef reads the package identity and the required version from
// the query string.
func packageVersionRef(req *Request) (service.PackageRef, string, error) {
	ref, err := packageRef(req)
	if err != nil {
		return service.PackageRef{}, "", err
	}
	ver, err := req.Required("version")
	if err != nil {
		return service.PackageRef{}, "", err
	}
	return ref, ver, nil
}

// dependencyPage is the page size of ListPackageVersionDependencies.
const dependencyPage = 1000

func (h *CodeArtifact) registerPackageOps() {
	s := h.Svc
	h.Register("ListPackages", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := repoRef(req)
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		f := service.PackageFilter{Format: model.Format(req.Query("format")), PackagePrefix: req.Query("package-prefix"),
			Publish: req.Query("publish"), Upstream: req.Query("upstream")}
		// A prefix, as the model documents ("Only packages with a namespace
		// that starts with the provided string value are returned").
		f.NamespacePrefix = req.Query("namespace")
		pkgs, next, err := s.ListPackages(ctx, c, ref, f, p)
		if err != nil {
			return nil, err
		}
		out := struct {
			Packages  []packageSummary `json:"packages"`
			NextToken *string          `json:"nextToken,omitempty"`
		}{Packages: []packageSummary{}, NextToken: nextToken(next)}
		for _, pk := range pkgs {
			out.Packages = append(out.Packages, packageSummary{string(pk.Format), pk.Namespace, pk.Name, originToWire(pk.Origin)})
		}
		return out, nil
	})
	h.Register("DescribePackage", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := packageRef(req)
		if err != nil {
			return nil, err
		}
		pk, err := s.DescribePackage(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		return struct {
			Package packageDescription `json:"package"`
		}{packageDescription{string(pk.Format), pk.Namespace, pk.Name, originToWire(pk.Origin)}}, nil
	})
	h.Register("PutPackageOriginConfiguration", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := packageRef(req)
		if err != nil {
			return nil, err
		}
		var in struct {
			Restrictions *originRestrictions `json:"restrictions"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Restrictions == nil {
			return nil, validationNull("restrictions")
		}
		pk, err := s.PutPackageOriginConfiguration(ctx, c, ref, model.OriginRestrictions{Publish: in.Restrictions.Publish, Upstream: in.Restrictions.Upstream})
		if err != nil {
			return nil, err
		}
		return struct {
			OriginConfiguration originConfiguration `json:"originConfiguration"`
		}{originToWire(pk.Origin)}, nil
	})
	h.Register("ListPackageVersions", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := packageRef(req)
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		vs, next, def, err := s.ListPackageVersions(ctx, c, ref, service.VersionFilter{Status: req.Query("status"), OriginType: req.Query("originType"), SortBy: req.Query("sortBy")}, p)
		if err != nil {
			return nil, err
		}
		out := struct {
			DefaultDisplayVersion string           `json:"defaultDisplayVersion,omitempty"`
			Format                string           `json:"format"`
			Namespace             string           `json:"namespace,omitempty"`
			Package               string           `json:"package"`
			Versions              []versionSummary `json:"versions"`
			NextToken             *string          `json:"nextToken,omitempty"`
		}{DefaultDisplayVersion: def, Format: ref.Format, Namespace: ref.Namespace, Package: ref.Package, Versions: []versionSummary{}, NextToken: nextToken(next)}
		for _, v := range vs {
			out.Versions = append(out.Versions, versionSummary{v.Version, v.Revision, v.Status, versionOriginToWire(v.Origin)})
		}
		return out, nil
	})
	h.Register("DescribePackageVersion", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, ver, err := packageVersionRef(req)
		if err != nil {
			return nil, err
		}
		v, err := s.DescribePackageVersion(ctx, c, ref, ver)
		if err != nil {
			return nil, err
		}
		return struct {
			PackageVersion versionDescription `json:"packageVersion"`
		}{versionToWire(v)}, nil
	})
	h.Register("ListPackageVersionAssets", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, ver, err := packageVersionRef(req)
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		v, assets, err := s.ListPackageVersionAssets(ctx, c, ref, ver)
		if err != nil {
			return nil, err
		}
		assets, next, err := paging.Keyset(assets, "assets", func(a model.Asset) string { return a.Name }, p.Token, p.Limit)
		if err != nil {
			return nil, err
		}
		out := struct {
			Format          string         `json:"format"`
			Namespace       string         `json:"namespace,omitempty"`
			Package         string         `json:"package"`
			Version         string         `json:"version"`
			VersionRevision string         `json:"versionRevision"`
			Assets          []assetSummary `json:"assets"`
			NextToken       *string        `json:"nextToken,omitempty"`
		}{Format: ref.Format, Namespace: v.Namespace, Package: v.Name, Version: v.Version, VersionRevision: v.Revision, Assets: []assetSummary{}, NextToken: nextToken(next)}
		for _, a := range assets {
			out.Assets = append(out.Assets, assetToWire(a))
		}
		return out, nil
	})
	h.Register("GetPackageVersionAsset", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, ver, err := packageVersionRef(req)
		if err != nil {
			return nil, err
		}
		name, err := req.Required("asset")
		if err != nil {
			return nil, err
		}
		v, a, rc, err := s.GetPackageVersionAsset(ctx, c, ref, ver, name, req.Query("revision"))
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		w := req.W
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
		w.Header().Set("X-AssetName", a.Name)
		w.Header().Set("X-PackageVersion", v.Version)
		w.Header().Set("X-PackageVersionRevision", v.Revision)
		w.WriteHeader(http.StatusOK)
		if _, err := io.Copy(w, rc); err != nil {
			h.Log.WarnContext(ctx, "streaming asset", "asset", a.Name, "err", err)
		}
		return Streamed, nil
	})
	h.Register("GetPackageVersionReadme", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, ver, err := packageVersionRef(req)
		if err != nil {
			return nil, err
		}
		v, err := s.GetPackageVersionReadme(ctx, c, ref, ver)
		if err != nil {
			return nil, err
		}
		return struct {
			Format          string `json:"format"`
			Namespace       string `json:"namespace,omitempty"`
			Package         string `json:"package"`
			Version         string `json:"version"`
			VersionRevision string `json:"versionRevision"`
			Readme          string `json:"readme"`
		}{ref.Format, v.Namespace, v.Name, v.Version, v.Revision, v.Readme}, nil
	})
	h.Register("ListPackageVersionDependencies", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, ver, err := packageVersionRef(req)
		if err != nil {
			return nil, err
		}
		p, err := req.Page()
		if err != nil {
			return nil, err
		}
		v, err := s.ListPackageVersionDependencies(ctx, c, ref, ver)
		if err != nil {
			return nil, err
		}
		// The model gives this list a nextToken but no maxResults: pages of
		// the largest size other lists allow (compatibility P5).
		deps, next, err := paging.Offset(v.Dependencies, "dependencies", p.Token, dependencyPage)
		if err != nil {
			return nil, err
		}
		out := struct {
			Format          string              `json:"format"`
			Namespace       string              `json:"namespace,omitempty"`
			Package         string              `json:"package"`
			Version         string              `json:"version"`
			VersionRevision string              `json:"versionRevision"`
			Dependencies    []packageDependency `json:"dependencies"`
			NextToken       *string             `json:"nextToken,omitempty"`
		}{ref.Format, v.Namespace, v.Name, v.Version, v.Revision, []packageDependency{}, nextToken(next)}
		for _, d := range deps {
			out.Dependencies = append(out.Dependencies, packageDependency{d.Namespace, d.Package, d.DependencyType, d.VersionReq})
		}
		return out, nil
	})
}
