package nuget

import (
	"regexp"
	"strconv"
	"strings"
)

// NuGet package ids are case-insensitive: wharf stores them lowercased (the
// key, as the flat container addresses them) and keeps the casing of the
// first publish as the display name.

var idRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$`)

// ValidID reports whether id is a NuGet package id (nuget.org's rule: at most
// 100 characters of letters, digits, '.', '-', '_', not starting with a
// separator); ".." is refused so no id is a path step.
func ValidID(id string) bool {
	return idRe.MatchString(id) && !strings.Contains(id, "..") && !strings.HasSuffix(id, ".")
}

// Key is the stored (lowercased) form of an id.
func Key(id string) string { return strings.ToLower(id) }

var versionRe = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$`)

// NormalizeVersion is a version as NuGet normalizes it (NuGet.Versioning's
// ToNormalizedString): leading zeros dropped, at least three parts (1.0 is
// 1.0.0), a zero fourth part dropped, build metadata dropped. ok is false for
// what is not a NuGet version, or what is longer than 64 characters before
// or after normalizing.
func NormalizeVersion(v string) (string, bool) {
	if len(v) > 64 {
		return "", false
	}
	m := versionRe.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	parts := make([]string, 0, 4)
	for i, s := range m[1:5] {
		if s == "" {
			if i < 3 {
				s = "0"
			} else {
				continue
			}
		}
		n, err := strconv.ParseUint(s, 10, 31)
		if err != nil {
			return "", false
		}
		if i == 3 && n == 0 {
			continue
		}
		parts = append(parts, strconv.FormatUint(n, 10))
	}
	out := strings.Join(parts, ".")
	if m[5] != "" {
		out += "-" + m[5]
	}
	if len(out) > 64 {
		// Filling in ".0" parts can lengthen a version past the limit; the
		// normalized form is what is stored and asked for, so it is the one
		// held to it (and so is itself accepted, unchanged).
		return "", false
	}
	return out, true
}

// NupkgFile is the flat-container file name of a version's package.
func NupkgFile(key, version string) string {
	return key + "." + strings.ToLower(version) + ".nupkg"
}
