package model

import "time"

// Package group origin restriction types (PackageGroupOriginRestrictionType).
const (
	RestrictionExternalUpstream = "EXTERNAL_UPSTREAM"
	RestrictionInternalUpstream = "INTERNAL_UPSTREAM"
	RestrictionPublish          = "PUBLISH"
)

// RestrictionTypes lists the restriction types in the model's enum order.
var RestrictionTypes = []string{RestrictionExternalUpstream, RestrictionInternalUpstream, RestrictionPublish}

// Package group origin restriction modes (PackageGroupOriginRestrictionMode).
const (
	ModeAllow                     = "ALLOW"
	ModeAllowSpecificRepositories = "ALLOW_SPECIFIC_REPOSITORIES"
	ModeBlock                     = "BLOCK"
	ModeInherit                   = "INHERIT"
)

// RootPackageGroup is the pattern of the group every domain has implicitly.
const RootPackageGroup = "/*"

// PackageGroup is a package group of a domain, identified by its pattern.
// Its parent is not stored: it is the most specific other group of the domain
// whose pattern contains this one, so it changes as groups come and go.
type PackageGroup struct {
	DomainOwner string
	DomainName  string
	Region      string
	Pattern     string
	ContactInfo string
	Description string
	CreatedAt   time.Time
	// Restrictions maps a restriction type to its mode; a missing type means
	// INHERIT (ALLOW for the root group).
	Restrictions map[string]string
	// AllowedRepositories maps a restriction type to the repositories named in
	// its allowed list, sorted.
	AllowedRepositories map[string][]string
}

// ARN is the group's ARN (format not confirmed against AWS; see docs/compatibility.md).
func (g PackageGroup) ARN() string {
	return PackageGroupARN(g.Region, g.DomainOwner, g.DomainName, g.Pattern)
}

// PackageGroupARN builds a package group ARN:
// arn:aws:codeartifact:REGION:OWNER:package-group/DOMAIN followed by the
// pattern, which always starts with "/" and holds no whitespace.
func PackageGroupARN(region, owner, domain, pattern string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":package-group/" + domain + pattern
}
