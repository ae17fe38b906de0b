// Package model holds wharf's pure data types: the CodeArtifact resources as the
// service layer sees them. Nothing here knows about HTTP, SQL or JSON wire shapes.
package model

import (
	"fmt"
	"strings"
	"time"
)

// DefaultAccount is the account the embedded default bootstraps.
const DefaultAccount = "000000000000"

// Format is a package format, spelled as the CodeArtifact API spells it.
type Format string

const (
	FormatNpm     Format = "npm"
	FormatPypi    Format = "pypi"
	FormatMaven   Format = "maven"
	FormatNuget   Format = "nuget"
	FormatGeneric Format = "generic"
	FormatRuby    Format = "ruby"
	FormatSwift   Format = "swift"
	FormatCargo   Format = "cargo"
)

// Formats lists every format the API accepts, in the model's enum order.
var Formats = []Format{FormatNpm, FormatPypi, FormatMaven, FormatNuget, FormatGeneric, FormatRuby, FormatSwift, FormatCargo}

// ValidFormat reports whether f is one of Formats.
func ValidFormat(f string) bool {
	for _, x := range Formats {
		if string(x) == f {
			return true
		}
	}
	return false
}

// ExternalConnections maps each supported external connection name to its format.
var ExternalConnections = map[string]Format{
	"public:npmjs":               FormatNpm,
	"public:pypi":                FormatPypi,
	"public:maven-central":       FormatMaven,
	"public:maven-googleandroid": FormatMaven,
	"public:maven-gradleplugins": FormatMaven,
	"public:maven-commonsware":   FormatMaven,
	"public:maven-clojars":       FormatMaven,
	"public:nuget-org":           FormatNuget,
	"public:ruby-gems-org":       FormatRuby,
	"public:crates-io":           FormatCargo,
}

// Principal is an IAM-style identity that signs requests.
type Principal struct {
	Account string // 12 digits
	ARN     string // arn:aws:iam::ACCOUNT:root or arn:aws:iam::ACCOUNT:user/NAME
	UserID  string // what GetCallerIdentity reports as UserId
}

// IsRoot reports whether p is its account's root user
// (arn:aws:iam::ACCOUNT:root), without building that ARN.
func (p Principal) IsRoot() bool {
	rest, ok := strings.CutPrefix(p.ARN, "arn:aws:iam::")
	return ok && strings.HasSuffix(rest, ":root") && rest[:len(rest)-len(":root")] == p.Account
}

// AccessKey is a SigV4 credential pair bound to a principal: a long-term key
// of an account root or IAM user, or the temporary credentials of an STS
// session (SessionTokenHash set, ExpiresAt set).
type AccessKey struct {
	AccessKeyID     string
	SecretAccessKey string
	Principal       Principal
	CreatedAt       time.Time
	// Status is "Active" or "Inactive" (IAM's UpdateAccessKey); "" reads as
	// Active.
	Status string
	// SessionTokenHash is the hex SHA-256 of an STS session's token, which
	// requests must carry as X-Amz-Security-Token; "" for long-term keys.
	SessionTokenHash string
	// RoleARN is the full ARN of the role a session assumed.
	RoleARN string
	// SessionTags are a session's tags (aws:PrincipalTag for the session).
	SessionTags map[string]string
	// ExpiresAt ends a session; zero for long-term keys.
	ExpiresAt time.Time
}

// Inactive reports whether the key has been deactivated.
func (k AccessKey) Inactive() bool { return k.Status == "Inactive" }

// IAMEntity is one IAM object (user, role, managed policy, policy version,
// inline policy, attachment, OIDC provider) of an account, stored as a JSON
// document the IAM service owns. Kind, Parent and Name identify it; names
// compare case-insensitively as IAM's do.
type IAMEntity struct {
	Account   string
	Kind      string // e.g. "user", "role", "policy", "policy-version", "inline-policy", "attachment", "oidc-provider"
	Parent    string // the owning entity, e.g. "role/ci" for an inline policy; "" for top-level ones
	Name      string
	Body      []byte // JSON
	CreatedAt time.Time
}

// Domain is a CodeArtifact domain.
type Domain struct {
	Name          string
	Owner         string
	Region        string
	EncryptionKey string // KMS key ARN
	Status        string // "Active"
	CreatedAt     time.Time
}

// ARN returns the domain's ARN.
func (d Domain) ARN() string { return DomainARN(d.Region, d.Owner, d.Name) }

// DomainARN builds arn:aws:codeartifact:REGION:OWNER:domain/NAME.
// (Concatenation, not fmt: ARNs are built several times per authorized request.)
func DomainARN(region, owner, name string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":domain/" + name
}

// RepositoryARN builds arn:aws:codeartifact:REGION:OWNER:repository/DOMAIN/REPO.
func RepositoryARN(region, owner, domain, repo string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":repository/" + domain + "/" + repo
}

// PackageARN builds arn:aws:codeartifact:REGION:OWNER:package/DOMAIN/REPO/FORMAT/NAMESPACE/NAME;
// an empty namespace leaves an empty segment, as AWS does.
func PackageARN(region, owner, domain, repo string, format Format, namespace, name string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":package/" + domain + "/" + repo + "/" + string(format) + "/" + namespace + "/" + name
}

// ExternalConnection is one repository's link to a public registry.
type ExternalConnection struct {
	Name   string // e.g. public:npmjs
	Format Format
}

// Repository is a CodeArtifact repository.
type Repository struct {
	Name                 string
	DomainName           string
	DomainOwner          string
	AdministratorAccount string
	Region               string
	Description          string
	Upstreams            []string // repository names in the same domain, in priority order
	ExternalConnections  []ExternalConnection
	CreatedAt            time.Time
}

// ARN returns the repository's ARN (the domain owner's account, as AWS does).
func (r Repository) ARN() string {
	return RepositoryARN(r.Region, r.DomainOwner, r.DomainName, r.Name)
}

// Policy is a resource policy attached to a domain or repository.
type Policy struct {
	ResourceARN string
	Document    string
	Revision    string
}

// Tag is one resource tag.
type Tag struct {
	Key   string
	Value string
}

// AuthToken is an issued authorization token; only its hash is stored.
type AuthToken struct {
	Hash        string // hex SHA-256 of the token
	Principal   Principal
	DomainOwner string
	DomainName  string
	// DomainCreatedAt is the creation time of the domain the token was issued
	// for: it binds the token to that incarnation of the domain, so a token does
	// not outlive DeleteDomain when a domain of the same name is created again.
	DomainCreatedAt time.Time
	ExpiresAt       time.Time
	CreatedAt       time.Time
	// SessionTags are the tags of the STS session the token was issued to
	// (nil otherwise): package endpoints decide aws:PrincipalTag with them,
	// as the control plane does with the session's credentials.
	SessionTags map[string]string
}

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
// It cuts s in place (no allocation: policy evaluation parses ARNs on every
// authorized request); the resource keeps any further colons.
func ParseARN(s string) (ARN, error) {
	var a ARN
	rest, ok := strings.CutPrefix(s, "arn:")
	for _, f := range []*string{&a.Partition, &a.Service, &a.Region, &a.Account} {
		if !ok {
			break
		}
		*f, rest, ok = strings.Cut(rest, ":")
	}
	if !ok || a.Partition == "" || a.Service == "" {
		return ARN{}, fmt.Errorf("invalid ARN %q", s)
	}
	a.Resource = rest
	return a, nil
}

func (a ARN) String() string {
	return strings.Join([]string{"arn", a.Partition, a.Service, a.Region, a.Account, a.Resource}, ":")
}

// Origin restriction modes.
const (
	Allow = "ALLOW"
	Block = "BLOCK"
)

// OriginRestrictions is a package's origin control (the dependency-confusion defence).
type OriginRestrictions struct {
	Publish  string // ALLOW | BLOCK
	Upstream string // ALLOW | BLOCK
}

// PackageKey names a package inside one repository.
type PackageKey struct {
	DomainOwner string
	DomainName  string
	Repository  string
	Format      Format
	Namespace   string // npm scope without "@", Maven groupId; empty for pypi
	Name        string // normalized per format
}

// Package is a package in one repository.
type Package struct {
	PackageKey
	Origin OriginRestrictions
}

// Version statuses.
const (
	StatusPublished  = "Published"
	StatusUnfinished = "Unfinished"
	StatusUnlisted   = "Unlisted"
	StatusArchived   = "Archived"
	StatusDisposed   = "Disposed"
	StatusDeleted    = "Deleted"
)

// Origin types of a package version.
const (
	OriginInternal = "INTERNAL"
	OriginExternal = "EXTERNAL"
	OriginUnknown  = "UNKNOWN"
)

// VersionOrigin says where a version entered the domain.
type VersionOrigin struct {
	// Type is INTERNAL (published to a repository of the domain) or EXTERNAL (fetched
	// through an external connection).
	Type string
	// Repository is the repository of the domain the version was first stored in;
	// ExternalConnection is set when it came from a public registry.
	Repository         string
	ExternalConnection string
}

// PackageVersion is one version of a package in one repository.
type PackageVersion struct {
	PackageKey
	Version     string
	Status      string
	Revision    string
	Origin      VersionOrigin
	Summary     string
	HomePage    string
	SourceCode  string
	Licenses    []License
	DisplayName string
	// Metadata is the format's own document for this version, stored verbatim
	// (npm: the version object of the packument; pypi: the core metadata as JSON;
	// maven: the pom summary). The format package owns its shape.
	Metadata     []byte
	Readme       string
	Dependencies []Dependency
	PublishedAt  time.Time
}

// License is one license a package version declares: its name (an SPDX id
// or the format's free text) and, when the format gives one (Maven's
// licenses[].url), where its text is.
type License struct {
	Name, URL string
}

// String is the license's name (what templates and logs show).
func (l License) String() string { return l.Name }

// LicenseNames makes licenses of names alone.
func LicenseNames(names ...string) []License {
	var out []License
	for _, n := range names {
		out = append(out, License{Name: n})
	}
	return out
}

// Dependency is one declared dependency of a package version.
type Dependency struct {
	Namespace      string
	Package        string
	DependencyType string // e.g. regular, dev, peer, optional, compile, runtime
	VersionReq     string
}

// Hashes are the digests CodeArtifact reports for an asset.
type Hashes struct {
	MD5, SHA1, SHA256, SHA512 string
}

// Asset is one file of a package version. Its bytes live in the blob store,
// content-addressed by SHA256 within the domain.
type Asset struct {
	Name   string
	Size   int64
	Hashes Hashes
}

// CacheEntry is upstream metadata (a packument, a simple index page, a
// maven-metadata.xml) kept by wharf with its validators.
type CacheEntry struct {
	Key       string // e.g. "npm|public:npmjs|lodash"
	Body      []byte
	ETag      string
	Status    int // 200, or 404 for a negative entry
	FetchedAt time.Time
}
