package awsapi

import (
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Wire shapes of the CodeArtifact model (JSON member names exactly as the model).

// epoch renders a time as the JSON number of epoch seconds the SDKs require.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

type tagJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func tagsToWire(tags []model.Tag) []tagJSON {
	out := make([]tagJSON, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagJSON{t.Key, t.Value})
	}
	return out
}

func tagsFromWire(tags []tagJSON) []model.Tag {
	out := make([]model.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, model.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

type domainDescription struct {
	Name            string  `json:"name"`
	Owner           string  `json:"owner"`
	Arn             string  `json:"arn"`
	Status          string  `json:"status"`
	CreatedTime     float64 `json:"createdTime"`
	EncryptionKey   string  `json:"encryptionKey"`
	RepositoryCount int     `json:"repositoryCount"`
	AssetSizeBytes  int64   `json:"assetSizeBytes"`
	S3BucketArn     string  `json:"s3BucketArn"`
}

func domainToWire(d service.DomainInfo) domainDescription {
	return domainDescription{
		Name: d.Name, Owner: d.Owner, Arn: d.ARN(), Status: d.Status, CreatedTime: epoch(d.CreatedAt),
		EncryptionKey: d.EncryptionKey, RepositoryCount: d.RepositoryCount, AssetSizeBytes: d.AssetSizeBytes,
		// wharf keeps assets in its own blob store; this names the per-account
		// bucket an AWS domain reports, so tools that read the field get a value.
		S3BucketArn: "arn:aws:s3:::assets-" + d.Owner + "-" + d.Region,
	}
}

type domainSummary struct {
	Name          string  `json:"name"`
	Owner         string  `json:"owner"`
	Arn           string  `json:"arn"`
	Status        string  `json:"status"`
	CreatedTime   float64 `json:"createdTime"`
	EncryptionKey string  `json:"encryptionKey"`
}

type upstreamInfo struct {
	RepositoryName string `json:"repositoryName"`
}

type externalConnectionInfo struct {
	ExternalConnectionName string `json:"externalConnectionName"`
	PackageFormat          string `json:"packageFormat"`
	Status                 string `json:"status"`
}

type repositoryDescription struct {
	Name                 string                   `json:"name"`
	AdministratorAccount string                   `json:"administratorAccount"`
	DomainName           string                   `json:"domainName"`
	DomainOwner          string                   `json:"domainOwner"`
	Arn                  string                   `json:"arn"`
	Description          string                   `json:"description"`
	Upstreams            []upstreamInfo           `json:"upstreams"`
	ExternalConnections  []externalConnectionInfo `json:"externalConnections"`
	CreatedTime          float64                  `json:"createdTime"`
}

func repositoryToWire(r model.Repository) repositoryDescription {
	out := repositoryDescription{
		Name: r.Name, AdministratorAccount: r.AdministratorAccount, DomainName: r.DomainName,
		DomainOwner: r.DomainOwner, Arn: r.ARN(), Description: r.Description, CreatedTime: epoch(r.CreatedAt),
		Upstreams: []upstreamInfo{}, ExternalConnections: []externalConnectionInfo{},
	}
	for _, u := range r.Upstreams {
		out.Upstreams = append(out.Upstreams, upstreamInfo{u})
	}
	for _, ec := range r.ExternalConnections {
		// AWS answers "AVAILABLE" (the CLI examples and the Terraform acceptance test),
		// although the model's enum spells it "Available".
		out.ExternalConnections = append(out.ExternalConnections, externalConnectionInfo{ec.Name, string(ec.Format), "AVAILABLE"})
	}
	return out
}

type repositorySummary struct {
	Name                 string  `json:"name"`
	AdministratorAccount string  `json:"administratorAccount"`
	DomainName           string  `json:"domainName"`
	DomainOwner          string  `json:"domainOwner"`
	Arn                  string  `json:"arn"`
	Description          string  `json:"description"`
	CreatedTime          float64 `json:"createdTime"`
}

func repositorySummaryToWire(r model.Repository) repositorySummary {
	return repositorySummary{r.Name, r.AdministratorAccount, r.DomainName, r.DomainOwner, r.ARN(), r.Description, epoch(r.CreatedAt)}
}

type resourcePolicy struct {
	ResourceArn string `json:"resourceArn"`
	Revision    string `json:"revision"`
	Document    string `json:"document"`
}

func policyToWire(p model.Policy) resourcePolicy {
	return resourcePolicy{p.ResourceARN, p.Revision, p.Document}
}

type modelRepository = model.Repository
