package model

import (
	"regexp"
	"strings"
)

var pypiRunRe = regexp.MustCompile(`[-_.]+`)

// NormalizeName applies a format's name normalization: PyPI names per PEP 503
// (CodeArtifact normalizes Python and NuGet names; other formats keep theirs).
// It lives here because both the API and the package engine's origin rules
// (package-group matching) must normalize the same way.
func NormalizeName(f Format, name string) string {
	switch f {
	case FormatPypi:
		return pypiRunRe.ReplaceAllString(strings.ToLower(name), "-")
	case FormatNuget, FormatCargo, FormatSwift:
		// Crate names are case-insensitive: cargo asks for the lowercased name.
		// Swift identifiers are too (Registry.md §3.6); CodeArtifact stores them lowercased.
		return strings.ToLower(name)
	}
	return name
}
