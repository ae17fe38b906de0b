package model

import "time"

// Audit actions: what changed what a domain holds.
const (
	AuditPublish       = "PublishPackageVersion"       // published by a client (npm publish, twine, mvn deploy, the API)
	AuditAddAsset      = "AddPackageVersionAsset"      // a file added to an existing version (Maven, PyPI, generic unfinished)
	AuditIngest        = "IngestPackageVersion"        // fetched through an external connection
	AuditRetain        = "RetainPackageVersion"        // copied downstream from an upstream repository when fetched
	AuditCopy          = "CopyPackageVersions"         // copied with the API
	AuditStatus        = "UpdatePackageVersionsStatus" // status changed (API, npm deprecate/unpublish)
	AuditUpdate        = "UpdatePackageVersion"        // metadata changed in place (e.g. npm deprecate)
	AuditDispose       = "DisposePackageVersions"
	AuditDeleteVersion = "DeletePackageVersions"
	AuditDeletePackage = "DeletePackage"
	AuditOrigin        = "PutPackageOriginConfiguration"
	AuditPolicy        = "PutPermissionsPolicy"
	AuditDeletePolicy  = "DeletePermissionsPolicy"
)

// Event operation types (CodeArtifact's detail.operationType).
const (
	OpCreated = "Created"
	OpUpdated = "Updated"
	OpDeleted = "Deleted"
)

// AuditRecord is one entry of the audit trail: append-only, never changed
// through the API. Records about a package version (OperationType set) are
// also delivered as events.
type AuditRecord struct {
	ID        int64     `json:"id"` // assigned by the store, increasing
	Time      time.Time `json:"time"`
	RequestID string    `json:"requestId,omitempty"`
	Principal string    `json:"principal,omitempty"` // ARN; "" for wharf's own work outside a request
	Action    string    `json:"action"`

	DomainOwner string `json:"domainOwner"`
	DomainName  string `json:"domain"`
	Repository  string `json:"repository,omitempty"`
	Format      Format `json:"format,omitempty"` // "" for a policy on a domain or repository
	Namespace   string `json:"namespace,omitempty"`
	Package     string `json:"package,omitempty"`
	Version     string `json:"version,omitempty"`

	Detail AuditDetail `json:"detail"`
}

// AuditDetail is what an action changed.
type AuditDetail struct {
	// OperationType (Created, Updated, Deleted) marks a package version state
	// change: an event is sent for it.
	OperationType  string `json:"operationType,omitempty"`
	Status         string `json:"status,omitempty"`
	PreviousStatus string `json:"previousStatus,omitempty"`
	Revision       string `json:"revision,omitempty"`
	// Origin of the version: the external connection and the upstream URL it
	// was fetched from, or the repository it was copied/retained from.
	ExternalConnection string       `json:"externalConnection,omitempty"`
	UpstreamURL        string       `json:"upstreamUrl,omitempty"`
	SourceRepository   string       `json:"sourceRepository,omitempty"`
	Assets             []AuditAsset `json:"assets,omitempty"`
	AssetsAdded        int          `json:"assetsAdded,omitempty"`
	// Origin configuration and policies.
	Publish        string `json:"publish,omitempty"`
	Upstream       string `json:"upstream,omitempty"`
	ResourceARN    string `json:"resourceArn,omitempty"`
	PolicyRevision string `json:"policyRevision,omitempty"`
}

// AuditAsset names an asset by its hashes.
type AuditAsset struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	SHA512 string `json:"sha512,omitempty"`
}

// AuditAssets describes assets for the audit trail.
func AuditAssets(as []Asset) []AuditAsset {
	out := make([]AuditAsset, 0, len(as))
	for _, a := range as {
		out = append(out, AuditAsset{Name: a.Name, Size: a.Size, SHA256: a.Hashes.SHA256, SHA512: a.Hashes.SHA512})
	}
	return out
}

// Delivery is one pending delivery of an audit record's event to a webhook
// (the outbox).
type Delivery struct {
	ID       int64
	Webhook  string
	Attempts int
	Record   AuditRecord
}
