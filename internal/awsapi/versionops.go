package awsapi

import (
	"context"

	"github.com/wharf-dev/wharf/internal/service"
)

type successInfo struct {
	Revision string `json:"revision"`
	Status   string `json:"status"`
}

type versionError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

type batchOut struct {
	SuccessfulVersions map[string]successInfo  `json:"successfulVersions"`
	FailedVersions     map[string]versionError `json:"failedVersions"`
}

func batchToWire(results map[string]service.VersionResult) batchOut {
	out := batchOut{SuccessfulVersions: map[string]successInfo{}, FailedVersions: map[string]versionError{}}
	for v, r := range results {
		if r.Failed() {
			out.FailedVersions[v] = versionError{r.Code, r.Message}
		} else {
			out.SuccessfulVersions[v] = successInfo{r.Revision, r.Status}
		}
	}
	return out
}

type batchIn struct {
	Versions         []string          `json:"versions"`
	VersionRevisions map[string]string `json:"versionRevisions"`
	ExpectedStatus   string            `json:"expectedStatus"`
}

func (b batchIn) toService() service.BatchInput {
	return service.BatchInput{Versions: b.Versions, VersionRevisions: b.VersionRevisions, ExpectedStatus: b.ExpectedStatus}
}

// batchOp is the operation that reads a package from the query string and a
// batch of its versions from the body, runs fn on them and answers the
// per-version results.
func batchOp(fn func(context.Context, service.Caller, service.PackageRef, service.BatchInput) (map[string]service.VersionResult, error)) Op {
	return func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := packageRef(req)
		if err != nil {
			return nil, err
		}
		var in batchIn
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		res, err := fn(ctx, c, ref, in.toService())
		if err != nil {
			return nil, err
		}
		return batchToWire(res), nil
	}
}

func (h *CodeArtifact) registerVersionOps() {
	s := h.Svc
	h.Register("UpdatePackageVersionsStatus", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := packageRef(req)
		if err != nil {
			return nil, err
		}
		var in struct {
			batchIn
			TargetStatus string `json:"targetStatus"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.TargetStatus == "" {
			return nil, validationNull("targetStatus")
		}
		res, err := s.UpdatePackageVersionsStatus(ctx, c, ref, in.toService(), in.TargetStatus)
		if err != nil {
			return nil, err
		}
		return batchToWire(res), nil
	})
	h.Register("DeletePackageVersions", batchOp(s.DeletePackageVersions))
	h.Register("DisposePackageVersions", batchOp(s.DisposePackageVersions))
	h.Register("DeletePackage", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, err := packageRef(req)
		if err != nil {
			return nil, err
		}
		p, err := s.DeletePackage(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		return struct {
			DeletedPackage packageSummary `json:"deletedPackage"`
		}{packageSummary{string(p.Format), p.Namespace, p.Name, originToWire(p.Origin)}}, nil
	})
	h.Register("CopyPackageVersions", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		d, err := req.Required("domain")
		if err != nil {
			return nil, err
		}
		src, err := req.Required("source-repository")
		if err != nil {
			return nil, err
		}
		dst, err := req.Required("destination-repository")
		if err != nil {
			return nil, err
		}
		f, err := req.Required("format")
		if err != nil {
			return nil, err
		}
		p, err := req.Required("package")
		if err != nil {
			return nil, err
		}
		var in struct {
			batchIn
			AllowOverwrite      bool `json:"allowOverwrite"`
			IncludeFromUpstream bool `json:"includeFromUpstream"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		ref := service.PackageRef{RepoRef: service.RepoRef{DomainOwner: req.Query("domain-owner"), Domain: d, Repository: src},
			Format: f, Namespace: req.Query("namespace"), Package: p}
		res, err := s.CopyPackageVersions(ctx, c, ref, service.CopyInput{BatchInput: in.toService(), Source: src, Destination: dst,
			AllowOverwrite: in.AllowOverwrite, IncludeFromUpstream: in.IncludeFromUpstream})
		if err != nil {
			return nil, err
		}
		return batchToWire(res), nil
	})
	h.Register("PublishPackageVersion", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		ref, ver, err := packageVersionRef(req)
		if err != nil {
			return nil, err
		}
		asset, err := req.Required("asset")
		if err != nil {
			return nil, err
		}
		sum := req.HTTP.Header.Get("X-Amz-Content-Sha256")
		if sum == "" {
			return nil, validationNull("assetSHA256")
		}
		v, a, err := s.PublishPackageVersion(ctx, c, service.PublishInput{PackageRef: ref, Version: ver, Asset: asset, SHA256: sum,
			Unfinished: req.Query("unfinished") == "true", Body: req.HTTP.Body})
		if err != nil {
			return nil, err
		}
		return struct {
			Format          string       `json:"format"`
			Namespace       string       `json:"namespace,omitempty"`
			Package         string       `json:"package"`
			Version         string       `json:"version"`
			VersionRevision string       `json:"versionRevision"`
			Status          string       `json:"status"`
			Asset           assetSummary `json:"asset"`
		}{ref.Format, v.Namespace, v.Name, v.Version, v.Revision, v.Status, assetToWire(a)}, nil
	})
}
