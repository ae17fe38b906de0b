// Package store defines wharf's metadata store. Backends (sqlite, postgres) live in
// subpackages and all pass the conformance suite in storetest.
//
// Conventions every backend follows:
//   - not found is apperr.NotFound, a duplicate create is apperr.Conflict;
//   - List calls take an opaque cursor ("" to start) and a limit, and return the next
//     cursor ("" at the end); order is by name;
//   - every multi-row write is one transaction: a crash leaves all of it or none.
package store

import (
	"context"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// Page is a list request's window.
type Page struct {
	Cursor string
	Limit  int
}

// RepositoryFilter selects repositories for ListRepositories.
type RepositoryFilter struct {
	// DomainOwner and DomainName, when set, restrict to one domain.
	DomainOwner, DomainName string
	// AdministratorAccount, when set, restricts to repositories it administers.
	AdministratorAccount string
	// Prefix restricts names to this prefix.
	Prefix string
}

// PackageFilter selects packages for ListPackages.
type PackageFilter struct {
	Format    model.Format // "" for all
	Namespace *string      // nil for any; pointer to "" means no namespace
	// NamespacePrefix keeps packages whose namespace starts with it ("" for
	// any): ListPackages' `namespace`, which the model documents as a prefix.
	NamespacePrefix string
	Prefix          string
	Publish         string // ALLOW/BLOCK or ""
	Upstream        string // ALLOW/BLOCK or ""
}

// VersionFilter selects versions for ListVersionsPage; empty fields match all.
type VersionFilter struct {
	Status     string // a model.Status* value
	OriginType string // a model.Origin* value
}

// The orders of ListVersionsPage.
const (
	// SortByVersion orders by version string, bytewise ascending.
	SortByVersion = ""
	// SortByPublishedTime orders newest first (no time last), then by version
	// string ascending among equal times.
	SortByPublishedTime = "PUBLISHED_TIME"
)

// AuditFilter selects audit records for ListAudit; empty fields match all.
type AuditFilter struct {
	DomainOwner, DomainName, Repository string
	Format                              model.Format
	Namespace                           *string // nil for any
	Package                             string
	Principal                           string
	Since, Until                        time.Time // Since inclusive, Until exclusive; zero = unbounded
}

// Store is wharf's metadata store.
type Store interface {
	// Access keys (SigV4 credentials).
	PutAccessKey(ctx context.Context, k model.AccessKey) error
	GetAccessKey(ctx context.Context, id string) (model.AccessKey, error)
	// ListAccessKeyIDs lists every access key id (maintenance: re-sealing secrets).
	ListAccessKeyIDs(ctx context.Context) ([]string, error)
	// ListAccessKeys returns the keys bound to a principal ARN, oldest first.
	ListAccessKeys(ctx context.Context, principalARN string) ([]model.AccessKey, error)
	// DeleteAccessKey deletes a key; NotFound when there is none.
	DeleteAccessKey(ctx context.Context, id string) error
	// DeleteExpiredSessions deletes session keys that expired before t.
	DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error)

	// IAM entities (see model.IAMEntity). CreateIAMEntity fails with
	// Conflict when (account, kind, parent, lower(name)) exists;
	// PutIAMEntity creates or replaces. ListIAMEntities lists one parent's
	// entities of a kind ordered by lower-case name, or every parent's when
	// parent is "*". Get and Delete answer NotFound for a missing entity.
	CreateIAMEntity(ctx context.Context, e model.IAMEntity) error
	PutIAMEntity(ctx context.Context, e model.IAMEntity) error
	GetIAMEntity(ctx context.Context, account, kind, parent, name string) (model.IAMEntity, error)
	ListIAMEntities(ctx context.Context, account, kind, parent string) ([]model.IAMEntity, error)
	DeleteIAMEntity(ctx context.Context, account, kind, parent, name string) error

	// Authorization tokens, stored by hash.
	PutToken(ctx context.Context, t model.AuthToken) error
	GetToken(ctx context.Context, hash string) (model.AuthToken, error)
	// DeleteExpiredTokens deletes at most limit tokens that expired at or before
	// now and reports how many it deleted (bounded work per call).
	DeleteExpiredTokens(ctx context.Context, now time.Time, limit int) (int64, error)

	// Domains. CreateDomain fails with Conflict when (owner, name) exists.
	// DeleteDomain fails with Conflict while the domain has repositories, and
	// removes the domain's policy and tags with it, and the tags of its package
	// groups (stored or implicit, like the root group "/*").
	CreateDomain(ctx context.Context, d model.Domain) error
	GetDomain(ctx context.Context, owner, name string) (model.Domain, error)
	ListDomains(ctx context.Context, owner string, p Page) ([]model.Domain, string, error)
	DeleteDomain(ctx context.Context, owner, name string) error
	// DomainStats returns the repository count and total stored asset bytes (deduplicated).
	DomainStats(ctx context.Context, owner, name string) (repositories int, assetBytes int64, err error)

	// Repositories. CreateRepository fails with NotFound when the domain is missing
	// and Conflict when the name is taken. UpdateRepository replaces the stored row
	// (description, upstreams, external connections). DeleteRepository removes the
	// repository with its policy, tags, packages, versions, dist-tags and asset
	// rows, and takes its name off the allowed repositories of the domain's
	// package groups.
	CreateRepository(ctx context.Context, r model.Repository) error
	GetRepository(ctx context.Context, owner, domain, name string) (model.Repository, error)
	UpdateRepository(ctx context.Context, r model.Repository) error
	DeleteRepository(ctx context.Context, owner, domain, name string) error
	ListRepositories(ctx context.Context, f RepositoryFilter, p Page) ([]model.Repository, string, error)

	// Resource policies, keyed by resource ARN. PutPolicy is a compare-and-swap:
	// expectedRevision "" means "only if there is none"; otherwise it must equal the
	// stored revision, else Conflict. DeletePolicy with expectedRevision "" deletes
	// whatever is there; NotFound when there is none.
	GetPolicy(ctx context.Context, resourceARN string) (model.Policy, error)
	PutPolicy(ctx context.Context, p model.Policy, expectedRevision string) error
	DeletePolicy(ctx context.Context, resourceARN, expectedRevision string) (model.Policy, error)

	// Tags, keyed by resource ARN; ordered by key.
	ListTags(ctx context.Context, resourceARN string) ([]model.Tag, error)
	// SetTags adds or overwrites the given tags.
	SetTags(ctx context.Context, resourceARN string, tags []model.Tag) error
	RemoveTags(ctx context.Context, resourceARN string, keys []string) error

	// Packages (per repository). PutPackage creates or updates the origin configuration.
	GetPackage(ctx context.Context, k model.PackageKey) (model.Package, error)
	PutPackage(ctx context.Context, p model.Package) error
	ListPackages(ctx context.Context, owner, domain, repo string, f PackageFilter, p Page) ([]model.Package, string, error)
	DeletePackage(ctx context.Context, k model.PackageKey) error

	// Dist-tags: named pointers at versions (npm's dist-tags), per package and
	// part of it, so DeletePackage and DeleteRepository remove them too.
	// GetDistTags returns tag -> version, empty (not NotFound) when the package
	// has none or does not exist. SetDistTags adds or overwrites the given tags
	// in one transaction; NotFound when the package does not exist.
	// DeleteDistTag removes one tag; NotFound when it is not set.
	GetDistTags(ctx context.Context, k model.PackageKey) (map[string]string, error)
	SetDistTags(ctx context.Context, k model.PackageKey, tags map[string]string) error
	DeleteDistTag(ctx context.Context, k model.PackageKey, tag string) error

	// Package versions. CreateVersion stores the version, its assets and (if absent)
	// its package row with origin in one transaction; Conflict when the version exists.
	CreateVersion(ctx context.Context, pkg model.Package, v model.PackageVersion, assets []model.Asset) error
	// AddAsset appends an asset to an existing version (Maven, generic with unfinished);
	// Conflict when an asset of that name with other content exists, nil when identical.
	AddAsset(ctx context.Context, k model.PackageKey, version string, a model.Asset) error
	GetVersion(ctx context.Context, k model.PackageKey, version string) (model.PackageVersion, error)
	// ListVersions lists a package's versions. It may leave Readme empty (the
	// sealed store does, so a listing does not cost every readme); GetVersion
	// returns it.
	ListVersions(ctx context.Context, k model.PackageKey) ([]model.PackageVersion, error)
	// ListVersionsPage is one page of a package's versions matching f, in the
	// order sortBy names (SortByVersion or SortByPublishedTime), with keyset
	// cursors: a page reads O(p.Limit) rows however many versions there are.
	// The versions carry their key, version, status, revision, origin and
	// published time only (what a listing shows; no content). NotFound when the
	// package does not exist; Validation for a cursor it did not return.
	ListVersionsPage(ctx context.Context, k model.PackageKey, f VersionFilter, sortBy string, p Page) ([]model.PackageVersion, string, error)
	// DefaultDisplayVersion is the version package managers show by default:
	// of the Published versions, the newest by published time (a version
	// without one counts as oldest), the greatest version string among equal
	// times; "" when none is Published or the package does not exist.
	DefaultDisplayVersion(ctx context.Context, k model.PackageKey) (string, error)
	UpdateVersion(ctx context.Context, v model.PackageVersion) error
	DeleteVersion(ctx context.Context, k model.PackageKey, version string) error
	ListAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error)

	// DeleteAssets removes a version's asset rows (the version stays) and
	// returns them, so the caller can sweep the blobs they referenced;
	// NotFound when the version does not exist.
	DeleteAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error)

	// Blob garbage collection (internal/blobgc). A pin says "a writer is
	// about to reference this blob of the domain": PinBlob records one (ids
	// are the caller's, unique) before the blob is committed to blob storage;
	// UnpinBlobs drops pins once the writer's asset rows are recorded or
	// abandoned; a pin never released protects its blob until the collector
	// deems it stale. SweepBlob decides and removes in one step: if no asset
	// row of the domain references the digest and no pin for it was taken at
	// or after pinnedSince, it calls remove (which deletes the blob) and drops
	// the digest's stale pins, reporting true. PinBlob and SweepBlob of one
	// digest exclude each other (SQLite's single writer; a PostgreSQL advisory
	// transaction lock), so a pin either comes first and the blob stays, or
	// comes after the removal and the writer stores the bytes anew.
	// DeleteStalePins drops pins taken before t.
	PinBlob(ctx context.Context, owner, domain, sha256, id string, at time.Time) error
	UnpinBlobs(ctx context.Context, ids []string) error
	SweepBlob(ctx context.Context, owner, domain, sha256 string, pinnedSince time.Time, remove func(context.Context) error) (bool, error)
	DeleteStalePins(ctx context.Context, before time.Time) (int64, error)

	// Leases: a named lease held by one holder until it expires, so replicas
	// sharing a database take turns at singleton work (a GC pass).
	// AcquireLease takes or renews the lease for holder until now+ttl and
	// reports whether holder has it (false while another holder's lease is
	// unexpired). ReleaseLease ends holder's lease; a no-op otherwise.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error

	// Upstream metadata cache.
	GetCache(ctx context.Context, key string) (model.CacheEntry, error)
	PutCache(ctx context.Context, e model.CacheEntry) error

	// KMS keys of wharf's KMS subset, per account; a key's tags are the Tags
	// above under its ARN. PutKMSKey creates or replaces. DeleteKMSKey removes
	// the key with its aliases and tags. ListKMSKeys orders by key id.
	PutKMSKey(ctx context.Context, k model.KMSKey) error
	GetKMSKey(ctx context.Context, account, keyID string) (model.KMSKey, error)
	ListKMSKeys(ctx context.Context, account string, p Page) ([]model.KMSKey, string, error)
	DeleteKMSKey(ctx context.Context, account, keyID string) error

	// KMS aliases, per account, named with their alias/ prefix. CreateKMSAlias
	// fails with Conflict when the name exists and NotFound when the target key
	// does not; UpdateKMSAlias retargets an existing alias (NotFound otherwise).
	CreateKMSAlias(ctx context.Context, a model.KMSAlias) error
	UpdateKMSAlias(ctx context.Context, a model.KMSAlias) error
	GetKMSAlias(ctx context.Context, account, name string) (model.KMSAlias, error)
	DeleteKMSAlias(ctx context.Context, account, name string) error
	ListKMSAliases(ctx context.Context, account string, p Page) ([]model.KMSAlias, string, error)

	// Package groups of a domain, keyed by (owner, domain, pattern); the root
	// group "/*" is implicit until first stored. CreatePackageGroup fails with
	// NotFound when the domain is missing and Conflict when the pattern exists;
	// it replaces any stale tags under the group's ARN with the given ones in
	// the same transaction. UpdatePackageGroup replaces the stored row (contact
	// info, description, restrictions, allowed repositories); NotFound when
	// absent. DeletePackageGroup removes the group with its tags.
	// ListPackageGroups orders by pattern and keeps patterns starting with prefix.
	// Deleting a domain removes its groups.
	CreatePackageGroup(ctx context.Context, g model.PackageGroup, tags []model.Tag) error
	GetPackageGroup(ctx context.Context, owner, domain, pattern string) (model.PackageGroup, error)
	UpdatePackageGroup(ctx context.Context, g model.PackageGroup) error
	DeletePackageGroup(ctx context.Context, owner, domain, pattern string) error
	ListPackageGroups(ctx context.Context, owner, domain, prefix string, p Page) ([]model.PackageGroup, string, error)

	// Audit trail: append-only; nothing updates or deletes a record (deleting a
	// domain or repository leaves its history). AppendAudit stores the records
	// and, for each record that is a package version state change
	// (Detail.OperationType set), one outbox row per webhook, in one
	// transaction; it sets the records' IDs. ListAudit orders by ID; the
	// cursor is the last ID returned.
	AppendAudit(ctx context.Context, recs []model.AuditRecord, webhooks []string) error
	ListAudit(ctx context.Context, f AuditFilter, p Page) ([]model.AuditRecord, string, error)

	// Event outbox. ClaimDeliveries returns up to limit deliveries due at now,
	// in record order, and makes them due again only after lease (so that
	// replicas sharing a database do not send the same one at once, and a
	// crash mid-delivery retries it). FinishDelivery removes a delivered one;
	// RetryDelivery counts a failed attempt and schedules the next.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Delivery, error)
	FinishDelivery(ctx context.Context, id int64) error
	RetryDelivery(ctx context.Context, id int64, next time.Time, lastErr string) error

	// Domain generations: a per-domain change counter that caches compare
	// against (internal/store/cached). Generation is 0 for a domain never
	// bumped; BumpGeneration increments and returns the new value. Counters
	// are never reset, not even by DeleteDomain, so a re-created domain never
	// repeats a value a cache may still hold.
	Generation(ctx context.Context, owner, domain string) (int64, error)
	BumpGeneration(ctx context.Context, owner, domain string) (int64, error)

	Close() error
}
