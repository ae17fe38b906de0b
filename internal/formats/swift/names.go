// Package swift is the Swift package registry format (SE-0292, the
// Registry.md of swift-package-manager): package identifiers, SemVer
// versions, the source archive check and the documents the registry serves.
// It is pure: the HTTP handler (handler.go) does the I/O through the
// package engine.
package swift

import (
	"regexp"
	"strings"
)

// Identifiers per Registry.md §3.6: a scope is 1-39 alphanumerics or
// hyphens, not starting with a hyphen and without two in a row (as GitHub
// user names); a name is 1-100 alphanumerics, hyphens or underscores, not
// starting with a hyphen or underscore. Both compare case-insensitively.
var (
	scopeRe   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)
	nameRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
	semverRe  = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
	variantRe = regexp.MustCompile(`^[0-9]+(?:\.[0-9]+){0,2}$`)
)

// MaxVersionLen bounds a version string (SemVer sets none; wharf does).
const MaxVersionLen = 128

// ValidScope reports whether s is a package scope.
func ValidScope(s string) bool { return scopeRe.MatchString(s) }

// ValidName reports whether s is a package name.
func ValidName(s string) bool { return nameRe.MatchString(s) }

// ValidVersion reports whether v is a SemVer 2.0 version.
func ValidVersion(v string) bool { return len(v) <= MaxVersionLen && semverRe.MatchString(v) }

// ValidSwiftVersion reports whether v is a swift-version query value
// ("5", "5.7", "5.7.1").
func ValidSwiftVersion(v string) bool { return len(v) <= 32 && variantRe.MatchString(v) }

// Key is how a scope or name is stored: lowercased, as CodeArtifact stores
// swift namespaces and names (identifiers are case-insensitive).
func Key(s string) string { return strings.ToLower(s) }

// ID is a package identifier "scope.name".
func ID(scope, name string) string { return scope + "." + name }

// ManifestFile is the manifest for a swift-version ("" is Package.swift).
func ManifestFile(swiftVersion string) string {
	if swiftVersion == "" {
		return "Package.swift"
	}
	return "Package@swift-" + swiftVersion + ".swift"
}

// ArchiveAsset is the asset name of a release's source archive.
const ArchiveAsset = "source-archive.zip"

// manifestVersion is the swift-version of a manifest file name at the top of
// an archive ("" for Package.swift), or ok=false if it is not a manifest.
func manifestVersion(file string) (string, bool) {
	if file == "Package.swift" {
		return "", true
	}
	v, ok := strings.CutPrefix(file, "Package@swift-")
	if !ok {
		return "", false
	}
	v, ok = strings.CutSuffix(v, ".swift")
	if !ok || !ValidSwiftVersion(v) {
		return "", false
	}
	return v, true
}
