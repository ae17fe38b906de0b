package sqlcommon

// The errors both backends answer for missing or conflicting resources.

import (
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// DisplayName is namespace/name, or name without a namespace.
func DisplayName(k model.PackageKey) string {
	if k.Namespace == "" {
		return k.Name
	}
	return k.Namespace + "/" + k.Name
}

// DomainNotFound is the error for a missing domain.
func DomainNotFound(name string) error {
	return apperr.NotFoundf("domain", name, "domain %s not found", name)
}

// RepositoryNotFound is the error for a missing repository.
func RepositoryNotFound(name string) error {
	return apperr.NotFoundf("repository", name, "repository %s not found", name)
}

// PackageNotFound is the error for a missing package.
func PackageNotFound(k model.PackageKey) error {
	return apperr.NotFoundf("package", k.Name, "package %s not found in repository %s", DisplayName(k), k.Repository)
}

// VersionNotFound is the error for a missing package version.
func VersionNotFound(k model.PackageKey, version string) error {
	return apperr.NotFoundf("package-version", version, "version %s of package %s not found in repository %s", version, DisplayName(k), k.Repository)
}

// PackageGroupNotFound is the error for a missing package group.
func PackageGroupNotFound(pattern string) error {
	return apperr.NotFoundf("package-group", pattern, "Package group not found: %s", pattern)
}

// KMSKeyNotFound is the error for a missing KMS key.
func KMSKeyNotFound(keyID string) error {
	return apperr.NotFoundf("kms-key", keyID, "key %s not found", keyID)
}

// KMSAliasNotFound is the error for a missing KMS alias.
func KMSAliasNotFound(name string) error {
	return apperr.NotFoundf("kms-alias", name, "alias %s not found", name)
}

// PolicyNotFound is the error for a resource without a policy.
func PolicyNotFound(arn string) error {
	typ, id := ARNResource(arn)
	return apperr.NotFoundf(typ, id, "no resource policy on %s", arn)
}

// PolicyConflict is the error for a policy revision that is not the current one.
func PolicyConflict(arn string) error {
	typ, id := ARNResource(arn)
	return apperr.Conflictf(typ, id, "policy revision does not match the current revision on %s", arn)
}

// ARNResource names the resource an ARN points at, for error messages:
// ("domain", "d") for .../domain/d, ("repository", "r") for .../repository/d/r.
func ARNResource(arn string) (typ, id string) {
	a, err := model.ParseARN(arn)
	if err != nil {
		return "", arn
	}
	typ, rest, _ := strings.Cut(a.Resource, "/")
	return typ, rest[strings.LastIndex(rest, "/")+1:]
}

// DistTagNotFound is the error for a dist-tag a package does not have.
func DistTagNotFound(k model.PackageKey, tag string) error {
	return apperr.NotFoundf("dist-tag", tag, "dist-tag %s of %s is not set in repository %s", tag, DisplayName(k), k.Repository)
}
