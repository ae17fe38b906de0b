// Package service holds wharf's control-plane use cases: domains, repositories,
// their policies and tags, authorization tokens and endpoints. It validates input,
// enforces CodeArtifact's semantics and talks to the metadata store; it knows
// nothing about HTTP or wire shapes (awsapi does that).
package service

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/store"
)

// Limits from the CodeArtifact quotas page (reference §4.9) and model shapes.
const (
	MaxDirectUpstreams   = 10
	MaxSearchedRepos     = 25
	MaxTagsPerResource   = 200
	MaxPolicyDocument    = 7168
	DefaultTokenDuration = 12 * time.Hour
	MinTokenDuration     = 15 * time.Minute
	MaxTokenDuration     = 12 * time.Hour
	DefaultMaxResults    = 100
)

// TokenIssuer issues authorization tokens (auth.Tokens satisfies it).
type TokenIssuer interface {
	Issue(ctx context.Context, p model.Principal, sessionTags map[string]string, d model.Domain, ttl time.Duration) (string, time.Time, error)
}

// PolicyValidator parses a policy document, returning an apperr Validation error
// when it is not an acceptable IAM resource policy.
type PolicyValidator func(doc string) error

// Service implements the control plane.
type Service struct {
	Store    store.Store
	Packages *packages.Engine
	Region   string
	Tokens   TokenIssuer
	Validate PolicyValidator
	Now      func() time.Time
	Log      *slog.Logger
	// Upstreams says which external connections have an upstream URL, so that
	// associating one without is reported (nil: not checked).
	Upstreams packages.Configured
	// ConnectionsChanged, when set, is called after an external connection is
	// associated or disassociated (the /healthz detail is recomputed).
	ConnectionsChanged func(ctx context.Context)
	// MaxAssetBytes bounds one generic asset (PublishPackageVersion); 0 means
	// no bound of its own (the request body limit still applies).
	MaxAssetBytes int64
	// Identities loads callers' identity policies for IAM's decision; nil
	// keeps the pre-IAM rule (see AuthorizeCaller).
	Identities IdentityLoader
	// OrgID is the organization every account of this wharf belongs to
	// (aws:PrincipalOrgID); "" for none.
	OrgID string
	// BlobGC removes the blobs disposals and deletions leave unreferenced
	// (internal/blobgc); nil leaves them to the periodic collection.
	BlobGC BlobSweeper
	// ExternalKMS: domain keys live in an external KMS (--kms aws). A key ARN
	// that is not one of wharf's own KMS keys is then accepted at
	// CreateDomain as that KMS's, and checked on first use.
	ExternalKMS bool
	// Serves reports whether wharf serves a format's package endpoint (nil:
	// every format). GetRepositoryEndpoint and AssociateExternalConnection
	// refuse the others rather than hand out a URL that answers 404.
	Serves func(model.Format) bool
	// Proxies reports whether wharf proxies a served format's external
	// connections (nil: every served format). AssociateExternalConnection
	// refuses a connection it would not fetch through.
	Proxies func(model.Format) bool

	// parsed memoizes resource policies parsed from their text (authorize.go).
	parsed parsedPolicies
}

// BlobSweeper removes a domain's blobs that nothing references or pins
// (Sweep), and pins blobs a copy is about to reference (Hold: NotFound when
// one is already gone).
type BlobSweeper interface {
	Sweep(ctx context.Context, owner, domain string, sha256s []string) (int, error)
	Hold(ctx context.Context, owner, domain string, sha256s []string) error
}

// Caller is the authenticated principal making a request.
type Caller struct {
	Principal model.Principal
	// RoleARN and SessionTags come with STS session credentials.
	RoleARN     string
	SessionTags map[string]string
	// SessionExpires ends a session's credentials; zero for long-term keys.
	SessionExpires time.Time
	// SourceIP is the client's address (aws:SourceIp); "" when unknown.
	SourceIP string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// owner resolves an optional domain-owner parameter to the caller's account.
func owner(c Caller, given string) (string, error) {
	if given == "" {
		return c.Principal.Account, nil
	}
	if !accountRe.MatchString(given) {
		return "", apperr.Validationf("domainOwner %q must be a 12-digit account id", given)
	}
	return given, nil
}

// checkAccess enforces resource policies on an action (see Authorize).
func (s *Service) checkAccess(ctx context.Context, c Caller, action, domainOwner, resourceARN string) error {
	return s.authorizeResource(ctx, c, action, domainOwner, resourceARN)
}

// DefaultEncryptionKey is the key ARN a domain created without one reports, standing
// in for the account's AWS-managed aws/codeartifact key. It is stable per account and
// region so Terraform state converges.
func DefaultEncryptionKey(region, account string) string {
	h := sha256.Sum256([]byte("aws/codeartifact|" + region + "|" + account))
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%x-%x-%x-%x-%x", region, account, h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// record appends to the audit trail through the package engine's recorder.
func (s *Service) record(ctx context.Context, recs ...model.AuditRecord) {
	if s.Packages != nil {
		s.Packages.Audit.Record(ctx, recs...)
	}
}
